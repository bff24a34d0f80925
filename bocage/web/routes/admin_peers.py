"""Admin page: the peers this node replicates with, and forked logs (docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.replication import replica
from bocage.kernel.errors import DomainError
from bocage.p2p import peers
from bocage.web import forms
from bocage.web.auth import node_of, require_admin
from bocage.web.render import page, redirect

LISTING = "/admin/peers"


async def peers_page(request: Request, status: int = 200, error: str = "") -> Response:
    await require_admin(request)
    listed, forks = await node_of(request).db.read(_listing)
    return await page(request, "admin_peers.html", status, peers=listed, forks=forks, error=error)


def _listing(session: Session) -> tuple[list[Any], list[Any]]:
    return peers.listed(session), replica.forks(session)


async def add_peer(request: Request) -> Response:
    await require_admin(request)
    form = await forms.read_form(request)
    node = node_of(request)
    url = str(form.get("url", ""))
    try:
        added = await node.db.write(peers.remember, url, "manual", own=node.ctx.urls.base)
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
        removed = await node_of(request).db.write(peers.forget, url)
    except DomainError as refused:
        return await peers_page(request, 422, refused.message)
    return redirect(request, LISTING, "Peer removed." if removed else "No such peer.")


routes = [
    Route(LISTING, peers_page, methods=["GET"]),
    Route(f"{LISTING}/add", add_peer, methods=["POST"]),
    Route(f"{LISTING}/remove", remove_peer, methods=["POST"]),
]
