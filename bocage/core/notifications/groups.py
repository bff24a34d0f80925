"""Grouped notifications, as Mastodon 4.3 groups them (app/models/concerns/notification/
groups.rb, app/models/notification_group.rb).

A favourite or a boost of the same post, or a follow, gets a group key when it is written:
`favourite-{post}-{hour}`, `reblog-{post}-{hour}`, `follow-{hour}`, where `hour` is the hour
(since the epoch) it came in, or that of the group before it of the same kind when that one
is less than 12 hours older, so a group spans at most a day. Other kinds, and filtered
notifications, have none: each is its own group, keyed `ungrouped-{id}`.

A page of groups holds one notification per group (the newest, paging down; the oldest,
paging up from `min_id`), each with the group's count, its newest notification and up to
eight of its senders, counted up to the end of the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from bocage.store.models import Notification

GROUPABLE = ("favourite", "reblog", "follow")
SPAN = timedelta(hours=12)
SPAN_HOURS = 12
SAMPLE_ACCOUNTS = 8
UNGROUPED = "ungrouped-"
BATCH = 200


def key_for(
    session: Session, recipient: int, kind: str, post_id: int | None, moment: datetime
) -> str | None:
    """The group key of a new notification (None: not grouped)."""
    if kind not in GROUPABLE:
        return None
    prefix = "follow" if kind == "follow" else f"{kind}-{post_id}"
    bucket = int(moment.timestamp()) // 3600
    previous = session.execute(
        select(Notification.group_key)
        .where(
            Notification.account_id == recipient,
            Notification.group_key.like(f"{prefix}-%"),
            Notification.created_at > moment - SPAN,
        )
        .order_by(Notification.id.desc())
        .limit(1)
    ).scalar()
    if previous:
        earlier = int(previous.rsplit("-", 1)[1])
        if bucket < earlier + SPAN_HOURS:
            bucket = earlier
    return f"{prefix}-{bucket}"


def grouped_types(names: Iterable[str] | None) -> frozenset[str]:
    """The kinds a client shows grouped (`grouped_types[]`; none given: all that can be)."""
    given = [name for name in names or () if name]
    return frozenset(given) & frozenset(GROUPABLE) if given else frozenset(GROUPABLE)


def key_of(row: Notification, grouping: frozenset[str]) -> str:
    """The key `row` is shown under: its group's, or `ungrouped-{id}`."""
    if row.group_key and row.type in grouping:
        return row.group_key
    return f"{UNGROUPED}{row.id}"


def by_key(account_id: int, key: str) -> ColumnElement[bool]:
    """The notifications a group key names (Mastodon's `by_group_key`)."""
    if key.startswith(UNGROUPED):
        number = key.removeprefix(UNGROUPED)
        wanted = int(number) if number.isdigit() and len(number) < 19 else -1
        return and_(Notification.account_id == account_id, Notification.id == wanted)
    return and_(Notification.account_id == account_id, Notification.group_key == key)


def paginate(
    session: Session,
    clauses: Sequence[ColumnElement[bool]],
    limit: int,
    grouping: frozenset[str],
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
) -> list[Notification]:
    """Up to `limit` notifications, at most one per group, newest first. From `min_id`, the
    ones just after it (the oldest of each group met going up); else the newest below
    `max_id` (and above `since_id`)."""
    upward = min_id is not None
    query = select(Notification).where(*clauses)
    if max_id is not None:
        query = query.where(Notification.id < max_id)
    if upward:
        query = query.where(Notification.id > min_id)
    elif since_id is not None:
        query = query.where(Notification.id > since_id)
    query = query.order_by(Notification.id.asc() if upward else Notification.id.desc())
    seen: set[str] = set()
    found: list[Notification] = []
    last: int | None = None
    while len(found) < limit:
        batch = query
        if last is not None:
            batch = batch.where(Notification.id > last if upward else Notification.id < last)
        rows = list(session.execute(batch.limit(BATCH)).scalars())
        for row in rows:
            key = key_of(row, grouping)
            if key not in seen:
                seen.add(key)
                found.append(row)
                if len(found) == limit:
                    break
        if len(rows) < BATCH:
            break
        last = rows[-1].id
    return list(reversed(found)) if upward else found


@dataclass(frozen=True)
class Group:
    """One NotificationGroup: `notification` is the one the page holds for it."""

    key: str
    notification: Notification
    count: int
    most_recent_id: int
    sample_account_ids: list[int]
    # Only on a page of groups: its oldest notification on the page and when the newest came.
    page_min_id: int | None = None
    latest_page_at: datetime | None = None
    paginated: bool = False


def page_of_groups(
    session: Session,
    account_id: int,
    clauses: Sequence[ColumnElement[bool]],
    limit: int,
    grouping: frozenset[str],
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
) -> tuple[list[Group], list[int]]:
    """A page of groups, with the ids of the notifications it holds (for paging links)."""
    rows = paginate(
        session, clauses, limit, grouping, max_id=max_id, since_id=since_id, min_id=min_id
    )
    if not rows:
        return [], []
    begin: int | None = rows[-1].id
    end: int | None = rows[0].id
    if len(rows) < limit:  # the last page: it reaches as far as was asked
        if min_id is not None:
            end = max_id
        else:
            begin = since_id + 1 if since_id is not None else None
    groups = from_notifications(session, account_id, rows, grouping, (begin, end))
    return groups, [row.id for row in rows]


def from_notifications(
    session: Session,
    account_id: int,
    rows: list[Notification],
    grouping: frozenset[str],
    bounds: tuple[int | None, int | None] | None = None,
) -> list[Group]:
    """The groups of `rows` (one notification each), counted within `bounds` (first and
    last id of the page; None on either side: no bound) when given."""
    groups = []
    for row in rows:
        key = key_of(row, grouping)
        if key.startswith(UNGROUPED):
            groups.append(
                Group(
                    key, row, 1, row.id, [row.from_account_id],
                    page_min_id=row.id if bounds else None,
                    latest_page_at=row.created_at if bounds else None,
                    paginated=bounds is not None,
                )
            )  # fmt: skip
            continue
        groups.append(_group(session, account_id, key, row, bounds))
    return groups


def _group(
    session: Session,
    account_id: int,
    key: str,
    row: Notification,
    bounds: tuple[int | None, int | None] | None,
) -> Group:
    begin, end = bounds if bounds else (None, None)
    within: list[Any] = [Notification.account_id == account_id, Notification.group_key == key]
    if end is not None:
        within.append(Notification.id <= end)
    newest: list[tuple[int, int, datetime]] = [
        (found.id, found.from_account_id, found.created_at)
        for found in session.execute(
            select(Notification.id, Notification.from_account_id, Notification.created_at)
            .where(*within)
            .order_by(Notification.id.desc())
            .limit(SAMPLE_ACCOUNTS)
        )
    ]
    oldest_on_page = (
        Notification.id if begin is None else case((Notification.id >= begin, Notification.id))
    )
    count, page_min = session.execute(
        select(func.count(), func.min(oldest_on_page)).where(*within)
    ).one()
    if not newest:  # nothing left up to the page's end: the notification alone
        newest = [(row.id, row.from_account_id, row.created_at)]
        count = 1
    return Group(
        key,
        row,
        int(count),
        newest[0][0],
        [sender for _id, sender, _at in newest],
        page_min_id=page_min if bounds else None,
        latest_page_at=newest[0][2] if bounds else None,
        paginated=bounds is not None,
    )
