"""Actors, objects and collections served at their ids, content-negotiated: servers asking
for ActivityStreams JSON get it; browsers are sent to the matching web page. A signed GET is
answered as its signer's server may see (`fetching_server`): an author's posts and
collections are not that server's when the author blocks someone it serves. What is served is
the publishing service's (services/publishing.py); this module renders it."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bocage.activitypub import actors
from bocage.crypto import httpsig
from bocage.federation import signatures
from bocage.federation.responses import (
    ACTIVITY_STREAMS,
    activity_response,
    error,
    services_of,
    wants_activity,
)
from bocage.kernel.errors import NotFound
from bocage.store.models import Account


async def local_account(request: Request) -> Account | Response:
    """The account named in the path, or the error response to give instead."""
    try:
        account = await services_of(request).publishing.local_account(
            request.path_params["username"]
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
    return activity_response(await services_of(request).publishing.actor(account))


async def instance_actor(request: Request) -> Response:
    if not wants_activity(request):
        return RedirectResponse("/about", status_code=302)
    services = services_of(request)
    public_pem = await services.publishing.instance_public_key()
    return activity_response(actors.instance_actor(services.ctx.urls, public_pem))


async def status(request: Request) -> Response:
    """A post, as the signed Note its author published (latest version)."""
    username, post_id = request.path_params["username"], request.path_params["post_id"]
    if not wants_activity(request):
        return RedirectResponse(f"/@{username}/{post_id}", status_code=302)
    fetcher = await fetching_server(request)
    if isinstance(fetcher, Response):
        return fetcher
    document = await services_of(request).publishing.note(username, post_id, fetcher)
    if document is None:
        return error("There is no such post here, or you may not see it.", 404)
    return activity_response({"@context": ACTIVITY_STREAMS, **document})


async def quote_authorization(request: Request) -> Response:
    """A QuoteAuthorization an account of this node gave (FEP-044f), at its id; 404 once the
    quote is revoked, as Mastodon answers."""
    fetcher = await fetching_server(request)
    if isinstance(fetcher, Response):
        return fetcher
    username, quote_id = request.path_params["username"], request.path_params["quote_id"]
    document = await services_of(request).publishing.quote_authorization(username, quote_id)
    if document is None:
        return error("There is no such authorization here.", 404)
    return activity_response(document)


async def fetching_server(request: Request) -> str | Response | None:
    """The domain of the server that signed the GET, whose people the answer is for (or the
    error to answer instead). None: served as to anyone (`PublishingService.fetching_server`
    says when)."""
    services = services_of(request)
    try:
        return await services.publishing.fetching_server(signatures.as_signed(services, request))
    except httpsig.SignatureError as failed:
        return error(str(failed), failed.status)


async def shut_out(request: Request, author: Account, fetcher: str | None) -> Response | None:
    """The 404 for a server shut out of an author's documents (`visibility.shuts_out`)."""
    if not await services_of(request).publishing.shuts_out(author, fetcher):
        return None
    return error("There is no such thing here, or you may not see it.", 404)


async def replies(request: Request) -> Response:
    """The public replies to a post, by id: what other servers walk to fill in a thread."""
    fetcher = await fetching_server(request)
    if isinstance(fetcher, Response):
        return fetcher
    username, post_id = request.path_params["username"], request.path_params["post_id"]
    services = services_of(request)
    items = await services.publishing.replies(username, post_id, fetcher)
    if items is None:
        return error("There is no such post here, or you may not see it.", 404)
    return activity_response(
        {
            "@context": ACTIVITY_STREAMS,
            "id": services.ctx.urls.replies(username, post_id),
            "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": items,
        }
    )


async def collection_owner(request: Request) -> Account | Response:
    """The local account whose collection is asked for, or the answer to give instead: the
    signature refused, no such account, or the fetching server shut out by its owner."""
    fetcher = await fetching_server(request)
    if isinstance(fetcher, Response):
        return fetcher
    account = await local_account(request)
    if isinstance(account, Response):
        return account
    refused = await shut_out(request, account, fetcher)
    return account if refused is None else refused


def _collection(kind: str) -> Any:
    async def endpoint(request: Request) -> Response:
        account = await collection_owner(request)
        if isinstance(account, Response):
            return account
        services = services_of(request)
        urls = services.ctx.urls
        ids = {"featured": urls.featured, "tags": urls.featured_tags}
        document: dict[str, Any] = {
            "@context": ACTIVITY_STREAMS,
            "id": ids[kind](account.username),
            "type": "OrderedCollection",
        }
        if kind == "featured":
            items = await services.publishing.featured(account)
            document["orderedItems"], document["totalItems"] = items, len(items)
        if kind == "tags":
            tags = await services.publishing.featured_tags(account)
            # Unordered, as Mastodon serves it: its readers look for `items`.
            document.update(type="Collection", totalItems=len(tags), items=tags)
        return activity_response(document)

    return endpoint


async def featured_collections(request: Request) -> Response:
    """The account's discoverable collections of accounts (Mastodon 4.6, FEP-7aa9)."""
    account = await collection_owner(request)
    if isinstance(account, Response):
        return account
    services = services_of(request)
    items = await services.publishing.featured_collections(account)
    return activity_response(
        {
            "@context": ACTIVITY_STREAMS,
            "id": services.ctx.urls.featured_collections(account.username),
            "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": items,
        }
    )


async def featured_collection(request: Request) -> Response:
    """One collection of accounts, as a `FeaturedCollection`."""
    account = await collection_owner(request)
    if isinstance(account, Response):
        return account
    found = await services_of(request).publishing.featured_collection(
        account, request.path_params["collection_id"]
    )
    if found is None:
        return error("There is no such collection here.", 404)
    return activity_response(found)


async def feature_authorization(request: Request) -> Response:
    """An account's consent to be in a collection (`FeatureAuthorization`), while it
    stands: other servers check it before they show the account in the collection."""
    account = await local_account(request)
    if isinstance(account, Response):
        return account
    found = await services_of(request).publishing.feature_authorization(
        account, request.path_params["grant_id"]
    )
    if found is None:
        return error("There is no such authorization here (any more).", 404)
    return activity_response(found)


routes = [
    Route("/actor", instance_actor, methods=["GET"]),
    Route("/users/{username}", actor, methods=["GET"]),
    Route("/users/{username}/statuses/{post_id:id}", status, methods=["GET"]),
    Route("/users/{username}/statuses/{post_id:id}/replies", replies, methods=["GET"]),
    Route(
        "/users/{username}/quote_authorizations/{quote_id:id}",
        quote_authorization,
        methods=["GET"],
    ),
    Route("/users/{username}/collections/featured", _collection("featured")),
    Route("/users/{username}/collections/tags", _collection("tags")),
    Route("/users/{username}/featured_collections", featured_collections, methods=["GET"]),
    Route(
        "/users/{username}/featured_collections/{collection_id:id}",
        featured_collection,
        methods=["GET"],
    ),
    Route(
        "/users/{username}/feature_authorizations/{grant_id:id}",
        feature_authorization,
        methods=["GET"],
    ),
]
