"""federation: remote actors, inbound activities, remote hosts

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "remote_actors",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_type", sa.String(32), nullable=False),
        sa.Column("inbox", sa.String(500), nullable=False),
        sa.Column("shared_inbox", sa.String(500), nullable=True),
        sa.Column("key_id", sa.String(500), nullable=True),
        sa.Column("followers_url", sa.String(500), nullable=True),
        sa.Column("url", sa.String(500), nullable=True),
        sa.Column("avatar_url", sa.String(1000), nullable=True),
        sa.Column("header_url", sa.String(1000), nullable=True),
        sa.Column("also_known_as", sa.JSON(), nullable=False),
        sa.Column("moved_to", sa.String(500), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_remote_actors_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_remote_actors"),
        sa.UniqueConstraint("key_id", name="uq_remote_actors_key_id"),
    )
    op.create_table(
        "inbound_activities",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("activity_id", sa.String(500), nullable=False),
        sa.Column("actor", sa.String(500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("verified_by", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_activities"),
        sa.UniqueConstraint("activity_id", name="uq_inbound_activities_activity_id"),
    )
    op.create_table(
        "remote_hosts",
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("signature_scheme", sa.String(16), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("parked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("domain", name="pk_remote_hosts"),
    )


def downgrade() -> None:
    op.drop_table("remote_hosts")
    op.drop_table("inbound_activities")
    op.drop_table("remote_actors")
