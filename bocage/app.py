"""The ASGI app: one node, its faces mounted side by side."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bocage.activitypub import all_routes as activitypub_routes
from bocage.config import Settings
from bocage.edge import BodyTooLarge, Bounds, RequestTimeout
from bocage.kernel.errors import DomainError, NotAuthenticated, RetryLater
from bocage.mastodon_api import all_routes as mastodon_routes
from bocage.mastodon_api import http as mastodon_http
from bocage.mastodon_api.auth import GrantCache
from bocage.mastodon_api.cors import CrossOrigin
from bocage.mastodon_api.ipblocks import IpBlocks
from bocage.mastodon_api.ratelimit import RateLimits
from bocage.mastodon_api.streaming.hub import StreamHub
from bocage.mastodon_api.streaming.routes import routes as streaming_routes
from bocage.node import Node
from bocage.p2p import all_routes as p2p_routes
from bocage.routing import IndexedRouter
from bocage.web.render import page, redirect
from bocage.web.routes import all_routes

log = logging.getLogger("bocage.web")
STATIC = Path(__file__).parent / "web" / "static"

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: https:; style-src 'self'; "
        b"script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    ),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if mastodon_http.is_api(request):
        response = mastodon_http.error(exc.message, exc.status)
    elif isinstance(exc, NotAuthenticated) and request.method == "GET":
        return redirect(request, f"/login?next={_here(request)}", exc.message)
    else:
        response = await page(request, "error.html", exc.status, message=exc.message)
    if isinstance(exc, RetryLater):
        response.headers["retry-after"] = exc.retry_after_header
    if isinstance(exc, BodyTooLarge | RequestTimeout):
        response.headers["connection"] = "close"  # the rest of that body is not wanted
    return response


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "There is nothing here.", 405: "That action is not allowed here."}
    message = messages.get(exc.status_code, exc.detail or "That request could not be handled.")
    if mastodon_http.is_api(request):
        return mastodon_http.error("Record not found" if exc.status_code == 404 else message,
                                   exc.status_code)  # fmt: skip
    return await page(request, "error.html", exc.status_code, message=message)


async def on_crash(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if mastodon_http.is_api(request):
        return mastodon_http.error("Something went wrong on our side.", 500)
    try:
        return await page(
            request,
            "error.html",
            500,
            message="Something went wrong on our side. It has been logged; please try again.",
        )
    except Exception:
        return Response("Something went wrong on our side.", status_code=500)


def _here(request: Request) -> str:
    """The page to come back to after logging in (with its query: /oauth/authorize needs it)."""
    query = f"?{request.url.query}" if request.url.query else ""
    return quote(request.url.path + query, safe="/")


def face_routes() -> list[BaseRoute]:
    """Every face's routes, in the order they are tried (scripts/mastodon_coverage.py matches
    Mastodon.py's paths against them)."""
    return [
        *activitypub_routes(),
        *mastodon_routes(),
        *streaming_routes,
        *p2p_routes(),
        *all_routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(settings: Settings, *, run_worker: bool = True) -> Starlette:
    node = Node(settings, run_worker=run_worker)
    streams = StreamHub(node.services)
    grants = GrantCache()
    node.db.events.subscribe(grants.on_events)
    services = node.services

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await node.start()
        streams.start()
        try:
            yield
        finally:
            await streams.stop()
            await node.stop()

    routes = face_routes()
    app = Starlette(
        middleware=[
            Middleware(CrossOrigin),  # outermost: even a refusal (429, 401) is readable
            Middleware(SecurityHeaders),
            Middleware(IpBlocks),  # an address the admin shut out: nothing at all
            Middleware(Bounds, max_body=settings.max_body_bytes),
            Middleware(RateLimits, settings=settings),
            Middleware(mastodon_http.TrailingSlashes),
        ],
        exception_handlers={
            DomainError: on_domain_error,
            HTTPException: on_http_error,
            Exception: on_crash,
        },
    )
    app.router = IndexedRouter(routes, lifespan=lifespan)
    app.state.node = node  # for the p2p face (as Protocols: p2p/host.py) and tests
    app.state.services = services  # for the web, Mastodon API and ActivityPub faces
    app.state.streams = streams
    app.state.grants = grants
    return app
