"""Finding people: the profile directory (accounts that chose to be listed) and follow
suggestions (v1: accounts; v2: with why each is suggested), and dismissing a suggestion."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import optional, require_user
from bocage.mastodon_api.http import bool_param, count_param, json, params, services_of

PAGE, MAX_PAGE = 40, 80  # Mastodon's DEFAULT_ACCOUNTS_LIMIT, and its ceiling
ORDERS = ("active", "new")
# Mastodon's v2 `source` (deprecated, still sent) for each of its `sources`.
SOURCE_OF = {"friends_of_friends": "past_interactions", "most_followed": "global"}


async def directory(request: Request) -> Response:
    """`order` "active" (latest post first, the default) or "new"; `local=true`: this
    node's accounts only; `offset`/`limit`. Anyone may read it, as on Mastodon."""
    grant = await optional(request, "read:accounts")
    viewer = grant.account if grant is not None and grant.account else None
    values = await params(request)
    order = str(values.get("order") or "active")
    if order not in ORDERS:
        raise InvalidInput(f"Validation failed: order must be active or new, not {order[:40]!r}")
    services = services_of(request)
    found = await services.graph.directory(
        viewer,
        order=order,
        local_only=bool_param(values, "local"),
        offset=count_param(values.get("offset"), "offset") or 0,
        limit=count_param(values.get("limit"), "limit", MAX_PAGE) or PAGE,
    )
    return json([entities.account(services.ctx, account) for account in found])


async def suggestions_v1(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:accounts")
    services = services_of(request)
    found = await services.graph.suggestions(caller, await _limit(request))
    return json([entities.account(services.ctx, s.account) for s in found])


async def suggestions_v2(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:accounts")
    services = services_of(request)
    found = await services.graph.suggestions(caller, await _limit(request))
    return json(
        [
            {
                "source": SOURCE_OF[s.sources[0]],
                "sources": list(s.sources),
                "account": entities.account(services.ctx, s.account),
            }
            for s in found
        ]
    )


async def _limit(request: Request) -> int:
    return count_param((await params(request)).get("limit"), "limit", MAX_PAGE) or PAGE


async def dismiss(request: Request) -> Response:
    """Never suggest that account again: an empty object, as Mastodon answers."""
    _grant, caller = await require_user(request, "write:accounts")
    await services_of(request).graph.dismiss_suggestion(caller, request.path_params["id"])
    return json({})


routes = [
    Route("/api/v1/directory", directory, methods=["GET"]),
    Route("/api/v1/suggestions", suggestions_v1, methods=["GET"]),
    Route("/api/v2/suggestions", suggestions_v2, methods=["GET"]),
    Route("/api/v1/suggestions/{id:id}", dismiss, methods=["DELETE"]),
]
