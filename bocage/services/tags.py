"""Hashtags as things a person acts on: one tag with its week of use and the caller's
relation to it (`following`, `featuring`), following and unfollowing it (its public posts
then come into their home feed: core/timelines/feeds.py), featuring it on their profile,
and the tags they follow."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bocage.core.accounts import featured_tags
from bocage.core.graph import tag_follows
from bocage.core.timelines import trends
from bocage.core.timelines.trends import DayUse
from bocage.kernel.context import Context
from bocage.services.unit import Query, Service
from bocage.store.models import Account


@dataclass(frozen=True)
class TagView:
    name: str  # as asked for, or as its follower wrote it
    history: list[DayUse]  # newest day first
    following: bool | None  # None: nobody logged in (Mastodon leaves the fields out)
    featuring: bool | None
    follow_id: int | None = None  # a followed tag's place in the caller's list (paging)


class TagService(Service):
    def tag(self, viewer: Account | None, name: str) -> Query[TagView]:
        """A hashtag (`NotFound` if no post's #hashtag could be `name`)."""
        return self._query(lambda session: _view(session, viewer, name))

    async def follow(self, caller: Account, name: str) -> TagView:
        return await self._db.write(_act, self._ctx, caller.id, name, "follow")

    async def unfollow(self, caller: Account, name: str) -> TagView:
        return await self._db.write(_act, self._ctx, caller.id, name, "unfollow")

    async def feature(self, caller: Account, name: str) -> TagView:
        return await self._db.write(_act, self._ctx, caller.id, name, "feature")

    async def unfeature(self, caller: Account, name: str) -> TagView:
        return await self._db.write(_act, self._ctx, caller.id, name, "unfeature")

    def followed(
        self, caller: Account, limit: int, max_id: int | None, min_id: int | None
    ) -> Query[list[TagView]]:
        """The caller's followed tags, the latest followed first."""

        def load(session: Session) -> list[TagView]:
            rows = tag_follows.page(session, caller.id, limit, max_id, min_id)
            _following, featuring = tag_follows.relations(session, caller.id, [r.tag for r in rows])
            return [
                TagView(
                    row.name,
                    trends.tag_history(session, row.tag),
                    True,
                    row.tag in featuring,
                    row.id,
                )
                for row in rows
            ]

        return self._query(load)


def _view(session: Session, viewer: Account | None, name: str) -> TagView:
    tag = tag_follows.valid_tag(name)
    history = trends.tag_history(session, tag)
    if viewer is None:
        return TagView(name, history, None, None)
    following, featuring = tag_follows.relations(session, viewer.id, [tag])
    return TagView(name, history, tag in following, tag in featuring)


def _act(session: Session, ctx: Context, caller_id: int, name: str, action: str) -> TagView:
    me = session.get(Account, caller_id)
    assert me is not None  # the caller's token was just checked
    tag_follows.valid_tag(name)
    if action == "follow":
        tag_follows.follow(session, me.id, name)
    elif action == "unfollow":
        tag_follows.unfollow(session, me.id, name)
    elif action == "feature":
        featured_tags.feature_name(session, ctx, me, name)
    else:
        featured_tags.unfeature_name(session, ctx, me, name)
    return _view(session, me, name)
