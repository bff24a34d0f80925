"""Admin: which servers this node federates with (domain blocks, allow-list mode)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.instance import domains
from bocage.kernel.errors import DomainError
from bocage.services.moderation import ModerationService
from bocage.store.models import Account
from bocage.web import forms
from bocage.web.auth import require_admin, services_of
from bocage.web.render import page, redirect

LISTING = "/admin/federation"
Change = Callable[[ModerationService, FormData, Account], Awaitable[None]]


async def federation_page(request: Request, status: int = 200, error: str = "") -> Response:
    await require_admin(request)
    moderation = services_of(request).moderation
    rules = await moderation.domain_rules()
    shown_to, reasons_to = await moderation.domain_block_disclosure()
    return await page(
        request,
        "admin_federation.html",
        status,
        rules=rules,
        blocks=sorted(rules.blocks.values(), key=lambda block: block.domain),
        severities=domains.SEVERITIES,
        shown_to=shown_to,
        reasons_to=reasons_to,
        error=error,
    )


def _change(apply: Change, done: str) -> Callable[[Request], Awaitable[Response]]:
    """A POST that applies `apply(moderation, form)`; the rules apply in this process at
    once (the service forgets the rules it kept)."""

    async def endpoint(request: Request) -> Response:
        admin = await require_admin(request)
        form = await forms.read_form(request)
        try:
            await apply(services_of(request).moderation, form, admin.account)
        except DomainError as refused:
            return await federation_page(request, refused.status, refused.message)
        return redirect(request, LISTING, done)

    return endpoint


async def _block(moderation: ModerationService, form: FormData, actor: Account) -> None:
    await moderation.block_domain(
        forms.text(form, "domain", max_length=300),
        forms.text(form, "severity", max_length=20),
        reject_media=forms.flag(form, "reject_media"),
        reject_reports=forms.flag(form, "reject_reports"),
        comment=forms.text(form, "comment", max_length=1000),
        public_comment=forms.text(form, "public_comment", max_length=1000),
        actor=actor,
    )


async def _unblock(moderation: ModerationService, form: FormData, actor: Account) -> None:
    await moderation.unblock_domain(forms.text(form, "domain", max_length=300), actor=actor)


async def _mode(moderation: ModerationService, form: FormData, actor: Account) -> None:
    await moderation.set_federation_mode(forms.text(form, "mode", max_length=20), actor=actor)


async def _disclosure(moderation: ModerationService, form: FormData, actor: Account) -> None:
    await moderation.set_domain_block_disclosure(
        forms.text(form, "show_domain_blocks", max_length=20),
        forms.text(form, "show_domain_blocks_rationale", max_length=20),
        actor=actor,
    )


async def _allow(moderation: ModerationService, form: FormData, actor: Account) -> None:
    await moderation.allow_domain(forms.text(form, "domain", max_length=300), actor=actor)


async def _disallow(moderation: ModerationService, form: FormData, actor: Account) -> None:
    await moderation.disallow_domain(forms.text(form, "domain", max_length=300), actor=actor)


routes = [
    Route(LISTING, federation_page, methods=["GET"]),
    Route(f"{LISTING}/blocks", _change(_block, "Domain block saved."), methods=["POST"]),
    Route(f"{LISTING}/unblock", _change(_unblock, "Domain block lifted."), methods=["POST"]),
    Route(f"{LISTING}/mode", _change(_mode, "Federation mode saved."), methods=["POST"]),
    Route(
        f"{LISTING}/disclosure",
        _change(_disclosure, "Who sees the blocked servers: saved."),
        methods=["POST"],
    ),
    Route(f"{LISTING}/allow", _change(_allow, "Domain allowed."), methods=["POST"]),
    Route(f"{LISTING}/disallow", _change(_disallow, "Domain removed."), methods=["POST"]),
]
