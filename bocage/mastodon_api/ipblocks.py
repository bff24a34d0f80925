"""ASGI middleware: every request from an address an IP block marks `no_access` is refused
with 403, whatever the face (Mastodon's Rack::Attack blocklist). The blocks are the admin
API's (`/api/v1/admin/ip_blocks`); the service keeps them for half a minute."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from bocage.edge import client_host
from bocage.federation.responses import services_of


class IpBlocks:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            if await services_of(request).admin.denies(client_host(request)):
                await JSONResponse({"error": "Blocked"}, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)
