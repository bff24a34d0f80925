"""proven did bindings, claimed dids, inbound verdicts, de-duplication scoped by actor

- `accounts.did_proven`: a remote account's did was bound with proof of possession (an
  FEP-c390 identity proof, or an object its key signed as this actor). Bindings made before
  are unproven: a proven claim by another actor takes the did from them.
- `remote_actors.claimed_did`: a did an actor lists without proof, kept until one comes.
- `inbound_activities.outcome` / `reason`: what became of each accepted activity (applied,
  or refused and why), so that everything answered 202 is accounted for.
- An activity id is unique per actor, not across actors: one actor can no longer take
  another's (predictable) activity id first and have the real one dropped as a duplicate.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("did_proven", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("remote_actors", sa.Column("claimed_did", sa.String(100), nullable=True))
    with op.batch_alter_table("inbound_activities") as batch:
        batch.add_column(sa.Column("outcome", sa.String(16), nullable=True))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.drop_constraint("uq_inbound_activities_activity_id", type_="unique")
        batch.create_unique_constraint(
            "uq_inbound_activities_actor_activity_id", ["actor", "activity_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_activities") as batch:
        batch.drop_constraint("uq_inbound_activities_actor_activity_id", type_="unique")
        batch.create_unique_constraint("uq_inbound_activities_activity_id", ["activity_id"])
        batch.drop_column("reason")
        batch.drop_column("outcome")
    op.drop_column("remote_actors", "claimed_did")
    op.drop_column("accounts", "did_proven")
