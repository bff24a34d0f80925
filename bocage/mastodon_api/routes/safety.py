"""What a person keeps away from themselves, as lists: the accounts they mute (with each
mute's end), the accounts they block, and the servers they hide (their own domain blocks:
list, add, remove). Paged as Mastodon pages them, by the mute's, block's or domain block's
own id, with `Link` headers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import json, link_header, page_of, params, services_of, text_param

ACCOUNTS_PAGE, ACCOUNTS_MAX = 40, 80  # Mastodon's DEFAULT_ACCOUNTS_LIMIT, and its ceiling
DOMAINS_PAGE, DOMAINS_MAX = 100, 200  # Mastodon's BLOCK_LIMIT, and its ceiling


async def mutes(request: Request) -> Response:
    """The accounts the caller mutes, latest first, each with `mute_expires_at`."""
    _grant, caller = await require_user(request, "read:mutes")
    services = services_of(request)
    page = page_of(request, default_limit=ACCOUNTS_PAGE, max_limit=ACCOUNTS_MAX)
    found = await services.graph.muted(caller, page)
    shown: list[dict[str, Any]] = [
        {
            **entities.account(services.ctx, account),
            "mute_expires_at": entities.timestamp(row.expires_at) if row.expires_at else None,
        }
        for row, account in found
    ]
    return json(shown, headers=link_header(request, [row.id for row, _ in found]))


async def blocks(request: Request) -> Response:
    """The accounts the caller blocks, latest first."""
    _grant, caller = await require_user(request, "read:blocks")
    services = services_of(request)
    page = page_of(request, default_limit=ACCOUNTS_PAGE, max_limit=ACCOUNTS_MAX)
    found = await services.graph.blocked(caller, page)
    shown = [entities.account(services.ctx, account) for _, account in found]
    return json(shown, headers=link_header(request, [row.id for row, _ in found]))


async def domain_blocks(request: Request) -> Response:
    """The servers the caller hides, latest first: a list of their names."""
    _grant, caller = await require_user(request, "read:blocks")
    page = page_of(request, default_limit=DOMAINS_PAGE, max_limit=DOMAINS_MAX)
    found = await services_of(request).graph.domain_blocks(caller, page)
    headers = link_header(request, [block_id for block_id, _ in found])
    return json([domain for _, domain in found], headers=headers)


async def block_domain(request: Request) -> Response:
    """Hide a server (`domain`): an empty object, as Mastodon answers."""
    _grant, caller = await require_user(request, "write:blocks")
    await services_of(request).graph.block_domain(caller, await _domain(request))
    return json({})


async def unblock_domain(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:blocks")
    await services_of(request).graph.unblock_domain(caller, await _domain(request))
    return json({})


async def _domain(request: Request) -> str:
    domain = text_param(await params(request), "domain").strip()
    if not domain:
        raise InvalidInput("Validation failed: Domain can't be blank")
    return domain


routes = [
    Route("/api/v1/mutes", mutes, methods=["GET"]),
    Route("/api/v1/blocks", blocks, methods=["GET"]),
    Route("/api/v1/domain_blocks", domain_blocks, methods=["GET"]),
    Route("/api/v1/domain_blocks", block_domain, methods=["POST"]),
    Route("/api/v1/domain_blocks", unblock_domain, methods=["DELETE"]),
]
