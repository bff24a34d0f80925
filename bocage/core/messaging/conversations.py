"""Direct conversations and muted threads (Mastodon's AccountConversation and ConversationMute).

Each local account sees its direct messages grouped as conversations: one per thread (by its
root post) among the same participants, pointing at its newest direct post and marked unread
when someone else wrote it. They are written by the `post.created` job, for local and remote
posts alike: the author's own conversation (read) and those of the local accounts it
mentions (unread), unless the recipient would not be notified of it (blocks, mutes, a muted
thread: `notifications.dismissed`), as on Mastodon. Every change an account can see is
emitted as a `conversation` event in the same transaction.

A muted thread no longer notifies its muter (`notifications.dismissed` reads `thread_mutes`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from sqlalchemy import case, delete, exists, func, select
from sqlalchemy.orm import Session

from bocage.core.notifications import notifications
from bocage.core.reading.visibility import can_see, visible_to
from bocage.core.timelines.timelines import Page, thread_of
from bocage.kernel import events
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import (
    Account,
    AccountConversation,
    ConversationPost,
    Mention,
    Post,
    ThreadMute,
)
from bocage.store.sql import update_rows
from bocage.store.upsert import insert_ignore

# --- conversations -------------------------------------------------------------------------


def add_post(session: Session, post: Post) -> None:
    """A direct post was published or received: into its participants' conversations.

    Idempotent: a post already in a conversation changes nothing (jobs may run twice)."""
    mentioned = set(
        session.execute(select(Mention.account_id).where(Mention.post_id == post.id)).scalars()
    )
    everyone = {post.account_id, *mentioned}
    local = session.execute(
        select(Account.id).where(Account.id.in_(everyone), Account.domain.is_(None))
    )
    for account_id in sorted(local.scalars()):
        author = account_id == post.account_id
        if not author and notifications.dismissed(session, account_id, post.account_id, post.id):
            continue
        _add(session, account_id, post, sorted(everyone - {account_id}), unread=not author)


def _add(
    session: Session, account_id: int, post: Post, participants: list[int], *, unread: bool
) -> None:
    thread_id = thread_of(post)
    key = _participants_key(participants)
    values = {
        "id": new_id(),
        "account_id": account_id,
        "thread_id": thread_id,
        "participants": participants,
        "participants_key": key,
        "last_status_id": post.id,
        "unread": unread,
    }
    # Insert-or-find, without a race: two posts of one thread may be fanned out at once.
    insert_ignore(session, AccountConversation, values)
    conversation_id = session.execute(
        select(AccountConversation.id).where(
            AccountConversation.account_id == account_id,
            AccountConversation.thread_id == thread_id,
            AccountConversation.participants_key == key,
        )
    ).scalar_one()
    added = insert_ignore(
        session, ConversationPost, {"conversation_id": conversation_id, "post_id": post.id}
    )
    if not added:
        return  # this post was counted before
    last = AccountConversation.last_status_id
    session.execute(
        update_rows(AccountConversation)
        .where(AccountConversation.id == conversation_id)
        # In SQL, not from a read: a concurrent post of the same thread may have moved it on.
        .values(last_status_id=case((last < post.id, post.id), else_=last), unread=unread)
    )
    events.emit(session, "conversation", account_id=account_id, conversation_id=conversation_id)


def _participants_key(participants: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, participants)).encode()).hexdigest()


def remove_post(session: Session, post: Post) -> None:
    """A direct post is being deleted: each conversation it was in falls back to its
    previous direct post, or goes when it has none left."""
    rows = session.execute(
        select(AccountConversation.id, AccountConversation.account_id)
        .join(ConversationPost, ConversationPost.conversation_id == AccountConversation.id)
        .where(ConversationPost.post_id == post.id)
    ).all()
    for conversation_id, account_id in rows:
        session.execute(
            delete(ConversationPost).where(
                ConversationPost.conversation_id == conversation_id,
                ConversationPost.post_id == post.id,
            )
        )
        previous = session.execute(
            select(func.max(ConversationPost.post_id)).where(
                ConversationPost.conversation_id == conversation_id
            )
        ).scalar()
        if previous is None:
            session.execute(
                delete(AccountConversation).where(AccountConversation.id == conversation_id)
            )
            continue
        session.execute(
            update_rows(AccountConversation)
            .where(AccountConversation.id == conversation_id)
            .values(last_status_id=previous)
        )
        events.emit(session, "conversation", account_id=account_id, conversation_id=conversation_id)


def page(session: Session, account: Account, page: Page) -> list[AccountConversation]:
    """The account's conversations, the most recently active first, paged by the id of
    their last status (as Mastodon: their own ids are never shown in a Link). Those whose
    last status it may no longer see (its author and it blocked one another) are left out,
    as Mastodon clears them on a block."""
    page = page.bounded()
    seen = exists().where(Post.id == AccountConversation.last_status_id, visible_to(account.id))
    query = select(AccountConversation).where(AccountConversation.account_id == account.id, seen)
    if page.max_id is not None:
        query = query.where(AccountConversation.last_status_id < page.max_id)
    if page.min_id is not None:
        query = query.where(AccountConversation.last_status_id > page.min_id)
    rows = session.execute(
        query.order_by(AccountConversation.last_status_id.desc()).limit(page.limit)
    )
    return list(rows.scalars())


def own(session: Session, account: Account, conversation_id: int) -> AccountConversation:
    row = session.get(AccountConversation, conversation_id)
    if row is None or row.account_id != account.id:
        raise NotFound("Record not found")
    return row


def mark_read(session: Session, account: Account, conversation_id: int) -> AccountConversation:
    row = own(session, account, conversation_id)
    row.unread = False
    events.emit(session, "conversation", account_id=account.id, conversation_id=row.id)
    return row


def remove(session: Session, account: Account, conversation_id: int) -> None:
    """Gone from the account's list only: the posts and the others' conversations stay."""
    session.delete(own(session, account, conversation_id))


def participants(
    session: Session, rows: Collection[AccountConversation]
) -> dict[int, list[Account]]:
    """Each conversation's other participants (itself when there is none, as Mastodon),
    with one query for them all."""
    ids = {account_id for row in rows for account_id in row.participants}
    ids.update(row.account_id for row in rows if not row.participants)
    found = {}
    if ids:
        found = {
            account.id: account
            for account in session.execute(select(Account).where(Account.id.in_(ids))).scalars()
        }
    return {
        row.id: [found[i] for i in row.participants or [row.account_id] if i in found]
        for row in rows
    }


# --- muted threads ---------------------------------------------------------------------------


def mute_thread(session: Session, _ctx: Context, account: Account, post_id: int) -> None:
    """No more notifications from the thread of `post_id`, a post the account can see.

    Mastodon's documentation asks for a thread one takes part in, but Mastodon itself
    accepts any status the caller can see: so do we."""
    post = _visible_post(session, account, post_id)
    insert_ignore(session, ThreadMute, {"account_id": account.id, "thread_id": thread_of(post)})


def unmute_thread(session: Session, _ctx: Context, account: Account, post_id: int) -> None:
    post = _visible_post(session, account, post_id)
    session.execute(
        delete(ThreadMute).where(
            ThreadMute.account_id == account.id, ThreadMute.thread_id == thread_of(post)
        )
    )


def _visible_post(session: Session, account: Account, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or not can_see(session, account.id, post):
        raise NotFound("Record not found")
    return post
