"""Media uploads (images): `POST /api/v2/media` (and v1), then read or describe them before
they are attached with `media_ids` when posting."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.adapters import images
from bocage.adapters.storage import LocalStorage
from bocage.core.media import media
from bocage.kernel.context import Context
from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import json, node_of, params, text_param
from bocage.store.models import Account


async def upload(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:media")
    node = node_of(request)
    values = await params(request, max_bytes=node.settings.max_upload_bytes + 65536)
    file = values.get("file")
    if not isinstance(file, UploadFile):
        raise InvalidInput("Validation failed: File can't be blank")
    processed = await images.process_async(await file.read(), media.MAX_DIMENSIONS, crop=False)
    key = LocalStorage(node.settings.media_dir).put(processed.data, processed.extension)
    stored = (key, processed.content_type, len(processed.data), processed.width, processed.height)

    def record(session: Session, ctx: Context) -> dict[str, Any]:
        me = session.get(Account, caller.id)
        assert me is not None
        row = media.record_upload(
            session,
            me,
            stored,
            text_param(values, "description"),
            text_param(values, "focus") or None,
        )
        session.flush()
        return entities.media_attachment(ctx, row)

    return json(await node.db.write(record, node.ctx))


async def show(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:media")
    node = node_of(request)
    media_id = request.path_params["id"]

    def load(session: Session, ctx: Context) -> dict[str, Any]:
        me = session.get(Account, caller.id)
        assert me is not None
        return entities.media_attachment(ctx, media.own_upload(session, me, media_id))

    return json(await node.db.read(load, node.ctx))


async def describe(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:media")
    node = node_of(request)
    values = await params(request)
    media_id = request.path_params["id"]

    def apply(session: Session, ctx: Context) -> dict[str, Any]:
        me = session.get(Account, caller.id)
        assert me is not None
        description = values.get("description")
        row = media.update(
            session,
            me,
            media_id,
            str(description) if description is not None else None,
            text_param(values, "focus") or None,
        )
        return entities.media_attachment(ctx, row)

    return json(await node.db.write(apply, node.ctx))


routes = [
    Route("/api/v2/media", upload, methods=["POST"]),
    Route("/api/v1/media", upload, methods=["POST"]),
    Route("/api/v1/media/{id:id}", show, methods=["GET"]),
    Route("/api/v1/media/{id:id}", describe, methods=["PUT"]),
]
