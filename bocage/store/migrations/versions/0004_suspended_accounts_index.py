"""index of suspended accounts

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Timelines check "author not suspended" per row; this keeps that an index probe.
    op.create_index(
        "ix_accounts_suspended",
        "accounts",
        ["id"],
        sqlite_where=sa.text("suspended"),
        postgresql_where=sa.text("suspended"),
    )


def downgrade() -> None:
    op.drop_index("ix_accounts_suspended", table_name="accounts")
