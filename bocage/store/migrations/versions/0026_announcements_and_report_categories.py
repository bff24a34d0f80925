"""announcements from the admins; a report's category and the rules it names; a domain
block's public reason

Mastodon's announcements (`/api/v1/announcements`): the text, when it shows, who marked it
read and the emoji reactions under it. A report made through the client API says why
(`spam`, `legal`, `violation` of some of the node's rules, `other`), as Mastodon's do. A
domain block gets the reason shown to others beside the admins' own note.

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_announcements"),
    )
    op.create_table(
        "announcement_dismissals",
        sa.Column("announcement_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"], ["announcements.id"],
            name="fk_announcement_dismissals_announcement_id_announcements", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"],
            name="fk_announcement_dismissals_account_id_accounts", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "announcement_id", "account_id", name="pk_announcement_dismissals"
        ),
    )  # fmt: skip
    op.create_table(
        "announcement_reactions",
        sa.Column("announcement_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"], ["announcements.id"],
            name="fk_announcement_reactions_announcement_id_announcements", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"],
            name="fk_announcement_reactions_account_id_accounts", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "announcement_id", "account_id", "name", name="pk_announcement_reactions"
        ),
    )  # fmt: skip
    op.create_index(
        "ix_announcement_reactions_announcement_id_name",
        "announcement_reactions",
        ["announcement_id", "name"],
    )
    op.add_column(
        "reports", sa.Column("category", sa.String(16), nullable=False, server_default="other")
    )
    op.add_column("reports", sa.Column("rule_ids", sa.JSON(), nullable=True))
    op.add_column(
        "domain_blocks",
        sa.Column("public_comment", sa.Text(), nullable=False, server_default=sa.text("''")),
    )


def downgrade() -> None:
    op.drop_column("domain_blocks", "public_comment")
    op.drop_column("reports", "rule_ids")  # in place (SQLite 3.35+)
    op.drop_column("reports", "category")
    op.drop_index("ix_announcement_reactions_announcement_id_name", "announcement_reactions")
    op.drop_table("announcement_reactions")
    op.drop_table("announcement_dismissals")
    op.drop_table("announcements")
