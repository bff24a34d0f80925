"""Admin reports (docs.joinmastodon.org/methods/admin/reports): listed, shown, taken by a
moderator or given back, resolved or reopened; the Admin::Report entity with its accounts as
Admin::Accounts and its posts as Statuses."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.kernel.context import Context
from bocage.mastodon_api import views
from bocage.mastodon_api.admin_entities import admin_account
from bocage.mastodon_api.entities import timestamp
from bocage.mastodon_api.http import bool_param, id_param, json, link_header, services_of
from bocage.mastodon_api.routes.admin.common import admin, paging, path_id
from bocage.services.admin import ReportPage
from bocage.services.reader import Reader
from bocage.store.models import Account

READ, WRITE = "admin:read:reports", "admin:write:reports"


def _present(ctx: Context, viewer: Account) -> Any:
    def present(reader: Reader, page: ReportPage) -> list[dict[str, Any]]:
        answer = []
        for view in page.reports:
            report = view.report
            posts = views.statuses(
                reader, ctx, page.posts.get(report.id, []), viewer, "thread", keep_hidden=True
            )
            answer.append(
                {
                    "id": str(report.id),
                    "action_taken": report.resolved_at is not None,
                    "action_taken_at": timestamp(report.resolved_at)
                    if report.resolved_at
                    else None,
                    "category": "other",
                    "comment": report.comment,
                    "forwarded": bool(report.forwarded),
                    "created_at": timestamp(report.created_at),
                    "updated_at": timestamp(view.updated_at),
                    "account": admin_account(ctx, view.reporter),
                    "target_account": admin_account(ctx, view.target),
                    "assigned_account": admin_account(ctx, view.assigned)
                    if view.assigned
                    else None,
                    "action_taken_by_account": admin_account(ctx, view.action_taken_by)
                    if view.action_taken_by
                    else None,
                    "statuses": list(posts),
                    "rules": [],
                }
            )
        return answer

    return present


async def index(request: Request) -> Response:
    caller = await admin(request, READ)
    query = request.query_params
    services = services_of(request)
    found = services.admin.reports(
        caller,
        resolved=bool_param(query, "resolved"),
        unresolved=bool_param(query, "unresolved"),
        account_id=id_param(query.get("account_id"), "account_id"),
        target_account_id=id_param(query.get("target_account_id"), "target_account_id"),
        **paging(request),
    )
    answer = await found.present(_present(services.ctx, caller))
    return json(answer, headers=link_header(request, [int(one["id"]) for one in answer]))


async def show(request: Request) -> Response:
    caller = await admin(request, READ)
    services = services_of(request)
    found = services.admin.report(caller, path_id(request))
    return json((await found.present(_present(services.ctx, caller)))[0])


def _handling(what: str) -> Any:
    async def route(request: Request) -> Response:
        caller = await admin(request, WRITE)
        services = services_of(request)
        report_id = path_id(request)
        await services.admin.handle_report(caller, report_id, what)
        found = services.admin.report(caller, report_id)
        return json((await found.present(_present(services.ctx, caller)))[0])

    return route


routes = [
    Route("/api/v1/admin/reports", index, methods=["GET"]),
    Route("/api/v1/admin/reports/{id}", show, methods=["GET"]),
    Route(
        "/api/v1/admin/reports/{id}/assign_to_self", _handling("assign_to_self"), methods=["POST"]
    ),
    Route("/api/v1/admin/reports/{id}/unassign", _handling("unassign"), methods=["POST"]),
    Route("/api/v1/admin/reports/{id}/resolve", _handling("resolve"), methods=["POST"]),
    Route("/api/v1/admin/reports/{id}/reopen", _handling("reopen"), methods=["POST"]),
]
