"""The peers a node knows: where they came from, how the last sync went, how far they can be
trusted to send good entries."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bocage.core.clock import now
from bocage.core.errors import DomainError
from bocage.store.models import Peer

SOURCES = ("manual", "follow", "gateway", "exchange", "lan")
GOOD_BATCH = 1  # score for a batch of entries that all verified
BAD_ENTRY = -10  # score for one entry that did not
SHUNNED = -50  # below this a peer is no longer asked (a manual add resets it)
MAX_LEARNED = 200  # peers learned from others' lists at most (a list is a claim, not a fact)


class BadPeerUrl(DomainError):
    pass


@dataclass(frozen=True)
class SyncResult:
    state: str  # ok, unreachable, refused
    error: str | None = None
    received: int = 0
    score: int = 0


def base_url(url: str) -> str:
    """`https://example.org/anything` → `https://example.org`: a peer is a whole node."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadPeerUrl(f"“{url}” is not a node's address: give it as https://example.org.")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def remember(session: Session, url: str, source: str, *, own: str | None = None) -> Peer | None:
    """Add a peer if it is new (None if it is this node itself). A manual add of a known
    peer forgives its past: its score starts again from zero."""
    assert source in SOURCES
    url = base_url(url)
    if own is not None and url == base_url(own):
        return None
    peer = session.get(Peer, url)
    if peer is None:
        if source == "exchange" and _learned_count(session) >= MAX_LEARNED:
            return None
        peer = Peer(
            url=url, source=source, added_at=now(), state="new", score=0, entries_received=0
        )
        session.add(peer)
    elif source == "manual":
        peer.source, peer.score = "manual", 0
    return peer


def learn(session: Session, urls: list[str], *, own: str) -> None:
    """The peers another node listed (a clock exchange): a claim, so capped, and an address
    that is not a node's is skipped."""
    for url in urls[:MAX_LEARNED]:
        try:
            remember(session, url, "exchange", own=own)
        except BadPeerUrl:
            continue


def forget(session: Session, url: str) -> bool:
    return session.execute(delete(Peer).where(Peer.url == base_url(url))).rowcount > 0  # type: ignore[attr-defined]


def listed(session: Session) -> list[Peer]:
    return list(session.scalars(select(Peer).order_by(Peer.added_at)))


def to_ask(session: Session) -> list[Peer]:
    """The peers a sync asks, best first; shunned ones are left out."""
    return list(
        session.scalars(
            select(Peer).where(Peer.score > SHUNNED).order_by(Peer.score.desc(), Peer.added_at)
        )
    )


def record(session: Session, url: str, result: SyncResult) -> None:
    peer = session.get(Peer, url)
    if peer is None:
        return
    peer.last_sync_at = now()
    peer.state, peer.last_error = result.state, result.error
    peer.score += result.score
    peer.entries_received += result.received


def _learned_count(session: Session) -> int:
    return session.scalar(select(func.count()).where(Peer.source == "exchange")) or 0
