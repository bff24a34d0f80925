"""What the peer replication tests do with real nodes: follow, sync, read a node's logs
(nodes are made with `prepare_node` of tests/federation/helpers.py, started with
`start_all` of tests/processes.py)."""

from __future__ import annotations

import sqlite3

from tests.federation.helpers import Person, eventually
from tests.processes import NodeProcess, run_cli


async def follow(follower: Person, target: Person) -> None:
    """`follower` follows `target` from the web page, and waits until it is accepted."""
    await follower.post(f"/@{target.handle}/follow")

    async def accepted() -> bool:
        return ">Unfollow<" in (await follower.get(f"/@{target.handle}")).text

    await eventually(accepted, what=f"{target.handle} accepted {follower.handle}")


async def home_has(person: Person, text: str) -> bool:
    return text in (await person.get("/home")).text


def sync(node: NodeProcess) -> str:
    """`bocage sync` on the node's data directory; its output."""
    return run_cli("sync", "--data", str(node.data), env=node.env).stdout


def log_length(node: NodeProcess, actor: str) -> int:
    """How much of an author's log a node holds (read from its database, as an admin would)."""
    with sqlite3.connect(node.data / "bocage.db") as db:
        row = db.execute("SELECT log_seq FROM accounts WHERE uri = ?", (actor,)).fetchone()
    return int(row[0]) if row else 0


async def holds(value: bool) -> bool:
    """A plain condition, for `eventually` (which awaits its check)."""
    return value
