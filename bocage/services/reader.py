"""What a face's presenter may read, in the read unit that produced the value it renders
(`Query.present`): the rows a Mastodon status, notification or live-stream payload needs
beyond that value (a page's tags and mentions in one query each, the viewer's filters, who
reads a post live, the cache of entities built before). Presenters receive a `Reader`, not a
session: what they read is named here, beside the services, and nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.orm import Session

from bocage.core.filters import pages
from bocage.core.filters.pages import Filtered
from bocage.core.graph import lists
from bocage.core.messaging import conversations
from bocage.core.quotes import quotes
from bocage.core.quotes.quotes import QuoteFacts
from bocage.core.timelines import timelines
from bocage.core.timelines.timelines import PostView, PublicTimeline
from bocage.store.db import committed_cache
from bocage.store.models import Account, AccountConversation, Post, PostTag
from bocage.store.prepared import Prepared

M = TypeVar("M")
T = TypeVar("T")

# Built once: building a statement costs more than SQLite takes to run this one.
IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
TAGS_OF = Prepared(select(PostTag.post_id, PostTag.tag).where(PostTag.post_id.in_(IDS)))


@dataclass(frozen=True)
class ConversationPage:
    """Conversations with their participants (each one's, in order) and last posts."""

    rows: list[AccountConversation]
    participants: dict[int, list[Account]]
    last_posts: list[PostView]


def conversation_page(
    session: Session, viewer: Account, rows: list[AccountConversation]
) -> ConversationPage:
    """Conversations with their participants and last posts, read in `session`."""
    people = conversations.participants(session, rows)
    last = timelines.hydrate(session, viewer, [row.last_status_id for row in rows])
    return ConversationPage(rows, people, last)


class Reader:
    """Read-only access to one read unit, for a presenter."""

    __slots__ = ("_session",)

    def __init__(self, session: Session) -> None:
        self._session = session

    # --- rows and caches ------------------------------------------------------------------

    def get(self, model: type[M], ident: int) -> M | None:
        """One row by its id (None if it is gone)."""
        return self._session.get(model, ident)

    def cache(self, name: str, make: Callable[[], T]) -> T | None:
        """The per-process cache `name` of committed rows' renderings (store/db.py
        `committed_cache`); None in a write transaction."""
        return committed_cache(self._session, name, make)

    # --- posts ----------------------------------------------------------------------------

    def hydrate(self, viewer: Account | None, ids: list[int]) -> list[PostView]:
        """PostViews for `ids`, in order, as `viewer` sees them (core/timelines)."""
        return timelines.hydrate(self._session, viewer, ids)

    def with_mentions(self, views: list[PostView]) -> list[PostView]:
        """`views` with who each shown post addresses filled in, in one query."""
        return timelines.with_mentions(self._session, views)

    def tags(self, views: list[PostView]) -> dict[int, list[str]]:
        """The hashtags of each post of a page and of each boosted original, in one query."""
        ids = [view.post.id for view in views]
        ids += [view.reblog.post.id for view in views if view.reblog]
        found: dict[int, list[str]] = defaultdict(list)
        if ids:
            for post_id, tag in TAGS_OF.rows(self._session, {"ids": ids}):
                found[post_id].append(tag)
        return found

    def quotes(self, viewer_id: int | None, views: list[PostView]) -> QuoteFacts:
        """What a page shows of quotes (core/quotes): each shown post's quote as the viewer
        sees it, its quote policy and the viewer's standing, its accepted quotes counted."""
        return quotes.for_page(self._session, viewer_id, [view.shown.post for view in views])

    def tags_of(self, post_id: int) -> set[str]:
        found = self._session.execute(select(PostTag.tag).where(PostTag.post_id == post_id))
        return set(found.scalars())

    def filtered(
        self,
        viewer_id: int | None,
        views: list[PostView],
        context: str,
        *,
        keep_hidden: bool = False,
    ) -> Filtered:
        """A page as `viewer_id`'s filters leave it in `context` (core/filters/pages.py)."""
        return pages.apply(self._session, viewer_id, views, context, keep_hidden=keep_hidden)

    def conversations(self, viewer: Account, rows: list[AccountConversation]) -> ConversationPage:
        return conversation_page(self._session, viewer, rows)

    # --- who reads a post live (the streams) ----------------------------------------------

    def home_readers(self, post_id: int, candidates: list[int]) -> list[int]:
        """Which of `candidates` have the post in their home feed as `home` shows it."""
        return timelines.home_readers(self._session, post_id, candidates)

    def lists_containing(self, post_id: int) -> list[tuple[int, int]]:
        """(list id, owner account id) of every list whose timeline shows the post."""
        return lists.containing(self._session, post_id)

    def list_readers(self, post: Post, candidates: list[int]) -> list[int]:
        """Which list owners among `candidates` their list timeline shows the post to."""
        return timelines.list_readers(self._session, post, candidates)

    def public_readers(
        self, timeline: PublicTimeline, post_id: int, candidates: list[int]
    ) -> list[int]:
        """Which of `candidates` the public or hashtag `timeline` shows the post to."""
        return timeline.readers(self._session, post_id, candidates)

    def as_readers_see_it(self, post_id: int, readers: list[int]) -> dict[int, PostView]:
        """The post as each reader sees it, with their own flags (core/timelines)."""
        return timelines.as_readers_see_it(self._session, post_id, readers)
