"""`Query`: a read that a face awaits (the value) or presents (renders it in the same read),
after its remote lookups (`before`), on the event loop's reader or a reader thread."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from bocage.node import Node
from bocage.services import Query
from bocage.services.reader import Reader


async def test_a_query_looks_up_first_then_reads_and_presents_in_one_read(node: Node) -> None:
    order: list[str] = []

    async def before() -> None:
        order.append("looked up")

    sessions: list[Session] = []

    def work(session: Session) -> int:
        order.append("read")
        sessions.append(session)
        return 41

    def present(reader: Reader, value: int) -> int:
        assert reader._session is sessions[-1]  # the read that produced the value
        return value + 1

    assert await Query(node.db, work, before=before) == 41
    assert await Query(node.db, work, before=before).present(present) == 42
    assert order == ["looked up", "read", "looked up", "read"]


async def test_a_long_read_runs_off_the_event_loop(node: Node) -> None:
    loop_thread = threading.get_ident()
    seen = await Query(node.db, lambda _session: threading.get_ident(), off_loop=True)
    assert seen != loop_thread
