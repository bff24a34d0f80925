"""Applying a stored inbound activity: the `inbox.process` job.

A `match` over activity types that reads like the protocol (after Takahē's
`inbox_message.py`). Each case fetches what it needs first (the object of an Announce, the
parents of a reply), then calls the core in one transaction. Everything is idempotent: a job
retried after a crash applies nothing twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.activitypub import normalize
from bocage.activitypub.client import FetchError
from bocage.activitypub.normalize import Incoming
from bocage.core import authoring, graph, moves, pins, polls, posts, remote, reports
from bocage.core.context import Context
from bocage.core.errors import DomainError
from bocage.jobs.worker import PermanentJobError
from bocage.store.models import Account, Block, Favourite, Follow, InboundActivity

if TYPE_CHECKING:
    from bocage.activitypub.federation import Federation

log = logging.getLogger("bocage.activitypub")


async def process(federation: Federation, payload: dict[str, Any]) -> None:
    body = await federation.db.read(_body_of, payload["inbound_id"])
    if body is None:
        return
    try:
        incoming = normalize.activity(normalize.loads(body))
        await Receiver(federation, incoming).apply()
    except normalize.Malformed as bad:
        raise PermanentJobError(f"unreadable activity: {bad}") from bad
    except FetchError as failed:
        if failed.status in (401, 403, 404, 410):
            raise PermanentJobError(f"what it refers to is not available: {failed}") from failed
        raise
    except DomainError as refused:
        log.info("activity ignored: %s", refused.message)


def _body_of(session: Session, inbound_id: int) -> str | None:
    row = session.get(InboundActivity, inbound_id)
    return row.body if row else None


class Receiver:
    def __init__(self, federation: Federation, incoming: Incoming) -> None:
        self.federation = federation
        self.db = federation.db
        self.ctx: Context = federation.ctx
        self.incoming = incoming

    async def apply(self) -> None:
        activity = self.incoming
        if activity.type == "Delete" and activity.object_id == activity.actor:
            await self.db.write(_delete_actor, activity.actor)
            return
        actor = await self.federation.resolver.actor(activity.actor)
        match activity.type:
            case "Create":
                await self.create(actor)
            case "Update":
                await self.update(actor)
            case "Delete":
                await self.db.write(_delete_post, actor, activity.object_id)
            case "Follow":
                await self.db.write(_follow, self.ctx, actor, activity)
            case "Accept" | "Reject":
                await self.db.write(_answer, actor, activity)
            case "Undo":
                await self.db.write(_undo, self.ctx, actor, activity)
            case "Like" | "EmojiReact":
                await self.db.write(_like, self.ctx, actor, activity)
            case "Announce":
                await self.announce(actor)
            case "Block":
                await self.db.write(_block, self.ctx, actor, activity)
            case "Move":
                await self.move(actor)
            case "Add" | "Remove":
                await self.feature(actor)
            case "Flag":
                if not (await self.federation.domain_rules()).rejects_reports(actor.domain or ""):
                    await self.db.write(_flag, actor, activity)
            case _:
                log.info("%s activities are not handled yet (%s)", activity.type, activity.id)

    async def create(self, actor: Account) -> None:
        obj = await self._object()
        if obj is None:
            return
        vote = normalize.vote(obj)
        if vote is not None and await self._vote(actor, obj, *vote):
            return  # counted on the poll: a vote is not a post
        if normalize.type_of(obj) not in normalize.POST_TYPES:
            return  # a chat message…: nothing to show as a post
        note = await self.federation.resolver.read_post(obj)
        if note.author_uri != actor.uri:
            raise normalize.Malformed("a Create of a post by someone else than its actor")
        await self.federation.resolver.store_post(note)

    async def _vote(self, actor: Account, obj: dict[str, Any], answered: str, name: str) -> bool:
        """A vote on one of our polls, if that is what the Note is (Mastodon's test: it
        answers a local poll and names one of its options)."""
        uri = obj.get("id")
        author = normalize.id_of(obj.get("attributedTo"))
        if not isinstance(uri, str) or author not in (None, actor.uri):
            return False
        if not answered.startswith(self.ctx.urls.base + "/"):
            return False  # only votes on polls of this node are counted here
        return bool(await self.db.write(polls.receive_vote, actor, answered, name, uri))

    async def update(self, actor: Account) -> None:
        obj = await self._object()
        if obj is None:
            return
        kind = normalize.type_of(obj)
        if kind in normalize.ACTOR_TYPES:
            profile = normalize.actor(obj, fetched_from=actor.uri)
            if profile.uri == actor.uri:
                await self.federation.resolver.save_actor(profile)
        elif kind in normalize.POST_TYPES:
            note = await self.federation.resolver.read_post(obj)
            if note.author_uri != actor.uri:
                return
            if await self.db.read(authoring.superseded, self.incoming.id, note.uri):
                return  # a later edit (by the author's log order) is the one that stands
            await self.db.write(remote.update_post, actor, note)

    async def announce(self, actor: Account) -> None:
        target = self.incoming.object_id
        if not target:
            return
        original = await self.federation.resolver.post(target)
        if original is not None:
            await self.db.write(_boost, self.ctx, actor, original.id, self.incoming.id)

    async def move(self, actor: Account) -> None:
        """An account announcing it moved: its new home is fetched afresh, since the alias
        it must list may have been added a moment ago."""
        if self.incoming.object_id != actor.uri or not self.incoming.target:
            raise normalize.Malformed("a Move must move its own actor to a target")
        new = await self.federation.resolver.actor(self.incoming.target, refresh=True)
        await self.db.write(_move, self.ctx, actor.id, new.id)

    async def feature(self, actor: Account) -> None:
        """A post of the actor's added to (or removed from) its featured collection: a pin.
        Other collections (Lemmy's moderators, a community's featured posts) are ignored."""
        target, post_uri = self.incoming.target, self.incoming.object_id
        if not target or not post_uri or not normalize.same_origin(target, actor.uri):
            return
        pinned = self.incoming.type == "Add"
        if pinned:
            await self.federation.resolver.post(post_uri)
        await self.db.write(pins.featured_by_remote, actor, post_uri, pinned)

    async def _object(self) -> dict[str, Any] | None:
        """The embedded object when it comes from the actor's server, else fetched from its
        origin (an embedded copy from elsewhere proves nothing)."""
        obj = self.incoming.object
        if isinstance(obj, dict) and normalize.same_origin(str(obj.get("id")), self.incoming.actor):
            return obj
        if self.incoming.object_id:
            return await self.federation.resolver.fetch(self.incoming.object_id)
        return None


# --- the transactions ------------------------------------------------------------------------


def _delete_actor(session: Session, uri: str) -> None:
    account = remote.account_by_uri(session, uri)
    if account is not None and account.domain is not None:
        remote.delete_actor(session, account)


def _delete_post(session: Session, actor: Account, uri: str | None) -> None:
    if uri:
        remote.delete_post(session, actor, uri)


def _local_target(session: Session, uri: str | None) -> Account | None:
    account = remote.account_by_uri(session, uri) if uri else None
    return account if account is not None and account.domain is None else None


def _follow(session: Session, ctx: Context, actor: Account, activity: Incoming) -> None:
    target = _local_target(session, activity.object_id)
    if target is not None:
        graph.follow(session, ctx, actor, target, uri=activity.id)


def _answer(session: Session, actor: Account, activity: Incoming) -> None:
    """Accept/Reject of a follow request a local account sent to `actor`."""
    follow_id = activity.object_id
    row = session.execute(
        select(Follow).where(Follow.uri == follow_id, Follow.target_id == actor.id)
    ).scalar_one_or_none()
    if row is None and isinstance(activity.object, dict):  # some servers embed, new ids
        follower = _local_target(session, normalize.id_of(activity.object.get("actor")))
        row = session.get(Follow, (follower.id, actor.id)) if follower else None
    if row is None:
        return
    follower = session.get(Account, row.follower_id)
    assert follower is not None
    graph.follow_answered(session, follower, actor, activity.type == "Accept")


def _undo(session: Session, ctx: Context, actor: Account, activity: Incoming) -> None:
    inner = activity.object
    undone_id = activity.object_id
    kind = normalize.type_of(inner) if isinstance(inner, dict) else ""
    if kind in ("Follow", "") and _undo_follow(session, ctx, actor, undone_id):
        return
    if kind in ("Like", "EmojiReact", ""):
        favourite = session.execute(
            select(Favourite).where(Favourite.uri == undone_id, Favourite.account_id == actor.id)
        ).scalar_one_or_none()
        if favourite is not None:
            posts.unfavourite(session, ctx, actor, favourite.post_id)
            return
    if kind in ("Announce", ""):
        reblog = remote.post_by_uri(session, undone_id) if undone_id else None
        if reblog is not None and reblog.account_id == actor.id and reblog.reblog_of_id:
            posts.unboost(session, ctx, actor, reblog.reblog_of_id)
            return
    if kind in ("Block", ""):
        block = session.execute(
            select(Block).where(Block.uri == undone_id, Block.account_id == actor.id)
        ).scalar_one_or_none()
        target = session.get(Account, block.target_id) if block else None
        if target is not None:
            graph.unblock(session, ctx, actor, target)


def _undo_follow(session: Session, ctx: Context, actor: Account, follow_id: str | None) -> bool:
    row = session.execute(
        select(Follow).where(Follow.uri == follow_id, Follow.follower_id == actor.id)
    ).scalar_one_or_none()
    target = session.get(Account, row.target_id) if row else None
    if target is None:
        return False
    graph.unfollow(session, ctx, actor, target)
    return True


def _like(session: Session, ctx: Context, actor: Account, activity: Incoming) -> None:
    post = remote.post_by_uri(session, activity.object_id) if activity.object_id else None
    if post is not None:
        posts.favourite(session, ctx, actor, post.id, uri=activity.id)


def _boost(session: Session, ctx: Context, actor: Account, post_id: int, uri: str) -> None:
    if remote.post_by_uri(session, uri) is None:
        posts.boost(session, ctx, actor, post_id, uri=uri)


def _move(session: Session, ctx: Context, old_id: int, new_id: int) -> None:
    old, new = session.get(Account, old_id), session.get(Account, new_id)
    if old is not None and new is not None:
        moves.moved(session, ctx, old, new)


def _flag(session: Session, reporter: Account, activity: Incoming) -> None:
    reported, comment = normalize.flag(activity)
    target = _reported_account(session, reported)
    if target is not None:
        reports.received(session, reporter, target, reported, comment, activity.id)


def _reported_account(session: Session, uris: list[str]) -> Account | None:
    """The local account a Flag names, or else the author of the first local post it names
    (Lemmy and Mbin flag a post alone)."""
    for uri in uris:
        if (account := _local_target(session, uri)) is not None:
            return account
    for uri in uris:
        post = remote.post_by_uri(session, uri)
        author = session.get(Account, post.account_id) if post else None
        if author is not None and author.domain is None:
            return author
    return None


def _block(session: Session, ctx: Context, actor: Account, activity: Incoming) -> None:
    target = _local_target(session, activity.object_id)
    if target is not None:
        graph.block(session, ctx, actor, target, uri=activity.id)
