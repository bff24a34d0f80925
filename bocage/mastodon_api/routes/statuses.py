"""Statuses: post, read, delete (and the replies thread, `context`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core import posts, timelines
from bocage.core.context import Context
from bocage.core.errors import InvalidInput, NotFound
from bocage.core.visibility import VISIBILITIES
from bocage.mastodon_api import views
from bocage.mastodon_api.auth import grant_of, require_user
from bocage.mastodon_api.http import id_param, json, node_of, params, text_param
from bocage.store.models import Account


async def create(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:statuses")
    values = await params(request)
    visibility = text_param(values, "visibility", "public") or "public"
    if visibility not in VISIBILITIES:
        raise InvalidInput(f"Validation failed: Visibility is not one of {', '.join(VISIBILITIES)}")
    if values.get("media_ids"):
        raise InvalidInput("Validation failed: media attachments are not supported yet")
    draft = posts.PostDraft(
        text=text_param(values, "status"),
        spoiler_text=text_param(values, "spoiler_text"),
        visibility=visibility,
        in_reply_to_id=id_param(values.get("in_reply_to_id"), "in_reply_to_id"),
        language=text_param(values, "language") or None,
    )
    node = node_of(request)
    if "@" in draft.text:
        await node.federation.resolver.learn_mentions(draft.text)

    def publish(session: Session, ctx: Context) -> int:
        author = session.get(Account, caller.id)
        assert author is not None
        return posts.publish(session, ctx, author, draft).id

    post_id = await node.db.write(publish, node.ctx)
    node.jobs_committed()
    return json(await node.db.read(_one, node.ctx, caller, post_id))


def _one(session: Session, ctx: Context, viewer: Account | None, post_id: int | None) -> Any:
    try:
        post = posts.get_visible(session, viewer.id if viewer else None, post_id or 0)
    except NotFound:
        raise NotFound("Record not found") from None
    return views.statuses(session, ctx, timelines.hydrate(session, viewer, [post.id]))[0]


async def show(request: Request) -> Response:
    grant = await grant_of(request)
    node = node_of(request)
    post_id = id_param(request.path_params["id"], "id")
    viewer = grant.account if grant else None
    return json(await node.db.read(_one, node.ctx, viewer, post_id))


async def delete(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:statuses")
    node = node_of(request)
    post_id = id_param(request.path_params["id"], "id")
    shown = await node.db.read(_one, node.ctx, caller, post_id)
    if shown["account"]["id"] != str(caller.id):
        raise NotFound("Record not found")  # Mastodon does not say whose it is

    def remove(session: Session, ctx: Context) -> None:
        author = session.get(Account, caller.id)
        assert author is not None
        posts.delete_post(session, ctx, author, post_id or 0)

    await node.db.write(remove, node.ctx)
    node.jobs_committed()
    return json({**shown, "text": shown.get("text") or ""})


routes = [
    Route("/api/v1/statuses", create, methods=["POST"]),
    Route("/api/v1/statuses/{id}", show, methods=["GET"]),
    Route("/api/v1/statuses/{id}", delete, methods=["DELETE"]),
]
