"""The notification policy (v2: `accept`, `filter` or `drop` per case; v1: filtered or not)
and the notification requests holding what it filtered: list, one, accept, dismiss (one or
several), and whether accepted ones are merged (at once, here)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.notifications.policy import FIELDS
from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import (
    bool_param,
    count_param,
    id_list,
    id_param,
    json,
    link_header,
    params,
    services_of,
)
from bocage.services.reader import Reader
from bocage.store.models import Account, NotificationRequest

V1_FIELDS = {
    "filter_not_following": "for_not_following",
    "filter_not_followers": "for_not_followers",
    "filter_new_accounts": "for_new_accounts",
    "filter_private_mentions": "for_private_mentions",
}


async def policy_v2(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    found = await services_of(request).notifications.policy(caller)
    return json(entities.notification_policy_v2(found))


async def update_policy_v2(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    given = await params(request)
    changes = {name: str(given[name]) for name in FIELDS if given.get(name) not in (None, "")}
    found = await services_of(request).notifications.update_policy(caller, changes)
    return json(entities.notification_policy_v2(found))


async def policy_v1(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    found = await services_of(request).notifications.policy(caller)
    return json(entities.notification_policy_v1(found))


async def update_policy_v1(request: Request) -> Response:
    """The v1 booleans: true filters that case, false accepts it."""
    _grant, caller = await require_user(request, "write:notifications")
    given = await params(request)
    changes = {
        ours: "filter" if bool_param(given, theirs) else "accept"
        for theirs, ours in V1_FIELDS.items()
        if given.get(theirs) not in (None, "")
    }
    found = await services_of(request).notifications.update_policy(caller, changes)
    return json(entities.notification_policy_v1(found))


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    services, query = services_of(request), request.query_params
    found = services.notifications.requests(
        caller,
        limit=count_param(query.get("limit"), "limit", 80) or 40,
        max_id=id_param(query.get("max_id"), "max_id"),
        since_id=id_param(query.get("since_id"), "since_id"),
        min_id=id_param(query.get("min_id"), "min_id"),
    )

    def present(
        reader: Reader, rows: list[NotificationRequest]
    ) -> tuple[list[dict[str, Any]], list[int]]:
        return [_request(reader, request, caller, row) for row in rows], [row.id for row in rows]

    answer, ids = await found.present(present)
    return json(answer, headers=link_header(request, ids))


async def show(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    found = services_of(request).notifications.request(caller, request.path_params["id"])
    return json(await found.present(lambda reader, row: _request(reader, request, caller, row)))


async def accept(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    notifications = services_of(request).notifications
    await notifications.accept_requests(caller, [request.path_params["id"]], one_only=True)
    return json({})


async def dismiss(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    notifications = services_of(request).notifications
    await notifications.dismiss_requests(caller, [request.path_params["id"]], one_only=True)
    return json({})


def _ids(given: dict[str, Any]) -> list[int]:
    """`id[]=1&id[]=2`; also `id[][]=1`, as Mastodon.py 2.3.3 sends them."""
    return list(dict.fromkeys(id_list(given, "id") + id_list(given, "id[]")))


async def accept_many(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    ids = _ids(await params(request))
    await services_of(request).notifications.accept_requests(caller, ids)
    return json({})


async def dismiss_many(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    ids = _ids(await params(request))
    await services_of(request).notifications.dismiss_requests(caller, ids)
    return json({})


async def merged(request: Request) -> Response:
    """Mastodon merges accepted requests in the background and says when it is done;
    here accepting merges them before it answers."""
    await require_user(request, "read:notifications")
    return json({"merged": True})


def _request(
    reader: Reader, request: Request, viewer: Account, row: NotificationRequest
) -> dict[str, Any]:
    ctx = services_of(request).ctx
    sender = reader.get(Account, row.from_account_id)
    assert sender is not None  # requests cascade-delete with their sender
    last = None
    if row.last_status_id:
        found = reader.hydrate(viewer, [row.last_status_id])
        shown = views.statuses(reader, ctx, found, viewer, "notifications", keep_hidden=True)
        last = shown[0] if shown else None
    return entities.notification_request(row, entities.account(ctx, sender), last)


routes = [
    Route("/api/v2/notifications/policy", policy_v2, methods=["GET"]),
    Route("/api/v2/notifications/policy", update_policy_v2, methods=["PATCH"]),
    Route("/api/v1/notifications/policy", policy_v1, methods=["GET"]),
    Route("/api/v1/notifications/policy", update_policy_v1, methods=["PATCH"]),
    Route("/api/v1/notifications/requests", index, methods=["GET"]),
    Route("/api/v1/notifications/requests/merged", merged, methods=["GET"]),
    Route("/api/v1/notifications/requests/accept", accept_many, methods=["POST"]),
    Route("/api/v1/notifications/requests/dismiss", dismiss_many, methods=["POST"]),
    Route("/api/v1/notifications/requests/{id:id}", show, methods=["GET"]),
    Route("/api/v1/notifications/requests/{id:id}/accept", accept, methods=["POST"]),
    Route("/api/v1/notifications/requests/{id:id}/dismiss", dismiss, methods=["POST"]),
]
