"""link preview cards

A post's first link is read once per URL (core/cards): `preview_cards` keeps what the page
said of itself and this node's copy of its image; `post_cards` which card each post shows,
with the URL as the post wrote it (what link trends and `/api/v1/timelines/link` read), and
`posts.card_id` the same, so that pages without cards do not look.

Revision ID: 0030
Revises: 0029
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "preview_cards",
        sa.Column("id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("author_name", sa.Text(), nullable=False),
        sa.Column("author_url", sa.Text(), nullable=False),
        sa.Column("provider_name", sa.Text(), nullable=False),
        sa.Column("provider_url", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("embed_url", sa.Text(), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("image_key", sa.String(200), nullable=True),
        sa.Column("image_width", sa.Integer(), nullable=True),
        sa.Column("image_height", sa.Integer(), nullable=True),
        sa.Column("image_description", sa.Text(), nullable=False),
        sa.Column("blurhash", sa.String(100), nullable=True),
        sa.Column("author_account_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_account_id"],
            ["accounts.id"],
            name="fk_preview_cards_author_account_id_accounts",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_preview_cards"),
        sa.UniqueConstraint("url", name="uq_preview_cards_url"),
    )
    op.create_table(
        "post_cards",
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("card_id", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name="fk_post_cards_post_id_posts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["card_id"], ["preview_cards.id"],
            name="fk_post_cards_card_id_preview_cards", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", name="pk_post_cards"),
    )  # fmt: skip
    op.create_index("ix_post_cards_card_id_post_id", "post_cards", ["card_id", "post_id"])
    op.create_index("ix_post_cards_url", "post_cards", ["url"])
    op.add_column("posts", sa.Column("card_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("posts", "card_id")
    op.drop_index("ix_post_cards_url", table_name="post_cards")
    op.drop_index("ix_post_cards_card_id_post_id", table_name="post_cards")
    op.drop_table("post_cards")
    op.drop_table("preview_cards")
