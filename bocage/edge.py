"""What every request is held to before a face reads it, so that no request, however made,
can crash a route or take the node's memory (docs/federation.md, "Limits").

- A NUL character in the path names nothing (404) and in the query string is refused (400)
  (`check_target`): PostgreSQL cannot hold NUL in text, so a lookup with one failed in the
  driver (a 500). The faces refuse it in bodies too (`nul_field`, 422).
- A body is never buffered whole before its size is known to be acceptable: `read_body`
  refuses it (413) as soon as it passes the caller's cap, and `Bounds` refuses any body past
  MAX_BODY whatever the route (or past its declared `Content-Length`).
- A body must keep coming: a wait of more than BODY_CHUNK_SECONDS for its next chunk, or a
  body slower than BODY_MIN_RATE on average once BODY_GRACE_SECONDS have passed, is answered
  408 and the connection closed (a client trickling its body a byte at a time would
  otherwise hold a request open forever). Slow headers are the server's business
  (bocage/server.py): the app sees a request only once its headers are complete.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bocage.kernel import numbers
from bocage.kernel.errors import DomainError

BODY_CHUNK_SECONDS = 10.0  # longest wait for the next part of a body
BODY_GRACE_SECONDS = 30.0  # then a body must have come at BODY_MIN_RATE on average
BODY_MIN_RATE = 8 * 1024  # bytes a second (a 16 MB upload may take half an hour)


def client_host(request: Request) -> str | None:
    """The address the request came from, which limits count by: the connection's, or the
    client's as a trusted reverse proxy forwarded it (setting `trusted_proxies`)."""
    return request.client.host if request.client else None


class BodyTooLarge(DomainError):
    status = 413


class RequestTimeout(DomainError):
    status = 408


def too_large(limit: int) -> str:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} kB"
    return f"That is too much data: the limit is {size}."


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refused (`BodyTooLarge`) as soon as it passes `limit` bytes, or
    when its `Content-Length` says it will, before anything is read."""
    declared = numbers.parse_count(request.headers.get("content-length"), numbers.ID_LIMIT - 1)
    if declared is not None and declared > limit:
        raise BodyTooLarge(too_large(limit))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(too_large(limit))
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # what Starlette parses forms and JSON from
    return body


def nul_field(values: Iterable[tuple[str, Any]]) -> str | None:
    """The name of the first field whose text (at any depth of a JSON document) holds a NUL
    character, or None. Walked without recursion: JSON may be a thousand levels deep."""
    pending: list[tuple[str, Any]] = list(values)
    while pending:
        name, value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value or "\x00" in name:
                return name
        elif isinstance(value, dict):
            pending += [(name, key) for key in value] + [(name, v) for v in value.values()]
        elif isinstance(value, list):
            pending += [(name, item) for item in value]
    return None


def check_target(scope: Scope) -> None:
    """A path with a NUL character names nothing (404); a query string with one is refused
    (400). Called by the router (bocage/routing.py), so that each face words the refusal."""
    if "\x00" in scope["path"]:
        raise HTTPException(404)
    if b"%00" in scope["query_string"]:
        raise HTTPException(400, "The query string contains a NUL character (%00).")


class Bounds:
    """ASGI middleware: the body bounds above, for every HTTP request. A body past them
    raises from `receive`, in the route reading it, so each face words the refusal."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, _bounded(scope, receive, self.max_body), send)


def _bounded(scope: Scope, receive: Receive, max_body: int) -> Receive:
    """`receive`, refusing bodies past `max_body` bytes (or declared to be) and bodies that
    stall. Once the body is complete it waits as long as the app likes (a stream waits for
    the disconnect)."""
    started = time.monotonic()
    size = 0
    complete = False
    declared = _content_length(scope)

    async def bounded() -> Message:
        nonlocal size, complete
        if complete:
            return await receive()
        if declared is not None and declared > max_body:
            raise BodyTooLarge(too_large(max_body))
        # Past the first BODY_GRACE_SECONDS a body must average BODY_MIN_RATE bytes a second.
        deadline = started + BODY_GRACE_SECONDS + size / BODY_MIN_RATE
        wait = min(BODY_CHUNK_SECONDS, deadline - time.monotonic())
        try:
            message = await asyncio.wait_for(receive(), max(wait, 0.0))
        except TimeoutError:
            raise RequestTimeout("The request body came too slowly.") from None
        if message["type"] != "http.request":
            complete = True
            return message
        size += len(message.get("body", b""))
        if size > max_body:
            raise BodyTooLarge(too_large(max_body))
        complete = not message.get("more_body", False)
        return message

    return bounded


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return numbers.parse_count(value.decode("latin-1"), numbers.ID_LIMIT - 1)
    return None
