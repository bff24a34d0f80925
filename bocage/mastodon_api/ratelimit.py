"""Rate limits of the client API, keyed as Mastodon keys them (its rack-attack rules,
docs.joinmastodon.org/api/rate-limits):

- every API request: 300 per 5 minutes per access token, and 1,500 per 5 minutes per person
  whatever the token (anyone can make many tokens); without a person (no token, an invalid
  one, an app's own token) 300 per 5 minutes per IP address;
- media uploads (`POST /api/v1/media`, `/api/v2/media`): 30 per 30 minutes per person;
- status deletions (`DELETE /api/v1/statuses/:id`, `POST /api/v1/statuses/:id/unreblog`):
  30 per 30 minutes per person;
- paging (`max_id`, `min_id`, `since_id` or `page` given): 300 per 15 minutes per person, or
  per IP address without one.

Every answer carries `X-RateLimit-Limit`, `-Remaining` and `-Reset` (when the window ends,
ISO 8601) of the limit closest to running out, and a request over any limit gets 429 `Too
many requests`. Sign-ups (5 per 30 minutes per IP address, never per token) and log-ins are
limited in the core, for the web pages and the API together (`core/auth/signups.py`,
`core/auth/logins.py`). Mastodon spares 127.0.0.1 and ::1; this node does not (its tests,
like a node behind a proxy not listed in `trusted_proxies`, talk over loopback).

Fixed windows, in memory, per process: a few dictionary operations per request. With
several web processes each counts on its own, which still bounds a client to (processes ×
limit). The general limits follow a setting (`api_requests_per_window` per token and per
address, five times that per person, the same number per three windows for paging; 0
switches these off).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bocage.config import Settings
from bocage.core.auth.oauth import Grant
from bocage.kernel.ratelimit import address_key
from bocage.mastodon_api.auth import resolve_token
from bocage.mastodon_api.entities import timestamp

MAX_KEYS = 100_000  # windows kept before forgetting them all (bounded memory under a flood)


@dataclass(frozen=True)
class Limit:
    family: str
    requests: int
    seconds: float


MEDIA = Limit("media", 30, 1800)
DELETES = Limit("deletes", 30, 1800)
PER_PERSON = 5  # a person's requests, over all their tokens, against one token's
PAGING = ("max_id", "min_id", "since_id", "page")

_MEDIA_PATH = re.compile(r"/api/v\d+/media", re.IGNORECASE)
_DELETE_PATH = re.compile(r"/api/v1/statuses/\d+")
_UNREBLOG_PATH = re.compile(r"/api/v1/statuses/\d+/unreblog")


def specific_limit(method: str, path: str) -> Limit | None:
    """The tighter limit of an endpoint, if it has one (counted per person)."""
    path = path.rstrip("/")
    if method == "POST" and _MEDIA_PATH.fullmatch(path):
        return MEDIA
    if (method == "DELETE" and _DELETE_PATH.fullmatch(path)) or (
        method == "POST" and _UNREBLOG_PATH.fullmatch(path)
    ):
        return DELETES
    return None


def is_paging(query_string: bytes) -> bool:
    """Does the query ask for a page (a non-empty `max_id`, `min_id`, `since_id` or `page`)?"""
    return any(key in PAGING and value for key, value in parse_qsl(query_string.decode("latin-1")))


@dataclass(frozen=True)
class Caller:
    """Who a request counts against: its token and its person when it has a valid one, its
    address always."""

    token: str | None
    person: int | None
    address: str


Resolve = Callable[[str], Awaitable[Grant | None]]


class FixedWindows:
    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def hit(self, key: str, limit: Limit, moment: float) -> tuple[int, float]:
        """Counts one request; returns (requests left, when the window ends). Left is
        negative once the limit is passed."""
        if len(self._windows) > MAX_KEYS:
            self._windows.clear()
        slot = (limit.family, key)
        started, used = self._windows.get(slot, (moment, 0))
        if moment - started >= limit.seconds:
            started, used = moment, 0
        used += 1
        self._windows[slot] = (started, used)
        return limit.requests - used, started + limit.seconds


class RateLimits:
    """ASGI middleware over `/api/` requests."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        requests, seconds = settings.api_requests_per_window, settings.api_window_seconds
        self.general = Limit("api", requests, seconds)
        self.person = Limit("person", requests * PER_PERSON, seconds)
        self.paging = Limit("paging", requests, seconds * 3)
        self.windows = FixedWindows()

    def applying(self, scope: Scope, caller: Caller) -> list[tuple[Limit, str]]:
        """The limits this request counts against, each with its key."""
        found: list[tuple[Limit, str]] = []
        anyone = f"ip:{caller.address}"
        person = f"person:{caller.person}" if caller.person is not None else None
        if self.general.requests:
            if caller.token is not None:
                found.append((self.general, f"token:{caller.token}"))
            if person is not None:
                found.append((self.person, person))
            else:
                found.append((self.general, anyone))
            if is_paging(scope.get("query_string", b"")):
                found.append((self.paging, person or anyone))
        specific = specific_limit(scope["method"], scope["path"])
        if specific is not None and person is not None and self.general.requests:
            found.append((specific, person))
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        caller = await _caller(scope)
        limits = self.applying(scope, caller)
        if not limits:
            await self.app(scope, receive, send)
            return
        moment = time.time()
        counted = [(limit, *self.windows.hit(key, limit, moment)) for limit, key in limits]
        # The tightest of the limits that apply is the one the headers report.
        limit, left, reset = min(counted, key=lambda entry: entry[1])
        headers = [
            (b"x-ratelimit-limit", str(limit.requests).encode()),
            (b"x-ratelimit-remaining", str(max(left, 0)).encode()),
            (b"x-ratelimit-reset", _iso(reset).encode()),
        ]
        if left < 0:
            await _too_many(send, headers, reset - moment)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, with_headers)


async def _caller(scope: Scope) -> Caller:
    """The request's valid token (by its id) and person, and its address. The token is
    resolved as the routes resolve it (`auth.resolve_token`, kept for half a minute), so
    counting costs no more database reads than answering."""
    client = scope.get("client")
    address = address_key(client[0] if client else None)
    bearer = next(
        (
            value[7:].strip()
            for name, value in scope["headers"]
            if name == b"authorization" and value[:7].lower() == b"bearer "
        ),
        b"",
    )
    app = scope.get("app")
    if not bearer or app is None:
        return Caller(None, None, address)
    grant = await resolve_token(app.state, bearer.decode("latin-1"))
    if grant is None:
        return Caller(None, None, address)  # refused by the route: counted as anyone
    person = grant.account.id if grant.account is not None else None
    return Caller(str(grant.token.id), person, address)


async def _too_many(send: Send, headers: list[tuple[bytes, bytes]], wait: float) -> None:
    body = orjson.dumps({"error": "Too many requests"})
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(int(wait) + 1).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _iso(epoch: float) -> str:
    return timestamp(datetime.fromtimestamp(epoch, UTC))
