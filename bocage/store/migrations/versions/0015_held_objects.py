"""signed remote objects kept outside replicated logs

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_objects",
        sa.Column("uri", sa.String(500), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_held_objects_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uri", name="pk_held_objects"),
    )  # fmt: skip
    op.create_index("ix_held_objects_account_id", "held_objects", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_held_objects_account_id", table_name="held_objects")
    op.drop_table("held_objects")
