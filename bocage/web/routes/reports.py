"""Reports: a person tells the moderators about an account; admins read and resolve them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.kernel.errors import DomainError
from bocage.web import forms
from bocage.web.auth import require_admin, require_viewer, services_of
from bocage.web.render import page, redirect
from bocage.web.routes.timelines import page_of


def _target(request: Request) -> str:
    return str(request.path_params["username"])


async def report_form(request: Request, status: int = 200, error: str | None = None) -> Response:
    viewer = await require_viewer(request)
    target, views = await services_of(request).timelines.account_posts_by_name(
        viewer.account, _target(request), page_of(request)
    )
    chosen = request.query_params.get("post", "")
    return await page(
        request, "report.html", status, target=target, views=views, chosen=chosen, error=error
    )


async def send_report(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    try:
        await services_of(request).moderation.report(
            viewer.account,
            _target(request),
            forms.int_list(form, "post_ids", ids=True),
            forms.text(form, "comment", max_length=10_000),
            forward=forms.flag(form, "forward"),
        )
    except DomainError as refused:
        return await report_form(request, refused.status, refused.message)
    return redirect(request, "/home", "Thank you: the moderators will look at your report.")


async def admin_reports(request: Request) -> Response:
    await require_admin(request)
    found = await services_of(request).moderation.open_reports()
    return await page(request, "admin_reports.html", reports=found)


async def resolve(request: Request) -> Response:
    admin = await require_admin(request)
    await forms.read_form(request)
    await services_of(request).moderation.resolve_report(
        request.path_params["report_id"], actor=admin.account
    )
    return redirect(request, "/admin/reports", "Report resolved.")


routes = [
    Route("/@{username}/report", report_form, methods=["GET"]),
    Route("/@{username}/report", send_report, methods=["POST"]),
    Route("/admin/reports", admin_reports, methods=["GET"]),
    Route("/admin/reports/{report_id:id}/resolve", resolve, methods=["POST"]),
]
