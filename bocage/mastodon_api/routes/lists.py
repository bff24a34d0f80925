"""Lists (docs.joinmastodon.org/methods/lists): the caller's lists, their members, the lists
that hold an account, and a list's timeline (`/api/v1/timelines/list/:id`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.graph import lists
from bocage.kernel import numbers
from bocage.kernel.errors import NotFound
from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import (
    bool_param,
    count_param,
    id_param,
    json,
    link_header,
    page_of,
    params,
    services_of,
    text_param,
)

MEMBERS_LIMIT, MEMBERS_MAX = 40, 80


def _account_ids(values: dict[str, Any]) -> list[int]:
    """`account_ids[]=1&account_ids[]=2` or `{"account_ids": ["1", "2"]}` (one id alone too);
    an id that is not one names no account."""
    given = values.get("account_ids", [])
    ids = [numbers.parse_id(value) for value in (given if isinstance(given, list) else [given])]
    if None in ids:
        raise NotFound(lists.NOT_FOUND)
    return [found for found in ids if found is not None]


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:lists")
    found = await services_of(request).lists.of_owner(caller)
    return json([entities.user_list(row) for row in found])


async def create(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:lists")
    values = await params(request)
    title = text_param(values, "title")
    policy = text_param(values, "replies_policy", "list") or "list"
    exclusive = bool_param(values, "exclusive")
    row = await services_of(request).lists.create(caller, title, policy, exclusive)
    return json(entities.user_list(row))


async def show(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:lists")
    row = await services_of(request).lists.get(caller, request.path_params["id"])
    return json(entities.user_list(row))


async def update(request: Request) -> Response:
    """What is not sent stays as it is."""
    _grant, caller = await require_user(request, "write:lists")
    list_id = request.path_params["id"]
    values = await params(request)
    row = await services_of(request).lists.update(
        caller,
        list_id,
        title=text_param(values, "title") if "title" in values else None,
        replies_policy=text_param(values, "replies_policy") if "replies_policy" in values else None,
        exclusive=bool_param(values, "exclusive") if "exclusive" in values else None,
    )
    return json(entities.user_list(row))


async def delete(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:lists")
    await services_of(request).lists.delete(caller, request.path_params["id"])
    return json({})


async def members(request: Request) -> Response:
    """Paged by account id, newest first, with Link headers; `limit=0`: all, unpaged."""
    _grant, caller = await require_user(request, "read:lists")
    list_id = request.path_params["id"]
    services = services_of(request)
    query = request.query_params
    limit = count_param(query.get("limit"), "limit", MEMBERS_MAX)
    unpaged = limit == 0
    limit = None if unpaged else limit or MEMBERS_LIMIT
    max_id = id_param(query.get("max_id"), "max_id")
    min_id = id_param(query.get("min_id") or query.get("since_id"), "min_id")
    found = await services.lists.members(caller, list_id, max_id=max_id, min_id=min_id, limit=limit)
    answer = [entities.account(services.ctx, account) for account in found]
    headers = {} if unpaged else link_header(request, [int(a["id"]) for a in answer])
    return json(answer, headers=headers)


def _change_members(add: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, "write:lists")
        list_id = request.path_params["id"]
        account_ids = _account_ids(await params(request))
        service = services_of(request).lists
        change = service.add_members if add else service.remove_members
        await change(caller, list_id, account_ids)
        return json({})

    return endpoint


async def account_lists(request: Request) -> Response:
    """The caller's lists that hold the account."""
    _grant, caller = await require_user(request, "read:lists")
    found = await services_of(request).lists.holding(caller, request.path_params["id"])
    return json([entities.user_list(row) for row in found])


async def timeline(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:lists")
    services = services_of(request)
    found = services.timelines.list_timeline(
        caller, request.path_params["list_id"], page_of(request)
    )
    # Filters: home and lists.
    answer = await found.present(views.page_of(services.ctx, caller, "home"))
    return json(answer, headers=link_header(request, views.page_ids(answer)))


routes = [
    Route("/api/v1/lists", index, methods=["GET"]),
    Route("/api/v1/lists", create, methods=["POST"]),
    Route("/api/v1/lists/{id:id}", show, methods=["GET"]),
    Route("/api/v1/lists/{id:id}", update, methods=["PUT"]),
    Route("/api/v1/lists/{id:id}", delete, methods=["DELETE"]),
    Route("/api/v1/lists/{id:id}/accounts", members, methods=["GET"]),
    Route("/api/v1/lists/{id:id}/accounts", _change_members(add=True), methods=["POST"]),
    Route("/api/v1/lists/{id:id}/accounts", _change_members(add=False), methods=["DELETE"]),
    Route("/api/v1/accounts/{id:id}/lists", account_lists, methods=["GET"]),
    Route("/api/v1/timelines/list/{list_id:id}", timeline, methods=["GET"]),
]
