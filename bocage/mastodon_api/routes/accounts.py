"""Accounts: the caller's own (`verify_credentials`), any by id, several by id, by handle
(`lookup`), by name (`search`), and an account's posts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.accounts import accounts
from bocage.core.accounts.accounts import PostingDefaults
from bocage.edge import client_host
from bocage.kernel import numbers
from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import grant_of, optional, require, require_user
from bocage.mastodon_api.http import (
    bool_param,
    count_param,
    detailed,
    id_list,
    json,
    link_header,
    page_of,
    params,
    services_of,
    text_param,
)
from bocage.services.accounts import Credentials, ProfileChange


async def verify_credentials(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:accounts")
    services = services_of(request)
    mine = await services.accounts.credentials(caller)
    return json(_credential_account(services.ctx, mine))


def _credential_account(ctx: Any, mine: Credentials) -> dict[str, Any]:
    return entities.credential_account(ctx, mine.account, mine.follow_requests, mine.defaults)


async def show(request: Request) -> Response:
    services = services_of(request)
    account = await services.accounts.shown(request.path_params["id"])
    return json(entities.account(services.ctx, account))


MAX_IDS = 40  # accounts asked for at once, as on Mastodon


async def index(request: Request) -> Response:
    """Several accounts at once (`id[]`), those that exist and may be shown, in order."""
    await optional(request, "read:accounts")
    ids = id_list(await params(request), "id")
    if len(ids) > MAX_IDS:
        raise InvalidInput(f"Validation failed: at most {MAX_IDS} accounts can be asked for")
    services = services_of(request)
    found = await services.accounts.by_ids(ids)
    return json([entities.account(services.ctx, a) for a in found])


async def search(request: Request) -> Response:
    """Accounts by handle or name (`q`), `following` only those the caller follows, with
    `resolve` a handle unknown here looked up on its server; `offset`/`limit` pages."""
    _grant, caller = await require_user(request, "read:accounts")
    values = await params(request)
    services = services_of(request)
    found = await services.accounts.search(
        text_param(values, "q").strip(),
        count_param(values.get("limit"), "limit", 80) or 40,
        offset=count_param(values.get("offset"), "offset") or 0,
        followed_by=caller if bool_param(values, "following") else None,
        resolve=bool_param(values, "resolve"),
    )
    return json([entities.account(services.ctx, account) for account in found])


async def lookup(request: Request) -> Response:
    services = services_of(request)
    handle = request.query_params.get("acct", "").strip().removeprefix("@")
    return json(entities.account(services.ctx, await services.accounts.lookup(handle)))


async def statuses(request: Request) -> Response:
    """An account's posts, with Mastodon's filters: `exclude_replies`, `exclude_reblogs`,
    `only_media`, `pinned` (only pinned posts) and `tagged` (one hashtag)."""
    grant = await grant_of(request)
    viewer = grant.account if grant else None
    services, page = services_of(request), page_of(request)
    query = dict(request.query_params)
    found = services.timelines.account_posts(
        viewer,
        request.path_params["id"],
        page,
        with_replies=not bool_param(query, "exclude_replies"),
        with_boosts=not bool_param(query, "exclude_reblogs"),
        only_media=bool_param(query, "only_media"),
        only_pinned=bool_param(query, "pinned"),
        tagged=text_param(query, "tagged").strip() or None,
    )
    answer = await found.present(views.page_of(services.ctx, viewer, "account"))
    return json(answer, headers=link_header(request, views.page_ids(answer)))


async def update_credentials(request: Request) -> Response:
    """PATCH with any of display_name, note, locked, bot, discoverable, indexable,
    hide_collections, source[privacy], source[sensitive], source[language],
    fields_attributes, avatar, header: what is not sent stays as it is; a value that cannot
    be one of these is a 422 naming it."""
    return await detailed(_update_credentials(request))


async def _update_credentials(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:accounts")
    services = services_of(request)
    values = await params(request, max_bytes=services.ctx.settings.max_request_bytes)
    mine = await services.accounts.update_profile(caller, await _profile_change(values))
    return json(_credential_account(services.ctx, mine))


async def _profile_change(values: dict[str, Any]) -> ProfileChange:
    """What `update_credentials` and `PATCH /api/v1/profile` change, from what the app sent."""
    source = _source(values)
    return ProfileChange(
        display_name=_given_text(values, "display_name"),
        note=_given_text(values, "note"),
        locked=_flag(values, "locked"),
        fields=_fields(values),
        avatar=await _upload(values, "avatar"),
        header=await _upload(values, "header"),
        bot=_flag(values, "bot"),
        discoverable=_flag(values, "discoverable"),
        indexable=_flag(values, "indexable"),
        hide_collections=_flag(values, "hide_collections"),
        defaults=PostingDefaults(
            privacy=_given_text(source, "privacy", "source[privacy]"),
            sensitive=_flag(source, "sensitive", "source[sensitive]"),
            language=_given_text(source, "language", "source[language]"),
        ),
    )


async def profile(request: Request) -> Response:
    """`GET /api/v1/profile` (Mastodon 4.6): one's own profile as its settings screen edits
    it. A `profile`-only token may read it, as on Mastodon."""
    grant = await grant_of(request)
    if grant is not None and grant.allows("profile") and grant.account is not None:
        caller = grant.account
    else:
        _grant, caller = await require_user(request, "read:accounts")
    return await _profile_answer(request, caller)


async def _profile_answer(request: Request, caller: Any) -> Response:
    services = services_of(request)
    mine = await services.accounts.credentials(caller)
    featured = await services.accounts.featured_tags(caller)
    return json(entities.profile(services.ctx, mine.account, featured))


async def update_profile(request: Request) -> Response:
    """`PATCH /api/v1/profile` (Mastodon 4.6): what `update_credentials` changes, answered
    with the Profile. What Bocage does not keep (image descriptions, the media and featured
    tabs, attribution domains) is accepted when it asks for what Bocage does (no
    description, the tabs shown, no domains), and refused naming the field otherwise:
    never taken and silently dropped."""
    return await detailed(_update_profile(request))


# Profile settings Bocage does not keep, with the one value it has for each.
FIXED_PROFILE = {
    "avatar_description": "",
    "header_description": "",
    "show_media": True,
    "show_media_replies": True,
    "show_featured": True,
}


async def _update_profile(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:accounts")
    services = services_of(request)
    values = await params(request, max_bytes=services.ctx.settings.max_request_bytes)
    for name, kept in FIXED_PROFILE.items():
        given = _flag(values, name) if isinstance(kept, bool) else _given_text(values, name)
        if given is not None and given != kept:
            raise InvalidInput(
                f"Validation failed: {name} cannot be changed on this server (it keeps "
                f"{str(kept).lower() if isinstance(kept, bool) else 'none'})",
                field=name,
                code="invalid",
            )
    domains = values.get("attribution_domains")
    if domains not in (None, "", []) and domains != [""]:
        raise InvalidInput(
            "Validation failed: attribution_domains cannot be set on this server",
            field="attribution_domains",
            code="invalid",
        )
    await services.accounts.update_profile(caller, await _profile_change(values))
    return await _profile_answer(request, caller)


# Rails' boolean casting, without its "anything else is true": an app that sends `bot=maybe`
# is told, not believed.
TRUE_WORDS = ("1", "true", "t", "on", "yes", "y")
FALSE_WORDS = ("0", "false", "f", "off", "no", "n")


def _flag(values: dict[str, Any], name: str, label: str | None = None) -> bool | None:
    """A boolean parameter, None when not sent (or sent empty or null); `InvalidInput`
    naming it (`label`) for anything else than Rails' words for true and false."""
    value = values.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    shown = label or name
    raise InvalidInput(
        f"Validation failed: {shown} must be true or false, not {str(value)[:40]!r}",
        field=shown,
        code="invalid",
    )


def _source(values: dict[str, Any]) -> dict[str, Any]:
    """`source[privacy]=…` (forms) or `{"source": {"privacy": …}}` (JSON)."""
    given = values.get("source")
    if given is not None and not isinstance(given, dict):
        raise InvalidInput(
            "Validation failed: source must be an object with privacy, sensitive and language",
            field="source",
            code="invalid",
        )
    found = dict(given or {})
    for key, value in values.items():
        if key.startswith("source[") and key.endswith("]"):
            found[key[len("source[") : -1]] = value
    return found


def _given_text(values: dict[str, Any], name: str, label: str | None = None) -> str | None:
    """A text parameter, or None when it is not sent (or sent as null)."""
    if values.get(name) is None:
        return None
    if not isinstance(values[name], str | int | float | bool):
        shown = label or name
        raise InvalidInput(f"Validation failed: {shown} must be a text", field=shown)
    return str(values[name])


async def _upload(values: dict[str, Any], name: str) -> bytes | None:
    upload = values.get(name)
    return await upload.read() if isinstance(upload, UploadFile) else None


def _fields(values: dict[str, Any]) -> list[tuple[str, str]] | None:
    """`fields_attributes[0][name]=…` (forms) or `{"fields_attributes": [{…}]}` (JSON)."""
    given = values.get("fields_attributes")
    if isinstance(given, dict):
        given = [given[key] for key in sorted(given, key=str)]
    if isinstance(given, list):
        return [
            (str(f.get("name", "")), str(f.get("value", ""))) for f in given if isinstance(f, dict)
        ]
    indexed: dict[str, dict[str, str]] = {}
    for key, value in values.items():
        if key.startswith("fields_attributes[") and key.endswith("]"):
            index, _, part = key[len("fields_attributes[") : -1].partition("][")
            indexed.setdefault(index, {})[part] = str(value)
    if not indexed:
        return None
    ordered = sorted(indexed.items(), key=lambda item: numbers.parse_id(item[0]) or 0)
    return [(f.get("name", ""), f.get("value", "")) for _, f in ordered]


def _remove_image(which: str) -> Callable[[Request], Awaitable[Response]]:
    """`DELETE /api/v1/profile/avatar|header`: back to the default picture; answers the
    CredentialAccount (Mastodon 4.2), also when there was none."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, "write:accounts")
        services = services_of(request)
        mine = await services.accounts.remove_profile_image(caller, which)
        return json(_credential_account(services.ctx, mine))

    return endpoint


async def register(request: Request) -> Response:
    """Sign-up from an app, honouring the node's registration mode (closed, approval,
    invite, open); answers the new person's Token."""
    return await detailed(_register(request))


async def _register(request: Request) -> Response:
    grant = await require(request, "write:accounts")
    values = await params(request)
    if not bool_param(values, "agreement"):
        raise InvalidInput("Agreement must be accepted", field="agreement", code="accepted")
    form = accounts.Registration(
        username=text_param(values, "username"),
        email=text_param(values, "email"),
        password=text_param(values, "password"),
        reason=text_param(values, "reason"),
        invite_code=text_param(values, "invite_code") or None,
    )
    # Counted per address, not per token.
    signed_up = await services_of(request).accounts.register(form, client_host(request), grant.app)
    assert signed_up.token is not None
    token, row = signed_up.token
    return json(
        {
            "access_token": token,
            "token_type": "Bearer",
            "scope": row.scopes,
            "created_at": int(row.created_at.timestamp()),
        }
    )


routes = [
    Route("/api/v1/accounts", register, methods=["POST"]),
    Route("/api/v1/accounts", index, methods=["GET"]),
    Route("/api/v1/accounts/update_credentials", update_credentials, methods=["PATCH"]),
    Route("/api/v1/accounts/verify_credentials", verify_credentials, methods=["GET"]),
    Route("/api/v1/accounts/lookup", lookup, methods=["GET"]),
    Route("/api/v1/accounts/search", search, methods=["GET"]),
    Route("/api/v1/accounts/{id:id}", show, methods=["GET"]),
    Route("/api/v1/accounts/{id:id}/statuses", statuses, methods=["GET"]),
    Route("/api/v1/profile", profile, methods=["GET"]),
    Route("/api/v1/profile", update_profile, methods=["PATCH"]),
    Route("/api/v1/profile/avatar", _remove_image("avatar"), methods=["DELETE"]),
    Route("/api/v1/profile/header", _remove_image("header"), methods=["DELETE"]),
]
