"""Quote posts (Mastodon 4.5): who quoted a post, a quote revoked by the quoted author, and
who may quote a post (`PUT /api/v1/statuses/:id/interaction_policy`). Quoting is a parameter
of posting (`quoted_status_id`, `quote_approval_policy`: routes/statuses.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.quotes.policy import Choice
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.mastodon_api import views
from bocage.mastodon_api.auth import optional, require_user
from bocage.mastodon_api.http import (
    count_param,
    id_param,
    json,
    link_header,
    params,
    services_of,
    text_param,
)
from bocage.services import Services
from bocage.services.quotes import QuotesPage
from bocage.services.reader import Reader
from bocage.store.models import Account

DEFAULT_LIMIT, MAX_LIMIT = 20, 40  # Mastodon's DEFAULT_STATUSES_LIMIT and its cap


async def _status(services: Services, viewer: Account, post_id: int) -> dict[str, Any]:
    try:
        return await services.posts.seen(viewer, post_id).present(
            views.one_of(services.ctx, viewer)
        )
    except NotFound:
        raise NotFound("Record not found") from None


async def index(request: Request) -> Response:
    """`GET /api/v1/statuses/:id/quotes`: the accepted quotes of a post, newest first, paged
    by quote (`max_id`, `since_id`), those the caller may not see left out."""
    grant = await optional(request, "read:statuses")
    viewer = grant.account if grant else None
    query = request.query_params
    limit = count_param(query.get("limit"), "limit", MAX_LIMIT) or DEFAULT_LIMIT
    since = id_param(query.get("since_id") or query.get("min_id"), "since_id")
    services = services_of(request)
    page = views.page_of(services.ctx, viewer, "thread", keep_hidden=True)

    def present(reader: Reader, found: QuotesPage) -> tuple[list[dict[str, Any]], list[int]]:
        return page(reader, found.views), found.quote_ids

    try:
        shown, quote_ids = await services.quotes.of_post(
            viewer,
            request.path_params["id"],
            max_id=id_param(query.get("max_id"), "max_id"),
            since_id=since,
            limit=limit,
        ).present(present)
    except NotFound:
        raise NotFound("Record not found") from None
    return json(list(shown), headers=link_header(request, quote_ids))


async def revoke(request: Request) -> Response:
    """`POST /api/v1/statuses/:id/quotes/:quoting_status_id/revoke`: the author of `:id`
    takes back their consent; the quoting Status is answered."""
    _grant, caller = await require_user(request, "write:statuses")
    services = services_of(request)
    try:
        quoting_id = await services.quotes.revoke(
            caller, request.path_params["id"], request.path_params["quoting_status_id"]
        )
    except NotFound:
        raise NotFound("Record not found") from None
    return json(await _status(services, caller, quoting_id))


async def interaction_policy(request: Request) -> Response:
    """`PUT /api/v1/statuses/:id/interaction_policy` with `quote_approval_policy`."""
    _grant, caller = await require_user(request, "write:statuses")
    values = await params(request)
    given = text_param(values, "quote_approval_policy")
    if not given:
        raise InvalidInput("Validation failed: quote_approval_policy can't be blank")
    services = services_of(request)
    post_id = request.path_params["id"]
    await _status(services, caller, post_id)  # one the caller may not see is a 404
    await services.quotes.set_policy(caller, post_id, Choice.parse(given))
    return json(await _status(services, caller, post_id))


routes = [
    Route("/api/v1/statuses/{id:id}/quotes", index, methods=["GET"]),
    Route(
        "/api/v1/statuses/{id:id}/quotes/{quoting_status_id:id}/revoke",
        revoke,
        methods=["POST"],
    ),
    Route("/api/v1/statuses/{id:id}/interaction_policy", interaction_policy, methods=["PUT"]),
]
