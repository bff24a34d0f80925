"""How a service runs the core: writes as one unit of work on the database's writer, reads as
`Query` objects that a face awaits (the domain value) or presents (renders inside the same
read, through a `Reader`, when what it renders needs more rows than the value holds:
Mastodon's statuses read their tags, filters and a cache of built entities with the page)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from bocage.kernel.context import Context
from bocage.services.reader import Reader
from bocage.store.db import Database

X = TypeVar("X")
T = TypeVar("T")

JobPayload = dict[str, Any]
"""What a queued job carries (JSON), as a service's job unit receives it."""

Present = Callable[[Reader, X], T]
"""A face's rendering of a domain value, run in the read that produced it: it reads what
else it needs through the `Reader` (services/reader.py), and never writes."""


class Query(Generic[X]):
    """A read not run yet. `await query` gives its value; `await query.present(render)`
    gives `render(reader, value)` from the same read unit. `before` (remote lookups) runs
    first, outside any transaction; `off_loop` reads on a reader thread (reads that may take
    long: text search, trends)."""

    __slots__ = ("_before", "_db", "_off_loop", "_work")

    def __init__(
        self,
        db: Database,
        work: Callable[[Session], X],
        *,
        before: Callable[[], Awaitable[None]] | None = None,
        off_loop: bool = False,
    ) -> None:
        self._db = db
        self._work = work
        self._before = before
        self._off_loop = off_loop

    def __await__(self) -> Generator[Any, None, X]:
        return self._run(self._work).__await__()

    async def present(self, render: Present[X, T]) -> T:
        work = self._work

        def rendered(session: Session) -> T:
            return render(Reader(session), work(session))

        return await self._run(rendered)

    async def _run(self, work: Callable[[Session], T]) -> T:
        if self._before is not None:
            await self._before()
        if self._off_loop:
            return await self._db.read_off_loop(work)
        return await self._db.read(work)


class Service:
    """What every service holds: the node's database and context."""

    def __init__(self, db: Database, ctx: Context) -> None:
        self._db = db
        self._ctx = ctx

    def _query(
        self,
        work: Callable[[Session], X],
        *,
        before: Callable[[], Awaitable[None]] | None = None,
        off_loop: bool = False,
    ) -> Query[X]:
        return Query(self._db, work, before=before, off_loop=off_loop)
