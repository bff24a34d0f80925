"""filters v2: keyword and status filters with their contexts and actions

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "filters",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_filters_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_filters"),
    )  # fmt: skip
    op.create_index("ix_filters_account_id_id", "filters", ["account_id", "id"])
    op.create_table(
        "filter_keywords",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("filter_id", sa.BigInteger(), nullable=False),
        sa.Column("keyword", sa.Text(), nullable=False),
        sa.Column("whole_word", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["filter_id"], ["filters.id"], name="fk_filter_keywords_filter_id_filters",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_filter_keywords"),
    )  # fmt: skip
    op.create_index("ix_filter_keywords_filter_id", "filter_keywords", ["filter_id"])
    op.create_table(
        "filter_statuses",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("filter_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["filter_id"], ["filters.id"], name="fk_filter_statuses_filter_id_filters",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name="fk_filter_statuses_post_id_posts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_filter_statuses"),
        sa.UniqueConstraint("filter_id", "post_id", name="uq_filter_statuses_pair"),
    )  # fmt: skip
    op.create_index("ix_filter_statuses_post_id", "filter_statuses", ["post_id"])


def downgrade() -> None:
    op.drop_index("ix_filter_statuses_post_id", table_name="filter_statuses")
    op.drop_table("filter_statuses")
    op.drop_index("ix_filter_keywords_filter_id", table_name="filter_keywords")
    op.drop_table("filter_keywords")
    op.drop_index("ix_filters_account_id_id", table_name="filters")
    op.drop_table("filters")
