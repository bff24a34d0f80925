"""Admin domain blocks and allows (docs.joinmastodon.org/methods/admin/domain_blocks,
/domain_allows), over the node's one set of domain rules."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.moderation.admin_domains import ExistingBlock, domain_id
from bocage.mastodon_api.admin_entities import domain_allow, domain_block
from bocage.mastodon_api.http import bool_param, json, link_header, params, services_of, text_param
from bocage.mastodon_api.routes.admin.common import admin, paging, path_id

READ_BLOCKS, WRITE_BLOCKS = "admin:read:domain_blocks", "admin:write:domain_blocks"
READ_ALLOWS, WRITE_ALLOWS = "admin:read:domain_allows", "admin:write:domain_allows"
OPTIONS = ("reject_media", "reject_reports", "obfuscate")
COMMENTS = ("private_comment", "public_comment")


def _options(values: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if text_param(values, "severity"):
        found["severity"] = text_param(values, "severity")
    for key in OPTIONS:
        if key in values:
            found[key] = bool_param(values, key)
    for key in COMMENTS:
        if key in values:
            found[key] = text_param(values, key)
    return found


async def blocks(request: Request) -> Response:
    await admin(request, READ_BLOCKS)
    found = await services_of(request).admin.domain_blocks(**paging(request))
    ids = [domain_id(row.domain) for row in found]
    return json([domain_block(row) for row in found], headers=link_header(request, ids))


async def block(request: Request) -> Response:
    await admin(request, READ_BLOCKS)
    return json(domain_block(await services_of(request).admin.domain_block(path_id(request))))


async def create_block(request: Request) -> Response:
    caller = await admin(request, WRITE_BLOCKS)
    values = await params(request)
    try:
        row = await services_of(request).admin.create_domain_block(
            caller, text_param(values, "domain"), **_options(values)
        )
    except ExistingBlock as existing:
        return json(
            {"error": existing.message, "existing_domain_block": domain_block(existing.existing)},
            422,
        )
    return json(domain_block(row))


async def update_block(request: Request) -> Response:
    caller = await admin(request, WRITE_BLOCKS)
    values = await params(request)
    row = await services_of(request).admin.update_domain_block(
        caller, path_id(request), **_options(values)
    )
    return json(domain_block(row))


async def delete_block(request: Request) -> Response:
    caller = await admin(request, WRITE_BLOCKS)
    await services_of(request).admin.delete_domain_block(caller, path_id(request))
    return json({})


async def allows(request: Request) -> Response:
    await admin(request, READ_ALLOWS)
    found = await services_of(request).admin.domain_allows(**paging(request))
    ids = [domain_id(row.domain) for row in found]
    return json([domain_allow(row) for row in found], headers=link_header(request, ids))


async def allow(request: Request) -> Response:
    await admin(request, READ_ALLOWS)
    return json(domain_allow(await services_of(request).admin.domain_allow(path_id(request))))


async def create_allow(request: Request) -> Response:
    caller = await admin(request, WRITE_ALLOWS)
    values = await params(request)
    row = await services_of(request).admin.create_domain_allow(caller, text_param(values, "domain"))
    return json(domain_allow(row))


async def delete_allow(request: Request) -> Response:
    caller = await admin(request, WRITE_ALLOWS)
    await services_of(request).admin.delete_domain_allow(caller, path_id(request))
    return json({})


routes = [
    Route("/api/v1/admin/domain_blocks", blocks, methods=["GET"]),
    Route("/api/v1/admin/domain_blocks", create_block, methods=["POST"]),
    Route("/api/v1/admin/domain_blocks/{id}", block, methods=["GET"]),
    Route("/api/v1/admin/domain_blocks/{id}", update_block, methods=["PUT"]),
    Route("/api/v1/admin/domain_blocks/{id}", delete_block, methods=["DELETE"]),
    Route("/api/v1/admin/domain_allows", allows, methods=["GET"]),
    Route("/api/v1/admin/domain_allows", create_allow, methods=["POST"]),
    Route("/api/v1/admin/domain_allows/{id}", allow, methods=["GET"]),
    Route("/api/v1/admin/domain_allows/{id}", delete_allow, methods=["DELETE"]),
]
