"""What the peer replication tests do with real nodes: prepare and start them, follow, sync,
read a node's logs."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bocage import cli
from tests.federation.helpers import FEDERATION_ENV, PASSWORD, Person, eventually
from tests.processes import NodeProcess, run_cli


def prepare(root: Path, host: str, users: list[str], **options: Any) -> NodeProcess:
    """A node's data directory with `users`, not started yet. `bocage init` and `bocage user
    create` are run in this process (the same commands, without a second of start-up each)."""
    node = NodeProcess(root / host, host=host, env=dict(FEDERATION_ENV), **options)
    cli.init(domain=f"{host}:{node.port}", data=node.data, insecure_loopback=True)
    for name in users:
        cli.user_create(
            name, email=f"{name}@example.org", password=PASSWORD, admin=False, data=node.data
        )
    return node


def start(*nodes: NodeProcess) -> None:
    """Start nodes side by side (each start is mostly waiting for imports)."""
    with ThreadPoolExecutor(len(nodes)) as pool:
        list(pool.map(NodeProcess.start, nodes))


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
