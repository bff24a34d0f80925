"""Pinned posts: a few posts an author shows first on their profile, published as the
actor's `featured` collection and announced with Add and Remove (Mastodon's model)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.authorship import activities, authoring
from bocage.core.reading.visibility import Visibility
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import Account, Post

MAX_PINS = 5  # Mastodon's limit


def pinnable(post: Any) -> bool:
    """May its author pin it? Not a direct post, nor a boost (the web pages ask it too)."""
    return post.visibility != Visibility.DIRECT and post.reblog_of_id is None


def pin(session: Session, ctx: Context, account: Account, post_id: int) -> None:
    post = _own_post(session, account, post_id)
    if post.pinned_at is not None:
        return
    if not pinnable(post):
        raise InvalidInput("Only your own posts, not direct ones or boosts, can be pinned.")
    if len(pinned_ids(session, account.id)) >= MAX_PINS:
        raise InvalidInput(f"You can pin at most {MAX_PINS} posts; unpin one first.")
    post.pinned_at = now()
    _announce(session, ctx, account, "Add", post)


def unpin(session: Session, ctx: Context, account: Account, post_id: int) -> None:
    post = _own_post(session, account, post_id)
    if post.pinned_at is None:
        return
    post.pinned_at = None
    _announce(session, ctx, account, "Remove", post)


def pinned_ids(session: Session, account_id: int) -> list[int]:
    """The account's pinned posts, the latest pinned first."""
    rows = session.execute(
        select(Post.id)
        .where(Post.account_id == account_id, Post.pinned_at.is_not(None))
        .order_by(Post.pinned_at.desc())
    )
    return list(rows.scalars())


def featured_by_remote(session: Session, author: Account, post_uri: str, pinned: bool) -> bool:
    """A remote author's Add or Remove of one of its own posts to its featured collection;
    False when that post is not held here."""
    post = session.execute(
        select(Post).where(Post.uri == post_uri, Post.account_id == author.id)
    ).scalar_one_or_none()
    if post is None:
        return False
    post.pinned_at = (post.pinned_at or now()) if pinned else None
    return True


def _own_post(session: Session, account: Account, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or post.account_id != account.id:
        raise NotFound("You can only pin or unpin your own posts.")
    return post


def _announce(session: Session, ctx: Context, account: Account, kind: str, post: Post) -> None:
    activity = activities.wrap(
        kind,
        ctx.urls.activity(account.username, new_id()),
        account,
        post.uri,
        to=[activities.PUBLIC],
        cc=[ctx.urls.followers(account.username)],
    )
    activity["target"] = ctx.urls.featured(account.username)
    authoring.append(session, account, activity)
