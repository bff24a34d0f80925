"""`GET /api/openapi.json`: the OpenAPI description of the Mastodon client API as this node
serves it (made by bocage/mastodon_api/openapi.py), public, with an ETag.

What the node claims of itself (the Mastodon release and `api_versions`, the OAuth grant
types and scopes) is read from its own answers to `/api/v2/instance` and
`/.well-known/oauth-authorization-server`, through the route table: the description can
never say otherwise than those answers. The description is made once per process for a given
set of claims (and kept, with its ETag)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bocage import __version__
from bocage.mastodon_api import openapi
from bocage.mastodon_api.http import services_of

CACHE_CONTROL = "public, max-age=300"


# The description and its ETag, by router (its route table is fixed; routers are not
# hashable: kept by id with the router itself) and claims.
_made: dict[int, tuple[object, dict[openapi.Claims, tuple[bytes, str]]]] = {}


def _rendered(router: object, claims: openapi.Claims) -> tuple[bytes, str]:
    kept = _made.get(id(router))
    if kept is None or kept[0] is not router:
        kept = _made[id(router)] = (router, {})
    made = kept[1]
    if claims not in made:
        body = orjson.dumps(openapi.describe(_routes(router), claims))
        made.clear()  # a claim changed (the release the node names): the old one is stale
        made[claims] = body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    return made[claims]


def _router(request: Request) -> object:
    """The app's router (it puts itself in the scope), whose route table is the whole app's."""
    return request.scope.get("router", request.app)


def _routes(router: object) -> Sequence[BaseRoute]:
    found: Sequence[BaseRoute] = getattr(router, "routes", ())
    return found


async def _answer(request: Request, routes: Sequence[BaseRoute], path: str) -> dict[str, Any]:
    """The node's own JSON answer to `GET path` (the route's endpoint, called directly)."""
    for route in routes:
        if isinstance(route, Route) and route.path == path and "GET" in (route.methods or ()):
            response = await route.endpoint(request)
            answer: dict[str, Any] = orjson.loads(response.body)
            return answer
    return {}


async def _claims(request: Request, routes: Sequence[BaseRoute]) -> openapi.Claims:
    instance = await _answer(request, routes, "/api/v2/instance")
    metadata = await _answer(request, routes, "/.well-known/oauth-authorization-server")
    version = str(instance.get("version", "")).split(" ", 1)[0]
    return openapi.Claims(
        base_url=services_of(request).ctx.urls.base,
        bocage_version=__version__,
        mastodon_version=version,
        api_versions=tuple(
            sorted((str(k), int(v)) for k, v in instance.get("api_versions", {}).items())
        ),
        grant_types=tuple(metadata.get("grant_types_supported", ())),
        scopes=tuple(metadata.get("scopes_supported", ())),
    )


async def description(request: Request) -> Response:
    router = _router(request)
    body, etag = _rendered(router, await _claims(request, _routes(router)))
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    wanted = {
        tag.strip().removeprefix("W/")
        for tag in request.headers.get("if-none-match", "").split(",")
    }
    if etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


routes = [Route("/api/openapi.json", description, methods=["GET"])]
