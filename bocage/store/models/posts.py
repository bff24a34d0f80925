"""Posts and what hangs on them: edits, mentions, hashtags, favourites, bookmarks; scheduled
posts; the idempotency keys that make a retried publish return the same post."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class Post(Base):
    """A status. A boost is a post whose `reblog_of_id` is set and whose text is empty."""

    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    uri: Mapped[str] = mapped_column(String(500), unique=True)
    visibility: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")  # sanitized HTML
    source: Mapped[str] = mapped_column(Text, default="")
    spoiler_text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(16))
    # No foreign keys: a reply outlives the post it answers (Mastodon shows it as a reply).
    in_reply_to_id: Mapped[int | None] = mapped_column(BigInteger)
    in_reply_to_account_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_root_id: Mapped[int | None] = mapped_column(BigInteger)
    reblog_of_id: Mapped[int | None] = mapped_column(cascade("posts.id"))
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    replies_count: Mapped[int] = mapped_column(default=0)
    favourites_count: Mapped[int] = mapped_column(default=0)
    reblogs_count: Mapped[int] = mapped_column(default=0)
    pinned_at: Mapped[datetime | None]  # on its author's profile (the `featured` collection)
    # Attachments (media_files), so that pages without any skip looking (NULL: none).
    media_count: Mapped[int | None] = mapped_column(Integer)
    # Its media hidden behind a click, as its server said (a content warning hides them too).
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Its poll (`polls.id`), so that pages without polls skip looking (NULL: none). No
    # foreign key: `polls.post_id` points back, and the poll goes with the post.
    poll_id: Mapped[int | None] = mapped_column(BigInteger)
    # Bumped by a trigger on every update (migration 0016): pages cache rows by version.
    row_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Its thread's context (FEP-7888 `context`, Mastodon's `conversation`): the same URL on
    # every post of a thread (core/posts/contexts.py). NULL: a remote post that names none.
    context: Mapped[str | None] = mapped_column(String(500))
    # Who may quote it and have the quote accepted at once (`automatic`), or after its author
    # looks (`manual`): Mastodon's quote approval policy, as comma-separated keys (public,
    # followers, following, unsupported_policy; core/quotes/policy.py). Empty: nobody but its
    # author (every post written before quotes existed, as on Mastodon).
    quote_automatic: Mapped[str] = mapped_column(String(80), default="", server_default=text("''"))
    quote_manual: Mapped[str] = mapped_column(String(80), default="", server_default=text("''"))
    # Its quote (`quotes.id`), so that pages without quotes skip looking (NULL: it quotes
    # nothing); and how many accepted quotes quote it (Mastodon's `quotes_count`).
    quote_id: Mapped[int | None] = mapped_column(BigInteger)
    quotes_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Its link preview card (`preview_cards.id`, through `post_cards`), so that pages
    # without cards skip looking (NULL: none). No foreign key, as `poll_id`.
    card_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_posts_account_id_id", "account_id", "id"),
        Index("ix_posts_in_reply_to_id", "in_reply_to_id"),
        Index("ix_posts_thread_root_id", "thread_root_id"),
        Index("ix_posts_reblog_of_id", "reblog_of_id"),
        # One boost per account and post, even when two clicks race.
        Index(
            "uq_posts_one_boost",
            "account_id",
            "reblog_of_id",
            unique=True,
            sqlite_where=text("reblog_of_id IS NOT NULL"),
            postgresql_where=text("reblog_of_id IS NOT NULL"),
        ),
        Index("ix_posts_visibility_id", "visibility", "id"),
        Index(
            "ix_posts_pinned",
            "account_id",
            sqlite_where=text("pinned_at IS NOT NULL"),
            postgresql_where=text("pinned_at IS NOT NULL"),
        ),
    )


class PostEdit(Base):
    """A previous version of an edited post (the history Mastodon shows)."""

    __tablename__ = "post_edits"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(cascade("posts.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    spoiler_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Mention(Base):
    __tablename__ = "mentions"
    post_id: Mapped[int] = mapped_column(cascade("posts.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    __table_args__ = (Index("ix_mentions_account_id_post_id", "account_id", "post_id"),)


class PostTag(Base):
    __tablename__ = "post_tags"
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    post_id: Mapped[int] = mapped_column(cascade("posts.id"), primary_key=True)


class Favourite(Base):
    __tablename__ = "favourites"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(cascade("posts.id"), primary_key=True)
    created_at: Mapped[datetime]
    uri: Mapped[str] = mapped_column(String(500))
    __table_args__ = (Index("ix_favourites_post_id", "post_id"),)


class Bookmark(Base):
    __tablename__ = "bookmarks"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    post_id: Mapped[int] = mapped_column(cascade("posts.id"))
    __table_args__ = (UniqueConstraint("account_id", "post_id", name="uq_bookmarks_pair"),)


class IdempotencyKey(Base):
    """A client's `Idempotency-Key` for a post it created: the same key from the same token
    gets the same post back instead of a duplicate (a retry after a lost answer)."""

    __tablename__ = "idempotency_keys"
    token_id: Mapped[int] = mapped_column(cascade("oauth_tokens.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    post_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class ScheduledStatus(Base):
    """A post to publish later (Mastodon's ScheduledStatus). `params` keeps what the client
    sent, as Mastodon shows it back (text, visibility, media_ids, poll…); a `scheduled.publish`
    job publishes it through the same core path as any post, then the row goes."""

    __tablename__ = "scheduled_statuses"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    scheduled_at: Mapped[datetime]
    params: Mapped[dict[str, Any]]
    __table_args__ = (
        Index("ix_scheduled_statuses_account_id_scheduled_at", "account_id", "scheduled_at"),
    )


class ScheduledMedia(Base):
    """An upload reserved for a scheduled status: no other post may take it meanwhile, and
    cancelling the scheduled status frees it (cascade)."""

    __tablename__ = "scheduled_media"
    media_id: Mapped[int] = mapped_column(cascade("media_files.id"), primary_key=True)
    scheduled_status_id: Mapped[int] = mapped_column(cascade("scheduled_statuses.id"), index=True)
