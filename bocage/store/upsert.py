"""INSERT … ON CONFLICT DO NOTHING for both dialects (idempotent writes from jobs)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, table: Any, values: dict[str, Any]) -> bool:
    """Insert a row unless it would violate a unique constraint; True if it was inserted."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(**values).on_conflict_do_nothing()
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def insert_ignore_many(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows, skipping those that already exist (one statement, executemany)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    session.execute(module.insert(table).on_conflict_do_nothing(), rows)
