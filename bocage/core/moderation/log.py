"""The moderation log: every action a moderator takes is recorded here, in the same unit of
work as the action (Mastodon's Admin::ActionLog), whichever face it came through."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.kernel.clock import now
from bocage.kernel.ids import new_id
from bocage.store.models import AdminAction


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int | str,
    **detail: Any,
) -> AdminAction:
    """`actor_id` did `action` (suspend, resolve, create…) to the `target_type` row."""
    row = AdminAction(
        id=new_id(),
        account_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail={key: value for key, value in detail.items() if value is not None},
        created_at=now(),
    )
    session.add(row)
    return row


def recent(session: Session, limit: int = 100) -> list[AdminAction]:
    """The newest actions first."""
    rows = session.execute(select(AdminAction).order_by(AdminAction.id.desc()).limit(limit))
    return list(rows.scalars())
