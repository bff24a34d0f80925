"""/media/{key}: the node's stored files (uploads, previews, avatars, cached remote media),
for browsers, apps and other servers alike, through MediaService, answered as
federation/files.py says (ETag, immutable caching, ranges, types, streamed bytes).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.federation.files import IMMUTABLE, PROXIED, served
from bocage.web.auth import services_of


async def media_file(request: Request) -> Response:
    stored = await services_of(request).media.stored(request.path_params["key"])
    return await served(request, stored, IMMUTABLE)


async def remote_media(request: Request) -> Response:
    """Another server's file, from the cache here (fetched first when it is not, or no
    longer, cached: Mastodon's media proxy). Its address names a row, not bytes: not
    immutable, but a day is long enough for a file whose server keeps it."""
    preview = request.url.path.endswith("/preview")
    services = services_of(request)
    stored = await services.remote_media.serve(request.path_params["media_id"], preview=preview)
    return await served(request, stored, PROXIED)


routes = [
    Route("/media/remote/{media_id:id}", remote_media, methods=["GET"]),
    Route("/media/remote/{media_id:id}/preview", remote_media, methods=["GET"]),
    Route("/media/{key:path}", media_file, methods=["GET"]),
]
