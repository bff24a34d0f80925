"""The process-wide cache of compiled filters, and the Session hook that keeps it honest.

Reading a page must cost nothing to people without filters, so each process keeps every
viewer's compiled filters (`active`): a dictionary lookup per page. A change (`changed`,
called in its transaction) clears the entry when that transaction commits: importing this
module registers an `after_commit` listener on every SQLAlchemy `Session`. Other processes see
a change after `TTL` seconds at most (calling `forget` when they are told of
`filters.changed` makes them exact).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import event
from sqlalchemy.orm import Session

from bocage.core.filters.matching import Active, load
from bocage.kernel import events

TTL = 10.0  # seconds a process trusts its copy of someone's filters


SETTLING = 1.0  # a copy loaded this soon after a change may come from an older snapshot


MAX_CACHED = 10_000  # viewers; past that the cache starts over


_cache: dict[int, Active] = {}


_changed_at: dict[int, float] = {}


_lock = threading.Lock()


_PENDING = "bocage.filters.changed"


def active(session: Session, account_id: int) -> Active:
    """The viewer's unexpired filters that have keywords or posts, compiled: from this
    process's cache, or in three small indexed queries (one when there are none)."""
    moment = time.monotonic()
    cached = _cache.get(account_id)
    if cached is not None and moment - cached.loaded_at < TTL:
        return cached
    loaded = load(session, account_id, moment)
    with _lock:
        if moment - _changed_at.get(account_id, -SETTLING) >= SETTLING:
            if len(_cache) >= MAX_CACHED:
                _cache.clear()
            _cache[account_id] = loaded
    return loaded


def forget(account_id: int) -> None:
    """Drop this process's copy of the account's filters (they changed)."""
    with _lock:
        _cache.pop(account_id, None)
        _changed_at[account_id] = time.monotonic()
        if len(_changed_at) >= MAX_CACHED:
            _changed_at.clear()
            _changed_at[account_id] = time.monotonic()


def changed(session: Session, account_id: int) -> None:
    events.emit(session, "filters.changed", account_id=account_id)
    session.info.setdefault(_PENDING, set()).add(account_id)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    # Forgetting more than needed is harmless: a unit of work that ran twice, or a savepoint
    # rolled back, only makes the next page load the filters again.
    for account_id in session.info.pop(_PENDING, ()):
        forget(account_id)
