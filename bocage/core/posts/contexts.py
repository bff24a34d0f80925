"""A thread's context: one URL that every post of a thread carries, as `context` (FEP-7888,
Pleroma, Misskey, GoToSocial, microblog.pub) and `conversation` (Mastodon). Servers group a
thread by it; microblog.pub needs it to reply to our posts and to vote in our polls.

A thread started here is known by `/contexts/{root post id}`, which serves the public posts
threaded under that root here. A reply takes its parent's context, so a reply to a remote
post keeps the context its server gave the thread; a parent that names none (Misskey) gets
ours, by the root we hold.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from bocage.core.reading.visibility import can_see, visible_to
from bocage.kernel.urls import Urls
from bocage.store.models import Account, Post

PAGE_SIZE = 40


def for_post(urls: Urls, post: Any) -> str:
    """The context of a stored post (a Post or a row); one stored before contexts were kept
    gets the one it would have had."""
    return str(post.context or urls.context(post.thread_root_id or post.id))


def for_new_post(urls: Urls, post_id: int, parent: Any | None) -> str:
    """The context of a post being written: its parent's, or a new thread's."""
    return for_post(urls, parent) if parent is not None else urls.context(post_id)


def root_author(session: Session, urls: Urls, root_id: int) -> Account | None:
    """The author of the thread `/contexts/{root_id}` names, if this node serves it: its
    root is here, anyone may see it, and the thread's context is that URL."""
    root = session.get(Post, root_id)
    if root is None or root.reblog_of_id is not None:
        return None
    if root.context not in (None, urls.context(root_id)) or not can_see(session, None, root):
        return None
    return session.get(Account, root.account_id)


def _public(query: Select[Any]) -> Select[Any]:
    return query.where(visible_to(None), Post.reblog_of_id.is_(None))


def _in_thread(root_id: int) -> Select[int]:
    """The public posts threaded under the root here. By the reply chain this node knows,
    not by the context a post names: anyone may name any context, and nobody may slip a
    post into a thread by naming its context."""
    return _public(select(Post.id).where(or_(Post.thread_root_id == root_id, Post.id == root_id)))


def count(session: Session, root_id: int) -> int:
    listed = _in_thread(root_id).subquery()
    return int(session.execute(select(func.count()).select_from(listed)).scalar_one())


def page(session: Session, root_id: int, min_id: int | None) -> list[tuple[int, str]]:
    """(id, uri) of the thread's posts after `min_id`, oldest first (the thread's order)."""
    query = _in_thread(root_id).add_columns(Post.uri)
    if min_id is not None:
        query = query.where(Post.id > min_id)
    rows = session.execute(query.order_by(Post.id).limit(PAGE_SIZE))
    return [(post_id, uri) for post_id, uri in rows.all()]
