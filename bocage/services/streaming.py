"""Streaming: what the live streams need of the node. Committed events (kernel/events.py) as
they happen (from this process, or from others through PostgreSQL's LISTEN/NOTIFY), whether
a list may be streamed by whoever asks, and a read off the event loop in which the stream
works out, for each event, who is told what (the face's presenter: it renders the payload
for each connected person)."""

from __future__ import annotations

from collections.abc import Callable

from bocage.core.graph import lists
from bocage.kernel.events import Event
from bocage.services.unit import Query, Service
from bocage.store.models import Account, UserList

Listener = Callable[[list[Event]], None]


class StreamService(Service):
    def subscribe(self, listener: Listener) -> None:
        """`listener` hears every batch of committed events, on the event loop."""
        self._db.events.subscribe(listener)

    def own_list(self, owner: Account, list_id: int) -> Query[UserList]:
        """A list its owner may stream; anyone else's is `NotFound`."""
        return self._query(lambda session: lists.get(session, owner.id, list_id))

    def event(self, event: Event) -> Query[Event]:
        """A read for routing `event` to the connected clients, on a reader thread (it may
        render for a thousand of them): `present` renders in it."""
        return self._query(lambda _session: event, off_loop=True)
