"""collections

Mastodon 4.6's collections: a named set of accounts someone recommends, with a description,
a language, a hashtag, `sensitive` and `discoverable`; each account in one is an item with a
state (`pending`, `accepted`, `rejected`, `revoked`), one item per account and collection,
and for an account of another server the FeatureRequest sent to it and the
FeatureAuthorization it answered (FEP-7aa9); a local account's consent to be in another
server's collection (`feature_grants`); another server's collection keeps its `uri`.

Revision ID: 0031
Revises: 0030
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("tag_name", sa.String(100), nullable=True),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("discoverable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uri", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_collections_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_collections"),
    )  # fmt: skip
    op.create_index("ix_collections_account_id", "collections", ["account_id"])
    op.create_index("ix_collections_uri", "collections", ["uri"])
    op.create_table(
        "collection_items",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("collection_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_uri", sa.String(500), nullable=True),
        sa.Column("approval_uri", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["collection_id"], ["collections.id"],
            name="fk_collection_items_collection_id_collections", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_collection_items_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_collection_items"),
        sa.UniqueConstraint("collection_id", "account_id", name="uq_collection_items_pair"),
    )  # fmt: skip
    op.create_index("ix_collection_items_account_id", "collection_items", ["account_id"])
    op.create_index("ix_collection_items_request_uri", "collection_items", ["request_uri"])
    op.create_table(
        "feature_grants",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("curator_id", sa.BigInteger(), nullable=False),
        sa.Column("collection_uri", sa.String(500), nullable=False),
        sa.Column("request_uri", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_feature_grants_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["curator_id"], ["accounts.id"], name="fk_feature_grants_curator_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feature_grants"),
        sa.UniqueConstraint("account_id", "collection_uri", name="uq_feature_grants_pair"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("feature_grants")
    op.drop_index("ix_collection_items_request_uri", table_name="collection_items")
    op.drop_index("ix_collection_items_account_id", table_name="collection_items")
    op.drop_table("collection_items")
    op.drop_index("ix_collections_uri", table_name="collections")
    op.drop_index("ix_collections_account_id", table_name="collections")
    op.drop_table("collections")
