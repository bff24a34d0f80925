"""Quote posts (Mastodon 4.5, FEP-044f): a post that quotes another, the state of the quoted
author's consent, and the ids of the request and of the authorization that carry it across
servers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class Quote(Base):
    """One quote: `post_id` (the quoting post, ours or another server's) quotes
    `quoted_post_id` (NULL until the quoted post is here, or once it is deleted: `quoted_uri`
    still names it). `state` is Mastodon's: pending, accepted, rejected, revoked, deleted.
    `approval_uri`: the QuoteAuthorization's id (ours, served at it, when the quoted author is
    local; the quoted server's otherwise). `activity_uri`: the QuoteRequest's id."""

    __tablename__ = "quotes"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(cascade("posts.id"), unique=True)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    # No foreign key: a quote outlives the post it quotes (Mastodon shows it as deleted).
    quoted_post_id: Mapped[int | None] = mapped_column(BigInteger)
    quoted_account_id: Mapped[int | None] = mapped_column(BigInteger)
    quoted_uri: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16))
    approval_uri: Mapped[str | None] = mapped_column(String(500))
    activity_uri: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_quotes_quoted_post_id_id", "quoted_post_id", "id"),
        Index("ix_quotes_quoted_uri", "quoted_uri"),
        Index("ix_quotes_approval_uri", "approval_uri"),
        Index("ix_quotes_activity_uri", "activity_uri"),
    )
