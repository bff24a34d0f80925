"""Actors, objects and collections served at their ids, content-negotiated: servers asking
for ActivityStreams JSON get it; browsers are sent to the matching web page."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bocage.activitypub import actors
from bocage.activitypub.responses import (
    ACTIVITY_STREAMS,
    activity_response,
    error,
    node_of,
    wants_activity,
)
from bocage.core import accounts, actor_document, authoring, instance, moves, posts
from bocage.core.errors import NotFound
from bocage.store.models import Account


async def _local_account(request: Request) -> Account | Response:
    """The account named in the path, or the error response to give instead."""
    try:
        account = await node_of(request).db.read(
            accounts.by_username, request.path_params["username"]
        )
    except NotFound as missing:
        return error(missing.message, 404)
    if account.suspended:
        return error("This account is suspended.", 410)
    return account


async def actor(request: Request) -> Response:
    if not wants_activity(request):
        return RedirectResponse(f"/@{request.path_params['username']}", status_code=302)
    account = await _local_account(request)
    if isinstance(account, Response):
        return account
    node = node_of(request)
    moved_to = await node.db.read(moves.new_home, account)
    return activity_response(actor_document.person(node.ctx.urls, account, moved_to))


async def instance_actor(request: Request) -> Response:
    if not wants_activity(request):
        return RedirectResponse("/about", status_code=302)
    node = node_of(request)
    key = await node.db.read(instance.instance_key) or await node.db.write(
        instance.make_instance_key
    )
    return activity_response(actors.instance_actor(node.ctx.urls, key.public_pem))


async def status(request: Request) -> Response:
    """A post, as the signed Note its author published (latest version)."""
    username, post_id = request.path_params["username"], request.path_params["post_id"]
    if not wants_activity(request):
        return RedirectResponse(f"/@{username}/{post_id}", status_code=302)
    node = node_of(request)
    document = await node.db.read(_public_note, username, post_id)
    if document is None:
        return error("There is no such post here, or it is not public.", 404)
    return activity_response({"@context": ACTIVITY_STREAMS, **document})


def _public_note(session: Session, username: str, post_id: int) -> dict[str, Any] | None:
    # Served as to an anonymous viewer (core.visibility: public and unlisted posts of
    # unsuspended authors); followers-only and direct posts wait for authorized fetch.
    try:
        post = posts.get_visible(session, None, post_id)
    except NotFound:
        return None
    author = session.get(Account, post.account_id)
    if author is None or author.username.lower() != username.lower():
        return None
    if post.reblog_of_id is not None:
        return None  # a boost is an Announce, not a Note
    return authoring.signed_object(session, post.uri)


def _collection(kind: str, count: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        account = await _local_account(request)
        if isinstance(account, Response):
            return account
        urls = node_of(request).ctx.urls
        ids = {
            "followers": urls.followers,
            "following": urls.following,
            "outbox": urls.outbox,
            "featured": urls.featured,
        }
        document: dict[str, Any] = {
            "@context": ACTIVITY_STREAMS,
            "id": ids[kind](account.username),
            "type": "OrderedCollection",
            "totalItems": count(account),
        }
        if kind == "featured":
            document["orderedItems"] = []  # pinned posts arrive with the Mastodon API issue
        return activity_response(document)

    return endpoint


routes = [
    Route("/actor", instance_actor, methods=["GET"]),
    Route("/users/{username}", actor, methods=["GET"]),
    Route("/users/{username}/statuses/{post_id:int}", status, methods=["GET"]),
    Route(
        "/users/{username}/followers",
        _collection("followers", lambda a: a.followers_count),
        methods=["GET"],
    ),
    Route(
        "/users/{username}/following",
        _collection("following", lambda a: a.following_count),
        methods=["GET"],
    ),
    Route(
        "/users/{username}/outbox",
        _collection("outbox", lambda a: a.statuses_count),
        methods=["GET"],
    ),
    Route("/users/{username}/collections/featured", _collection("featured", lambda a: 0)),
]
