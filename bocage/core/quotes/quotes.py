"""The units of work of quotes: a local post quoting another (accepted at once by policy when
both are here, else a QuoteRequest to the quoted post's server), the answer to a QuoteRequest
for one of our posts (an Accept with a QuoteAuthorization served at its id, or a Reject), the
answer to ours, a revocation either way, another server's quotes recorded with the verdict on
their authorization, and what a page of statuses shows of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bocage.core.authorship import authoring
from bocage.core.notifications import notifications
from bocage.core.notifications.notifications import enqueue_notification
from bocage.core.quotes.policy import (
    QuotePolicy,
    Quoter,
    Standing,
    can_quote_field,
    may_quote,
    standing,
)
from bocage.core.quotes.states import QuoteShown, Seen, State, shown
from bocage.core.quotes.verify import AuthorizationVerdict
from bocage.core.reading.visibility import OPEN, Visibility, can_see
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import Forbidden, NotFound
from bocage.kernel.ids import new_id
from bocage.kernel.urls import same_origin
from bocage.store.models import Account, Block, Follow, Mute, Post, Quote
from bocage.store.sql import update_rows

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
QUOTE_REQUEST_CONTEXT: list[Any] = [
    AS_CONTEXT,
    {"QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest"},
]
# Mastodon's `quote_authorizations` context extension (app/helpers/context_helper.rb).
AUTHORIZATION_CONTEXT: list[Any] = [
    AS_CONTEXT,
    {
        "gts": "https://gotosocial.org/ns#",
        "QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
        "interactingObject": {"@id": "gts:interactingObject"},
        "interactionTarget": {"@id": "gts:interactionTarget"},
    },
]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
NOT_QUOTABLE = "The post you are trying to quote does not appear to exist."


@dataclass(frozen=True)
class RemoteQuote:
    """What another server's post says it quotes (`quote`, or the older `quoteUri`,
    `quoteUrl`, `_misskey_quote`), the authorization it names, and the verdict on that
    authorization once fetched (None: not fetched)."""

    quoted_uri: str
    approval_uri: str | None = None
    verdict: AuthorizationVerdict | None = None


# --- who may quote ---------------------------------------------------------------------------


def policy_of(post: Any) -> QuotePolicy:
    return QuotePolicy.stored(post.quote_automatic or "", post.quote_manual or "")


def _follows(session: Session, follower_id: int, target_id: int) -> bool:
    row = session.execute(
        select(Follow.follower_id).where(
            Follow.follower_id == follower_id,
            Follow.target_id == target_id,
            Follow.accepted.is_(True),
        )
    ).first()
    return row is not None


def standing_of(session: Session, account_id: int | None, post: Any) -> Standing:
    """Where `account_id` stands with the post's policy; who follows whom is read only when
    the policy asks it (a page of public posts reads nothing)."""
    policy = policy_of(post)
    if account_id is None:
        return standing(policy, post.visibility, None)
    keys = policy.automatic | policy.manual
    is_author = account_id == post.account_id
    asks = not is_author and "public" not in keys
    quoter = Quoter(
        is_author=is_author,
        follows_author=asks
        and "followers" in keys
        and _follows(session, account_id, post.account_id),
        followed_by_author=asks
        and "following" in keys
        and _follows(session, post.account_id, account_id),
    )
    return standing(policy, post.visibility, quoter)


def quotable(session: Session, author: Account, quoted_post_id: int) -> Post:
    """The post `author` asks to quote (the original, for a boost), or Mastodon's 404 when it
    is not there, not theirs to see, or its policy denies them."""
    post = session.get(Post, quoted_post_id)
    if post is not None and post.reblog_of_id is not None:
        post = session.get(Post, post.reblog_of_id)
    if post is None or not can_see(session, author.id, post):
        raise NotFound(NOT_QUOTABLE)
    if not may_quote(post.visibility, standing_of(session, author.id, post)):
        raise NotFound(NOT_QUOTABLE)
    return post


def set_policy(session: Session, owner: Account, post_id: int, policy: QuotePolicy) -> Post:
    """A post's quote policy, changed by its author (the caller republishes the Note)."""
    post = session.get(Post, post_id)
    if post is None or post.reblog_of_id is not None:
        raise NotFound("Record not found")
    if post.account_id != owner.id:
        raise Forbidden("This action is not allowed")
    for column, value in policy.columns().items():
        setattr(post, column, value)
    return post


# --- the Note's fields -----------------------------------------------------------------------


def quote_of(session: Session, post_id: int) -> Quote | None:
    return session.execute(select(Quote).where(Quote.post_id == post_id)).scalar_one_or_none()


def _link(session: Session, post: Post, quote_id: int | None) -> None:
    """A post's `quote_id`, written at once (a post just published is no ORM object)."""
    session.execute(update_rows(Post).where(Post.id == post.id).values(quote_id=quote_id))
    set_committed_value(post, "quote_id", quote_id)


def _recount(session: Session, quoted_post_id: int | None) -> None:
    """A post's `quotes_count`: its accepted quotes, counted again after any change."""
    if quoted_post_id is None:
        return
    accepted = (
        select(func.count())
        .select_from(Quote)
        .where(Quote.quoted_post_id == quoted_post_id, Quote.state == State.ACCEPTED)
        .scalar_subquery()
    )
    session.execute(
        update_rows(Post).where(Post.id == quoted_post_id).values(quotes_count=accepted)
    )


def _changed(session: Session, quote: Quote) -> None:
    """After a quote's state changed: its quoted post counted again, and streaming clients
    told that the quoting post changed (Mastodon's `status.update`)."""
    session.flush()
    _recount(session, quote.quoted_post_id)
    events.emit(session, "post.updated", post_id=quote.post_id)


def _drop(session: Session, quote: Quote) -> None:
    session.delete(quote)
    session.flush()
    _recount(session, quote.quoted_post_id)


def forget(session: Session, post: Post) -> None:
    """A post about to be deleted: its quote goes (and is counted no more)."""
    if post.quote_id is None:
        return
    quote = session.get(Quote, post.quote_id)
    if quote is not None:
        _drop(session, quote)


def approval_uri(quote: Quote) -> str | None:
    """The authorization a Note names: only an accepted quote has one (Mastodon's
    `approval_uri_for`)."""
    return quote.approval_uri if quote.state == State.ACCEPTED else None


def note_fields(session: Session, ctx: Context, author: Account, post: Post) -> dict[str, Any]:
    """What a local Note says of quotes, as Mastodon's NoteSerializer: who may quote it
    (`interactionPolicy.canQuote`) and, for a quote, the quoted post (`quote`, and for older
    readers `quoteUri` and `_misskey_quote`) with its authorization once accepted."""
    fields: dict[str, Any] = {
        "interactionPolicy": {
            "canQuote": can_quote_field(
                policy_of(post),
                author.uri,
                ctx.urls.followers(author.username),
                ctx.urls.following(author.username),
            )
        }
    }
    quote = quote_of(session, post.id)
    if quote is not None:
        fields["quote"] = quote.quoted_uri
        fields["_misskey_quote"] = quote.quoted_uri
        fields["quoteUri"] = quote.quoted_uri
        if (approval := approval_uri(quote)) is not None:
            fields["quoteAuthorization"] = approval
    return fields


# --- a local post quoting ---------------------------------------------------------------------


def attach(session: Session, ctx: Context, author: Account, post: Post, quoted: Post) -> Quote:
    """`post` (new, or edited to quote) quotes `quoted`: accepted at once when `quoted` is
    ours and its policy lets `author` in (or it is the author's own), pending otherwise
    (another server's post waits for its QuoteRequest's answer: `request`)."""
    existing = quote_of(session, post.id)
    if existing is not None:
        if existing.quoted_post_id == quoted.id:
            return existing
        _drop(session, existing)
    quoted_author = session.get(Account, quoted.account_id)
    assert quoted_author is not None
    moment = now()
    quote = Quote(
        id=new_id(),
        post_id=post.id,
        account_id=author.id,
        quoted_post_id=quoted.id,
        quoted_account_id=quoted.account_id,
        quoted_uri=quoted.uri,
        state=State.PENDING,
        created_at=moment,
        updated_at=moment,
    )
    own = quoted.account_id == author.id
    if own or (
        quoted_author.domain is None
        and standing_of(session, author.id, quoted) is Standing.AUTOMATIC
    ):
        quote.state = State.ACCEPTED
        if quoted_author.domain is None:
            quote.approval_uri = ctx.urls.quote_authorization(quoted_author.username, quote.id)
    session.add(quote)
    session.flush()
    _link(session, post, quote.id)
    _recount(session, quoted.id)
    if quote.state == State.ACCEPTED and quoted_author.domain is None:
        enqueue_notification(session, quoted_author.id, "quote", author.id, post.id)
    return quote


def request(
    session: Session, ctx: Context, author: Account, quote: Quote, note: dict[str, Any]
) -> None:
    """A pending quote of another server's post: the QuoteRequest to its author (Mastodon's
    QuoteRequestSerializer), with the quoting Note inlined as the `instrument` (so that a
    server that may not fetch it, a followers-only post, still reads it)."""
    if quote.state != State.PENDING or quote.quoted_account_id is None:
        return
    quoted_author = session.get(Account, quote.quoted_account_id)
    if quoted_author is None or quoted_author.domain is None:
        return
    quote.activity_uri = ctx.urls.quote_request(author.username, quote.id)
    instrument = {key: value for key, value in note.items() if key not in ("@context", "proof")}
    activity = {
        "@context": QUOTE_REQUEST_CONTEXT,
        "id": quote.activity_uri,
        "type": "QuoteRequest",
        "actor": author.uri,
        "object": quote.quoted_uri,
        "instrument": instrument,
    }
    authoring.append(session, author, activity, also_to=[quoted_author.uri])


def revoke(
    session: Session, ctx: Context, owner: Account, quoted_post_id: int, quoting_post_id: int
) -> Quote:
    """The author of a quoted post takes their consent back (Mastodon's RevokeQuoteService):
    the quote is `revoked`, and the authorization is deleted where the quoting post lives."""
    quoted = session.get(Post, quoted_post_id)
    if quoted is None or not can_see(session, owner.id, quoted):
        raise NotFound("Record not found")
    quote = session.execute(
        select(Quote).where(Quote.post_id == quoting_post_id, Quote.quoted_post_id == quoted.id)
    ).scalar_one_or_none()
    if quote is None:
        raise NotFound("Record not found")
    if quote.quoted_account_id != owner.id:
        raise Forbidden("This action is not allowed")
    if quote.state == State.REVOKED:
        return quote  # already: nothing more to send
    given = quote.approval_uri
    quote.state = State.REVOKED
    quote.updated_at = now()
    _changed(session, quote)
    quoter = session.get(Account, quote.account_id)
    if given and quoter is not None and quoter.domain is not None:
        delete = {
            "@context": AS_CONTEXT,
            "id": f"{given}#delete",
            "type": "Delete",
            "actor": owner.uri,
            "object": given,
            "to": [PUBLIC],
        }
        authoring.append(session, owner, delete, also_to=[quoter.uri])
    return quote


# --- another server's answers and quotes ----------------------------------------------------


@dataclass(frozen=True)
class QuoteRequestIn:
    """A QuoteRequest received (normalized): who asks to quote which post with which of
    theirs."""

    id: str
    actor: str
    quoted_uri: str
    instrument_uri: str


@dataclass(frozen=True)
class Answered:
    """What answering a QuoteRequest did: `accepted`, and `reason` when nothing was sent."""

    accepted: bool
    reason: str | None = None


def receive_request(
    session: Session, ctx: Context, actor: Account, asked: QuoteRequestIn, instrument: Post | None
) -> Answered:
    """A QuoteRequest for one of our posts (Mastodon's ActivityPub::Activity::QuoteRequest):
    accepted by the post's policy, with an Accept whose `result` is the QuoteAuthorization
    served at its id, and its author told (`quote`); or a Reject."""
    quoted = session.execute(select(Post).where(Post.uri == asked.quoted_uri)).scalar_one_or_none()
    quoted_author = session.get(Account, quoted.account_id) if quoted else None
    if quoted is None or quoted_author is None or quoted_author.domain is not None:
        return Answered(False, f"{asked.quoted_uri} is not a post of this node")
    if quoted.reblog_of_id is not None or Visibility(quoted.visibility) not in OPEN:
        return Answered(False, f"{asked.quoted_uri} is not shared beyond this node")
    echo = {
        "id": asked.id,
        "type": "QuoteRequest",
        "actor": asked.actor,
        "object": asked.quoted_uri,
        "instrument": asked.instrument_uri,
    }
    quote = quote_of(session, instrument.id) if instrument is not None else None
    if not may_quote(quoted.visibility, standing_of(session, actor.id, quoted)):
        if quote is not None and quote.quoted_post_id == quoted.id:
            quote.state, quote.updated_at = State.REJECTED, now()
            session.flush()
            _recount(session, quoted.id)
        reject = {
            "@context": QUOTE_REQUEST_CONTEXT,
            "id": f"{quoted_author.uri}#rejects/quote_requests/{new_id()}",
            "type": "Reject",
            "actor": quoted_author.uri,
            "object": echo,
        }
        authoring.append(session, quoted_author, reject, also_to=[actor.uri])
        return Answered(False)
    if instrument is None or instrument.account_id != actor.id:
        return Answered(False, f"the quoting post {asked.instrument_uri} is not {actor.uri}'s")
    if quote is None:
        quote = Quote(
            id=new_id(),
            post_id=instrument.id,
            account_id=actor.id,
            quoted_uri=quoted.uri,
            created_at=now(),
        )
        session.add(quote)
    elif quote.quoted_post_id != quoted.id and quote.quoted_uri != quoted.uri:
        return Answered(False, f"{asked.instrument_uri} quotes another post")
    quote.quoted_post_id, quote.quoted_account_id = quoted.id, quoted.account_id
    quote.state, quote.activity_uri, quote.updated_at = State.ACCEPTED, asked.id, now()
    quote.approval_uri = ctx.urls.quote_authorization(quoted_author.username, quote.id)
    session.flush()
    if instrument.quote_id != quote.id:
        _link(session, instrument, quote.id)
    _recount(session, quoted.id)
    accept = {
        "@context": QUOTE_REQUEST_CONTEXT,
        # Mastodon's form, made unique: a QuoteRequest sent again is answered again.
        "id": f"{quoted_author.uri}#accepts/quote_requests/{new_id()}",
        "type": "Accept",
        "actor": quoted_author.uri,
        "object": echo,
        "result": quote.approval_uri,
    }
    authoring.append(session, quoted_author, accept, also_to=[actor.uri])
    enqueue_notification(session, quoted_author.id, "quote", actor.id, instrument.id)
    return Answered(True)


def request_answered(
    session: Session,
    actor: Account,
    request_id: str | None,
    accepted: bool,
    result: str | None,
) -> Quote | None:
    """The quoted author's server answered one of our QuoteRequests. An Accept is as
    authoritative as the authorization it names (Mastodon takes it so), when that
    authorization is on the answering server. None: no pending quote of ours it answers."""
    if not request_id:
        return None
    quote = session.execute(
        select(Quote).where(Quote.activity_uri == request_id)
    ).scalar_one_or_none()
    if quote is None or quote.quoted_account_id != actor.id or quote.state != State.PENDING:
        return None
    if accepted:
        if not result or not same_origin(result, actor.uri):
            return None
        quote.state, quote.approval_uri = State.ACCEPTED, result
    else:
        quote.state = State.REJECTED
    quote.updated_at = now()
    _changed(session, quote)
    return quote


def revoked_remotely(session: Session, actor: Account, uri: str) -> Quote | None:
    """A Delete of a QuoteAuthorization by the quoted author: the quote is revoked."""
    quote = session.execute(select(Quote).where(Quote.approval_uri == uri)).scalar_one_or_none()
    if quote is None or quote.quoted_account_id != actor.id:
        return None
    quote.state, quote.updated_at = State.REVOKED, now()
    _changed(session, quote)
    return quote


def record_remote(session: Session, post: Post, given: RemoteQuote | None) -> Quote | None:
    """Another server's post, as it says what it quotes: accepted when it quotes its own
    author, or when the authorization it names was verified (`verify.authorization`);
    rejected (or revoked) when that authorization is gone; as it was otherwise (pending
    until answered, or as this node answered its QuoteRequest). An edit that drops the
    quote drops it."""
    existing = quote_of(session, post.id)
    if given is None:
        if existing is not None:
            _drop(session, existing)
            _link(session, post, None)
        return None
    quoted = session.execute(select(Post).where(Post.uri == given.quoted_uri)).scalar_one_or_none()
    moment = now()
    quote = existing
    if quote is None or quote.quoted_uri != given.quoted_uri:
        if quote is not None:
            _drop(session, quote)
        quote = Quote(
            id=new_id(),
            post_id=post.id,
            account_id=post.account_id,
            quoted_uri=given.quoted_uri,
            state=State.PENDING,
            created_at=moment,
        )
        session.add(quote)
    quote.updated_at = moment
    if quoted is not None:
        quote.quoted_post_id, quote.quoted_account_id = quoted.id, quoted.account_id
    verdict = given.verdict
    if quoted is not None and quoted.account_id == post.account_id:
        quote.state = State.ACCEPTED  # anyone may quote themselves (FEP-044f)
    elif verdict is not None and verdict.accepted:
        quote.state, quote.approval_uri = State.ACCEPTED, given.approval_uri
    elif verdict is not None and verdict.final and quote.state != State.REVOKED:
        # As Mastodon: an accepted quote whose authorization is gone is revoked; a
        # pending one is rejected.
        quote.state = State.REVOKED if quote.state == State.ACCEPTED else State.REJECTED
    session.flush()
    if post.quote_id != quote.id:
        _link(session, post, quote.id)
    _recount(session, quote.quoted_post_id)
    return quote


def handle_quoted_update(session: Session, post_id: int) -> None:
    """An edited post: the local people whose accepted quotes show it are told
    (`quoted_update`, from its author, about their quoting post)."""
    post = session.get(Post, post_id)
    if post is None or post.edited_at is None:
        return
    rows = session.execute(
        select(Quote.post_id, Quote.account_id)
        .join(Account, Account.id == Quote.account_id)
        .where(
            Quote.quoted_post_id == post.id,
            Quote.state == State.ACCEPTED,
            Account.domain.is_(None),
        )
    )
    for quoting_post_id, account_id in rows:
        notifications.create(
            session,
            account_id,
            "quoted_update",
            post.account_id,
            quoting_post_id,
            f"quoted_update:{post.id}:{post.edited_at.isoformat()}:{quoting_post_id}",
        )


# --- reading ---------------------------------------------------------------------------------


def authorization_document(
    session: Session, ctx: Context, username: str, quote_id: int
) -> dict[str, Any] | None:
    """The QuoteAuthorization a local account gave, served at its id while the quote stands
    (Mastodon's QuoteAuthorizationSerializer); None once revoked, or if there is none."""
    quote = session.get(Quote, quote_id)
    if quote is None or quote.state != State.ACCEPTED or quote.quoted_account_id is None:
        return None
    owner = session.get(Account, quote.quoted_account_id)
    quoting = session.get(Post, quote.post_id)
    if owner is None or owner.domain is not None or owner.username != username:
        return None
    if quoting is None or quote.approval_uri != ctx.urls.quote_authorization(username, quote.id):
        return None
    return {
        "@context": AUTHORIZATION_CONTEXT,
        "id": quote.approval_uri,
        "type": "QuoteAuthorization",
        "attributedTo": owner.uri,
        "interactionTarget": quote.quoted_uri,
        "interactingObject": quoting.uri,
    }


def accepted_page(
    session: Session,
    viewer_id: int | None,
    quoted_post_id: int,
    *,
    max_id: int | None,
    since_id: int | None,
    limit: int,
) -> list[tuple[int, int]]:
    """(quote id, quoting post id) of the accepted quotes of a post the viewer may see,
    newest first, paged by quote id (Mastodon's `/api/v1/statuses/:id/quotes`); those the
    viewer may not see are left out."""
    quoted = session.get(Post, quoted_post_id)
    if quoted is None or not can_see(session, viewer_id, quoted):
        raise NotFound("Record not found")
    query = select(Quote.id, Quote.post_id).where(
        Quote.quoted_post_id == quoted.id, Quote.state == State.ACCEPTED
    )
    if max_id is not None:
        query = query.where(Quote.id < max_id)
    if since_id is not None:
        query = query.where(Quote.id > since_id)
    rows = session.execute(query.order_by(Quote.id.desc()).limit(limit)).all()
    found: list[tuple[int, int]] = []
    for quote_id, post_id in rows:
        post = session.get(Post, post_id)
        if post is not None and can_see(session, viewer_id, post):
            found.append((quote_id, post_id))
    return found


@dataclass(frozen=True)
class QuoteFacts:
    """What a page of statuses shows of quotes, for one viewer: each quoting post's quote,
    each post's quote policy and the viewer's standing, and accepted quotes counted."""

    quotes: dict[int, QuoteShown]
    approvals: dict[int, tuple[QuotePolicy, Standing]]
    counts: dict[int, int]


def for_page(session: Session, viewer_id: int | None, posts: Iterable[Any]) -> QuoteFacts:
    listed = {post.id: post for post in posts}
    if not listed:
        return QuoteFacts({}, {}, {})
    quote_ids = [post.quote_id for post in listed.values() if post.quote_id is not None]
    rows = []  # no query at all for a page without quotes
    if quote_ids:
        rows = list(session.execute(select(Quote).where(Quote.id.in_(quote_ids))).scalars())
    quoted_ids = [row.quoted_post_id for row in rows if row.quoted_post_id is not None]
    quoted = {
        post.id: post
        for post in session.execute(select(Post).where(Post.id.in_(quoted_ids))).scalars()
    }
    authors = {post.account_id for post in quoted.values()}
    blocked, muted = _shut(session, viewer_id, authors)
    quotes: dict[int, QuoteShown] = {}
    for row in rows:
        target = quoted.get(row.quoted_post_id) if row.quoted_post_id is not None else None
        seen = Seen(
            exists=target is not None,
            visible=target is not None and can_see(session, viewer_id, target),
            blocked_account=target is not None and target.account_id in blocked,
            muted_account=target is not None and target.account_id in muted,
        )
        state = shown(row.state, seen)
        quotes[row.post_id] = QuoteShown(
            state, target.id if target is not None and state == State.ACCEPTED else None
        )
    counts = {post_id: post.quotes_count for post_id, post in listed.items()}
    approvals = {
        post_id: (policy_of(post), standing_of(session, viewer_id, post))
        for post_id, post in listed.items()
    }
    return QuoteFacts(quotes, approvals, counts)


def _shut(session: Session, viewer_id: int | None, authors: set[int]) -> tuple[set[int], set[int]]:
    if viewer_id is None or not authors:
        return set(), set()
    blocked = set(
        session.execute(
            select(Block.target_id).where(
                Block.account_id == viewer_id, Block.target_id.in_(authors)
            )
        ).scalars()
    )
    muted = set(
        session.execute(
            select(Mute.target_id).where(Mute.account_id == viewer_id, Mute.target_id.in_(authors))
        ).scalars()
    )
    return blocked, muted
