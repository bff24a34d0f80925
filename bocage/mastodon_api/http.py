"""What Mastodon clients expect of every answer and accept in every request: JSON bodies
with `{"error": "…"}` on failure, form-encoded or JSON parameters (with `name[]` arrays),
and `Link` headers for paging."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bocage.core.timelines.timelines import Page
from bocage.edge import nul_field, read_body
from bocage.federation.responses import services_of
from bocage.kernel import numbers
from bocage.kernel.errors import DomainError, InvalidInput

API_PREFIXES = ("/api/", "/oauth/token", "/oauth/revoke", "/oauth/userinfo")
MAX_BODY = 64 * 1024


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES)


def json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(data), status_code=status, media_type="application/json", headers=headers
    )


def error(message: str, status: int) -> Response:
    return json({"error": message}, status)


async def params(request: Request, max_bytes: int = MAX_BODY) -> dict[str, Any]:
    """Query, form and JSON parameters in one dict; `media_ids[]=1&media_ids[]=2` and
    `{"media_ids": [1, 2]}` both give a list under `media_ids`, and `a[][k]=1&a[][k]=2`
    and `{"a": [{"k": 1}, {"k": 2}]}` a list of objects under `a`. A body counts whatever
    the method, as in Rails: Mastodon.py sends some GET and DELETE parameters in a body."""
    found: dict[str, Any] = {}
    _merge(found, request.query_params.multi_items())
    if request.method != "HEAD":
        kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        body = await read_body(request, max_bytes)
        if kind == "application/json" and body:
            try:
                document = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise InvalidInput("The request body is not valid JSON.") from exc
            if not isinstance(document, dict):
                raise InvalidInput("The request body must be a JSON object.")
            found.update(document)
        elif body:
            form = await request.form()
            _merge(found, [(key, value) for key, value in form.multi_items()])
    if (field := nul_field(found.items())) is not None:
        raise InvalidInput(f"{field} contains a NUL character, which no text can hold here.")
    return found


# Rails' arrays of objects in forms: `keywords_attributes[][keyword]=a&…[][whole_word]=1`.
_IN_ARRAY = re.compile(r"([^\[\]]+)\[\]\[([^\[\]]+)\]")


def _merge(found: dict[str, Any], items: Any) -> None:
    for key, value in items:
        if nested := _IN_ARRAY.fullmatch(key):
            _merge_nested(found, nested[1], nested[2], value)
        elif key.endswith("[]"):
            if not isinstance(found.setdefault(key[:-2], []), list):
                raise InvalidInput(f"{key[:-2]} is given both as one value and as a list.")
            found[key[:-2]].append(value)
        else:
            found[key] = value


async def detailed(answer: Awaitable[Response]) -> Response:
    """`answer`, or a refusal of one field as Mastodon words sign-up and profile refusals
    (its ValidationErrorFormatter): 422, with `details` naming the field and Rails' code."""
    try:
        return await answer
    except DomainError as refused:
        if refused.field is None:
            raise
        message = refused.message.removeprefix("Validation failed: ")
        code = f"ERR_{(refused.code or 'invalid').upper()}"
        return json(
            {
                "error": f"Validation failed: {message}",
                "details": {refused.field: [{"error": code, "description": message}]},
            },
            422,
        )


@contextmanager
def validation() -> Iterator[None]:
    """A core refusal of a value, worded as Mastodon (Rails) words it: `Validation failed: …`."""
    try:
        yield
    except InvalidInput as refused:
        raise InvalidInput(f"Validation failed: {refused.message}") from None


def _merge_nested(found: dict[str, Any], name: str, part: str, value: Any) -> None:
    """`name[][part]=value`: as Rails reads it, a part already set in the last object
    starts the next one."""
    entries = found.get(name)
    if not isinstance(entries, list):
        entries = found[name] = []
    if not entries or not isinstance(entries[-1], dict) or part in entries[-1]:
        entries.append({})
    entries[-1][part] = value


def text_param(values: dict[str, Any], name: str, default: str = "") -> str:
    value = values.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float | bool):
        raise InvalidInput(f"{name} must be a string.")
    return str(value)


def bool_param(values: Mapping[str, Any], name: str, default: bool = False) -> bool:
    value = values.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "on", "yes")


def id_param(value: Any, name: str) -> int | None:
    """An id from a query or a body; one that cannot be an id is refused (422), not looked up."""
    if value is None or value == "":
        return None
    found = numbers.parse_id(value)
    if found is None:
        raise InvalidInput(f"{name} must be an id (a string of digits, below 2^63).")
    return found


def count_param(value: Any, name: str, maximum: int = numbers.ID_LIMIT - 1) -> int | None:
    """A count (`limit`, `offset`), at most `maximum`: a bigger one is clamped, as Mastodon
    clamps; anything but a whole number is refused (422)."""
    if value is None or value == "":
        return None
    found = numbers.parse_count(value, maximum)
    if found is None:
        raise InvalidInput(f"{name} must be a whole number.")
    return found


def id_list(values: dict[str, Any], name: str) -> list[int]:
    """`id[]=1&id[]=2`, `id=1` or `{"id": [1, 2]}`: the ids given, each once, in order."""
    given = values.get(name, [])
    given = given if isinstance(given, list) else [given]
    return list(dict.fromkeys(i for i in (id_param(value, name) for value in given) if i))


def page_of(request: Request, default_limit: int = 20, max_limit: int = 40) -> Page:
    query = request.query_params
    limit = count_param(query.get("limit"), "limit", max_limit) or default_limit
    since = id_param(query.get("min_id") or query.get("since_id"), "min_id")
    return Page(id_param(query.get("max_id"), "max_id"), since, limit)


PAGING = ("max_id", "min_id", "since_id")


def link_header(request: Request, ids: list[int]) -> dict[str, str]:
    """Mastodon's paging links: `next` (older, max_id) and `prev` (newer, min_id)."""
    if not ids:
        return {}
    # From the scope, not `request.url`: parsing the URL cost a home page ~2% of its time.
    base = f"{services_of(request).ctx.urls.base}{quote(request.scope['path'])}?"
    kept = [pair for pair in request.query_params.multi_items() if pair[0] not in PAGING]
    query = urlencode(kept) + "&" if kept else ""  # repeated keys (`types[]`) all kept
    older, newer = f"{query}max_id={min(ids)}", f"{query}min_id={max(ids)}"
    return {"Link": f'<{base}{older}>; rel="next", <{base}{newer}>; rel="prev"'}


class TrailingSlashes:
    """ASGI middleware: `/api/v1/conversations/` is `/api/v1/conversations`, as Rails routes
    it (Mastodon.py asks for some endpoints with the slash). Served, not redirected: a
    redirect costs a round trip, and some clients drop the body of a redirected POST."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] in ("http", "websocket")
            and path.startswith("/api/")
            and path.endswith("/")
        ):
            scope = {**scope, "path": path.rstrip("/")}
        await self.app(scope, receive, send)
