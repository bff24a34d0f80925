"""The faces work through the services (bocage/services/__init__.py): none of their route
modules imports the node, a way to open a unit of work, or another face, and none writes
through a session. Nor does a face import a core function that works on a session: what a
face renders comes from a service (a value, or a presenter's `Reader`). Checked on the source
(AST, and the imported functions' signatures), so a new route that slips past the services
fails here, not in review.

Checked: every module of the web, Mastodon API, p2p and jobs faces, and the ActivityPub
face's route modules, listed by name (ACTIVITYPUB_ROUTES). The p2p face (peer replication)
keeps only the transport: its reads and writes are the replication service's; it alone
reaches the node, as the Protocols of `p2p/host.py`. The ActivityPub face's background work
is not checked: `receive.py` (the `inbox.process` job: network lookups first, then one core
transaction), `delivery.py` (the delivery jobs and their bookkeeping) and `federation.py`
(which holds them and the resolver) run in the worker and use the database as the other job
handlers once did (docs/architecture.md). Every module of that face is in one list or the
other, so a new one is classified when it is added."""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy.orm import Session

BOCAGE = Path(__file__).resolve().parents[2] / "bocage"
FACES = ("web", "mastodon_api", "p2p")
ACTIVITYPUB_ROUTES = ("__init__", "actors", "collections", "discovery", "inbox", "objects")
ACTIVITYPUB_BACKGROUND = ("delivery", "federation", "receive")
# The faces that never hold the node, not even as Protocols (p2p/host.py takes it so).
NO_NODE = ("web", "mastodon_api", "activitypub")
# The faces that import no core function taking a session (`fn(session, …)`); the ActivityPub
# face's route modules are checked the same way (its background work is not).
SESSIONLESS_FACES = ("web", "mastodon_api", "p2p", "jobs")
CORE = "bocage.core"
OTHER_FACES = ("bocage.web", "bocage.mastodon_api", "bocage.activitypub", "bocage.p2p")
# What bocage.store.db offers beside units of work: the cache of rows and rendered entities
# a read unit keeps (views.py's cache of Status entities uses it inside a presenter).
STORE_DB_ALLOWED = {"committed_cache"}
WRITES = {"add", "add_all", "delete", "merge", "flush", "commit", "begin", "begin_nested"}
SQL_WRITES = {"insert", "update", "delete"}


def _modules(face: str) -> list[Path]:
    return sorted((BOCAGE / face).rglob("*.py"))


def _activitypub_routes() -> list[Path]:
    return [BOCAGE / "activitypub" / f"{name}.py" for name in ACTIVITYPUB_ROUTES]


def _imports(tree: ast.AST) -> Iterator[tuple[str, list[str], int]]:
    """(module, names imported from it, line) for every import, at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [alias.name for alias in node.names], node.lineno


def _shown(path: Path) -> str:
    return str(path.relative_to(BOCAGE.parent)) if path.is_relative_to(BOCAGE.parent) else str(path)


def violations(path: Path, face: str) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    own = f"bocage.{face}"
    for module, names, line in _imports(tree):
        where = f"{_shown(path)}:{line}"
        if module == "bocage.node" or (module == "bocage" and "node" in names):
            found.append(f"{where}: imports the node (faces get services)")
        if module == "bocage.store.db" and set(names) - STORE_DB_ALLOWED:
            found.append(
                f"{where}: imports {names} from bocage.store.db (writes go through a service)"
            )
        if module == "bocage.store" and "db" in names:
            found.append(f"{where}: imports bocage.store.db")
        if module == "sqlalchemy" and SQL_WRITES & set(names):
            found.append(f"{where}: imports SQL writes {sorted(SQL_WRITES & set(names))}")
        if module.startswith("sqlalchemy.orm") and "sessionmaker" in names:
            found.append(f"{where}: makes sessions")
        other = [f for f in OTHER_FACES if f != own and (module == f or module.startswith(f + "."))]
        if other:
            found.append(f"{where}: imports another face ({module})")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        where = f"{_shown(path)}:{node.lineno}"
        # `….db.write(…)`, `….db.transaction()`: a unit of work opened by the face.
        if (
            node.attr in ("write", "transaction", "read", "read_off_loop", "snapshot")
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "db"
        ):
            found.append(f"{where}: opens a unit of work (.db.{node.attr})")
        # `request.app.state.node`: the whole node, taken from the app.
        if (
            node.attr == "node"
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "state"
            and face in NO_NODE
        ):
            found.append(f"{where}: takes the node from the app (faces get services)")
        # `session.add(…)`, `session.flush()`…: a write through a presenter's session.
        if node.attr in WRITES and isinstance(node.value, ast.Name) and node.value.id == "session":
            found.append(f"{where}: writes through a session (session.{node.attr})")
    return found


@pytest.mark.parametrize("face", FACES)
def test_faces_work_through_services(face: str) -> None:
    found = [v for path in _modules(face) for v in violations(path, face)]
    assert not found, "\n".join(found)


def test_activitypub_routes_work_through_services() -> None:
    found = [v for path in _activitypub_routes() for v in violations(path, "activitypub")]
    assert not found, "\n".join(found)


def test_every_activitypub_module_is_a_route_or_background_work() -> None:
    present = {path.stem for path in (BOCAGE / "activitypub").glob("*.py")}
    assert present == set(ACTIVITYPUB_ROUTES) | set(ACTIVITYPUB_BACKGROUND)


def test_the_check_catches_what_it_forbids(tmp_path: Path) -> None:
    """The rules above, each shown to fail on a module that breaks it."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from bocage.node import Node\n"
        "from bocage.store.db import Database\n"
        "from sqlalchemy import insert\n"
        "from bocage.activitypub import inbox\n"
        "async def route(node, session, request):\n"
        "    await node.db.write(print)\n"
        "    session.add(object())\n"
        "    await request.app.state.node.db.read(print)\n"
    )
    found = violations(bad, "web")
    assert len(found) == 8, found


def test_an_activitypub_route_that_reads_the_database_is_caught(tmp_path: Path) -> None:
    """What the ActivityPub routes did before they had services."""
    route = tmp_path / "objects.py"
    route.write_text(
        "async def actor(request):\n    return await request.app.state.node.db.read(print)\n"
    )
    found = violations(route, "activitypub")
    assert len(found) == 2, found
    assert any(".db.read" in line for line in found), found


def test_the_p2p_face_may_not_go_back_to_the_database(tmp_path: Path) -> None:
    """The p2p face's old shape (its own units of work on the node's database, a Session
    write, the web face's helpers) fails the check as the web face's would."""
    bad = tmp_path / "sync.py"
    bad.write_text(
        "from bocage.web.auth import services_of\n"
        "class Sync:\n"
        "    async def run(self, session):\n"
        "        await self.node.db.read(print)\n"
        "        await self.node.db.write(print)\n"
        "        session.merge(object())\n"
    )
    found = violations(bad, "p2p")
    assert len(found) == 4, found


def takes_a_session(found: Any) -> bool:
    """A function whose first parameter is a SQLAlchemy `Session` (values, types, enums and
    pure functions are fine to import)."""
    if not inspect.isfunction(found):
        return False
    parameters = list(inspect.signature(found).parameters.values())
    if not parameters:
        return False
    annotation = parameters[0].annotation
    if isinstance(annotation, str):  # `from __future__ import annotations`
        return any(part.strip().rsplit(".", 1)[-1] == "Session" for part in annotation.split("|"))
    return annotation is Session


def _imported(module: str, name: str) -> Any:
    """`from module import name`: an attribute, or a submodule not imported by its package."""
    package = importlib.import_module(module)
    if hasattr(package, name):
        return getattr(package, name)
    return importlib.import_module(f"{module}.{name}")


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (base := _dotted(node.value)) is not None:
        return f"{base}.{node.attr}"
    return None


def core_session_functions(path: Path) -> list[str]:
    """Each use in `path` of a core function that takes a session: imported by name (`from
    bocage.core.x import fn`), or named on an imported core module (`from bocage.core.x
    import module` or `import bocage.core.x.module`, then `module.fn`). A module name that a
    function rebinds locally is still read as the module: name the local otherwise."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    modules: dict[str, ModuleType] = {}
    for node in ast.walk(tree):
        where = f"{_shown(path)}:{node.lineno}" if isinstance(node, ast.stmt) else ""
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(CORE):
                    modules[alias.asname or alias.name] = importlib.import_module(alias.name)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(CORE):
            assert node.module is not None
            for alias in node.names:
                value = _imported(node.module, alias.name)
                if inspect.ismodule(value):
                    modules[alias.asname or alias.name] = value
                elif takes_a_session(value):
                    found.append(f"{where}: imports {node.module}.{alias.name}, which reads "
                                 "a session (ask a service)")  # fmt: skip
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        module = modules.get(_dotted(node.value) or "")
        if module is not None and takes_a_session(getattr(module, node.attr, None)):
            found.append(f"{_shown(path)}:{node.lineno}: calls {module.__name__}.{node.attr}, "
                         "which reads a session (ask a service)")  # fmt: skip
    return found


@pytest.mark.parametrize("face", SESSIONLESS_FACES)
def test_faces_call_no_core_function_on_a_session(face: str) -> None:
    found = [v for path in _modules(face) for v in core_session_functions(path)]
    assert not found, "\n".join(found)


def test_activitypub_routes_call_no_core_function_on_a_session() -> None:
    found = [v for path in _activitypub_routes() for v in core_session_functions(path)]
    assert not found, "\n".join(found)


def test_the_session_check_catches_what_it_forbids(tmp_path: Path) -> None:
    """Each way of reaching a core function that takes a session, shown to fail; values,
    types and pure functions pass."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import bocage.core.graph.lists\n"
        "from bocage.core.filters.pages import apply as filtered\n"
        "from bocage.core.posts.scheduled import JOB\n"
        "from bocage.core.reading.visibility import Visibility, can_boost\n"
        "from bocage.core.timelines import timelines\n"
        "from bocage.core.timelines.timelines import PostView, hydrate\n"
        "def present(session, views: list[PostView]):\n"
        "    timelines.with_mentions(session, views)\n"
        "    bocage.core.graph.lists.containing(session, 1)\n"
        "    return timelines.Page, Visibility.PUBLIC, can_boost, JOB\n"
    )
    found = core_session_functions(bad)
    assert len(found) == 4, found
    assert all(name in "\n".join(found) for name in ("apply", "hydrate", "with_mentions",
                                                      "containing")), found  # fmt: skip
