"""Filters: the v2 API (filters with keywords and statuses) and the v1 API older clients use
(each keyword presented as a filter of its own). The rules are in core/filters/."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.filters import filters as core_filters
from bocage.kernel import numbers
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import bool_param, id_param, json, params, services_of, text_param
from bocage.services.filters import FilterService
from bocage.store.models import Account

READ, WRITE = "read:filters", "write:filters"


def _optional_bool(values: dict[str, Any], name: str) -> bool | None:
    """The boolean `name`, or None when it is not given."""
    if values.get(name) is None or values.get(name) == "":
        return None
    return bool_param(values, name)


def _optional_text(values: dict[str, Any], name: str) -> str | None:
    return text_param(values, name) if values.get(name) is not None else None


def _context(values: dict[str, Any]) -> list[str] | None:
    """`context[]` (one string accepted as a list of one), or None when it is not given."""
    given = values.get("context")
    if given is None:
        return None
    if isinstance(given, str):
        return [given]
    if not isinstance(given, list) or not all(isinstance(c, str) for c in given):
        raise InvalidInput("context must be an array of strings.")
    return given


def _expires_in(values: dict[str, Any]) -> int | core_filters.Unset | None:
    """Seconds from now; None (never) when given empty or null; UNSET when not given."""
    if "expires_in" not in values:
        return core_filters.UNSET
    given = values["expires_in"]
    if given is None or given == "":
        return None
    found = numbers.parse_integer(given.strip() if isinstance(given, str) else given)
    if found is None:
        raise InvalidInput("Validation failed: Expires in is not a number")
    return found


def _keywords(values: dict[str, Any]) -> list[core_filters.KeywordChange]:
    """`keywords_attributes`: a JSON array of objects, `keywords_attributes[][keyword]=…`
    (see http.params), or Rails' indexed form `keywords_attributes[0][keyword]=…`."""
    given = values.get("keywords_attributes")
    indexed: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        if key.startswith("keywords_attributes[") and key.endswith("]"):
            index, _, part = key[len("keywords_attributes[") : -1].partition("][")
            indexed.setdefault(index, {})[part] = value
    if given is None and indexed:
        given = indexed
    if isinstance(given, dict):
        given = [given[key] for key in sorted(given, key=lambda k: (len(str(k)), str(k)))]
    if given is None:
        return []
    if not isinstance(given, list) or not all(isinstance(entry, dict) for entry in given):
        raise InvalidInput("keywords_attributes must be an array of objects.")
    return [
        core_filters.KeywordChange(
            id=_keyword_id(entry.get("id")),
            keyword=_optional_text(entry, "keyword"),
            whole_word=_optional_bool(entry, "whole_word"),
            destroy=bool_param(entry, "_destroy"),
        )
        for entry in given
    ]


def _keyword_id(given: Any) -> int | None:
    try:
        return id_param(given, "id")
    except InvalidInput:
        raise NotFound(core_filters.NOT_FOUND) from None  # no keyword has such an id


def _change(values: dict[str, Any]) -> core_filters.FilterChange:
    return core_filters.FilterChange(
        title=_optional_text(values, "title"),
        context=_context(values),
        action=_optional_text(values, "filter_action"),
        expires_in=_expires_in(values),
        keywords=_keywords(values),
    )


Reading = Callable[[FilterService, Account, Request], Awaitable[Any]]
Writing = Callable[[FilterService, Account, Request, dict[str, Any]], Awaitable[Any]]


def _reading(load: Reading) -> Callable[[Request], Awaitable[Response]]:
    """A GET endpoint: `load(filters, caller, request)` shapes the answer."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, READ)
        return json(await load(services_of(request).filters, caller, request))

    return endpoint


def _writing(change: Writing) -> Callable[[Request], Awaitable[Response]]:
    """A POST/PUT/DELETE endpoint: `change(filters, caller, request, values)` applies the
    change (one unit of work) and shapes the answer."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, WRITE)
        values = await params(request)
        return json(await change(services_of(request).filters, caller, request, values))

    return endpoint


# --- v2 ---------------------------------------------------------------------------------


async def _index(filters: FilterService, me: Account, _request: Request) -> Any:
    return [entities.filter_v2(view) for view in await filters.all_of(me)]


async def _show(filters: FilterService, me: Account, request: Request) -> Any:
    return entities.filter_v2(await filters.one(me, request.path_params["id"]))


async def _create(
    filters: FilterService, me: Account, _request: Request, values: dict[str, Any]
) -> Any:
    return entities.filter_v2(await filters.create(me, _change(values)))


async def _update(
    filters: FilterService, me: Account, request: Request, values: dict[str, Any]
) -> Any:
    return entities.filter_v2(await filters.update(me, request.path_params["id"], _change(values)))


async def _delete(
    filters: FilterService, me: Account, request: Request, _values: dict[str, Any]
) -> Any:
    await filters.delete(me, request.path_params["id"])
    return {}


async def _keyword_index(filters: FilterService, me: Account, request: Request) -> Any:
    found = await filters.keywords(me, request.path_params["filter_id"])
    return [entities.filter_keyword(row) for row in found]


async def _keyword_create(
    filters: FilterService, me: Account, request: Request, values: dict[str, Any]
) -> Any:
    added = await filters.add_keyword(
        me,
        request.path_params["filter_id"],
        text_param(values, "keyword"),
        _optional_bool(values, "whole_word"),
    )
    return entities.filter_keyword(added)


async def _keyword_show(filters: FilterService, me: Account, request: Request) -> Any:
    return entities.filter_keyword(await filters.keyword(me, request.path_params["id"]))


async def _keyword_update(
    filters: FilterService, me: Account, request: Request, values: dict[str, Any]
) -> Any:
    changed = await filters.update_keyword(
        me,
        request.path_params["id"],
        _optional_text(values, "keyword"),
        _optional_bool(values, "whole_word"),
    )
    return entities.filter_keyword(changed)


async def _keyword_delete(
    filters: FilterService, me: Account, request: Request, _values: dict[str, Any]
) -> Any:
    await filters.delete_keyword(me, request.path_params["id"])
    return {}


async def _status_index(filters: FilterService, me: Account, request: Request) -> Any:
    found = await filters.statuses(me, request.path_params["filter_id"])
    return [entities.filter_status(row) for row in found]


async def _status_create(
    filters: FilterService, me: Account, request: Request, values: dict[str, Any]
) -> Any:
    filter_id = request.path_params["filter_id"]
    try:
        post_id = id_param(values.get("status_id"), "status_id")
    except InvalidInput:
        post_id = None  # no such status, as an unknown id
    return entities.filter_status(await filters.add_status(me, filter_id, post_id))


async def _status_show(filters: FilterService, me: Account, request: Request) -> Any:
    return entities.filter_status(await filters.status(me, request.path_params["id"]))


async def _status_delete(
    filters: FilterService, me: Account, request: Request, _values: dict[str, Any]
) -> Any:
    await filters.delete_status(me, request.path_params["id"])
    return {}


# --- v1 ---------------------------------------------------------------------------------


async def _v1_index(filters: FilterService, me: Account, _request: Request) -> Any:
    return [entities.filter_v1(kw, row) for kw, row in await filters.v1_all(me)]


async def _v1_show(filters: FilterService, me: Account, request: Request) -> Any:
    return entities.filter_v1(*await filters.v1_one(me, request.path_params["id"]))


async def _v1_create(
    filters: FilterService, me: Account, _request: Request, values: dict[str, Any]
) -> Any:
    expires_in = _expires_in(values)
    created = await filters.v1_create(
        me,
        phrase=text_param(values, "phrase"),
        context=_context(values),
        irreversible=bool_param(values, "irreversible"),
        whole_word=_optional_bool(values, "whole_word"),
        expires_in=None if expires_in is core_filters.UNSET else expires_in,
    )
    return entities.filter_v1(*created)


async def _v1_update(
    filters: FilterService, me: Account, request: Request, values: dict[str, Any]
) -> Any:
    changed = await filters.v1_update(
        me,
        request.path_params["id"],
        phrase=_optional_text(values, "phrase"),
        context=_context(values),
        irreversible=_optional_bool(values, "irreversible"),
        whole_word=_optional_bool(values, "whole_word"),
        expires_in=_expires_in(values),
    )
    return entities.filter_v1(*changed)


async def _v1_delete(
    filters: FilterService, me: Account, request: Request, _values: dict[str, Any]
) -> Any:
    await filters.v1_delete(me, request.path_params["id"])
    return {}


routes = [
    Route("/api/v2/filters", _reading(_index), methods=["GET"]),
    Route("/api/v2/filters", _writing(_create), methods=["POST"]),
    Route("/api/v2/filters/keywords/{id:id}", _reading(_keyword_show), methods=["GET"]),
    Route("/api/v2/filters/keywords/{id:id}", _writing(_keyword_update), methods=["PUT"]),
    Route("/api/v2/filters/keywords/{id:id}", _writing(_keyword_delete), methods=["DELETE"]),
    Route("/api/v2/filters/statuses/{id:id}", _reading(_status_show), methods=["GET"]),
    Route("/api/v2/filters/statuses/{id:id}", _writing(_status_delete), methods=["DELETE"]),
    Route("/api/v2/filters/{filter_id:id}/keywords", _reading(_keyword_index), methods=["GET"]),
    Route("/api/v2/filters/{filter_id:id}/keywords", _writing(_keyword_create), methods=["POST"]),
    Route("/api/v2/filters/{filter_id:id}/statuses", _reading(_status_index), methods=["GET"]),
    Route("/api/v2/filters/{filter_id:id}/statuses", _writing(_status_create), methods=["POST"]),
    Route("/api/v2/filters/{id:id}", _reading(_show), methods=["GET"]),
    Route("/api/v2/filters/{id:id}", _writing(_update), methods=["PUT"]),
    Route("/api/v2/filters/{id:id}", _writing(_delete), methods=["DELETE"]),
    Route("/api/v1/filters", _reading(_v1_index), methods=["GET"]),
    Route("/api/v1/filters", _writing(_v1_create), methods=["POST"]),
    Route("/api/v1/filters/{id:id}", _reading(_v1_show), methods=["GET"]),
    Route("/api/v1/filters/{id:id}", _writing(_v1_update), methods=["PUT"]),
    Route("/api/v1/filters/{id:id}", _writing(_v1_delete), methods=["DELETE"]),
]
