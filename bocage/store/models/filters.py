"""Filters: what someone asks not to see, by keyword or by post."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class Filter(Base):
    """A person's filter (Mastodon's v2 filter): posts matching any of its keywords, or
    listed in its statuses, are flagged (`warn`, `blur`) or left out (`hide`) in `context`."""

    __tablename__ = "filters"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    title: Mapped[str] = mapped_column(Text)
    context: Mapped[list[Any]]  # of "home", "notifications", "public", "thread", "account"
    action: Mapped[str] = mapped_column(String(8))  # "warn", "hide" or "blur"
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    __table_args__ = (Index("ix_filters_account_id_id", "account_id", "id"),)


class FilterKeyword(Base):
    """A word or phrase of a filter (one v1 filter, as the v1 API presents it)."""

    __tablename__ = "filter_keywords"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    filter_id: Mapped[int] = mapped_column(cascade("filters.id"), index=True)
    keyword: Mapped[str] = mapped_column(Text)
    whole_word: Mapped[bool] = mapped_column(Boolean)


class FilterStatus(Base):
    """A post a filter matches by id (and the boosts of it)."""

    __tablename__ = "filter_statuses"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    filter_id: Mapped[int] = mapped_column(cascade("filters.id"))
    post_id: Mapped[int] = mapped_column(cascade("posts.id"), index=True)
    __table_args__ = (UniqueConstraint("filter_id", "post_id", name="uq_filter_statuses_pair"),)
