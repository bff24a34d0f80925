"""Notification requests (Mastodon 4.3): the mentions a person's policy filtered, one request
per sender, until the person accepts them (they join the notifications, and that sender is
never filtered again) or dismisses them (they are deleted)."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bocage.kernel.clock import now
from bocage.kernel.errors import NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import Notification, NotificationPermission, NotificationRequest
from bocage.store.sql import update_rows
from bocage.store.upsert import insert_ignore

NOT_FOUND = "Record not found"
MAX_MEANINGFUL_COUNT = 100
# What a request holds: mentions (a reply is a mention on Mastodon).
HELD = ("mention", "reply")


def note_filtered(
    session: Session, recipient: int, sender: int, kind: str, post_id: int | None
) -> None:
    """A notification was filtered: a mention opens or updates the sender's request."""
    if kind not in HELD:
        return
    moment = now()
    request = _between(session, recipient, sender)
    if request is None:
        inserted = insert_ignore(
            session,
            NotificationRequest,
            {
                "id": new_id(), "account_id": recipient, "from_account_id": sender,
                "last_status_id": post_id, "notifications_count": 0,
                "created_at": moment, "updated_at": moment,
            },
        )  # fmt: skip
        request = _between(session, recipient, sender)
        if request is None or not inserted:
            return
    request.last_status_id = post_id
    request.updated_at = moment
    request.notifications_count = _held_count(session, recipient, sender)
    session.flush()


def reconsider(session: Session, recipient: int, senders: set[int]) -> None:
    """Filtered notifications went: each request counts again, and goes when none is left."""
    for sender in senders:
        request = _between(session, recipient, sender)
        if request is None:
            continue
        count = _held_count(session, recipient, sender)
        if count:
            request.notifications_count = count
        else:
            session.delete(request)
    session.flush()


def page(
    session: Session,
    account_id: int,
    *,
    limit: int,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
) -> list[NotificationRequest]:
    query = select(NotificationRequest).where(NotificationRequest.account_id == account_id)
    if max_id is not None:
        query = query.where(NotificationRequest.id < max_id)
    if min_id is not None:
        query = query.where(NotificationRequest.id > min_id).order_by(NotificationRequest.id)
        return list(reversed(session.execute(query.limit(limit)).scalars().all()))
    if since_id is not None:
        query = query.where(NotificationRequest.id > since_id)
    query = query.order_by(NotificationRequest.id.desc()).limit(limit)
    return list(session.execute(query).scalars())


def one(session: Session, account_id: int, request_id: int) -> NotificationRequest:
    request = session.get(NotificationRequest, request_id)
    if request is None or request.account_id != account_id:
        raise NotFound(NOT_FOUND)
    return request


def accept(session: Session, account_id: int, request_ids: list[int], *, one_only: bool) -> None:
    """Let each request's sender through from now on, and show what they sent."""
    for request in _requests(session, account_id, request_ids, one_only=one_only):
        insert_ignore(
            session,
            NotificationPermission,
            {"account_id": account_id, "from_account_id": request.from_account_id,
             "created_at": now()},
        )  # fmt: skip
        session.execute(
            update_rows(Notification)
            .where(
                Notification.account_id == account_id,
                Notification.from_account_id == request.from_account_id,
                Notification.filtered.is_(True),
            )
            .values(filtered=False)
        )
        session.delete(request)
    session.flush()


def dismiss(session: Session, account_id: int, request_ids: list[int], *, one_only: bool) -> None:
    """Delete what each request's sender sent that was filtered, and the request."""
    for request in _requests(session, account_id, request_ids, one_only=one_only):
        session.execute(
            delete(Notification).where(
                Notification.account_id == account_id,
                Notification.from_account_id == request.from_account_id,
                Notification.filtered.is_(True),
            )
        )
        session.delete(request)
    session.flush()


def forget_between(session: Session, one: int, other: int) -> None:
    """A block: the requests either holds from the other go."""
    for recipient, sender in ((one, other), (other, one)):
        session.execute(
            delete(NotificationRequest).where(
                NotificationRequest.account_id == recipient,
                NotificationRequest.from_account_id == sender,
            )
        )


def _requests(
    session: Session, account_id: int, request_ids: list[int], *, one_only: bool
) -> list[NotificationRequest]:
    if one_only:
        return [one(session, account_id, request_ids[0])]
    if not request_ids:
        return []
    rows = session.execute(
        select(NotificationRequest).where(
            NotificationRequest.account_id == account_id, NotificationRequest.id.in_(request_ids)
        )
    )
    return list(rows.scalars())


def _between(session: Session, recipient: int, sender: int) -> NotificationRequest | None:
    return session.execute(
        select(NotificationRequest).where(
            NotificationRequest.account_id == recipient,
            NotificationRequest.from_account_id == sender,
        )
    ).scalar()


def _held_count(session: Session, recipient: int, sender: int) -> int:
    held = (
        select(Notification.id)
        .where(
            Notification.account_id == recipient,
            Notification.from_account_id == sender,
            Notification.type.in_(HELD),
            Notification.filtered.is_(True),
        )
        .limit(MAX_MEANINGFUL_COUNT)
        .subquery()
    )
    return int(session.execute(select(func.count()).select_from(held)).scalar_one())
