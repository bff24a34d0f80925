"""What became of one inbound activity: applied, or refused with a reason a person reads.

Principle 3 ("nothing accepted is ever lost") is kept by accounting, not by hope: every
activity this node answered 202 for (or took from a peer's log) ends with a verdict written
beside it (`inbound_activities.outcome` and `reason`), so that at any moment

    accepted = applied + refused + still waiting for their job

and nothing leaves that sum silently. A refusal is an answer too (the post was deleted
before, the liked post is not here, the activity is not one we handle); its reason is
logged and kept. Verdicts are frozen values, returned, never raised (a unit of work that
raises makes SQLite's writer run its whole group of units again, one by one); a
`DomainError` the core raises on the way becomes a refusal too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from bocage.store.models import InboundActivity

APPLIED_OUTCOME, REFUSED_OUTCOME = "applied", "refused"
MAX_REASON = 1000


@dataclass(frozen=True)
class Verdict:
    applied: bool
    reason: str = ""  # why not, when refused

    @property
    def outcome(self) -> str:
        return APPLIED_OUTCOME if self.applied else REFUSED_OUTCOME


APPLIED = Verdict(True)


def refused(reason: str) -> Verdict:
    return Verdict(False, reason[:MAX_REASON])


def record(session: Session, inbound_id: int, verdict: Verdict) -> None:
    """Write the verdict beside the stored activity (once its job has settled it)."""
    session.execute(
        update(InboundActivity)
        .where(InboundActivity.id == inbound_id)
        .values(outcome=verdict.outcome, reason=verdict.reason or None)
    )
