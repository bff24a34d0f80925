"""Rate limits of the client API, as Mastodon sets them (docs.joinmastodon.org/api/rate-limits):
300 requests per 5 minutes per access token (per IP address without one), and tighter limits
for media uploads and status deletions (30 per 30 minutes). Every answer carries
`X-RateLimit-Limit`, `-Remaining` and `-Reset` (when the window ends, ISO 8601), and a request
over the limit gets 429 `Too many requests`. Sign-ups (5 per 30 minutes per IP address) and
log-ins are limited in the core, for the web pages and the API together (`core/auth/signups.py`,
`core/auth/logins.py`): a token is no key for them, since anyone can make one per request.

Fixed windows, in memory, per process: a few dictionary operations per request. With
several web processes each counts on its own, which still bounds a client to (processes ×
limit). The general limit is a setting (`api_requests_per_window`, 0 switches it off).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bocage.config import Settings
from bocage.kernel.ratelimit import address_key
from bocage.mastodon_api.entities import timestamp

MAX_KEYS = 100_000  # windows kept before forgetting them all (bounded memory under a flood)


@dataclass(frozen=True)
class Limit:
    family: str
    requests: int
    seconds: float


MEDIA = Limit("media", 30, 1800)
DELETES = Limit("deletes", 30, 1800)


def specific_limit(method: str, path: str) -> Limit | None:
    """The tighter limit of an endpoint, if it has one."""
    path = path.rstrip("/")
    if method == "POST" and path in ("/api/v1/media", "/api/v2/media"):
        return MEDIA
    if method == "DELETE" and path.startswith("/api/v1/statuses/"):
        return DELETES
    return None


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
        self.general = Limit("api", settings.api_requests_per_window, settings.api_window_seconds)
        self.windows = FixedWindows()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        limits = [self.general] if self.general.requests else []
        specific = specific_limit(scope["method"], scope["path"])
        if specific is not None:
            limits.append(specific)
        if not limits:
            await self.app(scope, receive, send)
            return
        moment = time.time()
        caller = _caller(scope)
        counted = [(limit, *self.windows.hit(caller, limit, moment)) for limit in limits]
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


def _caller(scope: Scope) -> str:
    """The access token (hashed: no secret kept in memory longer than needed) or the IP."""
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return "token:" + hashlib.sha256(value[7:].strip()).hexdigest()[:32]
    client = scope.get("client")
    return "ip:" + address_key(client[0] if client else None)


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
