"""Media uploads: `POST /api/v2/media` (and v1), then read or describe them before they are
attached with `media_ids` when posting. Images, video and audio (with an optional
`thumbnail` image as their preview, on upload or by `PUT`), and documents and audio under a
licence (the `license` form field, a Bocage extension); a HEIC's original is downloaded by
its owner from `/api/v1/media/{id}/original` (another). The pipeline (policy, processing,
storage) is `MediaService`'s, the same one avatars and headers go through.

Video is processed before the answer (core/media/audiovisual.py), so the answer is 200 with
the file's `url`, as Mastodon answers an upload it processed at once (never 202 with `url:
null`), and `GET /api/v1/media/:id` is 200, never 206."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bocage.core.media import media
from bocage.core.media.audiovisual import UploadLimits
from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import json, params, services_of, text_param


async def upload(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:media")
    services = services_of(request)
    settings = services.ctx.settings
    largest = UploadLimits.of(settings).largest
    values = await params(
        request, max_bytes=media.upload_body_limit(largest + settings.max_upload_bytes)
    )
    file = values.get("file")
    if not isinstance(file, UploadFile):
        raise InvalidInput("Validation failed: File can't be blank")
    row = await services.media.upload(
        caller,
        await file.read(),
        text_param(values, "description"),
        text_param(values, "focus") or None,
        text_param(values, "license") or None,
        file.filename,
        await _thumbnail(values),
    )
    return json(entities.media_attachment(services.ctx, row))


async def _thumbnail(values: dict[str, object]) -> bytes | None:
    """The `thumbnail` file sent, if any (a video's or a sound's own preview)."""
    sent = values.get("thumbnail")
    if isinstance(sent, UploadFile):
        return await sent.read() or None
    if sent not in (None, ""):
        raise InvalidInput("thumbnail must be an image file.")
    return None


async def original(request: Request) -> Response:
    _grant, caller = await require_user(request, "read")
    service = services_of(request).media
    found = await service.original(caller, request.path_params["id"])
    return StreamingResponse(
        service.read(found.key, 0, found.size),
        media_type=found.content_type,
        headers={
            "content-length": str(found.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private",
        },
    )


async def show(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:media")
    services = services_of(request)
    row = await services.media.own(caller, request.path_params["id"])
    return json(entities.media_attachment(services.ctx, row))


async def describe(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:media")
    services = services_of(request)
    limit = media.upload_body_limit(services.ctx.settings.max_upload_bytes)
    values = await params(request, max_bytes=limit)
    description = values.get("description")
    row = await services.media.describe(
        caller,
        request.path_params["id"],
        str(description) if description is not None else None,
        text_param(values, "focus") or None,
        await _thumbnail(values),
    )
    return json(entities.media_attachment(services.ctx, row))


routes = [
    Route("/api/v2/media", upload, methods=["POST"]),
    Route("/api/v1/media", upload, methods=["POST"]),
    Route("/api/v1/media/{id:id}", show, methods=["GET"]),
    Route("/api/v1/media/{id:id}", describe, methods=["PUT"]),
    Route("/api/v1/media/{id:id}/original", original, methods=["GET"]),
]
