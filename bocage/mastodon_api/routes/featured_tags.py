"""Featured hashtags: the caller's (list, feature, unfeature, suggestions) and any account's."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import ApiError, require_user
from bocage.mastodon_api.http import json, params, services_of, text_param, validation


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:accounts")
    services = services_of(request)
    found = await services.accounts.featured_tags(caller)
    return json([entities.featured_tag(services.ctx, tag, caller.username) for tag in found])


async def create(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:accounts")
    name = text_param(await params(request), "name").strip()
    if not name:
        raise ApiError("param is missing or the value is empty: name", 400)
    services = services_of(request)
    with validation():
        tag = await services.accounts.feature_tag(caller, name)
    return json(entities.featured_tag(services.ctx, tag, caller.username))


async def delete(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:accounts")
    await services_of(request).accounts.unfeature_tag(caller, request.path_params["id"])
    return json({})


async def suggestions(request: Request) -> Response:
    """The caller's most used hashtags (in their latest posts) not featured yet, as Tags."""
    _grant, caller = await require_user(request, "read:accounts")
    services = services_of(request)
    names = await services.accounts.tag_suggestions(caller)
    return json([entities.tag(services.ctx, name) for name in names])


async def of_account(request: Request) -> Response:
    services = services_of(request)
    account, found = await services.accounts.featured_tags_of(request.path_params["id"])
    return json([entities.featured_tag(services.ctx, tag, account.username) for tag in found])


routes = [
    Route("/api/v1/featured_tags", index, methods=["GET"]),
    Route("/api/v1/featured_tags", create, methods=["POST"]),
    Route("/api/v1/featured_tags/suggestions", suggestions, methods=["GET"]),
    Route("/api/v1/featured_tags/{id:id}", delete, methods=["DELETE"]),
    Route("/api/v1/accounts/{id:id}/featured_tags", of_account, methods=["GET"]),
]
