"""Admin page: the peers this node replicates with, and forked logs (docs/protocol.md)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.kernel.errors import DomainError
from bocage.web import forms
from bocage.web.auth import require_admin, services_of
from bocage.web.render import page, redirect

LISTING = "/admin/peers"


async def peers_page(request: Request, status: int = 200, error: str = "") -> Response:
    await require_admin(request)
    listed, forks = await services_of(request).moderation.peers()
    return await page(request, "admin_peers.html", status, peers=listed, forks=forks, error=error)


async def add_peer(request: Request) -> Response:
    await require_admin(request)
    form = await forms.read_form(request)
    url = str(form.get("url", ""))
    try:
        added = await services_of(request).moderation.add_peer(url)
    except DomainError as refused:
        return await peers_page(request, 422, refused.message)
    if added is None:
        return await peers_page(request, 422, "That is this node's own address.")
    return redirect(request, LISTING, f"Peer {added.url} added; it is synced with from now on.")


async def remove_peer(request: Request) -> Response:
    await require_admin(request)
    form = await forms.read_form(request)
    url = str(form.get("url", ""))
    try:
        removed = await services_of(request).moderation.remove_peer(url)
    except DomainError as refused:
        return await peers_page(request, 422, refused.message)
    return redirect(request, LISTING, "Peer removed." if removed else "No such peer.")


routes = [
    Route(LISTING, peers_page, methods=["GET"]),
    Route(f"{LISTING}/add", add_peer, methods=["POST"]),
    Route(f"{LISTING}/remove", remove_peer, methods=["POST"]),
]
