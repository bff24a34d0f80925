"""What clients read first: `/api/v1/instance`, `/api/v2/instance` and their companions
(rules, peers, activity, the about text, the blocked servers, languages, terms of service),
custom emojis (none) and `/health`."""

from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bocage import __version__
from bocage.core.instance import instance
from bocage.core.instance.languages import LANGUAGES
from bocage.core.limits import limits
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import grant_of
from bocage.mastodon_api.entities import VERSION, timestamp
from bocage.mastodon_api.http import error, json, services_of


async def _configuration(request: Request) -> dict[str, Any]:
    """The limits clients check before they post: those the core enforces (core/limits),
    with the admin's media rules."""
    services = services_of(request)
    ctx = services.ctx
    found = limits.of(ctx.settings, await services.media.rules())
    return {
        "urls": {
            "streaming": ctx.urls.base.replace("http", "ws", 1),
            "status": None,  # no status page
            "about": f"{ctx.urls.base}/about",
            "privacy_policy": None,  # the node publishes none
            "terms_of_service": None,  # nor terms of service
        },
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
            "description_limit": found.max_media_description,
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
    facts = await services.instance.facts()
    info, usage, domains = facts.info, facts.usage, facts.domains
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
            "contact_account": _contact(request, facts),
            "rules": _rules(info),
        }
    )


async def instance_v2(request: Request) -> Response:
    services = services_of(request)
    facts = await services.instance.facts()
    info, usage = facts.info, facts.usage
    mode = info.registration_mode
    configuration = await _configuration(request)
    # Mastodon's limited federation mode is this node's allow-list mode (v2 only: v1 predates it).
    configuration["limited_federation"] = facts.federation_mode == "allowlist"
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
                "reason_required": False,  # a reason is asked for, never required
                "message": None,
                "min_age": None,  # no minimum age is set
                "url": None,  # sign-ups happen here, not at another site
            },
            "api_versions": {"mastodon": 2},
            "contact": {"email": "", "account": _contact(request, facts)},
            "wrapstodon": None,  # no annual report campaign (annual_reports.py)
            "rules": _rules(info),
        }
    )


def _contact(request: Request, facts: Any) -> dict[str, Any] | None:
    """The node's contact account (its first admin) as an Account, or null without one."""
    found = facts.contact
    return None if found is None else entities.account(services_of(request).ctx, found)


def _rules(info: instance.InstanceInfo) -> list[dict[str, Any]]:
    """Rules as Mastodon's Rule (ids are positions; no translations here)."""
    return [
        {"id": str(n), "text": rule.text, "hint": rule.hint, "translations": {}}
        for n, rule in enumerate(info.rules, 1)
    ]


async def rules(request: Request) -> Response:
    info = await services_of(request).instance.info()
    return json(_rules(info))


async def peers(request: Request) -> Response:
    return json(await services_of(request).instance.peers())


async def activity(request: Request) -> Response:
    """Twelve weeks, this one first, numbers as strings (Mastodon's shape). Not served in
    allow-list mode, as Mastodon in its limited federation mode."""
    services = services_of(request)
    if await services.instance.federation_mode() == "allowlist":
        return error("Record not found", 404)
    weeks = await services.instance.activity()
    return json(
        [
            {
                "week": str(int(week.start.timestamp())),
                "statuses": str(week.statuses),
                "logins": str(week.logins),
                "registrations": str(week.registrations),
            }
            for week in weeks
        ]
    )


async def extended_description(request: Request) -> Response:
    """The admins' about text (the instance page's description), as HTML."""
    about = await services_of(request).instance.about()
    updated = about.updated_at
    content = "".join(
        f"<p>{html.escape(part.strip()).replace(chr(10), '<br>')}</p>"
        for part in about.description.split("\n\n")
        if part.strip()
    )
    return json({"updated_at": timestamp(updated) if updated else None, "content": content})


async def domain_blocks(request: Request) -> Response:
    """The servers this node blocks, as the admins chose to show them (to everyone, to the
    people signed in here, or to nobody: 404), each with the SHA-256 of its domain."""
    grant = await grant_of(request)
    signed_in = grant is not None and grant.account is not None
    found = await services_of(request).instance.public_domain_blocks(signed_in)
    if found is None:
        return error("Record not found", 404)
    return json(
        [
            {
                "domain": block.domain,
                "digest": block.digest,
                "severity": block.severity,
                "comment": block.comment,
            }
            for block in found
        ]
    )


async def languages(_request: Request) -> Response:
    return json([{"code": code, "name": name} for code, name in LANGUAGES])


async def translation_languages(_request: Request) -> Response:
    """Nothing is translated here: Mastodon without a translation service answers `{}`."""
    return json({})


async def terms_of_service(_request: Request) -> Response:
    """The node publishes no terms of service: Mastodon's answer when it has none."""
    return error("Record not found", 404)


async def health(_request: Request) -> Response:
    return PlainTextResponse("OK")


async def empty_list(_request: Request) -> Response:
    """Custom emojis: none here, and clients only need a valid answer."""
    return json([])


routes = [
    Route("/api/v1/instance", instance_v1, methods=["GET"]),
    Route("/api/v2/instance", instance_v2, methods=["GET"]),
    Route("/api/v1/instance/rules", rules, methods=["GET"]),
    Route("/api/v1/instance/peers", peers, methods=["GET"]),
    Route("/api/v1/instance/activity", activity, methods=["GET"]),
    Route("/api/v1/instance/extended_description", extended_description, methods=["GET"]),
    Route("/api/v1/instance/domain_blocks", domain_blocks, methods=["GET"]),
    Route("/api/v1/instance/languages", languages, methods=["GET"]),
    Route("/api/v1/instance/translation_languages", translation_languages, methods=["GET"]),
    Route("/api/v1/instance/terms_of_service", terms_of_service, methods=["GET"]),
    Route("/api/v1/instance/terms_of_service/{date}", terms_of_service, methods=["GET"]),
    Route("/health", health, methods=["GET", "HEAD"]),
    Route("/api/v1/custom_emojis", empty_list, methods=["GET"]),
]
