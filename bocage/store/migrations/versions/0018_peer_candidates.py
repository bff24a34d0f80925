"""peer candidates: nodes named by other peers, not contacted as peers until they answer as one

Before, up to 200 URLs listed by any peer in a clock exchange became peers, asked on every
sync. Those never synced with successfully move here, to be asked once (docs/protocol.md,
"Discovery"); peers that did sync stay peers.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "peer_candidates",
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("taught_by", sa.String(500), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("url", name="pk_peer_candidates"),
    )
    op.create_index("ix_peer_candidates_taught_by", "peer_candidates", ["taught_by"])
    # Learned from a list (or from a signed clock request, which cannot be told apart now)
    # and never synced with: a claim. Taught by an unknown peer, as the rows do not say.
    unproven = "source = 'exchange' AND state <> 'ok'"
    op.execute(
        "INSERT INTO peer_candidates (url, taught_by, learned_at) "
        f"SELECT url, '', added_at FROM peers WHERE {unproven}"
    )
    op.execute(f"DELETE FROM peers WHERE {unproven}")


def downgrade() -> None:
    op.execute(
        "INSERT INTO peers (url, source, added_at, state, score, entries_received) "
        "SELECT url, 'exchange', learned_at, 'new', 0, 0 FROM peer_candidates "
        "WHERE url NOT IN (SELECT url FROM peers)"
    )
    op.drop_index("ix_peer_candidates_taught_by", table_name="peer_candidates")
    op.drop_table("peer_candidates")
