"""Reports: a person tells the moderators about an account; admins read and resolve them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.accounts import accounts
from bocage.core.moderation import reports
from bocage.core.timelines import timelines
from bocage.kernel.context import Context
from bocage.kernel.errors import DomainError
from bocage.store.models import Account
from bocage.web import forms
from bocage.web.auth import node_of, require_admin, require_viewer
from bocage.web.render import page, redirect
from bocage.web.routes.timelines import page_of


def _target(request: Request) -> str:
    return str(request.path_params["username"])


async def report_form(request: Request, status: int = 200, error: str | None = None) -> Response:
    viewer = await require_viewer(request)
    node = node_of(request)

    def load(session: Session) -> tuple[Account, list[Any]]:
        target = accounts.by_name(session, node.ctx.settings.domain, _target(request))
        views = timelines.profile(session, viewer.account, target, page_of(request))
        return target, views

    target, views = await node.db.read(load)
    chosen = request.query_params.get("post", "")
    return await page(
        request, "report.html", status, target=target, views=views, chosen=chosen, error=error
    )


async def send_report(request: Request) -> Response:
    viewer = await require_viewer(request)
    node = node_of(request)
    form = await forms.read_form(request)
    try:
        draft = (
            forms.int_list(form, "post_ids", ids=True),
            forms.text(form, "comment", max_length=10_000),
            forms.flag(form, "forward"),
        )
        await node.db.write(_report, node.ctx, viewer.account.id, _target(request), *draft)
    except DomainError as refused:
        return await report_form(request, refused.status, refused.message)
    return redirect(request, "/home", "Thank you: the moderators will look at your report.")


def _report(
    session: Session,
    ctx: Context,
    reporter_id: int,
    name: str,
    post_ids: list[int],
    comment: str,
    forward: bool,
) -> None:
    reporter = session.get(Account, reporter_id)
    assert reporter is not None
    target = accounts.by_name(session, ctx.settings.domain, name)
    reports.report(session, ctx, reporter, target, post_ids, comment, forward=forward)


async def admin_reports(request: Request) -> Response:
    await require_admin(request)
    found = await node_of(request).db.read(reports.open_reports)
    return await page(request, "admin_reports.html", reports=found)


async def resolve(request: Request) -> Response:
    await require_admin(request)
    await forms.read_form(request)
    await node_of(request).db.write(reports.resolve, request.path_params["report_id"])
    return redirect(request, "/admin/reports", "Report resolved.")


routes = [
    Route("/@{username}/report", report_form, methods=["GET"]),
    Route("/@{username}/report", send_report, methods=["POST"]),
    Route("/admin/reports", admin_reports, methods=["GET"]),
    Route("/admin/reports/{report_id:id}/resolve", resolve, methods=["POST"]),
]
