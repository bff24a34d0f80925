"""The collections other servers walk to backfill a profile or a thread: an account's
outbox, followers and following, and a thread's context, paged as Mastodon pages them. The
collection itself is an `OrderedCollection` with `totalItems` and `first`; each page an
`OrderedCollectionPage` with `orderedItems`, `partOf`, and `next` / `prev` while there are
more. `totalItems` counts exactly what the pages list. In authorized-fetch mode they answer
signed requests only; a server whose account the owner blocks gets 404 in every mode
(`objects.shut_out`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.activitypub.objects import collection_owner, fetching_server, shut_out
from bocage.core.posts import contexts
from bocage.core.timelines import outbox
from bocage.federation.responses import ACTIVITY_STREAMS, activity_response, error, services_of
from bocage.kernel import numbers
from bocage.store.models import Account

PEOPLE_PER_PAGE = 40
MAX_PAGE = 10_000  # 400,000 followers deep: more than anyone walks, and a bounded OFFSET


class BadPage(ValueError):
    """A paging parameter that is not what it should be; the message says which."""


def collection(collection_id: str, total: int, first: str, **extra: Any) -> dict[str, Any]:
    return {
        "@context": ACTIVITY_STREAMS,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": first,
        **extra,
    }


def page(
    page_id: str,
    part_of: str,
    items: list[Any],
    *,
    next_page: str | None = None,
    prev_page: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": ACTIVITY_STREAMS,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": part_of,
        **extra,
        "orderedItems": items,
    }
    if next_page:
        document["next"] = next_page
    if prev_page:
        document["prev"] = prev_page
    return document


def with_query(url: str, **params: Any) -> str:
    return f"{url}?{urlencode({key: value for key, value in params.items() if value is not None})}"


def id_param(request: Request, name: str) -> int | None:
    """An id bound of a page (`max_id`, `min_id`), if given."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    found = numbers.parse_id(value)
    if found is None:
        raise BadPage(f"{name} must be an id (a string of at most 19 digits).")
    return found


def page_number(request: Request) -> int | None:
    """`page=N` (from 1) of a numbered collection; None: the collection itself."""
    value = request.query_params.get("page")
    if value is None:
        return None
    found = numbers.parse_id(value)
    if found is None or not 1 <= found <= MAX_PAGE:
        raise BadPage(f"page must be a page number from 1 to {MAX_PAGE}.")
    return found


Build = Callable[[Request, Account], Awaitable[dict[str, Any]]]


def _served(build: Build) -> Callable[[Request], Awaitable[Response]]:
    """A collection of a local account, served as every collection is (who may fetch it,
    the account's state, bad paging parameters)."""

    async def endpoint(request: Request) -> Response:
        account = await collection_owner(request)
        if isinstance(account, Response):
            return account
        try:
            return activity_response(await build(request, account))
        except BadPage as bad:
            return error(str(bad), 400)

    return endpoint


async def _outbox(request: Request, account: Account) -> dict[str, Any]:
    services = services_of(request)
    url = services.ctx.urls.outbox(account.username)
    if request.query_params.get("page") is None:
        total = await services.publishing.outbox_count(account)
        first, last = with_query(url, page="true"), with_query(url, page="true", min_id=0)
        return collection(url, total, first, last=last)
    max_id, min_id = id_param(request, "max_id"), id_param(request, "min_id")
    found = await services.publishing.outbox_page(account, max_id, min_id)
    full = len(found) == outbox.PAGE_SIZE
    return page(
        with_query(url, page="true", max_id=max_id, min_id=min_id),
        url,
        [activity for _post_id, activity in found],
        next_page=with_query(url, page="true", max_id=found[-1][0]) if full else None,
        prev_page=with_query(url, page="true", min_id=found[0][0]) if found else None,
    )


def _people(kind: str) -> Build:
    async def build(request: Request, account: Account) -> dict[str, Any]:
        services = services_of(request)
        url = getattr(services.ctx.urls, kind)(account.username)
        number = page_number(request)
        total = await services.publishing.people_count(account, kind)
        if number is None:
            return collection(url, total, with_query(url, page=1))
        offset = (number - 1) * PEOPLE_PER_PAGE
        people = await services.publishing.people(account, kind, PEOPLE_PER_PAGE, offset)
        more = offset + len(people) < total
        return page(
            with_query(url, page=number),
            url,
            [person.uri for person in people],
            next_page=with_query(url, page=number + 1) if more else None,
            prev_page=with_query(url, page=number - 1) if number > 1 else None,
            totalItems=total,
        )

    return build


async def context(request: Request) -> Response:
    """A thread's context (FEP-7888): the public posts of a thread started here, oldest
    first, `attributedTo` the root's author (who may moderate it, the FEP suggests)."""
    fetcher = await fetching_server(request)
    if isinstance(fetcher, Response):
        return fetcher
    services, root_id = services_of(request), request.path_params["root_id"]
    author = await services.publishing.thread_author(root_id)
    if author is None or await shut_out(request, author, fetcher) is not None:
        return error("There is no such thread here, or you may not see it.", 404)
    url = services.ctx.urls.context(root_id)
    if request.query_params.get("page") is None:
        total = await services.publishing.context_count(root_id)
        first = with_query(url, page="true")
        return activity_response(collection(url, total, first, attributedTo=author.uri))
    try:
        min_id = id_param(request, "min_id")
    except BadPage as bad:
        return error(str(bad), 400)
    found = await services.publishing.context_page(root_id, min_id)
    full = len(found) == contexts.PAGE_SIZE
    document = page(
        with_query(url, page="true", min_id=min_id),
        url,
        [uri for _post_id, uri in found],
        next_page=with_query(url, page="true", min_id=found[-1][0]) if full else None,
        attributedTo=author.uri,
    )
    return activity_response(document)


routes = [
    Route("/contexts/{root_id:id}", context, methods=["GET"]),
    Route("/users/{username}/outbox", _served(_outbox), methods=["GET"]),
    Route("/users/{username}/followers", _served(_people("followers")), methods=["GET"]),
    Route("/users/{username}/following", _served(_people("following")), methods=["GET"]),
]
