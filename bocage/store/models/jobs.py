"""The durable job queue (store/queue.py enqueues, claims and finishes its rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base


class Job(Base):
    """A durable job. state: queued → running → done, or back to queued with backoff, or dead."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), default="queued")
    run_after: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=12)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[float | None] = mapped_column(Float)
    __table_args__ = (Index("ix_jobs_state_run_after", "state", "run_after"),)
