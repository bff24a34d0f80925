"""The shape of the code is a contract too: the layering rules in pyproject.toml
(`[tool.importlinter]`, explained in docs/architecture.md) are kept, every package has its
place in them, and no module imports, however indirectly, a module that imports it.

Run in process with import-linter's own checker (no cache: a stale graph must not pass).
Imports made only for type checking (`if TYPE_CHECKING:`) are left out: they are no
dependency at run time, so they make no cycle."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter import configuration
from importlinter.application import use_cases

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def layered(contract: dict[str, Any]) -> set[str]:
    """The modules a layers contract places, without their containers or optional marks."""
    containers = contract.get("containers", [])
    named = set()
    for layer in contract["layers"]:
        for part in layer.replace(":", "|").split("|"):
            name = part.strip().strip("()")
            named |= {f"{c}.{name}" for c in containers} if containers else {name}
    return named


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("bocage", exclude_type_checking_imports=True, cache_dir=None)


def test_every_import_contract_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    configuration.configure()  # what `lint-imports` does first: readers, printer, graph builder
    kept = use_cases.lint_imports(str(PYPROJECT), cache_dir=None, no_logo=True)
    report = capsys.readouterr().out  # which contract broke, by which chain of imports
    assert kept, report
    assert f"Contracts: {len(contracts())} kept, 0 broken." in report, report


def test_every_package_has_its_place_in_the_layers(graph: grimp.ImportGraph) -> None:
    """A new top-level package or core domain must be placed, or it would escape the rules."""
    rules = contracts()
    placed = layered(rules["layers"])
    top = {m for m in graph.find_children("bocage")}
    assert top - placed == set(), "add these to the layers contract in pyproject.toml"
    domains = {m for m in graph.find_children("bocage.core")}
    assert domains - layered(rules["core"]) == set(), "add these to the core contract"


def _cycles(graph: grimp.ImportGraph) -> Iterator[list[str]]:
    """Strongly connected groups of modules (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, imported = work[-1]
            step = next(imported, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.find_modules_directly_imported_by(step)))))
                elif step in on_stack:
                    low[module] = min(low[module], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1:
                    yield sorted(group)


def test_no_module_imports_a_module_that_imports_it(graph: grimp.ImportGraph) -> None:
    """Deferred imports included: one inside a function, made to dodge a cycle, is a cycle."""
    found = list(_cycles(graph))
    assert found == [], "modules in an import cycle:\n" + "\n".join(map(", ".join, found))


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above is not vacuous: two modules importing each other are one cycle."""
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert list(_cycles(graph)) == [["pkg.a", "pkg.b"]]
