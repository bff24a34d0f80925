"""Replication: what the p2p face asks of the node, one operation at a time. The face keeps
the transport (HTTP, WebSockets, the LAN, when to sync); every read and write of author logs,
peers, pubs and budgets is a method here, over the rules in `core/replication`.

Serving peers: clock exchanges, log pages and objects by did, live backlogs. Catching up:
what a sync asks and records, each page of fetched entries accepted (`replica.accept`, its
activities into the inbox pipeline through `federation/intake`), the budgets enforced after.
Pubs: the consent an account signs and the gateway it then lists; the consent a pub keeps.
The peer book, for the admin (the moderation service's `PeerBook`) and the LAN."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from bocage.core.media import remote
from bocage.core.replication import budget, peers, pubs, replica, serving
from bocage.core.replication.budget import Eviction
from bocage.core.replication.peers import SyncResult
from bocage.core.replication.replica import Accepted, ForkShown, WantedLog
from bocage.core.replication.serving import LogPage
from bocage.federation import intake
from bocage.kernel.context import Context
from bocage.services.ports import MediaStore
from bocage.services.streaming import Listener
from bocage.services.unit import Query, Service
from bocage.store.db import Database
from bocage.store.models import Peer

__all__ = ["Eviction", "LogPage", "Outset", "PeerBookView", "ReplicationService", "SyncResult"]


@dataclass(frozen=True)
class Outset:
    """What a sync starts from: the peers to ask, the logs wanted, the clock to offer (what
    is held, and the seq reached of each log wanted: 0 for nothing yet), the peers known."""

    asked: list[str]
    wanted: list[WantedLog]
    clock: dict[str, int]
    known: list[str]


@dataclass(frozen=True)
class PeerBookView:
    """The peer book as the admin reads it."""

    peers: list[Peer]
    forks: list[ForkShown]
    candidates: int  # nodes other peers named, not peers yet


class ReplicationService(Service):
    def __init__(self, db: Database, ctx: Context, storage: MediaStore) -> None:
        super().__init__(db, ctx)
        self._storage = storage  # where the cached media evicted with their entries are

    def subscribe(self, listener: Listener) -> None:
        """`listener` hears every batch of committed events (new log entries, logs wanted)."""
        self._db.events.subscribe(listener)

    @property
    def _own(self) -> str:
        return self._ctx.urls.base

    # --- serving peers ------------------------------------------------------------------

    async def exchange(
        self, asker: str, dids: list[str], taught: list[str]
    ) -> tuple[dict[str, int], list[str]]:
        """A peer's clock exchange: our clock for `dids`, the peers we know. `taught` are
        the nodes it named that this node may contact (candidates)."""
        return await self._db.write(peers.exchange, asker, dids, taught, own=self._own)

    def log_page(self, did: str, after: int, limit: int) -> Query[LogPage]:
        """`NotFound` or `serving.ForkedLog` (410) when that log is not served."""
        return self._query(lambda session: serving.log_page(session, did, after, limit))

    def portable_object(
        self, did: str, path: str
    ) -> Query[dict[str, Any] | Literal["gone"] | None]:
        return self._query(lambda session: serving.portable_object(session, did, path))

    def live_log(self, did: str) -> Query[int | None]:
        return self._query(lambda session: serving.live_log(session, did))

    def backlog(self, account_id: int, after: int, limit: int) -> Query[list[bytes]]:
        return self._query(lambda session: serving.backlog(session, account_id, after, limit))

    # --- catching up ----------------------------------------------------------------------

    async def outset(self) -> Outset:
        """Peers learned from follows first (a write), then what the sync starts from."""
        await self._db.write(peers.learn_from_follows, self._own)
        return await self._db.read(_outset)

    async def teach(self, taught: list[str], teacher: str) -> int:
        """The contactable nodes a peer named, kept as candidates."""
        return await self._db.write(peers.teach, taught, teacher=teacher, own=self._own)

    async def candidates_to_ask(self) -> list[str]:
        return await self._db.write(peers.candidates_to_ask)

    async def confirmed(self, url: str) -> None:
        await self._db.write(peers.confirmed, url, own=self._own)

    async def unconfirmed(self, url: str, reason: str) -> None:
        await self._db.write(peers.unconfirmed, url, reason)

    def head(self, account_id: int) -> Query[int | None]:
        return self._query(lambda session: replica.head_held(session, account_id))

    def heads(self, dids: frozenset[str]) -> Query[dict[str, tuple[int, int]]]:
        return self._query(lambda session: replica.heads(session, dids))

    def peers_to_ask(self) -> Query[list[str]]:
        return self._query(lambda session: [peer.url for peer in peers.to_ask(session)])

    def author_of(self, uri: str) -> Query[tuple[str, str] | None]:
        return self._query(lambda session: replica.author_of(session, uri))

    async def accept(self, account_id: int, lines: list[Any], peer: str) -> Accepted:
        """A page of entries fetched from `peer`, verified and stored in seq order; their
        activities enter the inbox pipeline in the same transaction."""
        return await self._db.write(
            replica.accept, account_id, lines, peer, intake.store_replicated
        )

    async def record(self, results: dict[str, SyncResult]) -> None:
        await self._db.write(peers.record_all, results)

    async def enforce_budgets(self) -> Eviction:
        """The oldest remote content beyond the replica budgets evicted, its posts' cached
        files with it (removed from storage once no row shows them)."""
        settings = self._ctx.settings
        per_author, total = settings.replica_bytes_per_author, settings.replica_bytes_total

        def evict(session: Session) -> tuple[Eviction, list[str]]:
            eviction = budget.enforce(session, per_author, total)
            return eviction, remote.unused(session, eviction.files)

        eviction, removable = await self._db.write(evict)
        for key in removable:
            await asyncio.to_thread(self._storage.delete, key)
        return eviction

    # --- pubs -----------------------------------------------------------------------------

    def consent(self, username: str, pub: str) -> Query[dict[str, Any]]:
        """`username`'s signed consent for the pub at `pub` (`NotFound` if not active here)."""
        return self._query(lambda session: pubs.signed_consent(session, username, pub))

    async def add_gateway(self, username: str, pub: str) -> None:
        """The pub took the consent: its actor lists the pub (its followers are told)."""
        await self._db.write(pubs.add_gateway, self._ctx, username, pub)

    async def keep_consent(self, account_id: int, body: bytes) -> None:
        """On a pub: a verified consent, kept."""
        await self._db.write(pubs.keep_consent, account_id, body)

    # --- the peer book ----------------------------------------------------------------------

    async def listing(self) -> tuple[list[Peer], list[Any]]:
        """The peers, and the forked logs seen (services.ports.PeerBook)."""
        book = await self.book()
        return book.peers, list(book.forks)

    def book(self) -> Query[PeerBookView]:
        return self._query(_book)

    async def add(self, url: str, source: str = "manual") -> Peer | None:
        """A peer added by the admin, or heard on the LAN (`source`); None: that is this
        node's own address."""
        return await self._db.write(peers.remember, url, source, own=self._own)

    async def remove(self, url: str) -> bool:
        return await self._db.write(peers.forget, url)


def _outset(session: Session) -> Outset:
    wanted = replica.wanted_logs(session)
    clock = {**replica.clock(session), **{log.did: log.head for log in wanted}}
    asked = [peer.url for peer in peers.to_ask(session)]
    known = [peer.url for peer in peers.listed(session)]
    return Outset(asked, wanted, clock, known)


def _book(session: Session) -> PeerBookView:
    return PeerBookView(
        peers.listed(session), replica.forks(session), len(peers.candidates(session))
    )
