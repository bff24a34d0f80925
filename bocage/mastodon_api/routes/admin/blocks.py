"""Admin e-mail domain blocks, canonical e-mail blocks and IP blocks
(docs.joinmastodon.org/methods/admin/email_domain_blocks, /canonical_email_blocks,
/ip_blocks): what sign-ups, and requests, they refuse is core/moderation/signup_blocks.py's."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.mastodon_api.admin_entities import canonical_email_block, email_domain_block, ip_block
from bocage.mastodon_api.http import count_param, json, link_header, params, services_of, text_param
from bocage.mastodon_api.routes.admin.common import admin, paging, path_id

EMAIL_READ, EMAIL_WRITE = "admin:read:email_domain_blocks", "admin:write:email_domain_blocks"
CANON_READ = "admin:read:canonical_email_blocks"
CANON_WRITE = "admin:write:canonical_email_blocks"
IP_READ, IP_WRITE = "admin:read:ip_blocks", "admin:write:ip_blocks"


async def email_domains(request: Request) -> Response:
    await admin(request, EMAIL_READ)
    found = await services_of(request).admin.email_domain_blocks(**paging(request))
    ids = [view.block.id for view in found]
    return json([email_domain_block(view) for view in found], headers=link_header(request, ids))


async def email_domain(request: Request) -> Response:
    await admin(request, EMAIL_READ)
    row = await services_of(request).admin.email_domain_block(path_id(request))
    return json(email_domain_block(row))


async def create_email_domain(request: Request) -> Response:
    caller = await admin(request, EMAIL_WRITE)
    values = await params(request)
    row = await services_of(request).admin.create_email_domain_block(
        caller, text_param(values, "domain")
    )
    return json(email_domain_block(row))


async def delete_email_domain(request: Request) -> Response:
    caller = await admin(request, EMAIL_WRITE)
    await services_of(request).admin.delete_email_domain_block(caller, path_id(request))
    return json({})


async def canonicals(request: Request) -> Response:
    await admin(request, CANON_READ)
    found = await services_of(request).admin.canonical_email_blocks(**paging(request))
    ids = [row.id for row in found]
    return json([canonical_email_block(row) for row in found], headers=link_header(request, ids))


async def canonical(request: Request) -> Response:
    await admin(request, CANON_READ)
    row = await services_of(request).admin.canonical_email_block(path_id(request))
    return json(canonical_email_block(row))


async def test_canonical(request: Request) -> Response:
    await admin(request, CANON_READ)
    values = await params(request)
    found = await services_of(request).admin.test_canonical_email(text_param(values, "email"))
    return json([canonical_email_block(row) for row in found])


async def create_canonical(request: Request) -> Response:
    caller = await admin(request, CANON_WRITE)
    values = await params(request)
    row = await services_of(request).admin.create_canonical_email_block(
        caller,
        text_param(values, "email") or None,
        text_param(values, "canonical_email_hash") or None,
    )
    return json(canonical_email_block(row))


async def delete_canonical(request: Request) -> Response:
    caller = await admin(request, CANON_WRITE)
    await services_of(request).admin.delete_canonical_email_block(caller, path_id(request))
    return json({})


async def ips(request: Request) -> Response:
    await admin(request, IP_READ)
    found = await services_of(request).admin.ip_blocks(**paging(request))
    ids = [row.id for row in found]
    return json([ip_block(row) for row in found], headers=link_header(request, ids))


async def ip(request: Request) -> Response:
    await admin(request, IP_READ)
    return json(ip_block(await services_of(request).admin.ip_block(path_id(request))))


async def create_ip(request: Request) -> Response:
    caller = await admin(request, IP_WRITE)
    values = await params(request)
    row = await services_of(request).admin.create_ip_block(
        caller,
        text_param(values, "ip"),
        text_param(values, "severity"),
        text_param(values, "comment"),
        count_param(values.get("expires_in"), "expires_in"),
    )
    return json(ip_block(row))


async def update_ip(request: Request) -> Response:
    caller = await admin(request, IP_WRITE)
    values = await params(request)
    changes = {
        key: text_param(values, key) for key in ("ip", "severity", "comment") if key in values
    }
    row = await services_of(request).admin.update_ip_block(
        caller,
        path_id(request),
        expires_in=count_param(values.get("expires_in"), "expires_in"),
        **changes,
    )
    return json(ip_block(row))


async def delete_ip(request: Request) -> Response:
    caller = await admin(request, IP_WRITE)
    await services_of(request).admin.delete_ip_block(caller, path_id(request))
    return json({})


routes = [
    Route("/api/v1/admin/email_domain_blocks", email_domains, methods=["GET"]),
    Route("/api/v1/admin/email_domain_blocks", create_email_domain, methods=["POST"]),
    Route("/api/v1/admin/email_domain_blocks/{id}", email_domain, methods=["GET"]),
    Route("/api/v1/admin/email_domain_blocks/{id}", delete_email_domain, methods=["DELETE"]),
    Route("/api/v1/admin/canonical_email_blocks", canonicals, methods=["GET"]),
    Route("/api/v1/admin/canonical_email_blocks", create_canonical, methods=["POST"]),
    Route("/api/v1/admin/canonical_email_blocks/test", test_canonical, methods=["POST"]),
    Route("/api/v1/admin/canonical_email_blocks/{id}", canonical, methods=["GET"]),
    Route("/api/v1/admin/canonical_email_blocks/{id}", delete_canonical, methods=["DELETE"]),
    Route("/api/v1/admin/ip_blocks", ips, methods=["GET"]),
    Route("/api/v1/admin/ip_blocks", create_ip, methods=["POST"]),
    Route("/api/v1/admin/ip_blocks/{id}", ip, methods=["GET"]),
    Route("/api/v1/admin/ip_blocks/{id}", update_ip, methods=["PUT"]),
    Route("/api/v1/admin/ip_blocks/{id}", delete_ip, methods=["DELETE"]),
]
