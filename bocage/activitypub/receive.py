"""Applying a stored inbound activity: the `inbox.process` job.

A `match` over activity types that reads like the protocol (after Takahē's
`inbox_message.py`). Each case fetches what it needs first (the object of an Announce, the
parents of a reply), then calls the core in one transaction. Everything is idempotent: a job
retried after a crash applies nothing twice.

Each case ends with a verdict (`core/inbound/verdicts.py`): applied, or refused with its reason,
written beside the stored activity. Nothing answered 202 leaves without one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.accounts import moves
from bocage.core.authorship import authoring
from bocage.core.collections import featuring
from bocage.core.content import text
from bocage.core.graph import graph
from bocage.core.inbound import remote, verdicts
from bocage.core.inbound.verdicts import APPLIED, Verdict, refused
from bocage.core.moderation import reports
from bocage.core.polls import polls
from bocage.core.posts import posts
from bocage.core.quotes import quotes
from bocage.core.quotes.quotes import QuoteRequestIn
from bocage.core.timelines import pins
from bocage.federation import normalize
from bocage.federation.client import FetchError
from bocage.federation.normalize import Incoming
from bocage.kernel.context import Context
from bocage.kernel.errors import DomainError, StorageFull
from bocage.store.models import Account, Block, Favourite, Follow, InboundActivity, Post
from bocage.store.queue import PermanentJobError

if TYPE_CHECKING:
    from bocage.activitypub.federation import Federation

log = logging.getLogger("bocage.activitypub")


async def process(federation: Federation, payload: dict[str, Any]) -> None:
    inbound_id = payload["inbound_id"]
    body = await federation.db.read(_body_of, inbound_id)
    if body is None:
        return
    try:
        incoming = normalize.activity(normalize.loads(body))
        verdict = await Receiver(federation, incoming).apply()
    except normalize.Malformed as bad:
        await _settle(federation, inbound_id, refused(f"unreadable activity: {bad}"))
        raise PermanentJobError(f"unreadable activity: {bad}") from bad
    except FetchError as failed:
        if failed.status in (401, 403, 404, 410):
            reason = f"what it refers to is not available: {failed}"
            await _settle(federation, inbound_id, refused(reason))
            raise PermanentJobError(reason) from failed
        raise  # retried later: no verdict yet
    except StorageFull:
        raise  # not a refusal: the job runs again once there is room (jobs/worker.py)
    except DomainError as refusal:
        verdict = refused(refusal.message)
    await _settle(federation, inbound_id, verdict)


async def _settle(federation: Federation, inbound_id: int, verdict: Verdict) -> None:
    if not verdict.applied:
        log.info("inbound activity %d refused: %s", inbound_id, verdict.reason)
    await federation.db.write(verdicts.record, inbound_id, verdict)


def _body_of(session: Session, inbound_id: int) -> str | None:
    row = session.get(InboundActivity, inbound_id)
    return row.body if row else None


class Receiver:
    def __init__(self, federation: Federation, incoming: Incoming) -> None:
        self.federation = federation
        self.db = federation.db
        self.ctx: Context = federation.ctx
        self.incoming = incoming

    async def apply(self) -> Verdict:
        activity = self.incoming
        if activity.type == "Delete" and activity.object_id == activity.actor:
            return await self.db.write(_delete_actor, activity.actor)
        actor = await self.federation.resolver.actor(activity.actor)
        match activity.type:
            case "Create":
                return await self.create(actor)
            case "Update":
                return await self.update(actor)
            case "Delete":
                return await self.db.write(_delete, self.ctx, actor, activity.object_id)
            case "Follow":
                return await self.db.write(_follow, self.ctx, actor, activity)
            case "Accept" | "Reject":
                return await self.db.write(_answer, self.ctx, actor, activity)
            case "QuoteRequest":
                return await self.quote_request(actor)
            case "Undo":
                return await self.db.write(_undo, self.ctx, actor, activity)
            case "Like" | "EmojiReact":
                return await self.db.write(_like, self.ctx, actor, activity)
            case "Announce":
                return await self.announce(actor)
            case "Block":
                return await self.db.write(_block, self.ctx, actor, activity)
            case "Move":
                return await self.move(actor)
            case "Add" | "Remove":
                return await self.feature(actor)
            case "FeatureRequest":
                return await self.db.write(_feature_request, self.ctx, actor, activity)
            case "Flag":
                if (await self.federation.domain_rules()).rejects_reports(actor.domain or ""):
                    return refused(f"reports from {actor.domain} are not accepted here")
                return await self.db.write(_flag, actor, activity)
            case _:
                return refused(f"{activity.type} activities are not handled here")

    async def create(self, actor: Account) -> Verdict:
        obj = await self._object()
        if obj is None:
            return refused("the Create carries no object")
        vote = normalize.vote(obj)
        if vote is not None and await self._vote(actor, obj, *vote):
            return APPLIED  # counted on the poll: a vote is not a post
        kind = normalize.type_of(obj)
        if kind not in normalize.POST_TYPES:
            return refused(f"{kind or 'an untyped object'} is not shown as a post here")
        note = await self.federation.resolver.read_post(obj)
        if note.author_uri != actor.uri:
            raise normalize.Malformed("a Create of a post by someone else than its actor")
        stored = await self.federation.resolver.store_post(note)
        return stored if isinstance(stored, Verdict) else APPLIED

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

    async def update(self, actor: Account) -> Verdict:
        obj = await self._object()
        if obj is None:
            return refused("the Update carries no object")
        kind = normalize.type_of(obj)
        if kind == "FeaturedCollection":
            return await self.collection(actor, normalize.uri_of(obj.get("id")))
        if kind in normalize.ACTOR_TYPES:
            profile = normalize.actor(obj, fetched_from=actor.uri)
            if profile.uri != actor.uri:
                return refused("an actor updates only its own profile")
            await self.federation.resolver.save_actor(profile)
            return APPLIED
        if kind not in normalize.POST_TYPES:
            return refused(f"updates of {kind or 'an untyped object'} are not handled here")
        note = await self.federation.resolver.read_post(obj)
        if note.author_uri != actor.uri:
            return refused("an actor updates only its own posts")
        if await self.db.read(authoring.superseded, self.incoming.id, note.uri):
            return refused("a later edit (in its author's log) stands")
        note = await self.federation.resolver.quote_verified(note)
        if await self.db.write(remote.update_post, actor, note) is None:
            return refused(f"{note.uri} is not a post of {actor.uri} held here")
        return APPLIED

    async def announce(self, actor: Account) -> Verdict:
        target = self.incoming.object_id
        if not target:
            return refused("the Announce names no object")
        original = await self.federation.resolver.post(target)
        if original is None:
            return refused(f"the boosted post {target} is not available")
        return await self.db.write(_boost, self.ctx, actor, original.id, self.incoming.id)

    async def move(self, actor: Account) -> Verdict:
        """An account announcing it moved: its new home is fetched afresh, since the alias
        it must list may have been added a moment ago."""
        if self.incoming.object_id != actor.uri or not self.incoming.target:
            raise normalize.Malformed("a Move must move its own actor to a target")
        new = await self.federation.resolver.actor(self.incoming.target, refresh=True)
        return await self.db.write(_move, self.ctx, actor.id, new.id)

    async def feature(self, actor: Account) -> Verdict:
        """A post of the actor's added to (or removed from) its featured collection: a pin.
        A collection of accounts (Mastodon 4.6), or one of its items, added, changed or
        removed: the collection read again, or forgotten. Other collections (Lemmy's
        moderators, a community's featured posts) are ignored."""
        obj = self.incoming.object
        kind = normalize.type_of(obj) if isinstance(obj, dict) else ""
        target, post_uri = self.incoming.target, self.incoming.object_id
        removing = self.incoming.type == "Remove"
        if kind == "FeaturedCollection" and not removing:
            return await self.collection(actor, post_uri)
        if removing and post_uri:
            if await self.db.write(featuring.forget_remote, actor, post_uri):
                return APPLIED
        if kind == "FeaturedItem" or await self.db.read(
            featuring.is_remote_collection, actor, target
        ):
            return await self.collection(actor, target)  # read again, whole
        if not target or not post_uri or not normalize.same_origin(target, actor.uri):
            return refused("only the actor's own featured collection is followed here")
        pinned = self.incoming.type == "Add"
        if pinned:
            await self.federation.resolver.post(post_uri)
        return await self.db.write(_featured, actor, post_uri, pinned)

    async def quote_request(self, actor: Account) -> Verdict:
        """Someone asks to quote one of our posts (FEP-044f): their quoting post read (inlined
        as the `instrument` when it comes from their server, else fetched), then answered
        by the post's policy in one transaction."""
        raw = self.incoming.raw
        quoted_uri = self.incoming.object_id
        instrument = raw.get("instrument")
        instrument_uri = normalize.uri_of(instrument)
        if not quoted_uri or not instrument_uri:
            raise normalize.Malformed("a QuoteRequest names the post to quote and the quoting one")
        resolver = self.federation.resolver
        post = None
        if isinstance(instrument, dict) and normalize.same_origin(instrument_uri, actor.uri):
            note = await resolver.read_post({**instrument, "@context": raw.get("@context")})
            if note.author_uri == actor.uri:
                stored = await resolver.store_post(note)
                post = stored if isinstance(stored, Post) else await resolver.post(note.uri)
        if post is None:
            post = await resolver.find_post(instrument_uri)
        asked = QuoteRequestIn(self.incoming.id, actor.uri, quoted_uri, instrument_uri)
        return await self.db.write(
            _quote_request, self.ctx, actor, asked, post.id if post is not None else None
        )

    async def collection(self, actor: Account, uri: str | None) -> Verdict:
        """Another server's collection of accounts (FEP-7aa9), read again from its origin
        and kept with the members whose consent holds; gone there, forgotten here."""
        if not uri or not normalize.same_origin(uri, actor.uri):
            return refused("an actor's collections are on its own server")
        try:
            document = await self.federation.resolver.fetch(uri)
        except FetchError as failed:
            if failed.status in (404, 410):
                await self.db.write(featuring.forget_remote, actor, uri)
                return APPLIED
            raise
        found = await self._read_collection(actor, uri, document)
        if found is None:
            return refused(f"{uri} is not a collection of {actor.uri}")
        await self.db.write(featuring.store_remote, actor, found)
        return APPLIED

    async def _read_collection(
        self, actor: Account, uri: str, document: dict[str, Any]
    ) -> featuring.RemoteCollection | None:
        if (
            normalize.type_of(document) != "FeaturedCollection"
            or normalize.uri_of(document.get("id")) != uri
            or normalize.uri_of(document.get("attributedTo")) != actor.uri
        ):
            return None
        members: list[tuple[int, str | None]] = []
        for entry in normalize.as_list(document.get("orderedItems"))[: featuring.MAX_ITEMS]:
            if not isinstance(entry, dict):
                continue
            member_uri = normalize.uri_of(entry.get("featuredObject"))
            stamp = normalize.uri_of(entry.get("featureAuthorization"))
            if not member_uri:
                continue
            try:
                member = await self.federation.resolver.actor(member_uri)
                if member.domain is not None and member.uri != actor.uri:
                    if not stamp or not await self._consents(stamp, uri, member.uri):
                        continue  # no consent that holds: not shown as in it
            except (FetchError, DomainError):
                continue
            members.append((member.id, stamp))
        summary = document.get("summary")
        language = None
        summaries = document.get("summaryMap")
        if isinstance(summaries, dict) and summaries:
            language, summary = next(iter(summaries.items()))
        topic = document.get("topic")
        tag = topic.get("name") if isinstance(topic, dict) else None
        return featuring.RemoteCollection(
            uri=uri,
            name=str(document.get("name") or "")[:256],
            description=text.sanitize_remote(summary) if isinstance(summary, str) else "",
            language=str(language)[:16] if language else None,
            tag_name=str(tag).removeprefix("#")[:100] if tag else None,
            sensitive=document.get("sensitive") is True,
            discoverable=document.get("discoverable") is not False,
            members=members,
        )

    async def _consents(self, stamp: str, collection: str, member: str) -> bool:
        """A FeatureAuthorization on the member's server naming this collection and it."""
        if not normalize.same_origin(stamp, member):
            return False
        found = await self.federation.resolver.fetch(stamp)
        return (
            normalize.type_of(found) == "FeatureAuthorization"
            and normalize.uri_of(found.get("interactingObject")) == collection
            and normalize.uri_of(found.get("interactionTarget")) == member
        )

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


def _delete_actor(session: Session, uri: str) -> Verdict:
    account = remote.account_by_uri(session, uri)
    if account is None or account.domain is None:
        return refused(f"{uri} is not an account known here")
    remote.delete_actor(session, account)
    return APPLIED


def _delete(session: Session, ctx: Context, actor: Account, uri: str | None) -> Verdict:
    """A post deleted, or the consent to be in a collection here withdrawn (FEP-7aa9)."""
    if uri and featuring.authorization_deleted(session, actor, uri):
        return APPLIED
    return _delete_post(session, ctx, actor, uri)


def _delete_post(session: Session, ctx: Context, actor: Account, uri: str | None) -> Verdict:
    if not uri:
        return refused("the Delete names no object")
    revoked = quotes.revoked_remotely(session, actor, uri)
    if revoked is not None:  # a QuoteAuthorization taken back by the quoted author
        _republish(session, ctx, revoked.post_id)
        return APPLIED
    remote.delete_post(session, actor, uri)  # tombstoned even when not (yet) here
    return APPLIED


def _republish(session: Session, ctx: Context, post_id: int) -> None:
    """A local quoting post whose quote was answered or revoked: its Note sent again."""
    post = session.get(Post, post_id)
    if post is not None:
        posts.republish(session, ctx, post)


def _quote_request(
    session: Session, ctx: Context, actor: Account, asked: QuoteRequestIn, post_id: int | None
) -> Verdict:
    instrument = session.get(Post, post_id) if post_id is not None else None
    answered = quotes.receive_request(session, ctx, actor, asked, instrument)
    if answered.reason is not None:
        return refused(answered.reason)
    return APPLIED


def _local_target(session: Session, uri: str | None) -> Account | None:
    account = remote.account_by_uri(session, uri) if uri else None
    return account if account is not None and account.domain is None else None


def _not_local(uri: str | None) -> Verdict:
    return refused(f"{uri} is not an account of this node")


def _follow(session: Session, ctx: Context, actor: Account, activity: Incoming) -> Verdict:
    target = _local_target(session, activity.object_id)
    if target is None:
        return _not_local(activity.object_id)
    if graph.receive_follow(session, ctx, actor, target, activity.id) is None:
        return refused(
            f"a block stands between {target.uri} and {actor.uri}: answered with a Reject"
        )
    return APPLIED


def _answer(session: Session, ctx: Context, actor: Account, activity: Incoming) -> Verdict:
    """Accept/Reject of a follow request a local account sent to `actor`, or of a
    QuoteRequest (its `result`: the QuoteAuthorization, which the quoting Note then names),
    or of a FeatureRequest (to be in a local collection, FEP-7aa9)."""
    result = normalize.uri_of(activity.raw.get("result"))
    accepted = activity.type == "Accept"
    quote = quotes.request_answered(session, actor, activity.object_id, accepted, result)
    if quote is not None:
        _republish(session, ctx, quote.post_id)
        return APPLIED
    follow_id = activity.object_id
    if follow_id and featuring.answered(session, ctx, actor, follow_id, activity.type, result):
        return APPLIED
    row = session.execute(
        select(Follow).where(Follow.uri == follow_id, Follow.target_id == actor.id)
    ).scalar_one_or_none()
    if row is None and isinstance(activity.object, dict):  # some servers embed, new ids
        follower = _local_target(session, normalize.id_of(activity.object.get("actor")))
        row = session.get(Follow, (follower.id, actor.id)) if follower else None
    if row is None:
        return refused(f"no follow of {actor.uri} from here is waiting for an answer")
    follower = session.get(Account, row.follower_id)
    assert follower is not None
    graph.follow_answered(session, follower, actor, activity.type == "Accept")
    return APPLIED


def _undo(session: Session, ctx: Context, actor: Account, activity: Incoming) -> Verdict:
    inner = activity.object
    undone_id = activity.object_id
    kind = normalize.type_of(inner) if isinstance(inner, dict) else ""
    if kind in ("Follow", "") and _undo_follow(session, ctx, actor, undone_id):
        return APPLIED
    if kind in ("Like", "EmojiReact", ""):
        favourite = session.execute(
            select(Favourite).where(Favourite.uri == undone_id, Favourite.account_id == actor.id)
        ).scalar_one_or_none()
        if favourite is not None:
            posts.unfavourite(session, ctx, actor, favourite.post_id)
            return APPLIED
    if kind in ("Announce", ""):
        reblog = remote.post_by_uri(session, undone_id) if undone_id else None
        if reblog is not None and reblog.account_id == actor.id and reblog.reblog_of_id:
            posts.unboost(session, ctx, actor, reblog.reblog_of_id)
            return APPLIED
    if kind in ("Block", ""):
        block = session.execute(
            select(Block).where(Block.uri == undone_id, Block.account_id == actor.id)
        ).scalar_one_or_none()
        target = session.get(Account, block.target_id) if block else None
        if target is not None:
            graph.unblock(session, ctx, actor, target)
            return APPLIED
    return refused(f"nothing of {actor.uri} undone by it is held here ({undone_id})")


def _undo_follow(session: Session, ctx: Context, actor: Account, follow_id: str | None) -> bool:
    row = session.execute(
        select(Follow).where(Follow.uri == follow_id, Follow.follower_id == actor.id)
    ).scalar_one_or_none()
    target = session.get(Account, row.target_id) if row else None
    if target is None:
        return False
    graph.unfollow(session, ctx, actor, target)
    return True


def _like(session: Session, ctx: Context, actor: Account, activity: Incoming) -> Verdict:
    post = remote.post_by_uri(session, activity.object_id) if activity.object_id else None
    if post is None:
        return refused(f"the liked post {activity.object_id} is not held here")
    posts.favourite(session, ctx, actor, post.id, uri=activity.id)
    return APPLIED


def _boost(session: Session, ctx: Context, actor: Account, post_id: int, uri: str) -> Verdict:
    if remote.post_by_uri(session, uri) is None:
        posts.boost(session, ctx, actor, post_id, uri=uri)
    return APPLIED


def _move(session: Session, ctx: Context, old_id: int, new_id: int) -> Verdict:
    old, new = session.get(Account, old_id), session.get(Account, new_id)
    if old is None or new is None:
        return refused("the account that moved, or its new home, is gone")
    moves.moved(session, ctx, old, new)
    return APPLIED


def _featured(session: Session, actor: Account, post_uri: str, pinned: bool) -> Verdict:
    if not pins.featured_by_remote(session, actor, post_uri, pinned):
        return refused(f"{post_uri} is not a post of {actor.uri} held here")
    return APPLIED


def _flag(session: Session, reporter: Account, activity: Incoming) -> Verdict:
    reported, comment = normalize.flag(activity)
    target = _reported_account(session, reported)
    if target is None:
        return refused("the report names nobody of this node")
    reports.received(session, reporter, target, reported, comment, activity.id)
    return APPLIED


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


def _feature_request(session: Session, ctx: Context, actor: Account, activity: Incoming) -> Verdict:
    """Another server asks whether a local account may be in `actor`'s collection: answered
    at once, Accept or Reject (FEP-7aa9)."""
    member = _local_target(session, activity.object_id)
    if member is None:
        return _not_local(activity.object_id)
    collection = normalize.uri_of(activity.raw.get("instrument"))
    if not collection:
        raise normalize.Malformed("a FeatureRequest names no collection (instrument)")
    if not featuring.receive_request(session, ctx, actor, member, activity.id, collection):
        return refused(f"{member.uri} does not consent to be featured by {actor.uri}: rejected")
    return APPLIED


def _block(session: Session, ctx: Context, actor: Account, activity: Incoming) -> Verdict:
    target = _local_target(session, activity.object_id)
    if target is None:
        return _not_local(activity.object_id)
    graph.block(session, ctx, actor, target, uri=activity.id)
    return APPLIED
