"""Markers: where someone stopped reading their home timeline and their notifications, kept
for all their apps (docs.joinmastodon.org/methods/markers).

As Mastodon: a marker is created by its first save; each save that moves it adds one to its
`version` (saving the same position changes nothing); a save that loses a race with another
save of the same marker is refused (409), so that the client reads the winner and decides.

The notifications marker and the web pages' "read" state of notifications are one thing seen
from two sides: saving the marker marks the notifications up to it read, and marking all
notifications read on the web pages moves the marker to the newest one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bocage.kernel.clock import now
from bocage.kernel.errors import Conflict
from bocage.store.models import Marker, Notification
from bocage.store.sql import changed, update_rows
from bocage.store.upsert import insert_ignore

TIMELINES = ("home", "notifications")
CONFLICT = "Conflict during update, please try again"


def get(session: Session, account_id: int, timelines: Iterable[str]) -> dict[str, Marker]:
    """The account's markers of `timelines` that exist (unknown names are ignored)."""
    wanted = [name for name in dict.fromkeys(timelines) if name in TIMELINES]
    if not wanted:
        return {}
    rows = session.execute(
        select(Marker).where(Marker.account_id == account_id, Marker.timeline.in_(wanted))
    )
    return {row.timeline: row for row in rows.scalars()}


def save(session: Session, account_id: int, positions: Mapping[str, int]) -> dict[str, Marker]:
    """Move the markers of `positions` (timeline → last read id); answers them as saved.
    Raises Conflict when another save changed one of them meanwhile."""
    for timeline, last_read_id in positions.items():
        if timeline in TIMELINES:
            _move(session, account_id, timeline, last_read_id)
    return get(session, account_id, positions)


def notifications_all_read(session: Session, account_id: int) -> None:
    """Every notification was marked read (web pages): the marker moves to the newest."""
    newest = session.execute(
        select(func.max(Notification.id)).where(Notification.account_id == account_id)
    ).scalar_one()
    if newest is not None:
        _move(session, account_id, "notifications", newest, mark_read=False)


def _move(
    session: Session, account_id: int, timeline: str, last_read_id: int, *, mark_read: bool = True
) -> None:
    moment = now()
    current = session.execute(
        select(Marker.last_read_id, Marker.version).where(
            Marker.account_id == account_id, Marker.timeline == timeline
        )
    ).first()
    if current is None:
        first = {
            "account_id": account_id, "timeline": timeline, "last_read_id": last_read_id,
            "version": 1, "updated_at": moment,
        }  # fmt: skip
        if not insert_ignore(session, Marker, first):
            raise Conflict(CONFLICT)  # another save created it meanwhile
    elif current.last_read_id == last_read_id:
        return
    else:
        # Optimistic locking, as Mastodon's lock_version: the update applies only to the
        # version just read. A concurrent save (PostgreSQL runs writers in parallel) that
        # committed first has moved it on, and this one changes nothing.
        moved = changed(
            session,
            update_rows(Marker)
            .where(
                Marker.account_id == account_id,
                Marker.timeline == timeline,
                Marker.version == current.version,
            )
            .values(last_read_id=last_read_id, version=current.version + 1, updated_at=moment),
        )
        if moved != 1:
            raise Conflict(CONFLICT)
    if mark_read and timeline == "notifications":
        session.execute(
            update_rows(Notification)
            .where(
                Notification.account_id == account_id,
                Notification.id <= last_read_id,
                Notification.read.is_(False),
            )
            .values(read=True)
        )
