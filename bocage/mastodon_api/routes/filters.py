"""Filters: the v2 API (filters with keywords and statuses) and the v1 API older clients use
(each keyword presented as a filter of its own). The rules are in core/filters/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.filters import filters, v1
from bocage.kernel import numbers
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import bool_param, id_param, json, node_of, params, text_param

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


def _expires_in(values: dict[str, Any]) -> int | filters.Unset | None:
    """Seconds from now; None (never) when given empty or null; UNSET when not given."""
    if "expires_in" not in values:
        return filters.UNSET
    given = values["expires_in"]
    if given is None or given == "":
        return None
    found = numbers.parse_integer(given.strip() if isinstance(given, str) else given)
    if found is None:
        raise InvalidInput("Validation failed: Expires in is not a number")
    return found


def _keywords(values: dict[str, Any]) -> list[filters.KeywordChange]:
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
        filters.KeywordChange(
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
        raise NotFound(filters.NOT_FOUND) from None  # no keyword has such an id


def _change(values: dict[str, Any]) -> filters.FilterChange:
    return filters.FilterChange(
        title=_optional_text(values, "title"),
        context=_context(values),
        action=_optional_text(values, "filter_action"),
        expires_in=_expires_in(values),
        keywords=_keywords(values),
    )


def _reading(load: Callable[..., Any]) -> Callable[[Request], Any]:
    """A GET endpoint: `load(session, account_id, request)` shapes the answer."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, READ)
        return json(await node_of(request).db.read(load, caller.id, request))

    return endpoint


def _writing(change: Callable[..., Any]) -> Callable[[Request], Any]:
    """A POST/PUT/DELETE endpoint: `change(session, account_id, request, values)` applies
    the change and shapes the answer, in one write transaction."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, WRITE)
        values = await params(request)
        return json(await node_of(request).db.write(change, caller.id, request, values))

    return endpoint


# --- v2 ---------------------------------------------------------------------------------


def _index(session: Session, me: int, _request: Request) -> Any:
    return [entities.filter_v2(view) for view in filters.all_of(session, me)]


def _show(session: Session, me: int, request: Request) -> Any:
    return entities.filter_v2(filters.one(session, me, request.path_params["id"]))


def _create(session: Session, me: int, _request: Request, values: dict[str, Any]) -> Any:
    return entities.filter_v2(filters.create(session, me, _change(values)))


def _update(session: Session, me: int, request: Request, values: dict[str, Any]) -> Any:
    return entities.filter_v2(
        filters.update(session, me, request.path_params["id"], _change(values))
    )


def _delete(session: Session, me: int, request: Request, _values: dict[str, Any]) -> Any:
    filters.delete_filter(session, me, request.path_params["id"])
    return {}


def _keyword_index(session: Session, me: int, request: Request) -> Any:
    found = filters.keywords(session, me, request.path_params["filter_id"])
    return [entities.filter_keyword(row) for row in found]


def _keyword_create(session: Session, me: int, request: Request, values: dict[str, Any]) -> Any:
    added = filters.add_keyword(
        session,
        me,
        request.path_params["filter_id"],
        text_param(values, "keyword"),
        _optional_bool(values, "whole_word"),
    )
    return entities.filter_keyword(added)


def _keyword_show(session: Session, me: int, request: Request) -> Any:
    return entities.filter_keyword(filters.keyword(session, me, request.path_params["id"]))


def _keyword_update(session: Session, me: int, request: Request, values: dict[str, Any]) -> Any:
    changed = filters.update_keyword(
        session,
        me,
        request.path_params["id"],
        _optional_text(values, "keyword"),
        _optional_bool(values, "whole_word"),
    )
    return entities.filter_keyword(changed)


def _keyword_delete(session: Session, me: int, request: Request, _values: dict[str, Any]) -> Any:
    filters.delete_keyword(session, me, request.path_params["id"])
    return {}


def _status_index(session: Session, me: int, request: Request) -> Any:
    found = filters.statuses(session, me, request.path_params["filter_id"])
    return [entities.filter_status(row) for row in found]


def _status_create(session: Session, me: int, request: Request, values: dict[str, Any]) -> Any:
    filter_id = request.path_params["filter_id"]
    try:
        post_id = id_param(values.get("status_id"), "status_id")
    except InvalidInput:
        post_id = None  # no such status, as an unknown id
    return entities.filter_status(filters.add_status(session, me, filter_id, post_id))


def _status_show(session: Session, me: int, request: Request) -> Any:
    return entities.filter_status(filters.status(session, me, request.path_params["id"]))


def _status_delete(session: Session, me: int, request: Request, _values: dict[str, Any]) -> Any:
    filters.delete_status(session, me, request.path_params["id"])
    return {}


# --- v1 ---------------------------------------------------------------------------------


def _v1_index(session: Session, me: int, _request: Request) -> Any:
    return [entities.filter_v1(kw, row) for kw, row in v1.v1_all(session, me)]


def _v1_show(session: Session, me: int, request: Request) -> Any:
    return entities.filter_v1(*v1.v1_one(session, me, request.path_params["id"]))


def _v1_create(session: Session, me: int, _request: Request, values: dict[str, Any]) -> Any:
    expires_in = _expires_in(values)
    created = v1.v1_create(
        session,
        me,
        phrase=text_param(values, "phrase"),
        context=_context(values),
        irreversible=bool_param(values, "irreversible"),
        whole_word=_optional_bool(values, "whole_word"),
        expires_in=None if expires_in is filters.UNSET else expires_in,
    )
    return entities.filter_v1(*created)


def _v1_update(session: Session, me: int, request: Request, values: dict[str, Any]) -> Any:
    changed = v1.v1_update(
        session,
        me,
        request.path_params["id"],
        phrase=_optional_text(values, "phrase"),
        context=_context(values),
        irreversible=_optional_bool(values, "irreversible"),
        whole_word=_optional_bool(values, "whole_word"),
        expires_in=_expires_in(values),
    )
    return entities.filter_v1(*changed)


def _v1_delete(session: Session, me: int, request: Request, _values: dict[str, Any]) -> Any:
    v1.v1_delete(session, me, request.path_params["id"])
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
