"""Notifications: follow, follow_request, mention, reply, favourite, reblog, update, poll,
status (a new post by someone whose posts the recipient asked to hear of).

Core services enqueue a notification job in their own transaction; the job handler writes it.
Each notification has a dedup key derived from the event, so a job that runs twice (after a
crash) still notifies once.

What the recipient does not want to hear of is not written (`dismissed`); a block also takes
away those written before it, both ways (`forget_between`), as Mastodon's AfterBlockService
clears them: nothing is filtered when reading, so the unread count every page shows stays
one index range.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from bocage.core.instance import domains
from bocage.core.push import push
from bocage.core.reading import markers
from bocage.core.reading.visibility import no_block_between
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.ids import new_id
from bocage.store.models import (
    Account,
    Follow,
    Mute,
    Notification,
    Post,
    ThreadMute,
)
from bocage.store.queue import enqueue
from bocage.store.sql import update_rows
from bocage.store.upsert import insert_ignore

TYPES = (
    "follow", "follow_request", "mention", "reply", "favourite", "reblog", "update", "admin.report",
    "status", "poll",
)  # fmt: skip
# Told even when they come from the recipient: a poll's author hears that it closed.
FROM_ONESELF = ("poll",)


def enqueue_notification(
    session: Session, recipient: int, kind: str, sender: int, post_id: int | None = None
) -> None:
    if recipient == sender:
        return
    payload = {"recipient": recipient, "type": kind, "from": sender, "post_id": post_id}
    payload["event"] = new_id()  # identifies this event: the dedup key of its notification
    enqueue(session, "notify", payload)


def create(
    session: Session, recipient: int, kind: str, sender: int, post_id: int | None, key: str
) -> bool:
    """Write one notification unless dismissed or already written. True if written."""
    if recipient == sender and kind not in FROM_ONESELF:
        return False
    account = session.get(Account, recipient)
    if account is None or account.domain is not None:
        return False  # remote people are told by their own server, from our activities
    if dismissed(session, recipient, sender, post_id):
        return False
    notification_id = new_id()
    written = insert_ignore(
        session,
        Notification,
        {
            "id": notification_id,
            "account_id": recipient,
            "type": kind,
            "from_account_id": sender,
            "post_id": post_id,
            "created_at": now(),
            "read": False,
            "dedup_key": key[:200],
        },
    )
    if written:
        events.emit(session, "notification", notification_id=notification_id, account_id=recipient)
        push.enqueue_for(session, notification_id, recipient, kind, sender)  # Web Push
    return written


def dismissed(session: Session, recipient: int, sender: int, post_id: int | None) -> bool:
    """Whether `recipient` does not want to hear of this (Mastodon's DropCondition): a block
    either way, a mute, a muted thread (`post_id`'s), or a stranger on a silenced server.
    A direct post that is dismissed does not reach the recipient's conversations either."""
    return _silenced(session, recipient, sender, post_id) or _from_silenced_stranger(
        session, recipient, sender
    )


def _from_silenced_stranger(session: Session, recipient: int, sender: int) -> bool:
    """Someone on a server the admin silenced, or silenced themself, reaches only the people
    who follow them."""
    domain = session.execute(select(Account.domain).where(Account.id == sender)).scalar()
    silenced = domain is not None and domains.is_silenced(session, domain)
    if not silenced and not domains.is_silenced_person(session, sender):
        return False
    return session.get(Follow, (recipient, sender)) is None


def _silenced(session: Session, recipient: int, sender: int, post_id: int | None) -> bool:
    blocked = ~no_block_between(recipient, sender)
    muted = exists().where(Mute.account_id == recipient, Mute.target_id == sender)
    reasons = [blocked, muted]
    if post_id is not None:
        # In the same round trip: the thread of the post the notification is about.
        thread = (
            select(func.coalesce(Post.thread_root_id, Post.id))
            .where(Post.id == post_id)
            .scalar_subquery()
        )
        reasons.append(
            exists().where(ThreadMute.account_id == recipient, ThreadMute.thread_id == thread)
        )
    return bool((session.execute(select(or_(*reasons)))).scalar())


# --- job handlers: each runs inside the transaction that marks its job done ---------------


def handle_notify(session: Session, payload: dict[str, Any]) -> None:
    if session.get(Account, payload["recipient"]) is None:
        return  # the account was deleted meanwhile
    if payload.get("post_id") and session.get(Post, payload["post_id"]) is None:
        return  # the post was deleted meanwhile
    create(
        session,
        payload["recipient"],
        payload["type"],
        payload["from"],
        payload.get("post_id"),
        f"event:{payload['event']}",
    )


def notify_post_created(
    session: Session, post: Post, subscribers: Iterable[int], mentioned: Iterable[int]
) -> None:
    """Tell mentioned accounts (mention), the author of the parent post (reply), and the
    followers who asked to hear of the author's posts (`subscribers`; both lists come from
    the fan-out, which read them already)."""
    for account_id in subscribers:
        create(
            session,
            account_id,
            "status",
            post.account_id,
            post.id,
            f"status:{post.id}:{account_id}",
        )
    mentioned = set(mentioned)
    for account_id in mentioned:
        create(
            session,
            account_id,
            "mention",
            post.account_id,
            post.id,
            f"mention:{post.id}:{account_id}",
        )
    parent_author = post.in_reply_to_account_id
    if parent_author and parent_author not in mentioned:
        create(
            session,
            parent_author,
            "reply",
            post.account_id,
            post.id,
            f"reply:{post.id}:{parent_author}",
        )


def handle_post_updated(session: Session, payload: dict[str, Any]) -> None:
    """Tell those who boosted a post that it changed (Mastodon's `update`)."""
    post = session.get(Post, payload["post_id"])
    if post is None or post.edited_at is None:
        return
    boosters = session.execute(select(Post.account_id).where(Post.reblog_of_id == post.id))
    for account_id in boosters.scalars():
        create(
            session,
            account_id,
            "update",
            post.account_id,
            post.id,
            f"update:{post.id}:{post.edited_at.isoformat()}:{account_id}",
        )


# --- reading -------------------------------------------------------------------------------


def page(
    session: Session,
    account: Account,
    *,
    max_id: int | None = None,
    min_id: int | None = None,
    limit: int = 40,
    types: frozenset[str] | None = None,
    exclude: frozenset[str] = frozenset(),
) -> list[Notification]:
    """The newest notifications first, optionally only of `types` or without `exclude`."""
    query = select(Notification).where(Notification.account_id == account.id)
    if max_id is not None:
        query = query.where(Notification.id < max_id)
    if min_id is not None:
        query = query.where(Notification.id > min_id)
    if types is not None:
        query = query.where(Notification.type.in_(types))
    if exclude:
        query = query.where(Notification.type.not_in(exclude))
    rows = session.execute(query.order_by(Notification.id.desc()).limit(limit))
    return list(rows.scalars())


def forget_between(session: Session, one: int, other: int) -> None:
    """A block between `one` and `other`: what each was told of the other goes (a mention,
    a favourite, a follow…), whoever blocked whom: each is hidden from the other."""
    session.execute(
        delete(Notification).where(
            or_(
                and_(Notification.account_id == one, Notification.from_account_id == other),
                and_(Notification.account_id == other, Notification.from_account_id == one),
            )
        )
    )


def dismiss(session: Session, account_id: int, notification_id: int) -> None:
    session.execute(
        delete(Notification).where(
            Notification.account_id == account_id, Notification.id == notification_id
        )
    )


def clear(session: Session, account_id: int) -> None:
    session.execute(delete(Notification).where(Notification.account_id == account_id))


def unread_count(session: Session, account_id: int) -> int:
    result = session.execute(
        select(func.count())
        .select_from(Notification)
        .where(Notification.account_id == account_id, Notification.read.is_(False))
    )
    return int(result.scalar_one())


def mark_all_read(session: Session, account_id: int) -> None:
    session.execute(
        update_rows(Notification)
        .where(Notification.account_id == account_id, Notification.read.is_(False))
        .values(read=True)
    )
    markers.notifications_all_read(session, account_id)  # apps see them read too
