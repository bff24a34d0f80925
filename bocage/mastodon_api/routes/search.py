"""Search v2 (accounts, statuses, hashtags) and the caller's preferences.

With `resolve=true`, a handle is looked up on its server (WebFinger) and a post URL is
fetched from its origin, as Mastodon does; otherwise only what this node knows is searched.
Posts are searched by their words among those the searcher wrote, favourited, bookmarked or
was mentioned in (core/search/search.py), as Mastodon's full-text search does for a logged-in person
without its opt-in public index."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.accounts import accounts
from bocage.core.posts import posts
from bocage.core.reading import visibility
from bocage.core.search import search as post_search
from bocage.core.timelines import timelines
from bocage.federation.client import FetchError
from bocage.federation.normalize import Malformed
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import grant_of, require_user
from bocage.mastodon_api.http import count_param, id_param, json, node_of
from bocage.store.models import Account, PostTag


async def search(request: Request) -> Response:
    grant = await grant_of(request)
    query = request.query_params.get("q", "").strip()
    kind = request.query_params.get("type", "")
    limit = count_param(request.query_params.get("limit"), "limit", 40) or 20
    offset = count_param(request.query_params.get("offset"), "offset") or 0
    by_account = id_param(request.query_params.get("account_id"), "account_id")
    node = node_of(request)
    resolve = request.query_params.get("resolve") in ("true", "1") and grant is not None
    viewer = grant.account if grant else None
    post_id = None
    if resolve and query.startswith(("https://", "http://", "ap://")) and kind in ("", "statuses"):
        post_id = await _resolve_post(request, query)
    elif resolve and kind in ("", "accounts"):
        await discover(request, query)

    def load(session: Session, ctx: Context) -> dict[str, Any]:
        found: dict[str, Any] = {"accounts": [], "statuses": [], "hashtags": []}
        if query and kind in ("", "accounts"):
            people = accounts.search(session, query, limit, local_domain=ctx.settings.domain)
            found["accounts"] = [entities.account(ctx, person) for person in people]
        if post_id is not None and _visible(session, viewer, post_id):
            shown = timelines.hydrate(session, viewer, [post_id])
            found["statuses"] = views.statuses(
                session, ctx, shown, viewer, "public", keep_hidden=True
            )
        elif query and viewer is not None and kind in ("", "statuses"):
            ids = post_search.statuses(
                session, viewer.id, query, limit=limit, offset=offset, account_id=by_account
            )
            shown = timelines.hydrate(session, viewer, ids)
            found["statuses"] = views.statuses(
                session, ctx, shown, viewer, "public", keep_hidden=True
            )
        if query and kind in ("", "hashtags"):
            found["hashtags"] = _hashtags(session, ctx, query.lstrip("#"), limit)
        return found

    return json(await node.db.read_off_loop(load, node.ctx))  # text search may take a while


async def discover(request: Request, query: str) -> None:
    """With `resolve`: a handle (`name@server`) this node does not know yet is looked up on
    its server (WebFinger), so that the search below finds it."""
    if "@" not in query.strip("@"):
        return
    try:
        await node_of(request).federation.resolver.discover(query)
    except NotFound:
        pass  # searched among the known accounts, like any other query


def _visible(session: Session, viewer: Account | None, post_id: int) -> bool:
    try:
        posts.get_visible(session, viewer.id if viewer else None, post_id)
    except NotFound:
        return False
    return True


async def _resolve_post(request: Request, url: str) -> int | None:
    try:
        post = await node_of(request).federation.resolver.post(url)
    except (FetchError, Malformed):
        return None
    return post.id if post is not None else None


def _hashtags(session: Session, ctx: Context, prefix: str, limit: int) -> list[dict[str, Any]]:
    if not prefix:
        return []
    rows = session.execute(
        select(PostTag.tag)
        .where(PostTag.tag.like(prefix.lower().replace("%", "").replace("_", "\\_") + "%", "\\"))
        .group_by(PostTag.tag)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [entities.tag(ctx, name) for name in rows.scalars()]


async def preferences(request: Request) -> Response:
    _grant, _caller = await require_user(request, "read:accounts")
    return json(
        {
            "posting:default:visibility": visibility.DEFAULT,
            "posting:default:sensitive": False,
            "posting:default:language": None,
            "reading:expand:media": "default",
            "reading:expand:spoilers": False,
        }
    )


routes = [
    Route("/api/v2/search", search, methods=["GET"]),
    Route("/api/v1/preferences", preferences, methods=["GET"]),
]
