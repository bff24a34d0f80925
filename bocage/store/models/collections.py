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
    # Another server's collection (its curator is remote): its id there, and its
    # description as that server's HTML (sanitized); a local one's is plain text.
    uri: Mapped[str | None] = mapped_column(String(500), nullable=True)
    __table_args__ = (Index("ix_collections_uri", "uri"),)


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
    # An account of another server: the FeatureRequest sent to it (FEP-7aa9), and the
    # FeatureAuthorization its server answered with.
    request_uri: Mapped[str | None] = mapped_column(String(500), nullable=True)
    approval_uri: Mapped[str | None] = mapped_column(String(500), nullable=True)
    __table_args__ = (
        UniqueConstraint("collection_id", "account_id", name="uq_collection_items_pair"),
        Index("ix_collection_items_account_id", "account_id"),
        Index("ix_collection_items_request_uri", "request_uri"),
    )


class FeatureGrant(Base):
    """A local account's consent to be in another server's collection: the
    FeatureAuthorization it answered a FeatureRequest with, served at its id until revoked."""

    __tablename__ = "feature_grants"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))  # the featured, local
    curator_id: Mapped[int] = mapped_column(cascade("accounts.id"))  # remote
    collection_uri: Mapped[str] = mapped_column(String(500))
    request_uri: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("account_id", "collection_uri", name="uq_feature_grants_pair"),
    )
