"""The faces work through the services (bocage/services/__init__.py): none of their route
modules imports the node, a way to open a unit of work, or another face, and none writes
through a session. Checked on the source (AST), so a new route that slips past the services
fails here, not in review.

Checked: every module of the web, Mastodon API and p2p faces, and the ActivityPub face's
route modules, listed by name (ACTIVITYPUB_ROUTES). The p2p face (peer replication) keeps
only the transport: its reads and writes are the replication service's; it alone reaches the
node, as the Protocols of `p2p/host.py`. The ActivityPub face's background work is not
checked: `receive.py` (the `inbox.process` job: network lookups first, then one core
transaction), `delivery.py` (the delivery jobs and their bookkeeping) and `federation.py`
(which holds them and the resolver) run in the worker and use the database as the other job
handlers do (docs/architecture.md). Every module of that face is in one list or the other,
so a new one is classified when it is added."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

BOCAGE = Path(__file__).resolve().parents[2] / "bocage"
FACES = ("web", "mastodon_api", "p2p")
ACTIVITYPUB_ROUTES = ("__init__", "actors", "collections", "discovery", "inbox", "objects")
ACTIVITYPUB_BACKGROUND = ("delivery", "federation", "receive")
# The faces that never hold the node, not even as Protocols (p2p/host.py takes it so).
NO_NODE = ("web", "mastodon_api", "activitypub")
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
