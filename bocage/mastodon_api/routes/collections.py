"""Collections (Mastodon 4.6, docs.joinmastodon.org/methods/collections): make, read, change
and delete one's collections of recommended accounts, put accounts in them and take them
out, an account taking itself out of someone's collection (`revoke`), an account's
collections and the collections one is in. The rules are core/collections'."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.collections.collections import CollectionView, Draft, Invalid
from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import optional, require_user
from bocage.mastodon_api.http import (
    bool_param,
    count_param,
    id_list,
    id_param,
    json,
    params,
    services_of,
    text_param,
)
from bocage.services.reader import Reader

LIMIT, MAX_LIMIT = 40, 80  # Mastodon's DEFAULT_COLLECTIONS_LIMIT, and its `limit` ceiling


def _draft(values: dict[str, Any], *, creating: bool) -> Draft:
    """What the app sent; on update, what it did not send stays (None)."""

    def text(name: str) -> str | None:
        return text_param(values, name) if values.get(name) is not None else None

    def flag(name: str) -> bool | None:
        if creating:
            return bool_param(values, name)
        return bool_param(values, name) if values.get(name) not in (None, "") else None

    return Draft(
        name=text("name") if not creating else text_param(values, "name"),
        description=text("description"),
        language=text("language"),
        tag_name=text("tag_name"),
        sensitive=flag("sensitive"),
        discoverable=flag("discoverable"),
    )


async def _validated(answer: Awaitable[Response]) -> Response:
    """Mastodon's collections controller answers a collection it cannot save with its
    ValidationErrorFormatter's hash *under* `error` (`{"error": {"error": …, "details":
    {field: [{error, description}]}}}`), unlike the rest of the API."""
    try:
        return await answer
    except Invalid as refused:
        details = {
            field: [{"error": f"ERR_{code.upper()}", "description": text} for code, text in found]
            for field, found in refused.details.items()
        }
        return json({"error": {"error": refused.message, "details": details}}, 422)
    except InvalidInput as refused:  # a parameter that is no text or no id
        return json({"error": {"error": refused.message, "details": {}}}, 422)


def _wrapped(request: Request, view: CollectionView) -> Response:
    return json({"collection": entities.collection(services_of(request).ctx, view)})


async def create(request: Request) -> Response:
    return await _validated(_create(request))


async def _create(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:collections")
    values = await params(request)
    found = await services_of(request).collections.create(
        caller, _draft(values, creating=True), id_list(values, "account_ids")
    )
    return _wrapped(request, found)


async def show(request: Request) -> Response:
    """A collection with the accounts it shows: its curator first, then its items'."""
    grant = await optional(request, "read:collections")
    services = services_of(request)
    viewer = grant.account if grant else None

    def present(_reader: Reader, view: CollectionView) -> dict[str, Any]:
        accounts = [view.curator, *(account for _item, account in view.items)]
        return {
            "collection": entities.collection(services.ctx, view),
            "accounts": [entities.account(services.ctx, a) for a in accounts],
        }

    found = services.collections.get(request.path_params["id"], viewer)
    return json(await found.present(present))


async def update(request: Request) -> Response:
    return await _validated(_update(request))


async def _update(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:collections")
    values = await params(request)
    found = await services_of(request).collections.update(
        caller, request.path_params["id"], _draft(values, creating=False)
    )
    return _wrapped(request, found)


async def delete(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:collections")
    await services_of(request).collections.delete(caller, request.path_params["id"])
    # Mastodon's `head 200` has no body; `{}` is what the API description calls "Empty",
    # and what every client reads as such.
    return json({})


async def add_item(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:collections")
    values = await params(request)
    item = await services_of(request).collections.add(
        caller, request.path_params["id"], id_param(values.get("account_id"), "account_id")
    )
    return json({"collection_item": entities.collection_item(item)})


async def remove_item(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:collections")
    path = request.path_params
    await services_of(request).collections.remove(caller, path["id"], path["item_id"])
    return json({})


async def revoke_item(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:collections")
    path = request.path_params
    await services_of(request).collections.revoke(caller, path["id"], path["item_id"])
    return json({})


def _window(request: Request) -> tuple[int, int]:
    query = request.query_params
    limit = count_param(query.get("limit"), "limit", MAX_LIMIT) or LIMIT
    return count_param(query.get("offset"), "offset") or 0, limit


def _links(request: Request, offset: int, limit: int, more: bool) -> dict[str, str]:
    """`offset` paging links, as Mastodon gives them for collections."""
    base = f"{services_of(request).ctx.urls.base}{quote(request.scope['path'])}?"
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset",)]
    links = []
    if more:
        links.append(f'<{base}{urlencode([*kept, ("offset", offset + limit)])}>; rel="next"')
    if offset > 0:
        back = max(offset - limit, 0)
        links.append(f'<{base}{urlencode([*kept, ("offset", back)])}>; rel="prev"')
    return {"Link": ", ".join(links)} if links else {}


async def of_account(request: Request) -> Response:
    """An account's collections: only the discoverable ones but to their curator."""
    grant = await optional(request, "read:collections")
    services, (offset, limit) = services_of(request), _window(request)
    viewer = grant.account if grant else None
    views, more = await services.collections.of_account(
        request.path_params["id"], viewer, offset=offset, limit=limit
    )
    answer = {"collections": [entities.collection(services.ctx, view) for view in views]}
    return json(answer, headers=_links(request, offset, limit, more))


async def featuring(request: Request) -> Response:
    """The collections the caller is in (anyone else's: 403, as on Mastodon)."""
    _grant, caller = await require_user(request, "read:collections")
    services, (offset, limit) = services_of(request), _window(request)
    views, more = await services.collections.featuring(
        request.path_params["id"], caller, offset=offset, limit=limit
    )
    answer = {"collections": [entities.collection(services.ctx, view) for view in views]}
    return json(answer, headers=_links(request, offset, limit, more))


routes = [
    Route("/api/v1/collections", create, methods=["POST"]),
    Route("/api/v1/collections/{id:id}", show, methods=["GET"]),
    Route("/api/v1/collections/{id:id}", update, methods=["PATCH"]),
    Route("/api/v1/collections/{id:id}", delete, methods=["DELETE"]),
    Route("/api/v1/collections/{id:id}/items", add_item, methods=["POST"]),
    Route("/api/v1/collections/{id:id}/items/{item_id:id}", remove_item, methods=["DELETE"]),
    Route("/api/v1/collections/{id:id}/items/{item_id:id}/revoke", revoke_item, methods=["POST"]),
    Route("/api/v1/accounts/{id:id}/collections", of_account, methods=["GET"]),
    Route("/api/v1/accounts/{id:id}/in_collections", featuring, methods=["GET"]),
]
