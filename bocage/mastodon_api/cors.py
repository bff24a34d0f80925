"""Cross-origin requests, as Mastodon allows them (its `config/initializers/cors.rb`): the
apps that run in a browser (Elk, Phanpy, Mastodon's own web app hosted elsewhere) call the
API from their own origin. Without these headers the browser refuses to let them read the
answers, or even to send an `Authorization` header.

Only the API, the token endpoints and the discovery documents are open to every origin,
and never with credentials (cookies): the web pages stay same-origin. `Link` (paging) and
the rate-limit headers are exposed, or the apps could not read them.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

OPEN_PREFIXES = (
    "/api/",
    "/oauth/token",
    "/oauth/revoke",
    "/oauth/userinfo",
    "/.well-known/",
    "/nodeinfo",
)
METHODS = b"GET, POST, PUT, PATCH, DELETE, OPTIONS"
EXPOSED = b"Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id"
MAX_AGE = b"86400"  # a day of preflight answers cached by the browser


class CrossOrigin:
    """ASGI middleware: `Access-Control-*` headers on the open paths, preflights answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"origin" not in headers:
            await self.app(scope, receive, send)  # not a browser's cross-origin request
            return
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await _preflight(send, headers.get(b"access-control-request-headers", b""))
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", b"*"),
                    (b"access-control-expose-headers", EXPOSED),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


async def _preflight(send: Send, asked_headers: bytes) -> None:
    """The browser asks before a request with a body or an `Authorization` header."""
    await send(
        {
            "type": "http.response.start",
            "status": 204,
            "headers": [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-methods", METHODS),
                (b"access-control-allow-headers", asked_headers or b"Authorization"),
                (b"access-control-max-age", MAX_AGE),
                (b"vary", b"Access-Control-Request-Headers"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})
