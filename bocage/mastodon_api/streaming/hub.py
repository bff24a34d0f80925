"""The streaming hub: who is connected to which channel, and what each of them is sent.

Committed events (kernel/events.py) arrive from the database's event bus. The hub handles them
one at a time, in order (an `update` must not overtake its `delete`), and only when someone
is connected: a node nobody streams from does no work here. For each event it reads, in one
database read, who among the connected people should be told and renders the payload as
each of them may see it (render.py), then queues the messages on their connections.

A connection's queue is bounded: a client that does not read its messages is disconnected
rather than allowed to grow the node's memory (Mastodon clients reconnect and catch up by
paging the timeline).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bocage.core.auth import oauth
from bocage.core.filters import process_cache
from bocage.kernel.errors import NotFound
from bocage.kernel.events import Event
from bocage.mastodon_api.streaming import render
from bocage.mastodon_api.streaming.channels import Channel, Key
from bocage.services import Services
from bocage.services.reader import Reader

log = logging.getLogger("bocage.streaming")
QUEUE_LIMIT = 1000  # messages waiting for one slow client before it is disconnected


@dataclass(frozen=True, slots=True)
class Message:
    stream: tuple[str, ...]
    event: str
    payload: str | None


@dataclass(eq=False)
class Connection:
    """One streaming client (an SSE response or a WebSocket), with its subscriptions."""

    viewer_id: int
    token_id: int
    notifications: bool  # may its user stream carry notifications (token scope)
    outbox: asyncio.Queue[Message | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )
    channels: dict[Key, Channel] = field(default_factory=dict)
    closed: bool = False

    def send(self, message: Message) -> None:
        if self.closed:
            return
        try:
            self.outbox.put_nowait(message)
        except asyncio.QueueFull:
            log.info("streaming client of account %s too slow: disconnected", self.viewer_id)
            self.close()

    def close(self) -> None:
        """Ends the connection: its transport sees None and stops."""
        if not self.closed:
            self.closed = True
            while not self.outbox.empty():
                self.outbox.get_nowait()
            self.outbox.put_nowait(None)


class StreamHub:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.connections: set[Connection] = set()
        self.subscribers: dict[Key, set[Connection]] = defaultdict(set)
        self._pending: asyncio.Queue[Event] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    # --- life -------------------------------------------------------------------------

    def start(self) -> None:
        self.services.streaming.subscribe(self._on_events)
        self._task = asyncio.create_task(self._route_forever(), name="bocage-streaming")

    def end_streams(self) -> None:
        """Ends every client's stream (the node is stopping): each transport sees its end."""
        for connection in list(self.connections):
            connection.close()

    async def stop(self) -> None:
        self.end_streams()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    # --- subscriptions ----------------------------------------------------------------

    async def authorize(self, grant: oauth.Grant, channel: Channel) -> None:
        """Refuses what the token's account may not stream (scopes are checked earlier):
        a list is its owner's alone."""
        assert grant.account is not None
        if channel.key[0] == "list":
            try:
                await self.services.streaming.own_list(grant.account, int(channel.key[1]))
            except NotFound:
                raise NotFound("Not authorized to stream this list") from None

    def connect(self, connection: Connection) -> None:
        self.connections.add(connection)

    def subscribe(self, connection: Connection, channel: Channel) -> None:
        self.connections.add(connection)
        connection.channels[channel.key] = channel
        self.subscribers[channel.key].add(connection)

    def unsubscribe(self, connection: Connection, key: Key) -> None:
        connection.channels.pop(key, None)
        connections = self.subscribers.get(key)
        if connections is not None:
            connections.discard(connection)
            if not connections:
                del self.subscribers[key]

    def drop(self, connection: Connection) -> None:
        for key in list(connection.channels):
            self.unsubscribe(connection, key)
        self.connections.discard(connection)
        connection.close()

    # --- events -------------------------------------------------------------------------

    def _on_events(self, events: list[Event]) -> None:
        for event in events:
            if event.kind == "filters.changed":  # maybe changed by another process
                process_cache.forget(event.data["account_id"])
        if not self.connections:
            return  # nobody is listening: nothing to read, nothing to render
        for event in events:
            self._pending.put_nowait(event)

    async def _route_forever(self) -> None:
        while True:
            event = await self._pending.get()
            try:
                await self._route(event)
            except Exception:
                log.exception("streaming: could not route %s", event.kind)

    async def _route(self, event: Event) -> None:
        if event.kind == "token.revoked":
            self._close_token(event.data["token_id"])
            return
        audience = {key: list(connections) for key, connections in self.subscribers.items()}
        if not audience:
            return
        ctx = self.services.ctx

        def deliveries_of(reader: Reader, event: Event) -> list[Any]:
            return render.deliveries(reader, ctx, event, audience)

        deliveries = await self.services.streaming.event(event).present(deliveries_of)
        for connection, message in deliveries:
            connection.send(Message(*message))

    def _close_token(self, token_id: int) -> None:
        """A revoked token's streams end at once, as on Mastodon."""
        for connection in list(self.connections):
            if connection.token_id == token_id:
                self.drop(connection)
