"""Catch-up (docs/protocol.md, "Catch-up"): exchange clocks with every known peer, then
fetch each author's missing entries from the peers that hold them (not only the author's
home node), spread across those peers, verified and committed page by page: an interrupted
sync resumes from the last committed seq, with no duplicate and no gap. Each sync also asks
a few of the candidates other peers named whether they are nodes (core/replication/peers.py)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from bocage.core.replication import peers, replica
from bocage.core.replication.budget import Eviction
from bocage.core.replication.peers import SyncResult
from bocage.core.replication.replica import WantedLog
from bocage.federation.client import AddressPolicy, BlockedAddress, FetchError, Signer
from bocage.p2p.host import Peering

log = logging.getLogger("bocage.p2p")
PAGE = 500
AT_ONCE = 8  # authors fetched at once
PER_PEER = 2  # requests in flight to one peer
MAX_PAGE_BYTES = 16 * 1024 * 1024
Progress = Callable[[int, int], None]  # (entries fetched, entries known to be missing)


def contactable(urls: list[str], policy: AddressPolicy) -> list[str]:
    """The base URLs among the first `MAX_LEARNED` of `urls` that name a node this one may
    contact (the SSRF rules: no private or loopback literal, plain http only in development)."""
    found = []
    for url in urls[: peers.MAX_LEARNED]:
        try:
            found.append(policy.check_url(peers.base_url(url)))
        except (peers.BadPeerUrl, BlockedAddress):
            continue
    return found


@dataclass
class SyncReport:
    peers_asked: int = 0
    peers_answered: int = 0
    authors_behind: int = 0
    entries: int = 0
    rejected: int = 0
    forks: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    evicted: Eviction = field(default_factory=Eviction)
    holders: dict[str, list[str]] = field(default_factory=dict)  # peer -> wanted dids it holds
    candidates_asked: int = 0  # nodes other peers named, asked whether they are nodes
    candidates_confirmed: int = 0  # … that answered as one: peers from now on


@dataclass
class _PeerTally:
    state: str = "ok"
    received: int = 0
    score: int = 0
    error: str | None = None


@dataclass(frozen=True)
class _Clock:
    """A peer's answer to a clock exchange."""

    clock: dict[str, int]
    peers: list[str]
    node: str | None  # the base URL it gives as its own


class _NoClock(Exception):
    def __init__(self, state: str, error: str) -> None:
        super().__init__(error)
        self.state, self.error = state, error


class Sync:
    """One sync run of a node with its peers."""

    def __init__(self, node: Peering, signer: Signer, progress: Progress | None = None) -> None:
        self.node = node
        self.signer = signer
        self.progress = progress or (lambda _done, _total: None)
        self.report = SyncReport()
        self.tallies: dict[str, _PeerTally] = {}
        self.per_peer: dict[str, asyncio.Semaphore] = {}
        self.done = self.total = 0

    async def run(self) -> SyncReport:
        replication = self.node.services.replication
        outset = await replication.outset()
        asked, authors = outset.asked, {author.did: author for author in outset.wanted}
        # What we hold, and at what seq we are for every author we want (0: nothing yet):
        # the peer answers for each did named.
        own = self.node.ctx.urls.base
        listed = [own, *outset.known][: peers.MAX_LEARNED]
        body = orjson.dumps({"clock": outset.clock, "peers": listed})
        self.report.peers_asked = len(asked)
        clocks = await asyncio.gather(*(self._exchange(url, body) for url in asked))
        answered = {url: c for url, c in zip(asked, clocks, strict=True) if c is not None}
        self.report.peers_answered = len(answered)
        plan = _plan(authors, answered)
        self.report.holders = {
            url: [did for did in authors if clock.get(did, 0) > 0]
            for url, clock in answered.items()
        }
        self.report.authors_behind = len(plan)
        self.total = sum(max(answered[c].get(did, 0) for c in plan[did]) - authors[did].head
                         for did in plan)  # fmt: skip
        self.progress(0, self.total)
        at_once = asyncio.Semaphore(AT_ONCE)
        await asyncio.gather(
            self._ask_candidates(body),
            *(self._author(authors[did], plan[did], answered, at_once) for did in plan),
        )
        await replication.record({url: self._result(url) for url in asked})
        self.report.evicted = await replication.enforce_budgets()
        return self.report

    async def _exchange(self, url: str, body: bytes) -> dict[str, int] | None:
        """The peer's clock, and the nodes it named kept as candidates; None if it did not
        answer."""
        try:
            answer = await self._clock_of(url, body)
        except _NoClock as failed:
            self._fail(url, failed.state, failed.error)
            return None
        taught = contactable(answer.peers, self.node.federation.client.policy)
        await self.node.services.replication.teach(taught, url)
        self.tallies.setdefault(url, _PeerTally())
        return answer.clock

    async def _clock_of(self, url: str, body: bytes) -> _Clock:
        """One clock exchange with the node at `url` (`_NoClock` if it gave none)."""
        try:
            answer = await self.node.federation.client.signed_request(
                "POST", f"{url}/.well-known/apgateway/clock", self.signer, body=body
            )
        except FetchError as failed:
            raise _NoClock("unreachable", str(failed)) from None
        if answer.status != 200:
            reason = _error_of(answer.body)
            refused = f"the clock exchange answered {answer.status}"
            raise _NoClock("refused", f"{refused}: {reason}" if reason else refused)
        try:
            document = orjson.loads(answer.body)
            clock = {d: s for d, s in document["clock"].items() if isinstance(s, int)}
            learned = [u for u in document.get("peers", []) if isinstance(u, str)]
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            raise _NoClock("refused", "the clock exchange answered no clock") from None
        node = document.get("node")
        return _Clock(clock, learned, node if isinstance(node, str) else None)

    async def _ask_candidates(self, body: bytes) -> None:
        """A few of the candidates other peers named, asked once each whether they are nodes:
        one that answers a clock exchange naming itself becomes a peer."""
        urls = await self.node.services.replication.candidates_to_ask()
        self.report.candidates_asked = len(urls)
        await asyncio.gather(*(self._ask_candidate(url, body) for url in urls))

    async def _ask_candidate(self, url: str, body: bytes) -> None:
        replication = self.node.services.replication
        try:
            answer = await self._clock_of(url, body)
            if answer.node is None or _base_url(answer.node) != url:
                raise _NoClock("refused", f"its clock answer names {answer.node!r}, not {url}")
        except _NoClock as failed:
            log.info("candidate peer %s: %s", url, failed.error)
            await replication.unconfirmed(url, failed.error)
            return
        await replication.confirmed(url)
        self.report.candidates_confirmed += 1

    async def _author(
        self, author: WantedLog, candidates: list[str], clocks: dict[str, dict[str, int]],
        at_once: asyncio.Semaphore,
    ) -> None:  # fmt: skip
        """Fetch an author's missing entries from its candidates in turn, until one has
        given all it claimed to hold."""
        async with at_once:
            for url in candidates:
                if await self._from_peer(author, url, clocks[url][author.did]):
                    return

    async def _from_peer(self, author: WantedLog, url: str, target: int) -> bool:
        """Pages from one peer up to `target`; False when that peer could not finish."""
        tally = self.tallies.setdefault(url, _PeerTally())
        semaphore = self.per_peer.setdefault(url, asyncio.Semaphore(PER_PEER))
        replication = self.node.services.replication
        while True:
            head = await replication.head(author.account_id)
            if head is None or head >= target:
                return True
            async with semaphore:
                lines = await self._page(url, author.did, head, tally)
            if not lines:
                return False
            accepted = await replication.accept(author.account_id, lines, url)
            if accepted.unchained:  # their entry at our head: a fork, or a bad peer
                lines = await self._page(url, author.did, head - 1, tally, limit=1)
                accepted = await replication.accept(author.account_id, lines, url)
                if not accepted.forked:
                    accepted = replica.Accepted(0, "a chain that does not continue ours", bad=True)
            self._count(tally, accepted)
            if accepted.forked or accepted.unbound:
                return True  # ends the author's sync everywhere: the log, or our binding
            if accepted.bad or accepted.stored == 0:
                return False

    def _count(self, tally: _PeerTally, accepted: replica.Accepted) -> None:
        tally.received += accepted.stored
        self.report.entries += accepted.stored
        self.done += accepted.stored
        if accepted.bad:
            tally.score += peers.BAD_ENTRY
            tally.error = accepted.reason
            self.report.rejected += 1
        elif accepted.unbound:  # the peer served the author's own log: no blame
            tally.error = accepted.reason
        elif accepted.stored:
            tally.score += peers.GOOD_BATCH
        self.report.forks += int(accepted.forked)
        self.progress(self.done, self.total)

    async def _page(
        self, url: str, did: str, after: int, tally: _PeerTally, *, limit: int = PAGE
    ) -> list[object]:
        page_url = f"{url}/.well-known/apgateway/{did}/log?after={after}&limit={limit}"
        try:
            answer = await self.node.federation.client.signed_request(
                "GET", page_url, self.signer, accept="application/x-ndjson", limit=MAX_PAGE_BYTES
            )
        except FetchError as failed:
            tally.error = str(failed)
            return []
        if answer.status != 200:
            tally.error = f"the log of {did} answered {answer.status}"
            return []
        try:
            return [orjson.loads(line) for line in answer.body.splitlines() if line.strip()]
        except orjson.JSONDecodeError:
            tally.error, tally.score = (
                "a log page that is not NDJSON",
                tally.score + peers.BAD_ENTRY,
            )
            return []

    def _fail(self, url: str, state: str, error: str) -> None:
        log.info("peer %s: %s", url, error)
        self.report.errors[url] = error
        self.tallies[url] = _PeerTally(state=state, error=error)

    def _result(self, url: str) -> SyncResult:
        tally = self.tallies.get(url, _PeerTally())
        return SyncResult(tally.state, tally.error, tally.received, tally.score)


def _plan(authors: dict[str, WantedLog], clocks: dict[str, dict[str, int]]) -> dict[str, list[str]]:
    """For each author some peer holds further than we do: the peers to ask, in order. The
    first choice is spread: the least loaded of the peers that hold the most entries."""
    load: Counter[str] = Counter()
    plan: dict[str, list[str]] = {}
    for did, author in authors.items():
        ahead = [url for url, clock in clocks.items() if clock.get(did, 0) > author.head]
        if not ahead:
            continue
        ahead.sort(key=lambda url: (-clocks[url][did], load[url]))
        load[ahead[0]] += 1
        plan[did] = ahead
    return plan


def _base_url(url: str) -> str | None:
    try:
        return peers.base_url(url)
    except peers.BadPeerUrl:
        return None


def _error_of(body: bytes) -> str:
    """The reason a peer gave in its `{"error": …}` body, if any."""
    try:
        return str(orjson.loads(body).get("error", ""))[:200]
    except (orjson.JSONDecodeError, AttributeError):
        return ""
