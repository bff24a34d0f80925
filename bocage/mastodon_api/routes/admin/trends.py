"""Admin trends (docs.joinmastodon.org/methods/admin/trends): every trending hashtag, post and
link with the moderators' verdicts, and approving or rejecting one (a rejected one is no
longer shown in `/api/v1/trends`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.mastodon_api import entities, views
from bocage.mastodon_api.admin_entities import admin_tag
from bocage.mastodon_api.http import count_param, json, services_of
from bocage.mastodon_api.routes.admin.common import admin, path_id

READ, WRITE = "admin:read", "admin:write"


async def tags(request: Request) -> Response:
    await admin(request, READ)
    limit = count_param(request.query_params.get("limit"), "limit", 20) or 10
    services = services_of(request)
    found = await services.admin.trending_tags(limit)
    return json(
        [
            admin_tag(
                services.ctx, one.trend.name, one.trend.history, one.trendable, one.requires_review
            )
            for one in found
        ]
    )


async def statuses(request: Request) -> Response:
    caller = await admin(request, READ)
    limit = count_param(request.query_params.get("limit"), "limit", 40) or 20
    services = services_of(request)
    found = services.admin.trending_posts(caller, limit)
    return json(await found.present(views.page_of(services.ctx, caller, "public")))


async def links(request: Request) -> Response:
    await admin(request, READ)
    limit = count_param(request.query_params.get("limit"), "limit", 20) or 10
    services = services_of(request)
    found = await services.admin.trending_links(limit)
    return json([_admin_link(services.ctx, one) for one in found])


def _admin_link(ctx: Any, one: Any) -> dict[str, Any]:
    """Mastodon's Admin::Trends::Link: the trending link's PreviewCard, with its id and the
    moderators' verdict."""
    return {
        **entities.preview_card(ctx, one.shown, history=one.trend.history),
        "id": str(one.trend.card.id),
        "trendable": one.trendable,
        "requires_review": one.requires_review,
    }


def _tag_review(trendable: bool) -> Any:
    async def route(request: Request) -> Response:
        caller = await admin(request, WRITE)
        services = services_of(request)
        one = await services.admin.review_tag(caller, request.path_params["id"], trendable)
        return json(
            admin_tag(services.ctx, one.trend.name, one.trend.history, one.trendable, False)
        )

    return route


def _post_review(trendable: bool) -> Any:
    async def route(request: Request) -> Response:
        caller = await admin(request, WRITE)
        services = services_of(request)
        post_id = path_id(request)
        await services.admin.review_post(caller, post_id, trendable)
        answer = await services.admin.post(caller, post_id).present(
            views.one_of(services.ctx, caller)
        )
        return json(answer)

    return route


def _link_review(trendable: bool) -> Any:
    async def route(request: Request) -> Response:
        caller = await admin(request, WRITE)
        services = services_of(request)
        one = await services.admin.review_link(caller, path_id(request), trendable)
        return json(_admin_link(services.ctx, one))

    return route


routes = [
    Route("/api/v1/admin/trends/tags", tags, methods=["GET"]),
    Route("/api/v1/admin/trends/statuses", statuses, methods=["GET"]),
    Route("/api/v1/admin/trends/links", links, methods=["GET"]),
    Route("/api/v1/admin/trends/tags/{id}/approve", _tag_review(True), methods=["POST"]),
    Route("/api/v1/admin/trends/tags/{id}/reject", _tag_review(False), methods=["POST"]),
    Route("/api/v1/admin/trends/statuses/{id}/approve", _post_review(True), methods=["POST"]),
    Route("/api/v1/admin/trends/statuses/{id}/reject", _post_review(False), methods=["POST"]),
    Route("/api/v1/admin/trends/links/{id}/approve", _link_review(True), methods=["POST"]),
    Route("/api/v1/admin/trends/links/{id}/reject", _link_review(False), methods=["POST"]),
]
