"""What clients read first: `/api/v1/instance`, `/api/v2/instance` and their companions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage import __version__
from bocage.core.instance import instance
from bocage.core.limits import limits
from bocage.mastodon_api.entities import VERSION
from bocage.mastodon_api.http import json, services_of


async def _configuration(request: Request) -> dict[str, Any]:
    """The limits clients check before they post: those the core enforces (core/limits),
    with the admin's media rules."""
    services = services_of(request)
    ctx = services.ctx
    found = limits.of(ctx.settings, await services.media.rules())
    return {
        "urls": {"streaming": ctx.urls.base.replace("http", "ws", 1)},
        "accounts": {
            "max_featured_tags": found.max_featured_tags,
            "max_pinned_statuses": found.max_pinned_statuses,
        },
        "statuses": {
            "max_characters": found.max_characters,
            "max_media_attachments": found.max_media_attachments,
            "characters_reserved_per_url": found.characters_reserved_per_url,
        },
        "media_attachments": {
            "supported_mime_types": [*found.image_types, *found.document_types],
            "image_size_limit": found.image_size_limit,
            "image_matrix_limit": found.image_matrix_limit,
            # No video or audio is accepted yet (Mastodon's 0: none).
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {
            "max_options": found.max_poll_options,
            "max_characters_per_option": found.max_poll_option_characters,
            "min_expiration": found.min_poll_expiration,
            "max_expiration": found.max_poll_expiration,
        },
        "translation": {"enabled": False},
        "vapid": {"public_key": await services.push.server_key()},
    }


def _version(_request: Request) -> str:
    return f"{VERSION} (compatible; Bocage {__version__})"


async def instance_v1(request: Request) -> Response:
    services = services_of(request)
    info, usage, domains = await services.instance.facts()
    mode = info.registration_mode
    configuration = await _configuration(request)
    return json(
        {
            "uri": services.ctx.settings.domain,
            "title": info.name,
            "short_description": info.description,
            "description": info.description,
            "email": "",
            "version": _version(request),
            "urls": {"streaming_api": configuration["urls"]["streaming"]},
            "stats": {
                "user_count": usage.users,
                "status_count": usage.local_posts,
                "domain_count": domains,
            },
            "thumbnail": None,
            "languages": ["en"],
            "registrations": mode in ("open", "approval"),
            "approval_required": mode == "approval",
            "invites_enabled": True,
            "configuration": configuration,
            "contact_account": None,
            "rules": _rules(info),
        }
    )


async def instance_v2(request: Request) -> Response:
    services = services_of(request)
    info, usage, _domains = await services.instance.facts()
    mode = info.registration_mode
    configuration = await _configuration(request)
    return json(
        {
            "domain": services.ctx.settings.domain,
            "title": info.name,
            "version": _version(request),
            "source_url": "https://github.com/bocage-social/bocage",
            "description": info.description,
            "usage": {"users": {"active_month": usage.active_month}},
            "thumbnail": {"url": f"{services.ctx.urls.base}/static/header-missing.png"},
            "icon": [],  # the app icon in several sizes; none uploaded yet
            "languages": ["en"],
            "configuration": configuration,
            "registrations": {
                "enabled": mode in ("open", "approval"),
                "approval_required": mode == "approval",
                "message": None,
            },
            "api_versions": {"mastodon": 2},
            "contact": {"email": "", "account": None},
            "rules": _rules(info),
        }
    )


def _rules(info: instance.InstanceInfo) -> list[dict[str, str]]:
    return [{"id": str(n), "text": rule, "hint": ""} for n, rule in enumerate(info.rules, 1)]


async def rules(request: Request) -> Response:
    info = await services_of(request).instance.info()
    return json(_rules(info))


async def peers(request: Request) -> Response:
    return json(await services_of(request).instance.peers())


async def empty_list(_request: Request) -> Response:
    """Custom emojis and trends: none here yet, and clients only need a valid answer."""
    return json([])


routes = [
    Route("/api/v1/instance", instance_v1, methods=["GET"]),
    Route("/api/v2/instance", instance_v2, methods=["GET"]),
    Route("/api/v1/instance/rules", rules, methods=["GET"]),
    Route("/api/v1/instance/peers", peers, methods=["GET"]),
    Route("/api/v1/custom_emojis", empty_list, methods=["GET"]),
]
