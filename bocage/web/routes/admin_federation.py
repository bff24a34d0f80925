"""Admin: which servers this node federates with (domain blocks, allow-list mode)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.instance import domains
from bocage.core.moderation import domain_blocks
from bocage.kernel.errors import DomainError
from bocage.web import forms
from bocage.web.auth import node_of, require_admin
from bocage.web.render import page, redirect

LISTING = "/admin/federation"


async def federation_page(request: Request, status: int = 200, error: str = "") -> Response:
    await require_admin(request)
    rules = await node_of(request).db.read(domains.rules)
    return await page(
        request,
        "admin_federation.html",
        status,
        rules=rules,
        blocks=sorted(rules.blocks.values(), key=lambda block: block.domain),
        severities=domains.SEVERITIES,
        error=error,
    )


def _change(
    apply: Callable[[Session, Any], object], done: str
) -> Callable[[Request], Awaitable[Response]]:
    """A POST that applies `apply(session, form)`; the rules apply in this process at once."""

    async def endpoint(request: Request) -> Response:
        await require_admin(request)
        form = await forms.read_form(request)
        node = node_of(request)
        try:
            await node.db.write(apply, form)
        except DomainError as refused:
            return await federation_page(request, refused.status, refused.message)
        node.federation.forget_domain_rules()
        return redirect(request, LISTING, done)

    return endpoint


def _block(session: Session, form: Any) -> None:
    domain_blocks.block(
        session,
        forms.text(form, "domain", max_length=300),
        forms.text(form, "severity", max_length=20),
        reject_media=forms.flag(form, "reject_media"),
        reject_reports=forms.flag(form, "reject_reports"),
        comment=forms.text(form, "comment", max_length=1000),
    )


def _unblock(session: Session, form: Any) -> None:
    domain_blocks.unblock(session, forms.text(form, "domain", max_length=300))


def _mode(session: Session, form: Any) -> None:
    domains.set_mode(session, forms.text(form, "mode", max_length=20))


def _allow(session: Session, form: Any) -> None:
    domains.allow(session, forms.text(form, "domain", max_length=300))


def _disallow(session: Session, form: Any) -> None:
    domains.disallow(session, forms.text(form, "domain", max_length=300))


routes = [
    Route(LISTING, federation_page, methods=["GET"]),
    Route(f"{LISTING}/blocks", _change(_block, "Domain block saved."), methods=["POST"]),
    Route(f"{LISTING}/unblock", _change(_unblock, "Domain block lifted."), methods=["POST"]),
    Route(f"{LISTING}/mode", _change(_mode, "Federation mode saved."), methods=["POST"]),
    Route(f"{LISTING}/allow", _change(_allow, "Domain allowed."), methods=["POST"]),
    Route(f"{LISTING}/disallow", _change(_disallow, "Domain removed."), methods=["POST"]),
]
