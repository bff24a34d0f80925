"""Actors, objects and collections served at their ids, content-negotiated: servers asking
for ActivityStreams JSON get it; browsers are sent to the matching web page. A signed GET is
answered as its signer's server may see (`fetching_server`): an author's posts and
collections are not that server's when the author blocks someone it serves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bocage.activitypub import actors
from bocage.core.accounts import accounts, featured_tags, moves
from bocage.core.authorship import actor_document, authoring
from bocage.core.instance import instance
from bocage.core.reading import visibility
from bocage.core.reading.visibility import OPEN
from bocage.core.timelines import pins
from bocage.crypto import httpsig
from bocage.federation import signatures
from bocage.federation.responses import (
    ACTIVITY_STREAMS,
    activity_response,
    error,
    node_of,
    wants_activity,
)
from bocage.kernel.errors import NotFound
from bocage.kernel.urls import Urls
from bocage.store.models import Account, Post

MAX_REPLIES_LISTED = 100


async def local_account(request: Request) -> Account | Response:
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
    account = await local_account(request)
    if isinstance(account, Response):
        return account
    node = node_of(request)
    moved_to = await node.db.read(moves.new_home, account)
    return activity_response(actor_document.person(node.ctx.urls, account, moved_to))


async def instance_actor(request: Request) -> Response:
    if not wants_activity(request):
        return RedirectResponse("/about", status_code=302)
    node = node_of(request)
    key = await node.db.read(instance.instance_key)
    if key is None:
        key = await node.db.write(instance.make_instance_key, node.ctx.keyring)
    return activity_response(actors.instance_actor(node.ctx.urls, key.public_pem))


async def status(request: Request) -> Response:
    """A post, as the signed Note its author published (latest version)."""
    username, post_id = request.path_params["username"], request.path_params["post_id"]
    if not wants_activity(request):
        return RedirectResponse(f"/@{username}/{post_id}", status_code=302)
    node = node_of(request)
    fetcher = await fetching_server(request)
    if isinstance(fetcher, Response):
        return fetcher
    document = await node.db.read(_note, username, post_id, fetcher)
    if document is None:
        return error("There is no such post here, or you may not see it.", 404)
    return activity_response({"@context": ACTIVITY_STREAMS, **document})


async def fetching_server(request: Request) -> str | Response | None:
    """The domain of the server that signed the GET: the answer is for the people it serves
    (or the error to answer instead). None: served as to anyone.

    In authorized-fetch mode a signature is required. Otherwise a signed request is still
    read as its signer's, as Mastodon reads it (`signed_request_account`): the server of an
    account an author blocks is answered 404 by that author's posts and collections, so an
    honest server shows the blocked person nothing; one that does not sign, or whose
    signature does not verify, is served what anyone may read. Actor documents stay open in
    every mode: a server must read an actor's key before it can check any signature."""
    node = node_of(request)
    authorized = node.settings.authorized_fetch
    if not authorized and not signatures.is_signed(signatures.as_signed(node, request)):
        return None
    try:
        account = await signatures.signing_server(
            node,
            request,
            b"",
            unsigned="This node answers only signed requests (authorized fetch).",
            refused="This node does not federate with your server.",
        )
    except httpsig.SignatureError as failed:
        if not authorized and failed.status == 401:
            return None
        return error(str(failed), failed.status)
    return account.domain


async def shut_out(request: Request, author_id: int, fetcher: str | None) -> Response | None:
    """The 404 for a server shut out of an author's documents (`visibility.shuts_out`)."""
    if fetcher is None or not await node_of(request).db.read(
        visibility.shuts_out, author_id, fetcher
    ):
        return None
    return error("There is no such thing here, or you may not see it.", 404)


def _note(
    session: Session, username: str, post_id: int, fetcher: str | None
) -> dict[str, Any] | None:
    """The post's signed Note, if the fetching server (None: anyone) may see it."""
    post = session.get(Post, post_id)
    author = session.get(Account, post.account_id) if post else None
    if post is None or author is None or author.username.lower() != username.lower():
        return None
    if post.reblog_of_id is not None or author.suspended:
        return None  # a boost is an Announce, not a Note
    if fetcher is None and not visibility.can_see(session, None, post):
        return None
    if fetcher is not None and not visibility.server_may_see(session, fetcher, post):
        return None
    return authoring.signed_object(session, post.uri)


async def replies(request: Request) -> Response:
    """The public replies to a post, by id: what other servers walk to fill in a thread."""
    fetcher = await fetching_server(request)
    if isinstance(fetcher, Response):
        return fetcher
    username, post_id = request.path_params["username"], request.path_params["post_id"]
    node = node_of(request)
    if await node.db.read(_note, username, post_id, fetcher) is None:
        return error("There is no such post here, or you may not see it.", 404)
    items = await node.db.read(_public_replies, post_id)
    return activity_response(
        {
            "@context": ACTIVITY_STREAMS,
            "id": node.ctx.urls.replies(username, post_id),
            "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": items,
        }
    )


def _public_replies(session: Session, post_id: int) -> list[str]:
    rows = session.execute(
        select(Post.uri)
        .where(Post.in_reply_to_id == post_id, Post.visibility.in_(OPEN))
        .order_by(Post.id)
        .limit(MAX_REPLIES_LISTED)
    )
    return list(rows.scalars())


def _featured(session: Session, account_id: int) -> list[str]:
    """The ids of the account's pinned posts that anyone may see (as Mastodon lists them)."""
    rows = session.execute(
        select(Post.uri).where(
            Post.id.in_(pins.pinned_ids(session, account_id)),
            Post.visibility.in_(OPEN),
        )
    )
    return list(rows.scalars())


def _featured_tags(session: Session, urls: Urls, account_id: int) -> list[dict[str, Any]]:
    """The account's featured hashtags, as Mastodon lists them in `featuredTags`."""
    return [
        featured_tags.hashtag(urls, tag.name)
        for tag in featured_tags.of_account(session, account_id)
    ]


async def collection_owner(request: Request) -> Account | Response:
    """The local account whose collection is asked for, or the answer to give instead: the
    signature refused, no such account, or the fetching server shut out by its owner."""
    fetcher = await fetching_server(request)
    if isinstance(fetcher, Response):
        return fetcher
    account = await local_account(request)
    if isinstance(account, Response):
        return account
    refused = await shut_out(request, account.id, fetcher)
    return account if refused is None else refused


def _collection(kind: str) -> Any:
    async def endpoint(request: Request) -> Response:
        account = await collection_owner(request)
        if isinstance(account, Response):
            return account
        urls = node_of(request).ctx.urls
        ids = {"featured": urls.featured, "tags": urls.featured_tags}
        document: dict[str, Any] = {
            "@context": ACTIVITY_STREAMS,
            "id": ids[kind](account.username),
            "type": "OrderedCollection",
        }
        if kind == "featured":
            items = await node_of(request).db.read(_featured, account.id)
            document["orderedItems"], document["totalItems"] = items, len(items)
        if kind == "tags":
            tags = await node_of(request).db.read(_featured_tags, urls, account.id)
            # Unordered, as Mastodon serves it: its readers look for `items`.
            document.update(type="Collection", totalItems=len(tags), items=tags)
        return activity_response(document)

    return endpoint


routes = [
    Route("/actor", instance_actor, methods=["GET"]),
    Route("/users/{username}", actor, methods=["GET"]),
    Route("/users/{username}/statuses/{post_id:id}", status, methods=["GET"]),
    Route("/users/{username}/statuses/{post_id:id}/replies", replies, methods=["GET"]),
    Route("/users/{username}/collections/featured", _collection("featured")),
    Route("/users/{username}/collections/tags", _collection("tags")),
]
