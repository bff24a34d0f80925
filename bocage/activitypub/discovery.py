"""How other servers find this node and its people: WebFinger (RFC 7033), host-meta
(RFC 6415) and NodeInfo 2.0 / 2.1 (https://nodeinfo.diaspora.software)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import quoteattr

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage import __version__
from bocage.activitypub.actors import INSTANCE_ACTOR_NAME
from bocage.core.accounts import accounts
from bocage.core.instance.instance import InstanceInfo, Usage
from bocage.federation.responses import (
    ACTIVITY_JSON,
    JRD_JSON,
    error,
    json_response,
    services_of,
)
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{}"
NODEINFO_VERSIONS = ("2.0", "2.1")
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"


# --- WebFinger ----------------------------------------------------------------------------


def username_of(ctx: Context, resource: str) -> str | None:
    """The local username a WebFinger resource names, or None if it names nobody here.

    Accepts `acct:name@domain` (with or without `acct:`, any case of domain) and the
    account's actor or profile URL. A name no account could have names nobody (it is not
    looked up).
    """
    resource = unquote(resource.strip())
    if resource.startswith(("http://", "https://")):
        if not resource.startswith(ctx.urls.base + "/"):
            return None
        path = urlsplit(resource).path
        for prefix in ("/users/", "/@"):
            name = path[len(prefix) :]
            if path.startswith(prefix) and accounts.USERNAME_RE.fullmatch(name):
                return name
        return INSTANCE_ACTOR_NAME if resource == ctx.urls.instance_actor else None
    name, _, domain = resource.removeprefix("acct:").lstrip("@").rpartition("@")
    if not name or domain.lower() != ctx.settings.domain.lower():
        return None
    # Mastodon also answers for its instance actor under the bare domain name.
    if name.lower() == domain.lower():
        return INSTANCE_ACTOR_NAME
    return name if accounts.USERNAME_RE.fullmatch(name) else None


async def webfinger(request: Request) -> Response:
    resource = request.query_params.get("resource")
    if not resource:
        return error("Say which account: ?resource=acct:name@domain", 400)
    services = services_of(request)
    ctx = services.ctx
    username = username_of(ctx, resource)
    if username is None:
        return error(f"{resource} is not an account on {ctx.settings.domain}.", 404)
    if username == INSTANCE_ACTOR_NAME:
        return json_response(_jrd(ctx, username, ctx.urls.instance_actor, None), JRD_JSON)
    try:
        account = await services.publishing.local_account(username)
    except NotFound:
        return error(f"There is no account {resource} here.", 404)
    if account.suspended:
        return error(f"The account {resource} is suspended.", 410)
    actor = ctx.urls.actor(account.username)
    return json_response(
        _jrd(ctx, account.username, actor, ctx.urls.profile(account.username)), JRD_JSON
    )


def _jrd(ctx: Context, username: str, actor: str, profile: str | None) -> dict[str, object]:
    links: list[dict[str, str]] = [{"rel": "self", "type": ACTIVITY_JSON, "href": actor}]
    if profile:
        page = {"rel": PROFILE_PAGE, "type": "text/html", "href": profile}
        links.insert(0, page)
    return {
        "subject": f"acct:{username}@{ctx.settings.domain}",
        "aliases": [link for link in (profile, actor) if link],
        "links": links,
    }


async def host_meta(request: Request) -> Response:
    template = f"{services_of(request).ctx.urls.base}/.well-known/webfinger?resource={{uri}}"
    if request.url.path.endswith(".json") or "json" in request.headers.get("accept", ""):
        return json_response({"links": [{"rel": "lrdd", "template": template}]})
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template={quoteattr(template)}/>\n'
        "</XRD>\n"
    )
    return Response(xml, media_type="application/xrd+xml")


# --- NodeInfo -----------------------------------------------------------------------------


async def nodeinfo_links(request: Request) -> Response:
    base = services_of(request).ctx.urls.base
    links = [
        {"rel": NODEINFO_SCHEMA.format(version), "href": f"{base}/nodeinfo/{version}"}
        for version in NODEINFO_VERSIONS
    ]
    return json_response({"links": links})


async def nodeinfo(request: Request) -> Response:
    version = request.path_params["version"]
    if version not in NODEINFO_VERSIONS:
        return error(f"NodeInfo {version} is not served here; try 2.0 or 2.1.", 404)
    info, usage = await services_of(request).publishing.node_info()
    document = _nodeinfo(version, info, usage)
    profile = f'application/json; profile="{NODEINFO_SCHEMA.format(version)}#"'
    return json_response(document, profile)


def _nodeinfo(version: str, info: InstanceInfo, usage: Usage) -> dict[str, object]:
    # (2.1 allows software.repository and .homepage: Bocage has no public address yet.)
    software = {"name": "bocage", "version": __version__}
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": info.registration_mode in ("open", "approval"),
        "usage": {
            "users": {
                "total": usage.users,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "metadata": {"nodeName": info.name, "nodeDescription": info.description},
    }


routes = [
    Route("/.well-known/webfinger", webfinger, methods=["GET"]),
    Route("/.well-known/host-meta", host_meta, methods=["GET"]),
    Route("/.well-known/host-meta.json", host_meta, methods=["GET"]),
    Route("/.well-known/nodeinfo", nodeinfo_links, methods=["GET"]),
    Route("/nodeinfo/{version}", nodeinfo, methods=["GET"]),
]
