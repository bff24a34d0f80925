"""INSERT … ON CONFLICT DO NOTHING for both dialects (idempotent writes from jobs)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert, Table
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
    if rows:
        dialect = session.get_bind().dialect.name
        session.execute(_insert_or_skip(dialect, table.__table__), rows)


@cache
def _insert_or_skip(dialect: str, table: Table) -> Insert:
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()
