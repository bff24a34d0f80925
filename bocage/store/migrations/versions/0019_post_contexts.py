"""the context of a post's thread (FEP-7888 `context`, Mastodon's `conversation`)

Every post of one thread carries the same context URL: a local thread's is this node's
`/contexts/{root id}`, a reply to a remote post takes its parent's. Stored so that replies
reuse it: a remote thread's context cannot be worked out here.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("context", sa.String(500), nullable=True))


def downgrade() -> None:
    op.drop_column("posts", "context")  # in place (SQLite 3.35+): the 0016 triggers stay
