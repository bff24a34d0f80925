"""Timelines written on fan-out (home and list feeds) and the markers where reading stopped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class FeedEntry(Base):
    """A post (or boost) in someone's home timeline, written when it is published
    (fan-out on write): reading a home page is then one short index range scan."""

    __tablename__ = "home_feed"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(cascade("posts.id"), primary_key=True)
    author_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    __table_args__ = (Index("ix_home_feed_account_id_author_id", "account_id", "author_id"),)


class ListFeedEntry(Base):
    """A post (or boost) in a list's timeline, written when it is published, as home_feed."""

    __tablename__ = "list_feed"
    list_id: Mapped[int] = mapped_column(cascade("lists.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(cascade("posts.id"), primary_key=True)
    author_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    __table_args__ = (
        Index("ix_list_feed_list_id_author_id", "list_id", "author_id"),
        Index("ix_list_feed_post_id", "post_id"),  # which lists show a post (streaming)
    )


class Marker(Base):
    """Where someone stopped reading a timeline (`home`, `notifications`), shared by their
    apps; `version` counts updates, so that a stale concurrent update is refused."""

    __tablename__ = "markers"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    timeline: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_read_id: Mapped[int]
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]
