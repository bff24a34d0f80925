"""oauth and attachments: client applications, authorization codes and access tokens
(Mastodon client API); media files attached to posts

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oauth_apps",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("website", sa.String(500), nullable=True),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.String(1000), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("client_secret", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oauth_apps"),
        sa.UniqueConstraint("client_id", name="uq_oauth_apps_client_id"),
    )
    op.create_table(
        "oauth_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("redirect_uri", sa.String(1000), nullable=False),
        sa.Column("scopes", sa.String(1000), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["oauth_apps.id"], name="fk_oauth_codes_app_id_oauth_apps",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_oauth_codes_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("code_hash", name="pk_oauth_codes"),
    )  # fmt: skip
    op.create_table(
        "oauth_tokens",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("scopes", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"], ["oauth_apps.id"], name="fk_oauth_tokens_app_id_oauth_apps",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_oauth_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_oauth_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_oauth_tokens_token_hash"),
    )  # fmt: skip
    op.create_index("ix_oauth_tokens_user_id", "oauth_tokens", ["user_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["oauth_tokens.id"], name="fk_idempotency_keys_token_id_oauth_tokens",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", "key", name="pk_idempotency_keys"),
    )  # fmt: skip
    op.add_column("posts", sa.Column("media_count", sa.Integer(), nullable=True))
    op.add_column("media_files", sa.Column("post_id", sa.BigInteger(), nullable=True))
    op.add_column("media_files", sa.Column("focus_x", sa.Float(), nullable=True))
    op.add_column("media_files", sa.Column("focus_y", sa.Float(), nullable=True))
    op.create_index("ix_media_files_post_id", "media_files", ["post_id"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_media_files_post_id", table_name="media_files")
    op.drop_column("media_files", "focus_y")
    op.drop_column("media_files", "focus_x")
    op.drop_column("media_files", "post_id")
    op.drop_column("posts", "media_count")
    op.drop_index("ix_oauth_tokens_user_id", table_name="oauth_tokens")
    op.drop_table("oauth_tokens")
    op.drop_table("oauth_codes")
    op.drop_table("oauth_apps")
