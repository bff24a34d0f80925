"""The social graph from one person's side: follow (with its options), unfollow, block, mute,
endorse, private notes, follow requests; and the lists of followers and following.

A target is named by id (the API: an account that is gone or suspended is `NotFound`, as
Mastodon's `Account.find`) or by handle (the web: `bob` here, `bob@elsewhere` looked up on
its server first, outside the unit of work, the first time it is seen)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bocage.core.accounts import account_notes, accounts, endorsements
from bocage.core.graph import discovery, domain_blocks, graph
from bocage.core.graph.discovery import Suggestion
from bocage.core.graph.graph import FollowOptions, Relationship
from bocage.core.timelines.timelines import Page
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.services.accounts import look_up_remote, shown_account
from bocage.services.ports import Lookups
from bocage.services.unit import Query, Service
from bocage.store.db import Database
from bocage.store.models import Account, Block, Mute

Target = int | str  # an account id, or a handle (`bob`, `bob@elsewhere`)
GraphAction = Callable[[Session, Context, Account, Account], object]
NOT_FOUND = "Record not found"


@dataclass(frozen=True)
class Outcome:
    """After an action: the account acted on, and the relationship with it now."""

    target: Account
    relationship: Relationship


class GraphService(Service):
    def __init__(self, db: Database, ctx: Context, lookups: Lookups) -> None:
        super().__init__(db, ctx)
        self._lookups = lookups

    async def discover(self, handle: str) -> None:
        """A remote handle (`bob@elsewhere`) seen for the first time: looked up on its
        server (WebFinger, then the actor), so it can be shown and acted on like ours."""
        await look_up_remote(self._lookups, self._ctx, handle)

    async def _act(self, action: GraphAction, actor: Account, target: Target) -> Outcome:
        if isinstance(target, str):
            await self.discover(target)
        return await self._db.write(_act, self._ctx, action, actor.id, target)

    async def follow(
        self, actor: Account, target: Target, options: FollowOptions | None = None
    ) -> Outcome:
        """Follow, or change the options of a follow (None: the defaults, or as they are)."""

        def follow(session: Session, ctx: Context, me: Account, them: Account) -> object:
            return graph.follow(session, ctx, me, them, options=options)

        return await self._act(follow, actor, target)

    async def unfollow(self, actor: Account, target: Target) -> Outcome:
        return await self._act(graph.unfollow, actor, target)

    async def block(self, actor: Account, target: Target) -> Outcome:
        return await self._act(graph.block, actor, target)

    async def unblock(self, actor: Account, target: Target) -> Outcome:
        return await self._act(graph.unblock, actor, target)

    async def mute(
        self,
        actor: Account,
        target: Target,
        duration: int | None = None,
        *,
        notifications: bool = True,
    ) -> Outcome:
        """Mute, for `duration` seconds (None or 0: until unmuted); `notifications`: their
        notifications too."""

        def mute(session: Session, _ctx: Context, me: Account, them: Account) -> None:
            graph.mute(session, me, them, duration, notifications=notifications)

        return await self._act(mute, actor, target)

    async def remove_from_followers(self, actor: Account, target: Target) -> Outcome:
        """`target` no longer follows `actor` (its server told, when it is remote)."""
        return await self._act(_remove_follower, actor, target)

    def expire_mute(self, session: Session, payload: dict[str, Any]) -> None:
        """The `mute.expire` job: a mute for a while ends."""
        graph.expire_mute(session, payload)

    # --- a person's own domain blocks ---------------------------------------------------

    async def block_domain(self, actor: Account, domain: str) -> None:
        """Hide a server (`InvalidInput` for a name that is none): its posts and
        notifications leave the actor's timelines, follows with accounts there end."""
        found = domain_blocks.normalized(domain, self._ctx.settings.domain)
        await self._db.write(_block_domain, self._ctx, actor.id, found)

    async def unblock_domain(self, actor: Account, domain: str) -> None:
        found = domain_blocks.normalized(domain, self._ctx.settings.domain)
        await self._db.write(_unblock_domain, actor.id, found)

    def domain_blocks(self, viewer: Account, page: Page) -> Query[list[tuple[int, str]]]:
        """A page of the servers the viewer hides, latest first, with each block's id."""
        return self._query(lambda session: domain_blocks.blocked(session, viewer.id, page))

    # --- discovery ----------------------------------------------------------------------

    def directory(
        self, viewer: Account | None, *, order: str, local_only: bool, offset: int, limit: int
    ) -> Query[list[Account]]:
        """The profile directory (accounts that opted in), as `viewer` may see it."""
        return self._query(
            lambda session: discovery.directory(
                session,
                viewer.id if viewer else None,
                order=order,
                local_only=local_only,
                offset=offset,
                limit=limit,
            )
        )

    def suggestions(self, viewer: Account, limit: int) -> Query[list[Suggestion]]:
        return self._query(lambda session: discovery.suggestions(session, viewer.id, limit))

    async def dismiss_suggestion(self, viewer: Account, account_id: int) -> None:
        """Never suggest that account again (one that is gone: `NotFound`)."""
        await self._db.write(_dismiss, viewer.id, account_id)

    async def unmute(self, actor: Account, target: Target) -> Outcome:
        return await self._act(_unmute, actor, target)

    async def endorse(self, actor: Account, target: Target) -> Outcome:
        return await self._act(_endorse, actor, target)

    async def unendorse(self, actor: Account, target: Target) -> Outcome:
        return await self._act(_unendorse, actor, target)

    async def set_note(self, actor: Account, target: Target, comment: str) -> Outcome:
        """The actor's private note about an account (blank: none)."""

        def note(session: Session, _ctx: Context, me: Account, them: Account) -> None:
            account_notes.set_note(session, me, them, comment)

        return await self._act(note, actor, target)

    async def answer_request(
        self, target: Account, follower_id: int, accept: bool, *, shown_only: bool = True
    ) -> Relationship:
        """Accept or reject a follow request; the relationship with the follower after.
        `shown_only`: a follower that is gone or suspended is `NotFound` first (the API)."""
        return await self._db.write(_answer, self._ctx, target.id, follower_id, accept, shown_only)

    # --- reading ----------------------------------------------------------------------

    def relationships(
        self, viewer: Account, ids: list[int], *, with_suspended: bool = False
    ) -> Query[list[tuple[int, Relationship]]]:
        """With each of the accounts `ids` that exist (in order)."""

        def load(session: Session) -> list[tuple[int, Relationship]]:
            known = [a.id for a in accounts.by_ids(session, ids, with_suspended=with_suspended)]
            found = graph.relationships(session, viewer.id, known)
            return [(target, found[target]) for target in known]

        return self._query(load)

    def familiar_followers(
        self, viewer: Account, ids: list[int]
    ) -> Query[list[tuple[int, list[Account]]]]:
        """For each account asked about, the accounts the viewer follows that follow it."""

        def load(session: Session) -> list[tuple[int, list[Account]]]:
            shown = [account.id for account in accounts.by_ids(session, ids)]
            found = graph.familiar_followers(session, viewer.id, shown)
            return [(target, found[target]) for target in shown]

        return self._query(load)

    def people(self, which: str, account_id: int, viewer: Account | None) -> Query[list[Account]]:
        """`followers` or `following` of an account, as the viewer may list them."""
        lister = graph.followers if which == "followers" else graph.following

        def load(session: Session) -> list[Account]:
            account = shown_account(session, account_id)
            return lister(session, account, viewer_id=viewer.id if viewer else None)

        return self._query(load)

    def people_by_name(
        self, which: str, name: str, viewer: Account | None
    ) -> Query[tuple[Account, list[Account]]]:
        lister = graph.followers if which == "followers" else graph.following

        def load(session: Session) -> tuple[Account, list[Account]]:
            account = accounts.by_name(session, self._ctx.settings.domain, name)
            return account, lister(session, account, viewer_id=viewer.id if viewer else None)

        return self._query(load)

    def muted(self, viewer: Account, page: Page) -> Query[list[tuple[Mute, Account]]]:
        """A page of the accounts the viewer mutes, with each mute (id, end)."""
        return self._query(lambda session: graph.muted(session, viewer.id, page))

    def blocked(self, viewer: Account, page: Page) -> Query[list[tuple[Block, Account]]]:
        """A page of the accounts the viewer blocks, with each block (its id pages)."""
        return self._query(lambda session: graph.blocked(session, viewer.id, page))

    def follow_requests(self, target: Account) -> Query[list[Account]]:
        return self._query(lambda session: graph.pending_requests(session, target))

    def endorsed(self, account_id: int, page: Page) -> Query[list[tuple[int, Account]]]:
        """A page of the accounts someone endorses (newest first), with each endorsement's
        id (for paging)."""

        def load(session: Session) -> list[tuple[int, Account]]:
            return endorsements.endorsed(session, shown_account(session, account_id).id, page)

        return self._query(load)


def _act(
    session: Session, ctx: Context, action: GraphAction, actor_id: int, target: Target
) -> Outcome:
    me = session.get(Account, actor_id)
    if me is None:
        raise NotFound(NOT_FOUND)
    if isinstance(target, str):
        them = accounts.by_name(session, ctx.settings.domain, target)
    else:
        them = shown_account(session, target)
    action(session, ctx, me, them)
    session.flush()
    return Outcome(them, graph.relationship(session, me.id, them.id))


def _answer(
    session: Session,
    ctx: Context,
    target_id: int,
    follower_id: int,
    accept: bool,
    shown_only: bool,
) -> Relationship:
    me = session.get(Account, target_id)
    assert me is not None
    if shown_only:
        follower_id = shown_account(session, follower_id).id
    decide = graph.accept_request if accept else graph.reject_request
    decide(session, ctx, me, follower_id)
    session.flush()
    return graph.relationship(session, me.id, follower_id)


def _remove_follower(session: Session, ctx: Context, me: Account, target: Account) -> None:
    graph.remove_from_followers(session, ctx, me, target)


def _block_domain(session: Session, ctx: Context, actor_id: int, domain: str) -> None:
    me = session.get(Account, actor_id)
    assert me is not None
    domain_blocks.block(session, ctx, me, domain)


def _unblock_domain(session: Session, actor_id: int, domain: str) -> None:
    me = session.get(Account, actor_id)
    assert me is not None
    domain_blocks.unblock(session, me, domain)


def _dismiss(session: Session, viewer_id: int, account_id: int) -> None:
    discovery.dismiss(session, viewer_id, shown_account(session, account_id).id)


def _unmute(session: Session, _ctx: Context, me: Account, target: Account) -> None:
    graph.unmute(session, me, target)


def _endorse(session: Session, _ctx: Context, me: Account, target: Account) -> None:
    endorsements.endorse(session, me, target)


def _unendorse(session: Session, _ctx: Context, me: Account, target: Account) -> None:
    endorsements.unendorse(session, me, target)
