"""INSERT … ON CONFLICT DO NOTHING for both dialects (idempotent writes from jobs)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, table: Any, values: dict[str, Any]) -> bool:
    """Insert a row unless it would violate a unique constraint; True if it was inserted.

    Decided by RETURNING, not rowcount: drivers disagree on the rowcount of a skipped row
    (psycopg reports -1).
    """
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    key = next(iter(table.__table__.primary_key.columns))
    statement = (
        module.insert(table.__table__).values(**values).on_conflict_do_nothing().returning(key)
    )
    return session.execute(statement).first() is not None


def insert_ignore_many(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows, skipping those that already exist (one statement, executemany)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    session.execute(module.insert(table).on_conflict_do_nothing(), rows)
