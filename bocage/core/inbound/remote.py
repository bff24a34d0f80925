"""Accounts and posts that live on other servers, as the core knows them.

The ActivityPub face turns what arrives (each server's quirks cleaned up in
`federation/normalize.py`) into the plain types below and calls these functions; the core
never sees raw JSON. Everything here is idempotent: the same activity applied twice (a
retried job, a duplicate delivery) changes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bocage.core.accounts import accounts
from bocage.core.authorship import activities
from bocage.core.cards import cards
from bocage.core.inbound.verdicts import Verdict, refused
from bocage.core.media import media
from bocage.core.media import remote as remote_media
from bocage.core.polls import polls
from bocage.core.posts import posts
from bocage.core.quotes import quotes
from bocage.core.quotes.policy import read_can_quote
from bocage.core.quotes.quotes import RemoteQuote
from bocage.core.reading.visibility import Visibility
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.ids import new_id, new_id_after
from bocage.store.models import (
    Account,
    HeldObject,
    Mention,
    Post,
    PostTag,
    RemoteActor,
    Tombstone,
)
from bocage.store.queue import enqueue
from bocage.store.sql import update_rows
from bocage.store.upsert import insert_ignore

log = logging.getLogger("bocage.core")
STALE_AFTER = timedelta(days=1)  # an actor document older than this is fetched again


@dataclass(frozen=True)
class ActorProfile:
    """A remote actor document, normalized."""

    uri: str
    username: str
    domain: str
    inbox: str
    actor_type: str = "Person"
    display_name: str = ""
    note: str = ""  # sanitized HTML
    fields: tuple[tuple[str, str], ...] = ()  # (name, value), plain text
    locked: bool = False
    discoverable: bool = False  # listed in directories and suggestions (`toot:discoverable`)
    indexable: bool = False  # its public posts open to full-text search (`toot:indexable`)
    shared_inbox: str | None = None
    key_id: str | None = None
    public_key_pem: str | None = None
    did: str | None = None  # did:key of its Ed25519 assertion key (FEP-521a), if any
    # The did is bound to this actor by an identity proof (FEP-c390) in its document: a
    # did listed without one is only a claim (see `bind_did`).
    did_proven: bool = False
    followers_url: str | None = None
    url: str | None = None
    avatar_url: str | None = None
    header_url: str | None = None
    also_known_as: tuple[str, ...] = ()
    moved_to: str | None = None
    gateways: tuple[str, ...] = ()  # nodes that serve its objects (FEP-ef61), home first


MediaKind = Literal["image", "video", "gifv", "audio", "document", "unknown"]


@dataclass(frozen=True)
class RemoteAttachment:
    """A medium a remote post carries, as its server describes it (nothing fetched yet):
    every field already checked at the edge (`federation/normalize.py`), so whoever fetches
    and caches it later trusts the shapes, never the bytes."""

    kind: MediaKind  # Mastodon's attachment types; `document` is a known non-media file
    url: str  # http(s), the original on its server (Mastodon's `remote_url`)
    media_type: str | None = None  # `type/subtype`, lower case, without parameters
    description: str = ""  # alt text, plain
    width: int | None = None
    height: int | None = None
    blurhash: str | None = None
    focus: tuple[float, float] | None = None  # Mastodon's focal point, x and y in [-1, 1]
    digest_multibase: str | None = None  # FEP-ef61 `digestMultibase` of the served bytes
    license: str | None = None  # a licence's URL (Newebe-style shared files)
    preview_url: str | None = None  # a thumbnail its server offers (`icon`)


@dataclass(frozen=True)
class RemotePost:
    """A remote Note (or Article, Page, Question, Video, Event shown as a note), normalized."""

    uri: str
    author_uri: str
    content: str  # sanitized HTML
    published: datetime
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    spoiler_text: str = ""
    in_reply_to: str | None = None
    updated: datetime | None = None
    language: str | None = None
    mentions: tuple[str, ...] = ()  # actor URIs
    tags: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
    poll: polls.RemotePoll | None = None  # a Question's
    context: str | None = None  # its thread's `context` (or `conversation`), if it names one
    attachments: tuple[RemoteAttachment, ...] = ()  # stored as media rows, fetched by a job
    sensitive: bool = False  # its media are to be hidden behind a click
    quote: RemoteQuote | None = None  # the post it quotes (FEP-044f `quote` and older names)
    # Its `interactionPolicy.canQuote` (`automaticApproval`, `manualApproval`: the ids they
    # list, Public spelled in full); None: it says nothing, and nobody but its author may.
    can_quote: dict[str, tuple[str, ...]] | None = None


# --- actors ----------------------------------------------------------------------------------


def account_by_uri(session: Session, uri: str) -> Account | None:
    return session.execute(select(Account).where(Account.uri == uri)).scalar_one_or_none()


def actor_by_key_id(session: Session, key_id: str) -> tuple[Account, RemoteActor] | None:
    row = session.execute(
        select(Account, RemoteActor)
        .join(RemoteActor, RemoteActor.account_id == Account.id)
        .where(RemoteActor.key_id == key_id)
    ).first()
    return (row[0], row[1]) if row else None


def remote_actor(session: Session, account_id: int) -> RemoteActor | None:
    return session.get(RemoteActor, account_id)


def is_stale(actor: RemoteActor | None) -> bool:
    return actor is None or now() - actor.fetched_at > STALE_AFTER


# Actor types Mastodon shows as automated accounts (`bot`).
BOT_TYPES = ("Service", "Application")


def upsert_actor(session: Session, profile: ActorProfile) -> Account:
    """Create or refresh a remote account from its (verified, normalized) actor document."""
    account = account_by_uri(session, profile.uri)
    if account is not None and account.domain is None:
        raise ValueError(f"{profile.uri} is a local account, not a remote one")
    account_id = account.id if account is not None else new_id()
    username = _free_username(session, profile, account_id)
    if account is None:
        account = Account(
            id=account_id,
            uri=profile.uri,
            domain=profile.domain,
            username=username,
            created_at=now(),
            fields=[],
        )
        try:
            with session.begin_nested():  # two jobs may meet the same new actor at once
                session.add(account)
                session.flush()
        except IntegrityError:
            account = account_by_uri(session, profile.uri)
            assert account is not None
    account.username = username
    account.display_name = profile.display_name[:200]
    account.note = profile.note
    account.fields = [{"name": name, "value": value} for name, value in profile.fields]
    account.locked = profile.locked
    account.bot = profile.actor_type in BOT_TYPES
    account.discoverable = profile.discoverable
    account.indexable = profile.indexable
    account.rsa_public_pem = profile.public_key_pem
    account.also_known_as = list(profile.also_known_as)
    account.gateways = list(profile.gateways) or None
    session.flush()
    _save_remote_actor(session, account.id, profile)
    # Its pictures, cached here: the account shows them by their proxy path under /media.
    account.avatar = remote_media.profile_image(session, account.id, "avatar", profile.avatar_url)
    account.header = remote_media.profile_image(session, account.id, "header", profile.header_url)
    if profile.did and profile.did_proven:
        bind_did(session, account, profile.did)
    return account


def _free_username(session: Session, profile: ActorProfile, account_id: int) -> str:
    """Handles are unique per domain; two actors claiming one (a Lemmy user and a group of
    the same name) get the second a suffix rather than being refused."""
    taken = accounts.by_handle(session, profile.username, profile.domain)
    if taken is None or taken.id == account_id:
        return profile.username[:64]
    return f"{profile.username[:40]}_{account_id % 100000}"


# --- dids: bound only with proof of possession ---------------------------------------------


def bind_did(session: Session, account: Account, did: str) -> bool:
    """Bind `did` to the remote `account`, whose possession of the did's key was just
    proven (an FEP-c390 identity proof in its actor document, or an object its key signed
    as this actor). A did listed without proof is never bound: otherwise any server could
    list someone else's key as its own and take their log (did:key squatting).

    The did is taken from an account that holds it without proof (bound before proofs were
    asked for); never from a local account, nor from another remote account that proved it
    too (then the first stays: two actors proving one key are the same person, FEP-c390,
    and the log stays with the first). True when `account` holds the did afterwards."""
    if account.domain is None:
        return account.did == did
    if account.did == did:
        account.did_proven = True
        return True
    holder = session.execute(select(Account).where(Account.did == did)).scalar_one_or_none()
    if holder is not None:
        if holder.domain is None or holder.did_proven:
            log.warning(
                "%s proved %s, already bound to %s: kept there", account.uri, did, holder.uri
            )
            return False
        log.warning(
            "%s proved %s: taken from %s, which never proved it", account.uri, did, holder.uri
        )
        holder.did = None
        session.flush()  # the did is unique: free it before it moves
    account.did, account.did_proven = did, True
    actor = session.get(RemoteActor, account.id)
    if actor is not None and actor.claimed_did == did:
        actor.claimed_did = None
    session.flush()
    return True


def unbind_unproven(session: Session, account: Account) -> None:
    """Its log turned out to hold another actor's activities: an unproven binding was wrong."""
    if account.domain is not None and not account.did_proven and account.did is not None:
        log.warning("the did %s was never proven by %s: unbound", account.did, account.uri)
        account.did = None


def claimed_did(session: Session, account_id: int) -> str | None:
    """The did an actor lists without proof, if any (checked once it signs something)."""
    return session.scalar(
        select(RemoteActor.claimed_did).where(RemoteActor.account_id == account_id)
    )


def _save_remote_actor(session: Session, account_id: int, profile: ActorProfile) -> None:
    if profile.key_id:
        # A key id moves to whoever proves it now (a re-created account on the same server).
        other = session.execute(
            select(RemoteActor).where(
                RemoteActor.key_id == profile.key_id, RemoteActor.account_id != account_id
            )
        ).scalar_one_or_none()
        if other is not None:
            other.key_id = None
            session.flush()
    row = session.get(RemoteActor, account_id)
    if row is None:
        row = RemoteActor(account_id=account_id)
        session.add(row)
    row.actor_type = profile.actor_type
    row.inbox = profile.inbox
    row.shared_inbox = profile.shared_inbox
    row.key_id = profile.key_id
    row.followers_url = profile.followers_url
    row.url = profile.url
    row.avatar_url = profile.avatar_url
    row.header_url = profile.header_url
    row.moved_to = profile.moved_to
    row.claimed_did = profile.did if profile.did and not profile.did_proven else None
    row.fetched_at = now()


def delete_actor(session: Session, account: Account) -> None:
    """The actor deleted itself on its server: its posts and relations go with it (cascade)."""
    if account.domain is None:
        raise ValueError("a local account is not deleted by a remote server")
    session.add(Tombstone(uri=account.uri, deleted_at=now()))
    session.delete(account)


# --- posts -----------------------------------------------------------------------------------


def post_by_uri(session: Session, uri: str) -> Post | None:
    return session.execute(select(Post).where(Post.uri == uri)).scalar_one_or_none()


def is_tombstoned(session: Session, uri: str) -> bool:
    return session.get(Tombstone, uri) is not None


def receive_post(session: Session, author: Account, note: RemotePost) -> Post | Verdict:
    """Store a remote post, once; or the refusal, with its reason, when it was deleted before
    or is already here (returned, not raised: a unit of work that raises makes the writer
    run its whole group again one by one). Its id comes from its publication time
    (`kernel/ids.py`); a clash on that id is never taken for "already here": only its URI
    says so, and a clash on the id takes a fresh one."""
    if is_tombstoned(session, note.uri):
        return refused(f"{note.uri} was deleted by its author: it is not stored again")
    if post_by_uri(session, note.uri) is not None:
        return refused(f"{note.uri} is already here")
    parent = post_by_uri(session, note.in_reply_to) if note.in_reply_to else None
    published = min(note.published, now())  # a clock running ahead must not pin it on top
    visibility = activities.visibility_of(note.to, note.cc, _followers_url(session, author.id))
    for _attempt in range(ID_ATTEMPTS):
        post = _new_post(author, note, parent, published, visibility)
        try:
            with session.begin_nested():  # a savepoint: a concurrent job may store it first
                session.add(post)
                session.flush()
            break
        except IntegrityError:
            if post_by_uri(session, note.uri) is not None:
                return refused(f"{note.uri} is already here (stored at the same moment)")
            log.warning("id %d was taken (another process): %s takes another", post.id, note.uri)
    else:
        raise RuntimeError(f"no free id for {note.uri} after {ID_ATTEMPTS} attempts")
    _save_mentions_and_tags(session, post, note)
    _save_quote(session, author, post, note)
    save_attachments(session, post, note.attachments)
    if note.poll is not None:
        polls.refresh_remote(session, post, note.poll)
    if parent is not None:
        posts.bump(session, parent.id, Post.replies_count, +1)
    session.execute(
        update_rows(Account)
        .where(Account.id == author.id)
        .values(statuses_count=Account.statuses_count + 1, last_status_at=published)
    )
    enqueue(session, "post.created", {"post_id": post.id})
    cards.crawl_later(session, post, local=False)
    return post


ID_ATTEMPTS = 8  # ids clash only across processes, and rarely: a few fresh ones suffice


def _new_post(
    author: Account,
    note: RemotePost,
    parent: Post | None,
    published: datetime,
    visibility: Visibility,
) -> Post:
    return Post(
        id=_id_after(published, parent),
        account_id=author.id,
        uri=note.uri,
        visibility=visibility,
        content=note.content,
        source="",
        spoiler_text=note.spoiler_text[:500],
        language=note.language,
        in_reply_to_id=parent.id if parent else None,
        in_reply_to_account_id=parent.account_id if parent else None,
        thread_root_id=(parent.thread_root_id or parent.id) if parent else None,
        created_at=published,
        edited_at=note.updated if note.updated and note.updated > published else None,
        replies_count=0,
        favourites_count=0,
        reblogs_count=0,
        context=note.context,
        sensitive=note.sensitive,
    )


def _save_quote(session: Session, author: Account, post: Post, note: RemotePost) -> None:
    """Who may quote it (its `canQuote`, read against its author's collections) and what it
    quotes (core/quotes)."""
    policy = read_can_quote(note.can_quote, author.uri, _followers_url(session, author.id), None)
    for column, value in policy.columns().items():
        if getattr(post, column) != value:
            setattr(post, column, value)
    quotes.record_remote(session, post, note.quote)


def _followers_url(session: Session, account_id: int) -> str | None:
    actor = session.get(RemoteActor, account_id)
    return actor.followers_url if actor else None


def _id_after(published: datetime, parent: Post | None) -> int:
    """IDs sort by time, and threads rely on a reply sorting after its parent; `published`
    has whole seconds only, so a quick reply could sort before a parent stored with
    millisecond precision. Such a reply takes an id just after its parent's."""
    post_id = new_id(published)
    if parent is None or post_id > parent.id:
        return post_id
    return new_id_after(parent.id)


def update_post(session: Session, author: Account, note: RemotePost) -> Post | None:
    """An edit by its author; older versions are kept as history, as for local posts."""
    post = post_by_uri(session, note.uri)
    if post is None or post.account_id != author.id:
        return None
    if polls.refresh_remote(session, post, note.poll):
        # New counts (most Updates of a Question are only that): not an edit of the post.
        events.emit(session, "post.updated", post_id=post.id)
    if post.sensitive != note.sensitive:
        post.sensitive = note.sensitive
    _save_quote(session, author, post, note)
    media_changed = save_attachments(session, post, note.attachments)
    if media_changed and (note.content, note.spoiler_text) == (post.content, post.spoiler_text):
        enqueue(session, "post.updated", {"post_id": post.id})  # its media alone changed
    if note.content == post.content and note.spoiler_text == post.spoiler_text:
        return post  # a repeated Update, or one that changed nothing shown
    posts.keep_version(session, post)
    content_before = post.content
    post.content = note.content
    post.spoiler_text = note.spoiler_text[:500]
    post.edited_at = note.updated or now()
    session.query(Mention).filter(Mention.post_id == post.id).delete()
    session.query(PostTag).filter(PostTag.post_id == post.id).delete()
    _save_mentions_and_tags(session, post, note)
    enqueue(session, "post.updated", {"post_id": post.id})
    cards.edited(session, post, content_before, local=False)
    return post


def keep_signed(session: Session, account_id: int, document: dict[str, Any]) -> None:
    """A public object as its author signed it (its proof checked by the caller): kept to be
    re-served to peers (p2p/gateway.py). Private ones are never kept for that."""
    uri = document.get("id")
    if not isinstance(uri, str) or not activities.is_public(document):
        return
    held = session.get(HeldObject, uri)
    text = orjson.dumps(document).decode()
    if held is None:
        session.add(HeldObject(uri=uri, account_id=account_id, document=text, held_at=now()))
    else:
        held.document, held.held_at = text, now()


def delete_post(session: Session, author: Account, uri: str) -> bool:
    """The author deleted it: gone here too, and never fetched again."""
    session.query(HeldObject).filter(HeldObject.uri == uri).delete()
    post = post_by_uri(session, uri)
    if post is None or post.account_id != author.id:
        if not is_tombstoned(session, uri):  # arrived before the post: it never will now
            session.add(Tombstone(uri=uri, deleted_at=now()))
        return False
    posts.forget(session, post)
    return True


def _save_mentions_and_tags(session: Session, post: Post, note: RemotePost) -> None:
    if note.mentions:
        local = session.execute(
            select(Account.id).where(Account.uri.in_(note.mentions), Account.domain.is_(None))
        )
        for account_id in set(local.scalars()):
            insert_ignore(session, Mention, {"post_id": post.id, "account_id": account_id})
    for tag in {t.lower()[:100] for t in note.tags if t}:
        insert_ignore(session, PostTag, {"tag": tag, "post_id": post.id})


def save_attachments(session: Session, post: Post, files: tuple[RemoteAttachment, ...]) -> bool:
    """A remote post's media as rows (fetched and cached by a job): on an edit, a file whose
    URL stays keeps its row (its alt text and focus updated), the others come and go.
    Whether anything changed."""
    held = media.of_posts(session, [post.id]).get(post.id, []) if post.media_count else []
    by_url = {row.remote_url: row for row in held}
    wanted = {file.url for file in files}
    changed = False
    for row in held:
        if row.remote_url not in wanted:
            remote_media.retire(session, row)
            changed = True
    for file in files:
        kept = by_url.get(file.url)
        focus = file.focus or (None, None)
        if kept is None:
            remote_media.new_remote(
                session, post.account_id, file.url, kind=file.kind, post_id=post.id,
                **_described(file),
            )  # fmt: skip
            changed = True
        elif (kept.description, kept.focus_x, kept.focus_y) != (file.description, *focus):
            kept.description, (kept.focus_x, kept.focus_y) = file.description, focus
            changed = True
    if changed:
        post.media_count = len(files) or None  # pages load media only for posts that have some
    if changed and held:
        remote_media.shown_anew(session, post.id)
    return changed


def _described(file: RemoteAttachment) -> dict[str, Any]:
    """What its server said of a file, as the row keeps it (too long: left out)."""
    focus = file.focus or (None, None)
    return {
        "content_type": file.media_type or "application/octet-stream",
        "description": file.description[: media.MAX_DESCRIPTION],
        "width": file.width,
        "height": file.height,
        "blurhash": file.blurhash,
        "focus_x": focus[0],
        "focus_y": focus[1],
        "digest_multibase": _short(file.digest_multibase, 100),
        "license": _short(file.license, 64),
        "remote_preview_url": _short(file.preview_url, 1000),
    }


def _short(value: str | None, limit: int) -> str | None:
    return value if value is not None and len(value) <= limit else None
