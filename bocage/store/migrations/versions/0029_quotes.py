"""quote posts

Mastodon 4.5's quote posts (FEP-044f): a `quotes` row per quoting post, with the state of the
quoted author's consent and the ids of the QuoteRequest and the QuoteAuthorization; on each
post, who may quote it (`quote_automatic`, `quote_manual`: Mastodon's quote approval policy as
keys). Posts written before keep empty policies: nobody but their author may quote them, as
on Mastodon. `posts.quote_id` names a post's quote (pages without quotes skip looking) and
`posts.quotes_count` counts the accepted quotes of it.

Revision ID: 0029
Revises: 0028
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "posts",
        sa.Column("quote_automatic", sa.String(80), nullable=False, server_default=sa.text("''")),
    )
    op.add_column(
        "posts",
        sa.Column("quote_manual", sa.String(80), nullable=False, server_default=sa.text("''")),
    )
    op.add_column("posts", sa.Column("quote_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "posts", sa.Column("quotes_count", sa.BigInteger(), nullable=False, server_default="0")
    )
    op.create_table(
        "quotes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("quoted_post_id", sa.BigInteger(), nullable=True),
        sa.Column("quoted_account_id", sa.BigInteger(), nullable=True),
        sa.Column("quoted_uri", sa.String(500), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("approval_uri", sa.String(500), nullable=True),
        sa.Column("activity_uri", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name="fk_quotes_post_id_posts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_quotes_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_quotes"),
        sa.UniqueConstraint("post_id", name="uq_quotes_post_id"),
    )  # fmt: skip
    op.create_index("ix_quotes_quoted_post_id_id", "quotes", ["quoted_post_id", "id"])
    op.create_index("ix_quotes_quoted_uri", "quotes", ["quoted_uri"])
    op.create_index("ix_quotes_approval_uri", "quotes", ["approval_uri"])
    op.create_index("ix_quotes_activity_uri", "quotes", ["activity_uri"])


def downgrade() -> None:
    for name in ("activity_uri", "approval_uri", "quoted_uri", "quoted_post_id_id"):
        op.drop_index(f"ix_quotes_{name}", table_name="quotes")
    op.drop_table("quotes")
    op.drop_column("posts", "quotes_count")
    op.drop_column("posts", "quote_id")
    op.drop_column("posts", "quote_manual")  # in place (SQLite 3.35+): the 0016 triggers stay
    op.drop_column("posts", "quote_automatic")
