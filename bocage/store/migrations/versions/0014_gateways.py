"""pubs: accounts' gateways, consents received by a pub

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("gateways", sa.JSON(), nullable=True))
    op.create_table(
        "gateway_consents",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_gateway_consents_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_gateway_consents"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("gateway_consents")
    op.drop_column("accounts", "gateways")
