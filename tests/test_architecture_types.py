"""The type checker's rules (`make test` runs mypy on bocage/; pyproject.toml configures it).

mypy itself checks the code; these tests check what mypy cannot: that every silenced error
says which one and why, and that the configuration means what it says (a `strict = true`
in an override turns strict mode on for every module, silently).
"""

from __future__ import annotations

import io
import re
import tokenize
import tomllib
from pathlib import Path
from typing import Any

import pytest
from mypy.main import process_options
from mypy.options import PER_MODULE_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bocage"
# `# type: ignore[code, …]  # why it cannot be typed`
JUSTIFIED = re.compile(r"# type: ignore\[[a-z-]+(, *[a-z-]+)*\] +# *\w.*")
IGNORE = re.compile(r"#\s*type:\s*ignore")


def _mypy_config() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    return config


def _ignores_without_reason(source: str) -> list[str]:
    """The comments of `source` that silence mypy without an error code and a reason."""
    comments = (
        token
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    )
    return [
        f"{token.start[0]}: {token.string}"
        for token in comments
        if IGNORE.search(token.string) and not JUSTIFIED.fullmatch(token.string)
    ]


def test_every_type_ignore_names_its_error_and_says_why() -> None:
    unjustified = [
        f"{path.relative_to(ROOT)}:{found}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for found in _ignores_without_reason(path.read_text())
    ]
    assert not unjustified, (
        "Type the code, or write `# type: ignore[code]  # why it cannot be typed`:\n"
        + "\n".join(unjustified)
    )


@pytest.mark.parametrize(
    "line",
    [
        "x = f()  # type: ignore\n",
        "x = f()  # type: ignore[misc]\n",
        "x = f()  # type:ignore[misc]  # no stub\n",
        "x = f()  # type: ignore[misc]  #\n",
        "x = f()  # noqa  # type: ignore[misc]\n",
    ],
)
def test_an_unjustified_ignore_is_caught(line: str) -> None:
    assert _ignores_without_reason(line)


def test_a_justified_ignore_passes() -> None:
    line = "x = f()  # type: ignore[misc, arg-type]  # the library has no stub\n"
    assert not _ignores_without_reason(line)
    assert not _ignores_without_reason('text = "# type: ignore"\n')  # a string, not a comment


def _strict_flags() -> dict[str, Any]:
    """The per-module flags `--strict` sets, with their strict values (from mypy itself)."""
    _, strict = process_options(["--strict", "--config-file=", "probe.py"])
    _, plain = process_options(["--config-file=", "probe.py"])
    return {
        flag: getattr(strict, flag)
        for flag in PER_MODULE_OPTIONS
        if getattr(strict, flag, None) != getattr(plain, flag, None)
    }


def test_the_service_layer_is_checked_strictly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    _, options = process_options(["--config-file", str(ROOT / "pyproject.toml")])
    service = options.clone_for_module("bocage.services.accounts")
    expected = _strict_flags()
    assert expected  # mypy still has per-module strict flags
    weaker = {flag for flag, value in expected.items() if getattr(service, flag) != value}
    assert not weaker, f"bocage.services.* is not checked with these --strict flags: {weaker}"


def test_no_override_says_strict() -> None:
    """mypy applies `strict = true` from an override to every module: list its flags."""
    for override in _mypy_config().get("overrides", []):
        assert "strict" not in override, override["module"]


def test_missing_imports_are_ignored_by_name_only() -> None:
    config = _mypy_config()
    assert "ignore_missing_imports" not in config  # never for every package
    for override in config.get("overrides", []):
        if override.get("ignore_missing_imports"):
            modules = override["module"]
            names = [modules] if isinstance(modules, str) else modules
            assert all(not name.startswith("bocage") for name in names), names
