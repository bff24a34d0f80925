"""The admin API (Mastodon's `/api/v1/admin/*`): what moderators decide about an account
beside a suspension (silenced, sensitized, disabled; the sign-up address), who handles a
report, the moderation log, e-mail domain, canonical e-mail and IP blocks, trend reviews,
and a domain block's public comment and obfuscation.

Revision ID: 0027
Revises: 0026
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # (`public_comment` came with 0026.)
    op.add_column(
        "domain_blocks",
        sa.Column("obfuscate", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "account_moderation",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("silenced", sa.Boolean(), nullable=False),
        sa.Column("sensitized", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("sign_up_ip", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"],
            name="fk_account_moderation_account_id_accounts", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_account_moderation"),
    )  # fmt: skip
    op.create_table(
        "report_handling",
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("assigned_id", sa.BigInteger(), nullable=True),
        sa.Column("action_taken_by_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"],
            name="fk_report_handling_report_id_reports", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", name="pk_report_handling"),
    )  # fmt: skip
    op.create_table(
        "admin_actions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target_type", sa.String(40), nullable=False),
        sa.Column("target_id", sa.String(255), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_admin_actions"),
    )
    op.create_index("ix_admin_actions_target", "admin_actions", ["target_type", "target_id"])
    op.create_table(
        "email_domain_blocks",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_email_domain_blocks"),
        sa.UniqueConstraint("domain", name="uq_email_domain_blocks_domain"),
    )
    op.create_table(
        "canonical_email_blocks",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("canonical_email_hash", sa.String(64), nullable=False),
        sa.Column("reference_account_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_canonical_email_blocks"),
        sa.UniqueConstraint(
            "canonical_email_hash", name="uq_canonical_email_blocks_canonical_email_hash"
        ),
    )
    op.create_table(
        "ip_blocks",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ip_blocks"),
        sa.UniqueConstraint("ip", name="uq_ip_blocks_ip"),
    )
    op.create_table(
        "trend_reviews",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("trendable", sa.Boolean(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name="pk_trend_reviews"),
    )


def downgrade() -> None:
    op.drop_table("trend_reviews")
    op.drop_table("ip_blocks")
    op.drop_table("canonical_email_blocks")
    op.drop_table("email_domain_blocks")
    op.drop_index("ix_admin_actions_target", "admin_actions")
    op.drop_table("admin_actions")
    op.drop_table("report_handling")
    op.drop_table("account_moderation")
    with op.batch_alter_table("domain_blocks") as batch:
        batch.drop_column("obfuscate")
