"""Timelines: home, public (local, remote or both), a hashtag, a list, one account's posts,
the viewer's bookmarks and likes, trends; and markers (where a person stopped reading).
All reads: each returns a `Query` of post views (or of what the timeline holds)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from sqlalchemy.orm import Session

from bocage.core.accounts import accounts
from bocage.core.graph import lists
from bocage.core.reading import markers
from bocage.core.timelines import timelines, trends
from bocage.core.timelines.timelines import Page, PostView, TagFilter
from bocage.core.timelines.trends import TagTrend
from bocage.services.accounts import shown_account
from bocage.services.unit import Query, Service
from bocage.store.models import Account, Marker

Where = Literal["local", "remote", "all"]


class TimelineService(Service):
    def home(self, viewer: Account, page: Page) -> Query[list[PostView]]:
        return self._query(lambda session: timelines.home(session, viewer, page))

    def local(self, viewer: Account | None, page: Page) -> Query[list[PostView]]:
        return self._query(lambda session: timelines.local(session, viewer, page))

    def public(
        self, viewer: Account | None, page: Page, *, where: Where = "all", only_media: bool = False
    ) -> Query[list[PostView]]:
        return self._query(
            lambda session: timelines.public(
                session, viewer, page, where=where, only_media=only_media
            )
        )

    def tag(
        self,
        viewer: Account | None,
        name: str,
        page: Page,
        *,
        local: bool = False,
        remote: bool = False,
        only_media: bool = False,
        tags: TagFilter = TagFilter(),
    ) -> Query[list[PostView]]:
        """A hashtag's public posts (`local`: this node's only; `remote`: others' only),
        with `any[]`, `all[]` and `none[]` (`tags`) as Mastodon's."""
        return self._query(
            lambda session: timelines.tag(
                session,
                viewer,
                name,
                page,
                local=local,
                remote=remote,
                only_media=only_media,
                tags=tags,
            )
        )

    def bookmarks(self, viewer: Account, page: Page) -> Query[list[PostView]]:
        return self._query(lambda session: timelines.bookmarks(session, viewer, page))

    def favourites(self, viewer: Account, page: Page) -> Query[list[PostView]]:
        return self._query(lambda session: timelines.favourites(session, viewer, page))

    def list_timeline(self, viewer: Account, list_id: int, page: Page) -> Query[list[PostView]]:
        return self._query(lambda session: lists.timeline(session, viewer, list_id, page))

    def account_posts(
        self,
        viewer: Account | None,
        account_id: int,
        page: Page,
        *,
        with_replies: bool = True,
        with_boosts: bool = True,
        only_media: bool = False,
        only_pinned: bool = False,
        tagged: str | None = None,
    ) -> Query[list[PostView]]:
        """An account's posts (gone or suspended: `NotFound`), with Mastodon's filters."""

        def load(session: Session) -> list[PostView]:
            account = shown_account(session, account_id)
            return timelines.profile(
                session,
                viewer,
                account,
                page,
                with_replies=with_replies,
                with_boosts=with_boosts,
                only_media=only_media,
                only_pinned=only_pinned,
                tagged=tagged,
            )

        return self._query(load)

    def account_posts_by_name(
        self, viewer: Account, name: str, page: Page
    ) -> Query[tuple[Account, list[PostView]]]:
        """An account (`bob`, `bob@elsewhere`) and a page of its posts."""

        def load(session: Session) -> tuple[Account, list[PostView]]:
            account = accounts.by_name(session, self._ctx.settings.domain, name)
            return account, timelines.profile(session, viewer, account, page)

        return self._query(load)

    def trending_tags(self, limit: int, offset: int) -> Query[list[TagTrend]]:
        # A week of posts to count: on a reader thread.
        return self._query(lambda session: trends.tags(session, limit, offset), off_loop=True)

    def trending_posts(
        self, viewer: Account | None, limit: int, offset: int
    ) -> Query[list[PostView]]:
        def load(session: Session) -> list[PostView]:
            ids = trends.statuses(session, viewer.id if viewer else None, limit, offset)
            return timelines.hydrate(session, viewer, ids)

        return self._query(load, off_loop=True)

    def markers(self, owner: Account, names: Iterable[str]) -> Query[dict[str, Marker]]:
        wanted = list(names)
        return self._query(lambda session: markers.get(session, owner.id, wanted))

    async def save_markers(self, owner: Account, positions: Mapping[str, int]) -> dict[str, Marker]:
        return await self._db.write(markers.save, owner.id, positions)
