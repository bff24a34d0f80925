"""The peers a node knows: where they came from, how the last sync went, how far they can be
trusted to send good entries; and the candidates other peers named, which are not peers.

A peer is asked for its clock on every sync, so only a node this one has reason to trust
with that becomes one: the admin added it, a followed author lives there or lists it as a
gateway, it was heard on the LAN, or it signed a request to this node as a node's instance
actor. A URL another peer lists in a clock exchange is only a claim: it waits as a
candidate, a bounded number per teaching peer and in all, until a sync asks it once whether
it is a node (its clock answer, naming itself); candidates never confirmed expire. So a peer
cannot turn this node into a crawler of hundreds of addresses (docs/protocol.md,
"Discovery")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bocage.core.replication import replica
from bocage.kernel.clock import now
from bocage.kernel.errors import DomainError
from bocage.store.models import Account, Peer, PeerCandidate
from bocage.store.sql import changed

SOURCES = ("manual", "follow", "gateway", "exchange", "lan")  # strongest reason first
GOOD_BATCH = 1  # score for a batch of entries that all verified
BAD_ENTRY = -10  # score for one entry that did not
SHUNNED = -50  # below this a peer is no longer asked (a manual add resets it)
MAX_LEARNED = 200  # peers that exchanged clocks with us, at most; URLs read from one list
TAUGHT_PER_PEER = 20  # candidates one peer may have waiting at once
MAX_CANDIDATES = 200  # candidates waiting, from all peers
ASKED_PER_SYNC = 10  # candidates asked by one sync
CANDIDATE_LIFE = timedelta(days=7)  # a candidate not confirmed by then is forgotten


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
    """Add a peer if it is new (None if it is this node itself). A known peer takes the
    stronger of its reasons (`SOURCES`, strongest first): a node first met when it asked us
    for our clock, then found among a followed author's gateways, is listed as a gateway
    (and no longer counts against `MAX_LEARNED`). A manual add of a known peer forgives its
    past: its score starts again from zero."""
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
        session.execute(delete(PeerCandidate).where(PeerCandidate.url == url))
    elif source == "manual":
        peer.source, peer.score = "manual", 0
    elif SOURCES.index(source) < SOURCES.index(peer.source):
        peer.source = source
    return peer


def teach(session: Session, urls: list[str], *, teacher: str, own: str) -> int:
    """The nodes the peer `teacher` listed in a clock exchange, kept as candidates: at most
    `TAUGHT_PER_PEER` of its own waiting, `MAX_CANDIDATES` in all; not this node, not a
    known peer or candidate. `urls` are base URLs the caller may contact at all (the SSRF
    rules, the transport's: `p2p/sync.contactable`). How many were new."""
    if not urls:
        return 0
    _forget_expired(session)
    waiting = session.scalar(select(func.count()).where(PeerCandidate.taught_by == teacher))
    in_all = session.scalar(select(func.count()).select_from(PeerCandidate))
    room = min(TAUGHT_PER_PEER - (waiting or 0), MAX_CANDIDATES - (in_all or 0))
    if room <= 0:
        return 0
    own = base_url(own)
    fresh = [url for url in dict.fromkeys(urls[:MAX_LEARNED]) if url != own]
    known = set(session.scalars(select(Peer.url).where(Peer.url.in_(fresh))))
    known |= set(session.scalars(select(PeerCandidate.url).where(PeerCandidate.url.in_(fresh))))
    taught = [url for url in fresh if url not in known][:room]
    session.add_all(PeerCandidate(url=url, taught_by=teacher, learned_at=now()) for url in taught)
    return len(taught)


def candidates_to_ask(session: Session, limit: int = ASKED_PER_SYNC) -> list[str]:
    """Up to `limit` candidates never asked, oldest first, marked as asked now: each is asked
    once, whichever process syncs (rows locked by another sync are left to it)."""
    _forget_expired(session)
    rows = session.scalars(
        select(PeerCandidate)
        .where(PeerCandidate.asked_at.is_(None))
        .order_by(PeerCandidate.learned_at, PeerCandidate.url)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.asked_at = now()
    return [row.url for row in rows]


def confirmed(session: Session, url: str, *, own: str) -> None:
    """A candidate answered as a node: a peer from now on."""
    remember(session, url, "exchange", own=own)
    session.execute(delete(PeerCandidate).where(PeerCandidate.url == url))


def unconfirmed(session: Session, url: str, reason: str) -> None:
    """A candidate did not answer as a node: kept (so it is not taught again) until it
    expires, never asked again."""
    candidate = session.get(PeerCandidate, url)
    if candidate is not None:
        candidate.last_error = reason[:500]


def candidates(session: Session) -> list[PeerCandidate]:
    return list(session.scalars(select(PeerCandidate).order_by(PeerCandidate.learned_at)))


def _forget_expired(session: Session) -> None:
    session.execute(delete(PeerCandidate).where(PeerCandidate.learned_at < now() - CANDIDATE_LIFE))


def forget(session: Session, url: str) -> bool:
    return changed(session, delete(Peer).where(Peer.url == base_url(url))) > 0


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


def record_all(session: Session, results: dict[str, SyncResult]) -> None:
    """How a sync went with each peer it asked."""
    for url, result in results.items():
        record(session, url, result)


def exchange(
    session: Session, asker: str, dids: list[str], taught: list[str], *, own: str
) -> tuple[dict[str, int], list[str]]:
    """A clock exchange a peer asked for: our clock for the `dids` it named (all we hold if
    none), and the peers we know but itself. The asker signed as a node: a peer; the nodes
    it named (`taught`, already contactable) are only candidates."""
    remember(session, asker, "exchange", own=own)
    teach(session, taught, teacher=asker, own=own)
    held = replica.clock(session, dids or None)
    known = [peer.url for peer in listed(session) if peer.url != asker]
    return held, known[:MAX_LEARNED]


def learn_from_follows(session: Session, own: str) -> None:
    """The home nodes of the authors followed here are peers, and so are their gateways."""
    for account in replica.wanted(session):
        remember(session, account.uri, "follow", own=own)
        for gateway in account.gateways or []:
            remember(session, gateway, "gateway", own=own)


def _learned_count(session: Session) -> int:
    return session.scalar(select(func.count()).where(Peer.source == "exchange")) or 0


def holders(session: Session, account_id: int, origin: str | None, limit: int = 8) -> list[str]:
    """The nodes that may hold an author's files when its home node (`origin`) does not
    answer: the gateways the author lists (its pubs), then the peers a sync asks, best
    first; not `origin`, at most `limit`."""
    account = session.get(Account, account_id)
    skip = {base_url(origin)} if origin else set()
    found: list[str] = []
    for url in [*(account.gateways or [] if account else []), *(p.url for p in to_ask(session))]:
        try:
            node = base_url(url)
        except BadPeerUrl:
            continue
        if node not in skip and node not in found:
            found.append(node)
    return found[:limit]


def blame(session: Session, url: str, reason: str) -> None:
    """A peer sent what failed verification outside a sync (a file whose bytes are not its
    digest): scored down as for a bad log entry."""
    peer = session.get(Peer, base_url(url))
    if peer is not None:
        peer.score += BAD_ENTRY
        peer.last_error = reason[:500]
