"""follow options (reblogs, notify), featured tags, endorsements, account notes

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLLOW = ["follows.follower_id", "follows.target_id"]


def upgrade() -> None:
    op.create_table(
        "follow_options",
        sa.Column("follower_id", sa.BigInteger(), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("show_reblogs", sa.Boolean(), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["follower_id", "target_id"], FOLLOW, name="fk_follow_options_follower_id_follows",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("follower_id", "target_id", name="pk_follow_options"),
    )  # fmt: skip
    op.create_table(
        "endorsements",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id", "target_id"], FOLLOW, name="fk_endorsements_account_id_follows",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_endorsements"),
        sa.UniqueConstraint("account_id", "target_id", name="uq_endorsements_pair"),
    )  # fmt: skip
    op.create_table(
        "account_notes",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_account_notes_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["accounts.id"], name="fk_account_notes_target_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "target_id", name="pk_account_notes"),
    )  # fmt: skip
    op.create_table(
        "featured_tags",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("tag", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_featured_tags_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_featured_tags"),
        sa.UniqueConstraint("account_id", "tag", name="uq_featured_tags_pair"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("featured_tags")
    op.drop_table("account_notes")
    op.drop_table("endorsements")
    op.drop_table("follow_options")
