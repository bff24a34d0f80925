"""Reports as moderators handle them (Mastodon's admin reports API): listed open or resolved,
by who reported or who was reported; taken by a moderator (`assign`) or given back; resolved
(who resolved it is kept) or reopened. Each change is recorded in the moderation log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.moderation import accounts as admin_accounts
from bocage.core.moderation import log
from bocage.core.moderation.accounts import AdminAccountView
from bocage.kernel.clock import now
from bocage.kernel.errors import NotFound
from bocage.store.models import Account, Report, ReportHandling

MAX_LIMIT = 200


@dataclass(frozen=True)
class AdminReportView:
    report: Report
    handling: ReportHandling | None
    reporter: AdminAccountView
    target: AdminAccountView
    assigned: AdminAccountView | None
    action_taken_by: AdminAccountView | None

    @property
    def updated_at(self) -> datetime:
        moments = [self.report.created_at, self.report.resolved_at]
        if self.handling is not None:
            moments.append(self.handling.updated_at)
        return max(moment for moment in moments if moment is not None)


def search(
    session: Session,
    *,
    resolved: bool = False,
    unresolved: bool = False,
    account_id: int | None = None,
    target_account_id: int | None = None,
    max_id: int | None = None,
    min_id: int | None = None,
    since_id: int | None = None,
    limit: int = 100,
) -> list[AdminReportView]:
    """Open reports (resolved ones with `resolved`; both with both), newest first."""
    query = select(Report)
    if resolved and not unresolved:
        query = query.where(Report.resolved_at.is_not(None))
    elif not resolved:
        query = query.where(Report.resolved_at.is_(None))
    if account_id is not None:
        query = query.where(Report.account_id == account_id)
    if target_account_id is not None:
        query = query.where(Report.target_id == target_account_id)
    if max_id is not None:
        query = query.where(Report.id < max_id)
    if since_id is not None:
        query = query.where(Report.id > since_id)
    if min_id is not None:
        query = query.where(Report.id > min_id).order_by(Report.id.asc())
    else:
        query = query.order_by(Report.id.desc())
    rows = list(session.execute(query.limit(max(1, min(limit, MAX_LIMIT)))).scalars())
    rows.sort(key=lambda row: -row.id)
    return _views(session, rows)


def get(session: Session, report_id: int) -> AdminReportView:
    row = session.get(Report, report_id)
    if row is None:
        raise NotFound("Record not found")
    return _views(session, [row])[0]


def _views(session: Session, rows: list[Report]) -> list[AdminReportView]:
    handled = {
        one.report_id: one
        for one in session.execute(
            select(ReportHandling).where(ReportHandling.report_id.in_([row.id for row in rows]))
        ).scalars()
    }
    wanted: list[int] = []
    for row in rows:
        wanted += [row.account_id, row.target_id]
        if (handling := handled.get(row.id)) is not None:
            wanted += [i for i in (handling.assigned_id, handling.action_taken_by_id) if i]
    found = admin_accounts.views(session, wanted)
    answer = []
    for row in rows:
        handling = handled.get(row.id)
        assigned = handling.assigned_id if handling else None
        taken_by = handling.action_taken_by_id if handling else None
        answer.append(
            AdminReportView(
                row,
                handling,
                found[row.account_id],
                found[row.target_id],
                found.get(assigned) if assigned else None,
                found.get(taken_by) if taken_by else None,
            )
        )
    return answer


def _handling(session: Session, report_id: int) -> tuple[Report, ReportHandling]:
    row = session.get(Report, report_id)
    if row is None:
        raise NotFound("Record not found")
    handling = session.get(ReportHandling, report_id)
    if handling is None:
        handling = ReportHandling(report_id=report_id, updated_at=now())
        session.add(handling)
    handling.updated_at = now()
    return row, handling


def assign(session: Session, actor: Account, report_id: int) -> AdminReportView:
    _row, handling = _handling(session, report_id)
    handling.assigned_id = actor.id
    log.record(session, actor.id, "assigned_to_self", "report", report_id)
    session.flush()
    return get(session, report_id)


def unassign(session: Session, actor: Account, report_id: int) -> AdminReportView:
    _row, handling = _handling(session, report_id)
    handling.assigned_id = None
    log.record(session, actor.id, "unassigned", "report", report_id)
    session.flush()
    return get(session, report_id)


def resolve(session: Session, actor: Account | None, report_id: int) -> AdminReportView:
    row, handling = _handling(session, report_id)
    if row.resolved_at is None:
        row.resolved_at = now()
        handling.action_taken_by_id = actor.id if actor is not None else None
        log.record(session, actor.id if actor else None, "resolve", "report", report_id)
    session.flush()
    return get(session, report_id)


def reopen(session: Session, actor: Account, report_id: int) -> AdminReportView:
    row, handling = _handling(session, report_id)
    if row.resolved_at is not None:
        row.resolved_at = None
        handling.action_taken_by_id = None
        log.record(session, actor.id, "reopen", "report", report_id)
    session.flush()
    return get(session, report_id)


def resolve_for_action(
    session: Session, actor: Account, target_id: int, report_id: int | None, action: str
) -> None:
    """After an action on an account (Mastodon's Admin::AccountAction): a warning resolves
    only the report it was given with; any other action every open report about the
    account."""
    ids = [report_id] if report_id is not None else []
    if action != "none":
        ids += session.execute(
            select(Report.id).where(Report.target_id == target_id, Report.resolved_at.is_(None))
        ).scalars()
    for one in dict.fromkeys(ids):
        resolve(session, actor, one)
