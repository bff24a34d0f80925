"""Reports to the moderators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class Report(Base):
    """A report of an account (and some of its posts) to this node's moderators, made here or
    received as a Flag. `forwarded`: a copy went to the reported account's server."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))  # who reported
    target_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    post_ids: Mapped[list[Any]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str | None] = mapped_column(String(500), unique=True)  # the Flag's id
    forwarded: Mapped[bool] = mapped_column(Boolean, default=False)
    # Mastodon's categories: spam, legal, violation (of `rule_ids`, the node's rules by
    # number), other.
    category: Mapped[str] = mapped_column(String(16), default="other", server_default="other")
    rule_ids: Mapped[list[Any] | None] = mapped_column(default=list)  # None: none (older rows)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_reports_resolved_at_id", "resolved_at", "id"),)
