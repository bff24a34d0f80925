"""Search: accounts by handle or name, posts by their words (among those the searcher has a
reason to look for, core/search/search.py) and hashtags. With `resolve`, a handle unknown here is
looked up on its server and a post URL fetched from its origin first, as Mastodon does."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bocage.core.accounts import accounts
from bocage.core.posts import posts
from bocage.core.search import search as post_search
from bocage.core.timelines import timelines
from bocage.core.timelines.timelines import PostView
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.services.ports import Lookups
from bocage.services.unit import Query, Service
from bocage.store.db import Database
from bocage.store.models import Account

URL_SCHEMES = ("https://", "http://", "ap://")


@dataclass
class Found:
    accounts: list[Account] = field(default_factory=list)
    statuses: list[PostView] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)


class SearchService(Service):
    def __init__(self, db: Database, ctx: Context, lookups: Lookups) -> None:
        super().__init__(db, ctx)
        self._lookups = lookups

    def search(
        self,
        viewer: Account | None,
        query: str,
        *,
        kind: str = "",
        limit: int = 20,
        offset: int = 0,
        by_account: int | None = None,
        resolve: bool = False,
    ) -> Query[Found]:
        """`kind`: "accounts", "statuses", "hashtags" or "" for all three. Read on a
        reader thread: text search may take a while."""
        resolved: list[int] = []

        async def look_up() -> None:
            if query.startswith(URL_SCHEMES) and kind in ("", "statuses"):
                post = await self._lookups.find_post(query)
                if post is not None:
                    resolved.append(post.id)
            elif kind in ("", "accounts") and "@" in query.strip("@"):
                try:
                    await self._lookups.discover(query)
                except NotFound:
                    pass  # searched among the known accounts, like any other query

        wanted = post_search.kinds(query, kind, logged_in=viewer is not None)

        def load(session: Session) -> Found:
            found = Found()
            domain = self._ctx.settings.domain
            if query and "accounts" in wanted:
                found.accounts = accounts.search(session, query, limit, local_domain=domain)
            if resolved and _visible(session, viewer, resolved[0]):
                found.statuses = timelines.hydrate(session, viewer, resolved)
            elif query and viewer is not None and "statuses" in wanted:
                ids = post_search.statuses(
                    session, viewer.id, query, limit=limit, offset=offset, account_id=by_account
                )
                found.statuses = timelines.hydrate(session, viewer, ids)
            if query and "hashtags" in wanted:
                found.hashtags = post_search.hashtags(session, query.lstrip("#"), limit)
            return found

        return self._query(load, before=look_up if resolve else None, off_loop=True)


def _visible(session: Session, viewer: Account | None, post_id: int) -> bool:
    try:
        posts.get_visible(session, viewer.id if viewer else None, post_id)
    except NotFound:
        return False
    return True
