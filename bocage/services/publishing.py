"""What this node serves to other servers: its accounts' actor documents and the instance
actor's key, posts as the signed Notes their authors published, the collections servers walk
to backfill a profile or a thread (outbox, followers, following, replies, featured posts and
tags, a thread's context) with their counts and pages, the accounts WebFinger names, and the
facts NodeInfo publishes.

A signed GET is answered as its signer's server may see (`fetching_server`): in
authorized-fetch mode a signature is required; otherwise a signed request is still read as
its signer's, as Mastodon reads it (`signed_request_account`), so the server of an account an
author blocks is shown none of that author's posts and collections (`shuts_out`). The
ActivityPub face renders what these return as ActivityStreams."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.accounts import accounts, featured_tags, moves
from bocage.core.authorship import actor_document, authoring
from bocage.core.collections import featuring
from bocage.core.graph import graph
from bocage.core.instance import instance
from bocage.core.instance.instance import InstanceInfo, Usage
from bocage.core.posts import contexts
from bocage.core.quotes import quotes
from bocage.core.reading import visibility
from bocage.core.reading.visibility import OPEN
from bocage.core.timelines import outbox, pins
from bocage.crypto import httpsig
from bocage.federation import signatures
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.services.ports import SignatureChecks
from bocage.services.unit import Query, Service
from bocage.store.db import Database
from bocage.store.models import Account, Post

MAX_REPLIES_LISTED = 100
UNSIGNED = "This node answers only signed requests (authorized fetch)."
REFUSED = "This node does not federate with your server."


class PublishingService(Service):
    def __init__(self, db: Database, ctx: Context, checks: SignatureChecks) -> None:
        super().__init__(db, ctx)
        self._checks = checks

    # --- who asks -------------------------------------------------------------------------

    async def fetching_server(self, request: httpsig.Request) -> str | None:
        """The domain of the server that signed the GET: the answer is for the people it
        serves. None: served as to anyone (unsigned, or a signature that does not verify,
        outside authorized-fetch mode). `SignatureError` with the status to answer otherwise.
        Actor documents stay open in every mode: a server must read an actor's key before it
        can check any signature."""
        authorized = self._ctx.settings.authorized_fetch
        if not authorized and not signatures.is_signed(request):
            return None
        try:
            account = await self._checks.signing_server(request, unsigned=UNSIGNED, refused=REFUSED)
        except httpsig.SignatureError as failed:
            if not authorized and failed.status == 401:
                return None
            raise
        return account.domain

    async def shuts_out(self, author: Account, fetcher: str | None) -> bool:
        """Whether the fetching server is shut out of `author`'s documents
        (`visibility.shuts_out`). Anyone (None) is not: nothing to read."""
        if fetcher is None:
            return False
        return await self._db.read(visibility.shuts_out, author.id, fetcher)

    # --- actors ---------------------------------------------------------------------------

    def local_account(self, username: str) -> Query[Account]:
        """The account of this node called `username` (suspended or not); `NotFound`."""
        return self._query(lambda session: accounts.by_username(session, username))

    def actor(self, account: Account) -> Query[dict[str, Any]]:
        """A local account's actor document (with `movedTo` once it has moved)."""
        urls = self._ctx.urls

        def load(session: Session) -> dict[str, Any]:
            return actor_document.person(urls, account, moves.new_home(session, account))

        return self._query(load)

    async def instance_public_key(self) -> str:
        """The public key (PEM) of the node itself, made the first time it is asked for."""
        key = await self._db.read(instance.instance_key)
        if key is None:
            key = await self._db.write(instance.make_instance_key, self._ctx.keyring)
        return key.public_pem

    # --- posts ----------------------------------------------------------------------------

    def note(
        self, username: str, post_id: int, fetcher: str | None
    ) -> Query[dict[str, Any] | None]:
        """The post's signed Note (latest version), if `username` wrote it and the fetching
        server (None: anyone) may see it."""
        return self._query(lambda session: _note(session, username, post_id, fetcher))

    def quote_authorization(self, username: str, quote_id: int) -> Query[dict[str, Any] | None]:
        """A QuoteAuthorization `username` gave (FEP-044f), while the quote stands: what the
        quoting post's server and its readers fetch to see the quote was allowed."""
        ctx = self._ctx
        return self._query(
            lambda session: quotes.authorization_document(session, ctx, username, quote_id)
        )

    def replies(self, username: str, post_id: int, fetcher: str | None) -> Query[list[str] | None]:
        """The ids of the public replies to a post (what other servers walk to fill in a
        thread), oldest first; None when the post is not one the fetching server may see."""

        def load(session: Session) -> list[str] | None:
            if _note(session, username, post_id, fetcher) is None:
                return None
            return _public_replies(session, post_id)

        return self._query(load)

    # --- collections ----------------------------------------------------------------------

    def featured(self, account: Account) -> Query[list[str]]:
        """The ids of the account's pinned posts that anyone may see (as Mastodon lists them)."""
        return self._query(lambda session: _featured(session, account.id))

    def featured_tags(self, account: Account) -> Query[list[dict[str, Any]]]:
        """The account's featured hashtags, as Mastodon lists them in `featuredTags`."""
        urls = self._ctx.urls
        return self._query(
            lambda session: [
                featured_tags.hashtag(urls, tag.name)
                for tag in featured_tags.of_account(session, account.id)
            ]
        )

    def featured_collections(self, account: Account) -> Query[list[str]]:
        """The ids of the account's discoverable collections of accounts (Mastodon 4.6)."""
        return self._query(lambda session: featuring.listed(session, self._ctx, account))

    def featured_collection(
        self, account: Account, collection_id: int
    ) -> Query[dict[str, Any] | None]:
        """One of the account's collections as a `FeaturedCollection` (None: none such)."""
        return self._query(
            lambda session: featuring.collection_document(
                session, self._ctx, account, collection_id
            )
        )

    def feature_authorization(
        self, account: Account, grant_id: int
    ) -> Query[dict[str, Any] | None]:
        """The account's consent to be in a collection, while it stands (None: none)."""
        return self._query(
            lambda session: featuring.authorization(session, self._ctx, account, grant_id)
        )

    def outbox_count(self, account: Account) -> Query[int]:
        """The outbox's `totalItems`: exactly what its pages list, together."""
        return self._query(lambda session: outbox.count(session, account))

    def outbox_page(
        self, account: Account, max_id: int | None, min_id: int | None
    ) -> Query[list[tuple[int, dict[str, Any]]]]:
        """(post id, signed activity) of one outbox page, newest first (`outbox.page`)."""
        return self._query(lambda session: outbox.page(session, account, max_id, min_id))

    def people_count(self, account: Account, kind: str) -> Query[int]:
        """How many `followers` or `following` the account's collection lists."""
        return self._query(lambda session: graph.neighbour_count(session, account, kind))

    def people(self, account: Account, kind: str, limit: int, offset: int) -> Query[list[Account]]:
        """One page of the account's `followers` or `following`, most recent first."""
        listed = graph.followers if kind == "followers" else graph.following
        return self._query(lambda session: listed(session, account, limit, offset))

    def thread_author(self, root_id: int) -> Query[Account | None]:
        """The author of a thread started here (whose context is served), or None."""
        urls = self._ctx.urls
        return self._query(lambda session: contexts.root_author(session, urls, root_id))

    def context_count(self, root_id: int) -> Query[int]:
        return self._query(lambda session: contexts.count(session, root_id))

    def context_page(self, root_id: int, min_id: int | None) -> Query[list[tuple[int, str]]]:
        """(id, uri) of the thread's public posts after `min_id`, oldest first."""
        return self._query(lambda session: contexts.page(session, root_id, min_id))

    # --- the node -------------------------------------------------------------------------

    def node_info(self) -> Query[tuple[InstanceInfo, Usage]]:
        """What NodeInfo publishes: the node's name and sign-up mode, and its usage."""
        return self._query(lambda session: (instance.info(session), instance.usage(session, now())))


def _note(
    session: Session, username: str, post_id: int, fetcher: str | None
) -> dict[str, Any] | None:
    post = session.get(Post, post_id)
    author = session.get(Account, post.account_id) if post else None
    if post is None or author is None or author.username.lower() != username.lower():
        return None
    if post.reblog_of_id is not None or author.suspended:
        return None  # a boost is an Announce, not a Note
    if fetcher is None and not visibility.can_see(session, None, post):
        return None
    if fetcher is not None and not visibility.server_may_see(session, fetcher, post):
        return None
    return authoring.signed_object(session, post.uri)


def _public_replies(session: Session, post_id: int) -> list[str]:
    rows = session.execute(
        select(Post.uri)
        .where(Post.in_reply_to_id == post_id, Post.visibility.in_(OPEN))
        .order_by(Post.id)
        .limit(MAX_REPLIES_LISTED)
    )
    return list(rows.scalars())


def _featured(session: Session, account_id: int) -> list[str]:
    rows = session.execute(
        select(Post.uri).where(
            Post.id.in_(pins.pinned_ids(session, account_id)),
            Post.visibility.in_(OPEN),
        )
    )
    return list(rows.scalars())
