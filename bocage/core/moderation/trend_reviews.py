"""Moderators' verdicts on trends (Mastodon's `/api/v1/admin/trends/*/approve|reject`): a
rejected hashtag or post is no longer shown as trending (`core/timelines/trends.py` reads the
verdicts); an approved one is shown as it would be anyway (this node shows trends without
review). Each verdict is recorded in the moderation log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.moderation import log
from bocage.kernel.clock import now
from bocage.store.models import Account, TrendReview

KINDS = ("tag", "status", "link")


def review(session: Session, actor: Account, kind: str, key: str, trendable: bool) -> None:
    assert kind in KINDS, kind
    row = session.get(TrendReview, (kind, key))
    if row is None:
        row = TrendReview(kind=kind, key=key, trendable=trendable, reviewed_at=now())
        session.add(row)
    row.trendable = trendable
    row.reviewed_at = now()
    action = "approve" if trendable else "reject"
    log.record(session, actor.id, action, f"trend_{kind}", key)


def verdicts(session: Session, kind: str) -> dict[str, bool]:
    """key → trendable, for what was reviewed."""
    rows = session.execute(
        select(TrendReview.key, TrendReview.trendable).where(TrendReview.kind == kind)
    ).all()
    return {key: trendable for key, trendable in rows}
