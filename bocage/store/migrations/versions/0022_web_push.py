"""Web Push subscriptions (Mastodon's `/api/v1/push/subscription`)

One per access token: where an app wants its person's notifications pushed (the push
service's endpoint and the app's keys), which kinds (`alerts`), from whom (`policy`), in
which encoding (`standard`: RFC 8291's aes128gcm, else the older aesgcm draft), and the
token itself, sealed, which Mastodon's push message carries.

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_push_subscriptions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("key_p256dh", sa.String(200), nullable=False),
        sa.Column("key_auth", sa.String(100), nullable=False),
        sa.Column("standard", sa.Boolean(), nullable=False),
        sa.Column("alerts", sa.JSON(), nullable=False),
        sa.Column("policy", sa.String(16), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["oauth_tokens.id"],
            name="fk_web_push_subscriptions_token_id_oauth_tokens", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"],
            name="fk_web_push_subscriptions_account_id_accounts", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_web_push_subscriptions"),
        sa.UniqueConstraint("token_id", name="uq_web_push_subscriptions_token_id"),
    )  # fmt: skip
    op.create_index(
        "ix_web_push_subscriptions_account_id", "web_push_subscriptions", ["account_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_web_push_subscriptions_account_id", "web_push_subscriptions")
    op.drop_table("web_push_subscriptions")
