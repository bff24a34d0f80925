"""Notifications: follow, follow_request, mention, reply, favourite, reblog, update, poll,
status (a new post by someone whose posts the recipient asked to hear of), quote (someone
quoted the recipient's post) and quoted_update (a post the recipient quoted was edited).

Core services enqueue a notification job in their own transaction; the job handler writes it.
Each notification has a dedup key derived from the event, so a job that runs twice (after a
crash) still notifies once.

What the recipient does not want to hear of is not written (blocks, mutes, muted threads); a
block also takes away those written before it, both ways (`forget_between`), as Mastodon's
AfterBlockService clears them. Then the recipient's notification policy (`policy.py`) may
drop it, or write it `filtered`: held in a request (`requests.py`) until accepted, out of
the lists and streams. Favourites, boosts and follows get a group key (`groups.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from bocage.core.instance import domains
from bocage.core.notifications import groups, policy, requests
from bocage.core.push import push
from bocage.core.reading import markers
from bocage.core.reading.visibility import no_block_between, no_domain_block
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.ids import new_id
from bocage.store.models import (
    Account,
    Follow,
    Mute,
    Notification,
    NotificationRequest,
    Post,
    ThreadMute,
)
from bocage.store.queue import enqueue
from bocage.store.sql import update_rows
from bocage.store.upsert import insert_ignore

TYPES = (
    "follow", "follow_request", "mention", "reply", "favourite", "reblog", "update", "admin.report",
    "status", "poll", "quote", "quoted_update",
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
    """Write one notification unless dismissed, dropped by the recipient's policy or already
    written; filtered by the policy, it is written held back, in the sender's request, and
    no stream hears of it. True if written."""
    if recipient == sender and kind not in FROM_ONESELF:
        return False
    account = session.get(Account, recipient)
    if account is None or account.domain is not None:
        return False  # remote people are told by their own server, from our activities
    if _silenced(session, recipient, sender, post_id):
        return False
    action = policy.judge(session, account, sender, kind, post_id)
    if action is policy.Action.DROP:
        return False
    filtered = action is policy.Action.FILTER
    moment = now()
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
            "created_at": moment,
            "read": False,
            "dedup_key": key[:200],
            "group_key": None
            if filtered
            else groups.key_for(session, recipient, kind, post_id, moment),
            "filtered": filtered,
        },
    )
    if written and filtered:
        requests.note_filtered(session, recipient, sender, kind, post_id)
    elif written:
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
    # A mute silences notifications unless it was made with `notifications=false`.
    muted = exists().where(
        Mute.account_id == recipient, Mute.target_id == sender, Mute.hide_notifications
    )
    # A server the recipient hid: nothing from there, but from someone they follow (Mastodon).
    hidden_server = and_(
        ~no_domain_block(recipient, sender),
        ~exists().where(
            Follow.follower_id == recipient, Follow.target_id == sender, Follow.accepted
        ),
    )
    reasons = [blocked, muted, hidden_server]
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
    include_filtered: bool = False,
    from_account_id: int | None = None,
) -> list[Notification]:
    """The newest notifications first, optionally only of `types` or without `exclude`;
    without those the policy filtered unless asked for (or one sender's are)."""
    query = select(Notification).where(
        *browsable(account.id, types, exclude, include_filtered, from_account_id)
    )
    if max_id is not None:
        query = query.where(Notification.id < max_id)
    if min_id is not None:
        query = query.where(Notification.id > min_id)
    rows = session.execute(query.order_by(Notification.id.desc()).limit(limit))
    return list(rows.scalars())


def browsable(
    account_id: int,
    types: frozenset[str] | None = None,
    exclude: frozenset[str] = frozenset(),
    include_filtered: bool = False,
    from_account_id: int | None = None,
) -> list[ColumnElement[bool]]:
    """Which of the account's notifications a list shows (Mastodon's `browserable`)."""
    clauses: list[ColumnElement[bool]] = [Notification.account_id == account_id]
    if from_account_id is not None:
        clauses.append(Notification.from_account_id == from_account_id)
    elif not include_filtered:
        clauses.append(Notification.filtered.is_(False))
    if types is not None:
        clauses.append(Notification.type.in_(types))
    if exclude:
        clauses.append(Notification.type.not_in(exclude))
    return clauses


def unread_after(
    session: Session, clauses: list[ColumnElement[bool]], last_read_id: int | None, limit: int
) -> int:
    """How many of the notifications `clauses` name are newer than `last_read_id` (the
    notifications marker), counted up to `limit`."""
    query = select(Notification.id).where(*clauses)
    if last_read_id is not None:
        query = query.where(Notification.id > last_read_id)
    newest = query.order_by(Notification.id).limit(limit).subquery()
    return int(session.execute(select(func.count()).select_from(newest)).scalar_one())


def last_read_id(session: Session, account_id: int) -> int | None:
    """Where the notifications marker stands (None: never saved)."""
    found = markers.get(session, account_id, ["notifications"]).get("notifications")
    return found.last_read_id if found else None


def forget_between(session: Session, one: int, other: int) -> None:
    """A block between `one` and `other`: what each was told of the other goes (a mention,
    a favourite, a follow…), whoever blocked whom: each is hidden from the other; so do
    the requests either held from the other."""
    session.execute(
        delete(Notification).where(
            or_(
                and_(Notification.account_id == one, Notification.from_account_id == other),
                and_(Notification.account_id == other, Notification.from_account_id == one),
            )
        )
    )
    requests.forget_between(session, one, other)


def forget_from(session: Session, account_id: int, senders: Any) -> None:
    """What the accounts `senders` (a SELECT of ids: those of a server the account hid)
    notified `account_id` of goes."""
    session.execute(
        delete(Notification).where(
            Notification.account_id == account_id, Notification.from_account_id.in_(senders)
        )
    )


def dismiss(session: Session, account_id: int, notification_id: int) -> None:
    _dismiss_where(
        session,
        account_id,
        and_(Notification.account_id == account_id, Notification.id == notification_id),
    )


def dismiss_group(session: Session, account_id: int, group_key: str) -> None:
    """Every notification of a group (`ungrouped-{id}`: that one)."""
    _dismiss_where(session, account_id, groups.by_key(account_id, group_key))


def _dismiss_where(session: Session, account_id: int, where: ColumnElement[bool]) -> None:
    senders = session.execute(
        select(Notification.from_account_id).where(where, Notification.filtered.is_(True))
    ).scalars()
    held = set(senders)
    session.execute(delete(Notification).where(where))
    requests.reconsider(session, account_id, held)


def clear(session: Session, account_id: int) -> None:
    session.execute(delete(Notification).where(Notification.account_id == account_id))
    session.execute(delete(NotificationRequest).where(NotificationRequest.account_id == account_id))


def unread_count(session: Session, account_id: int) -> int:
    result = session.execute(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.account_id == account_id,
            Notification.read.is_(False),
            Notification.filtered.is_(False),
        )
    )
    return int(result.scalar_one())


def mark_all_read(session: Session, account_id: int) -> None:
    session.execute(
        update_rows(Notification)
        .where(Notification.account_id == account_id, Notification.read.is_(False))
        .values(read=True)
    )
    markers.notifications_all_read(session, account_id)  # apps see them read too
