"""moderation and migration: aliases and moves, pinned posts, reports, domain blocks and allows

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("also_known_as", sa.JSON(), nullable=True))
    op.add_column("accounts", sa.Column("moved_to_id", sa.BigInteger(), nullable=True))
    # One place for everyone's aliases, local or remote: the accounts row.
    op.drop_column("remote_actors", "also_known_as")
    op.add_column("posts", sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_posts_pinned",
        "posts",
        ["account_id"],
        sqlite_where=sa.text("pinned_at IS NOT NULL"),
        postgresql_where=sa.text("pinned_at IS NOT NULL"),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("post_ids", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("uri", sa.String(500), nullable=True),
        sa.Column("forwarded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_reports_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["accounts.id"], name="fk_reports_target_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.UniqueConstraint("uri", name="uq_reports_uri"),
    )  # fmt: skip
    op.create_index("ix_reports_resolved_at_id", "reports", ["resolved_at", "id"])
    op.create_table(
        "domain_blocks",
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("reject_media", sa.Boolean(), nullable=False),
        sa.Column("reject_reports", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("domain", name="pk_domain_blocks"),
    )
    op.create_table(
        "domain_allows",
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("domain", name="pk_domain_allows"),
    )


def downgrade() -> None:
    op.drop_table("domain_allows")
    op.drop_table("domain_blocks")
    op.drop_index("ix_reports_resolved_at_id", table_name="reports")
    op.drop_table("reports")
    op.drop_index("ix_posts_pinned", table_name="posts")
    op.drop_column("posts", "pinned_at")
    op.add_column(
        "remote_actors",
        sa.Column("also_known_as", sa.JSON(), nullable=False, server_default="[]"),
    )
    op.drop_column("accounts", "moved_to_id")
    op.drop_column("accounts", "also_known_as")
