"""Quote posts (Mastodon 4.5): the accepted quotes of a post, a quote revoked by the quoted
author, who may quote a post changed by its author. Quoting itself is publishing
(`PostService.publish` with a `quoted_post_id`); the federation side is the ActivityPub
face's (`activitypub/receive.py`) over `core/quotes`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bocage.core.posts import posts
from bocage.core.quotes import quotes
from bocage.core.quotes.policy import Choice, QuotePolicy
from bocage.core.timelines import timelines
from bocage.core.timelines.timelines import PostView
from bocage.kernel.context import Context
from bocage.services.unit import Query, Service
from bocage.store.models import Account, Post


@dataclass(frozen=True)
class QuotesPage:
    """The quoting posts of one page, as the viewer sees them, and the quote ids the page
    holds (Mastodon pages them by quote, not by post)."""

    views: list[PostView]
    quote_ids: list[int]


class QuoteService(Service):
    def of_post(
        self,
        viewer: Account | None,
        post_id: int,
        *,
        max_id: int | None = None,
        since_id: int | None = None,
        limit: int = 20,
    ) -> Query[QuotesPage]:
        """The accepted quotes of a post the viewer may see (`NotFound` otherwise), newest
        first, those the viewer may not see left out."""

        def load(session: Session) -> QuotesPage:
            found = quotes.accepted_page(
                session,
                viewer.id if viewer else None,
                post_id,
                max_id=max_id,
                since_id=since_id,
                limit=limit,
            )
            views = timelines.hydrate(session, viewer, [post for _quote, post in found])
            return QuotesPage(views, [quote for quote, _post in found])

        return self._query(load)

    async def revoke(self, owner: Account, post_id: int, quoting_post_id: int) -> int:
        """The owner of `post_id` takes back their consent to `quoting_post_id`'s quote; the
        quoting post's id (to show it)."""
        return await self._db.write(_revoke, self._ctx, owner.id, post_id, quoting_post_id)

    async def set_policy(self, owner: Account, post_id: int, choice: Choice) -> None:
        """Who may quote the owner's post from now on; its Note is sent again."""
        await self._db.write(_set_policy, self._ctx, owner.id, post_id, choice)


def _owner(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    assert account is not None
    return account


def _revoke(
    session: Session, ctx: Context, owner_id: int, post_id: int, quoting_post_id: int
) -> int:
    quote = quotes.revoke(session, ctx, _owner(session, owner_id), post_id, quoting_post_id)
    quoting = session.get(Post, quote.post_id)
    if quoting is not None:
        posts.republish(session, ctx, quoting)  # a local quoting post drops the authorization
    return quote.post_id


def _set_policy(
    session: Session, ctx: Context, owner_id: int, post_id: int, choice: Choice
) -> None:
    owner = _owner(session, owner_id)
    post = session.get(Post, post_id)
    visibility = post.visibility if post is not None else "public"
    changed = quotes.set_policy(session, owner, post_id, QuotePolicy.chosen(choice, visibility))
    posts.republish(session, ctx, changed)
