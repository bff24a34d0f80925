"""Search v2 (accounts, statuses, hashtags) and the caller's preferences.

With `resolve=true`, a handle is looked up on its server (WebFinger) and a post URL is
fetched from its origin, as Mastodon does; otherwise only what this node knows is searched.
Posts are searched by their words among those the searcher wrote, favourited, bookmarked or
was mentioned in (core/search/search.py), as Mastodon's full-text search does for a logged-in person
without its opt-in public index. The searching is `SearchService`'s."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.reading import visibility
from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import grant_of, require_user
from bocage.mastodon_api.http import count_param, id_param, json, services_of
from bocage.services.reader import Reader
from bocage.services.search import Found


async def search(request: Request) -> Response:
    grant = await grant_of(request)
    query = request.query_params.get("q", "").strip()
    limit = count_param(request.query_params.get("limit"), "limit", 40) or 20
    offset = count_param(request.query_params.get("offset"), "offset") or 0
    by_account = id_param(request.query_params.get("account_id"), "account_id")
    services = services_of(request)
    resolve = request.query_params.get("resolve") in ("true", "1") and grant is not None
    viewer = grant.account if grant else None
    statuses = views.page_of(services.ctx, viewer, "public", keep_hidden=True)

    def present(reader: Reader, found: Found) -> dict[str, Any]:
        return {
            "accounts": [entities.account(services.ctx, person) for person in found.accounts],
            "statuses": statuses(reader, found.statuses) if found.statuses else [],
            "hashtags": [entities.tag(services.ctx, name) for name in found.hashtags],
        }

    asked = services.search.search(
        viewer,
        query,
        kind=request.query_params.get("type", ""),
        limit=limit,
        offset=offset,
        by_account=by_account,
        resolve=resolve,
    )
    return json(await asked.present(present))


async def preferences(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:accounts")
    defaults = await services_of(request).accounts.posting_defaults(caller)
    return json(
        {
            "posting:default:visibility": defaults.privacy or visibility.DEFAULT,
            "posting:default:sensitive": bool(defaults.sensitive),
            "posting:default:language": defaults.language,
            "reading:expand:media": "default",
            "reading:expand:spoilers": False,
        }
    )


routes = [
    Route("/api/v2/search", search, methods=["GET"]),
    Route("/api/v1/preferences", preferences, methods=["GET"]),
]
