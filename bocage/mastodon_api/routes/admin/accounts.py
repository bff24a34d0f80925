"""Admin accounts (docs.joinmastodon.org/methods/admin/accounts): the v1 and v2 lists with
their filters, one account, the moderation actions and their undoing, approving or rejecting
a sign-up, deleting a suspended account's data."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.moderation.accounts import AccountFilter
from bocage.mastodon_api.admin_entities import admin_account
from bocage.mastodon_api.http import (
    bool_param,
    id_list,
    id_param,
    json,
    link_header,
    params,
    services_of,
    text_param,
)
from bocage.mastodon_api.routes.admin.common import admin, paging, path_id

READ, WRITE = "admin:read:accounts", "admin:write:accounts"
V1_STATUSES = ("active", "pending", "disabled", "silenced", "suspended")


def _v1_filter(query: Any) -> AccountFilter:
    """v1: local and active unless told otherwise; `remote`, `pending`… are flags."""
    status = next((one for one in V1_STATUSES if bool_param(query, one)), "active")
    if bool_param(query, "sensitized"):
        status = "sensitized"
    return AccountFilter(
        origin="remote" if bool_param(query, "remote") else "local",
        status=status,
        staff=bool_param(query, "staff"),
        username=query.get("username", ""),
        display_name=query.get("display_name", ""),
        by_domain=query.get("by_domain", ""),
        email=query.get("email", ""),
        ip=query.get("ip", ""),
    )


def _v2_filter(values: dict[str, Any]) -> AccountFilter:
    role_ids = tuple(id_list(values, "role_ids")) if "role_ids" in values else ()
    negative = [v for v in _as_list(values.get("role_ids")) if str(v) == "-99"]
    return AccountFilter(
        origin=text_param(values, "origin") or None,
        status=text_param(values, "status") or None,
        staff=text_param(values, "permissions") == "staff",
        role_ids=role_ids + ((-99,) if negative else ()),
        invited_by=id_param(values.get("invited_by"), "invited_by"),
        username=text_param(values, "username"),
        display_name=text_param(values, "display_name"),
        by_domain=text_param(values, "by_domain"),
        email=text_param(values, "email"),
        ip=text_param(values, "ip"),
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


async def _listing(request: Request, wanted: AccountFilter) -> Response:
    services = services_of(request)
    found = await services.admin.accounts(wanted, **paging(request))
    answer = [admin_account(services.ctx, view) for view in found]
    return json(answer, headers=link_header(request, [view.account.id for view in found]))


async def index_v1(request: Request) -> Response:
    await admin(request, READ)
    return await _listing(request, _v1_filter(request.query_params))


async def index_v2(request: Request) -> Response:
    await admin(request, READ)
    values = await params(request)
    for key in ("origin", "status"):
        if key in values and isinstance(values[key], list):
            values[key] = values[key][0]
    return await _listing(request, _v2_filter(values))


async def show(request: Request) -> Response:
    await admin(request, READ)
    services = services_of(request)
    return json(admin_account(services.ctx, await services.admin.account(path_id(request))))


async def action(request: Request) -> Response:
    caller = await admin(request, WRITE)
    values = await params(request)
    await services_of(request).admin.act_on_account(
        caller,
        path_id(request),
        text_param(values, "type", "none") or "none",
        report_id=id_param(values.get("report_id"), "report_id"),
        text=text_param(values, "text"),
        warning_preset_id=text_param(values, "warning_preset_id") or None,
    )
    return json({})


def _undoing(what: str) -> Any:
    async def route(request: Request) -> Response:
        caller = await admin(request, WRITE)
        services = services_of(request)
        if what == "enable":
            view = await services.admin.enable(caller, path_id(request))
        elif what == "approve":
            view = await services.admin.approve(caller, path_id(request))
        else:
            view = await services.admin.undo(caller, path_id(request), what)
        return json(admin_account(services.ctx, view))

    return route


async def reject(request: Request) -> Response:
    caller = await admin(request, WRITE)
    await services_of(request).admin.reject(caller, path_id(request))
    return json({})


async def destroy(request: Request) -> Response:
    caller = await admin(request, WRITE)
    await services_of(request).admin.delete_account(caller, path_id(request))
    return json({})


routes = [
    Route("/api/v1/admin/accounts", index_v1, methods=["GET"]),
    Route("/api/v2/admin/accounts", index_v2, methods=["GET"]),
    Route("/api/v1/admin/accounts/{id}", show, methods=["GET"]),
    Route("/api/v1/admin/accounts/{id}", destroy, methods=["DELETE"]),
    Route("/api/v1/admin/accounts/{id}/action", action, methods=["POST"]),
    Route("/api/v1/admin/accounts/{id}/enable", _undoing("enable"), methods=["POST"]),
    Route("/api/v1/admin/accounts/{id}/approve", _undoing("approve"), methods=["POST"]),
    Route("/api/v1/admin/accounts/{id}/reject", reject, methods=["POST"]),
    Route("/api/v1/admin/accounts/{id}/unsilence", _undoing("unsilence"), methods=["POST"]),
    Route("/api/v1/admin/accounts/{id}/unsuspend", _undoing("unsuspend"), methods=["POST"]),
    Route("/api/v1/admin/accounts/{id}/unsensitive", _undoing("unsensitive"), methods=["POST"]),
]
