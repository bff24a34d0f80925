"""Translation, answered as a Mastodon server without a translation service answers (a node
has none: no text leaves it for a translation provider). `/api/v2/instance` says
`configuration.translation.enabled: false`; `GET /api/v1/instance/translation_languages` is
an empty object; `POST /api/v1/statuses/:id/translate` is a 404 for a post the caller may
not see, and otherwise a 403 "This action is not allowed", as Mastodon's
TranslateStatusService refuses when no service is configured."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.kernel.errors import NotFound
from bocage.mastodon_api.auth import ApiError, require_user
from bocage.mastodon_api.http import json, services_of


async def languages(_request: Request) -> Response:
    return json({})


async def translate(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:statuses")
    try:
        await services_of(request).posts.visible(caller, request.path_params["id"])
    except NotFound:
        raise NotFound("Record not found") from None
    raise ApiError("This action is not allowed", 403)


routes = [
    Route("/api/v1/instance/translation_languages", languages, methods=["GET"]),
    Route("/api/v1/statuses/{id:id}/translate", translate, methods=["POST"]),
]
