"""Live entries (docs/protocol.md, "Live entries"): after catch-up, a peer stays subscribed
over a WebSocket and gets each new entry of the logs it follows as it is appended.

Server side: `LiveHub` keeps the subscriptions of this process's sockets and wakes them on
the committed `log.appended` events (kernel/events.py). Client side: `LiveLinks` keeps one
socket per peer that holds logs we want, feeding what arrives to the replication service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import orjson
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bocage.crypto import httpsig
from bocage.kernel.errors import RateLimited
from bocage.kernel.events import Event
from bocage.p2p.gateway import signed_peer
from bocage.p2p.host import Peering, PeerServing, host_of

log = logging.getLogger("bocage.p2p")
PATH = "/.well-known/apgateway/live"
MAX_SUBSCRIBED = 10_000  # dids one socket may follow
BACKLOG_PAGE = 200
RECONNECT_SECONDS = (1, 2, 5, 15, 60)


# --- server side ---------------------------------------------------------------------------


@dataclass(eq=False)
class _Subscriber:
    socket: WebSocket
    sent: dict[int, int] = field(default_factory=dict)  # account id -> last seq sent
    grown: set[int] = field(default_factory=set)  # logs appended to since the last send
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class LiveHub:
    """The sockets of this process, by the logs they follow."""

    def __init__(self) -> None:
        self._by_account: dict[int, set[_Subscriber]] = {}

    def on_events(self, events: list[Event]) -> None:
        for event in events:
            if event.kind == "log.appended":
                account_id = event.data["account_id"]
                for subscriber in self._by_account.get(account_id, ()):
                    subscriber.grown.add(account_id)
                    subscriber.wake.set()

    def add(self, subscriber: _Subscriber, account_id: int) -> None:
        self._by_account.setdefault(account_id, set()).add(subscriber)

    def remove(self, subscriber: _Subscriber) -> None:
        for account_id in subscriber.sent:
            self._by_account.get(account_id, set()).discard(subscriber)


async def live(socket: WebSocket) -> None:
    """A peer's socket: subscribe messages in, entries out (backlog first, then live)."""
    node = host_of(socket)
    refusal = await _refusal(node, socket)
    if refusal:
        await socket.close(code=1008, reason=refusal)
        return
    await socket.accept()
    subscriber = _Subscriber(socket)
    hub = node.replication.live_hub
    sender = asyncio.create_task(_send_new(node, subscriber))
    try:
        while True:
            message = await socket.receive_text()
            for account_id, did in await _subscribe(node, subscriber, message):
                hub.add(subscriber, account_id)
                await socket.send_text(orjson.dumps({"type": "caught-up", "did": did}).decode())
                subscriber.grown.add(account_id)  # what was appended while catching up
                subscriber.wake.set()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.remove(subscriber)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender


async def _refusal(node: PeerServing, socket: WebSocket) -> str | None:
    """Why the handshake is refused (unsigned, bad signature, blocked, too many), or None."""
    try:
        await signed_peer(node, socket, b"")
    except (httpsig.SignatureError, RateLimited) as refused:
        return str(refused)[:120]
    return None


async def _subscribe(
    node: PeerServing, subscriber: _Subscriber, message: str
) -> list[tuple[int, str]]:
    """The logs newly followed by a subscribe message, their backlog sent."""
    try:
        document = orjson.loads(message)
        clock = document["clock"] if document.get("type") == "subscribe" else None
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        clock = None
    if not isinstance(clock, dict):
        await subscriber.socket.send_text('{"type":"error","error":"expected a subscribe"}')
        return []
    followed = []
    for did, seq in list(clock.items())[: MAX_SUBSCRIBED - len(subscriber.sent)]:
        replication = node.services.replication
        account_id = await replication.live_log(did) if isinstance(seq, int) else None
        if account_id is not None:
            subscriber.sent[account_id] = max(seq, 0)
            await _send_backlog(node, subscriber, account_id)
            followed.append((account_id, did))
    return followed


async def _send_new(node: PeerServing, subscriber: _Subscriber) -> None:
    """Each time the hub wakes it: what was appended to the logs that grew (only those: a
    peer may follow thousands)."""
    while True:
        await subscriber.wake.wait()
        subscriber.wake.clear()
        grown, subscriber.grown = subscriber.grown, set()
        for account_id in grown:
            await _send_backlog(node, subscriber, account_id)


async def _send_backlog(node: PeerServing, subscriber: _Subscriber, account_id: int) -> None:
    while True:
        after = subscriber.sent[account_id]
        lines = await node.services.replication.backlog(account_id, after, BACKLOG_PAGE)
        for line in lines:
            await subscriber.socket.send_text('{"type":"entry",' + line.decode()[1:])
        subscriber.sent[account_id] = after + len(lines)
        if len(lines) < BACKLOG_PAGE:
            return


routes: list[BaseRoute] = [WebSocketRoute(PATH, live)]


# --- client side ---------------------------------------------------------------------------


class LiveLinks:
    """One socket per peer that holds logs we want, reconnected when it drops."""

    def __init__(self, node: Peering) -> None:
        self.node = node
        self._links: dict[str, tuple[frozenset[str], asyncio.Task[None]]] = {}

    def follow(self, holders: Mapping[str, Iterable[str]]) -> None:
        """Subscribe to each peer for the dids it holds (as the last sync found)."""
        for url, dids in holders.items():
            wanted = frozenset(dids)
            current = self._links.get(url)
            if not wanted:  # that peer holds none of the logs wanted here: no socket
                if current is not None:
                    current[1].cancel()
                    del self._links[url]
                continue
            if current is not None and current[0] >= wanted and not current[1].done():
                continue
            if current is not None:
                current[1].cancel()
            task = asyncio.create_task(self._keep(url, wanted), name=f"p2p-live {url}")
            self._links[url] = (wanted, task)

    async def stop(self) -> None:
        for _dids, task in self._links.values():
            task.cancel()
        for _dids, task in self._links.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._links.clear()

    async def _keep(self, url: str, dids: frozenset[str]) -> None:
        failures = 0
        while True:
            try:
                await self._listen(url, dids)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as failed:  # a peer that went away: try again later
                log.debug("live link to %s: %s", url, failed)
                failures += 1
            await asyncio.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])

    async def _listen(self, url: str, dids: frozenset[str]) -> None:
        signer = await self.node.federation.resolver.instance_signer()
        replication = self.node.services.replication
        heads = await replication.heads(dids)
        async with self.node.federation.client.websocket(f"{url}{PATH}", signer) as socket:
            subscribe = {"type": "subscribe", "clock": {d: seq for d, (_i, seq) in heads.items()}}
            await socket.send_str(orjson.dumps(subscribe).decode())
            async for message in socket:
                line = orjson.loads(message.data)
                if line.get("type") == "entry" and line.get("entry", {}).get("author") in heads:
                    account_id = heads[line["entry"]["author"]][0]
                    accepted = await replication.accept(account_id, [line], url)
                    if accepted.bad or accepted.forked or accepted.unchained or accepted.unbound:
                        return  # the next sync sorts it out, through every peer
