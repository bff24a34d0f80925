"""Collections (Mastodon 4.6): named sets of accounts someone recommends to follow, each
account in one as an item whose state says whether that account agreed to be there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class Collection(Base):
    __tablename__ = "collections"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), index=True)  # the curator
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    tag_name: Mapped[str | None] = mapped_column(String(100), nullable=True)  # as written
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    discoverable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CollectionItem(Base):
    """An account in a collection: `pending` until it agrees, `accepted`, `rejected` or
    `revoked` (by the account itself; the row stays so that it is not added again)."""

    __tablename__ = "collection_items"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    collection_id: Mapped[int] = mapped_column(cascade("collections.id"))
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    state: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("collection_id", "account_id", name="uq_collection_items_pair"),
        Index("ix_collection_items_account_id", "account_id"),
    )
