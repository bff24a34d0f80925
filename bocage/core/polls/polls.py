"""Polls: a post asks a question with a few options, and people vote until it closes.

The rules are Mastodon's (its PollOptionsValidator, PollExpirationValidator, VoteValidator and
VoteService): two to `max_poll_options` options of at most 50 characters, open from five
minutes to a month; one choice on a single-choice poll, each choice once on a multiple-choice
one; no vote on one's own poll or after the end. Counts show unless the poll hides them until
it closes.

Over ActivityPub a poll is a `Question`: its options in `oneOf` (or `anyOf`, multiple choice)
with their counts in `replies.totalItems`, and `endTime`, `closed`, `votersCount`. A vote is
a Create of a Note whose `name` is the option, `inReplyTo` the Question, addressed to the
poll's author alone. The author's server counts the votes and sends the new counts as an
Update of the Question: at most every `UPDATE_DELAY` while it is open, and once more when it
closes. Closing notifies the author and every local voter (`poll` notifications).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, select
from sqlalchemy.orm import Session

from bocage.config import Settings
from bocage.core.authorship import activities, authoring
from bocage.core.notifications import notifications
from bocage.core.reading.visibility import can_see
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import Account, Block, Poll, PollVote, Post
from bocage.store.queue import enqueue
from bocage.store.sql import insert_rows

MAX_OPTION_CHARS = 50
MAX_EXPIRY_SECONDS = 2_629_746  # a month, as Mastodon
UPDATE_DELAY = 180.0  # Mastodon sends a busy poll's counts three minutes after a vote
# A remote poll's final counts come in the Update its server sends when it closes; if none
# has come this long after its end, its local voters are told it closed anyway.
REMOTE_CLOSE_GRACE = 300.0
# Mastodon's term for `votersCount`, so that JSON-LD readers understand it.
CONTEXT_EXTENSION = {"toot": "http://joinmastodon.org/ns#", "votersCount": "toot:votersCount"}

# Mastodon's messages (config/locales/en.yml, polls.errors), as its API words them.
EXPIRED = "Validation failed: The poll has already ended"
INVALID_CHOICE = "Validation failed: The chosen vote option does not exist"
SELF_VOTE = "Validation failed: You cannot vote in your own polls"
ALREADY_VOTED = "Validation failed: You have already voted on this poll"


@dataclass(frozen=True)
class PollDraft:
    """A poll as someone asks for it (API parameters, web form)."""

    options: tuple[str, ...]
    expires_in: int  # seconds
    multiple: bool = False
    hide_totals: bool = False

    def as_params(self) -> dict[str, Any]:
        """As Mastodon shows it in a scheduled status's `params` (and reads it back)."""
        return {
            "options": list(self.options),
            "expires_in": self.expires_in,
            "multiple": self.multiple,
            "hide_totals": self.hide_totals,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> PollDraft:
        return cls(
            tuple(params["options"]),
            int(params["expires_in"]),
            multiple=bool(params.get("multiple")),
            hide_totals=bool(params.get("hide_totals")),
        )


@dataclass(frozen=True)
class RemotePoll:
    """A remote Question's poll, normalized (see federation/normalize.py)."""

    options: tuple[str, ...]
    tallies: tuple[int, ...]
    multiple: bool
    expires_at: datetime | None
    closed: bool
    voters_count: int | None


@dataclass(frozen=True)
class PollView:
    """A poll as a viewer sees it. `voted`/`own_votes` are None when nobody is logged in."""

    poll: Poll
    voted: bool | None
    own_votes: tuple[int, ...] | None

    @property
    def expired(self) -> bool:
        return is_expired(self.poll)

    @property
    def counts(self) -> list[int | None]:
        """Votes per option, or None for each while the poll hides them."""
        return shown_tallies(self.poll)


# --- creating ---------------------------------------------------------------------------------


def validate(draft: PollDraft, settings: Settings, *, with_media: bool) -> PollDraft:
    """The draft with its options trimmed (blank ones dropped, as Mastodon does), or the
    reason it is refused."""
    if with_media:
        raise InvalidInput("Validation failed: A post cannot have both a poll and attachments")
    options = tuple(option.strip() for option in draft.options if option.strip())
    if len(options) < 2:
        raise InvalidInput("Validation failed: Poll options must have more than one item")
    if len(options) > settings.max_poll_options:
        raise InvalidInput(
            f"Validation failed: Poll options can't contain more than "
            f"{settings.max_poll_options} items"
        )
    if any(len(option) > MAX_OPTION_CHARS for option in options):
        raise InvalidInput(
            f"Validation failed: Poll options cannot be longer than {MAX_OPTION_CHARS} "
            "characters each"
        )
    if len(set(options)) != len(options):
        raise InvalidInput("Validation failed: Poll options contain duplicate items")
    if draft.expires_in < settings.poll_min_expiry_seconds:
        raise InvalidInput("Validation failed: Poll expires at is too soon")
    if draft.expires_in > MAX_EXPIRY_SECONDS:
        raise InvalidInput("Validation failed: Poll expires at is too far into the future")
    return PollDraft(options, draft.expires_in, draft.multiple, draft.hide_totals)


def create(session: Session, poll_id: int, post_id: int, draft: PollDraft, at: datetime) -> Poll:
    """A local poll for a post being published (`draft` validated); its closing is queued."""
    values: dict[str, Any] = {
        "id": poll_id,
        "post_id": post_id,
        "options": list(draft.options),
        "tallies": [0] * len(draft.options),
        "multiple": draft.multiple,
        "hide_totals": draft.hide_totals,
        "votes_count": 0,
        "voters_count": 0,  # Mastodon counts voters of every local poll
        "expires_at": at + timedelta(seconds=draft.expires_in),
        "closed_at": None,
        "update_queued": False,
    }
    insert_rows(session, Poll, [values])
    enqueue(session, "poll.close", {"poll_id": poll_id}, delay=float(draft.expires_in))
    return Poll(**values)


def replace(
    session: Session, post_id: int, poll: Poll | None, draft: PollDraft, at: datetime
) -> Poll:
    """An edit's poll (`draft` validated), as Mastodon's UpdateStatusService: the post's
    poll takes the new options and end, its votes kept unless its options or `multiple`
    changed (they then no longer mean what was chosen); a post without one gets one."""
    if poll is None:
        return create(session, new_id(), post_id, draft, at)
    changed = list(draft.options) != list(poll.options) or draft.multiple != poll.multiple
    poll.options = list(draft.options)
    poll.multiple = draft.multiple
    poll.hide_totals = draft.hide_totals
    poll.expires_at = at + timedelta(seconds=draft.expires_in)
    poll.closed_at = None
    if changed:
        session.execute(delete(PollVote).where(PollVote.poll_id == poll.id))
        poll.tallies = [0] * len(draft.options)
        poll.votes_count = 0
        poll.voters_count = 0
    # Closed at its new end (a job for an end that moved later comes back then: handle_close).
    enqueue(session, "poll.close", {"poll_id": poll.id}, delay=float(draft.expires_in))
    return poll


def is_expired(poll: Poll) -> bool:
    return poll.expires_at is not None and poll.expires_at <= now()


def shown_tallies(poll: Poll) -> list[int | None]:
    if poll.hide_totals and not is_expired(poll):
        return [None] * len(poll.options)
    return [int(count) for count in poll.tallies]


def as_question(document: dict[str, Any], poll: Poll) -> dict[str, Any]:
    """Turn a post's Note (unsigned) into the Question of its poll, with current counts."""
    context = document.get("@context", activities.CONTEXT)
    context = context if isinstance(context, list) else [context]
    if CONTEXT_EXTENSION not in context:
        document["@context"] = [*context, CONTEXT_EXTENSION]
    document["type"] = "Question"
    document.pop("oneOf", None)
    document.pop("anyOf", None)
    document["anyOf" if poll.multiple else "oneOf"] = [
        {"type": "Note", "name": title, "replies": {"type": "Collection", "totalItems": count}}
        for title, count in zip(poll.options, shown_tallies(poll), strict=True)
    ]
    if poll.expires_at is not None:
        document["endTime"] = activities.iso(poll.expires_at)
        if is_expired(poll):
            document["closed"] = activities.iso(poll.expires_at)
    if poll.voters_count is not None:
        document["votersCount"] = poll.voters_count
    return document


# --- reading ----------------------------------------------------------------------------------

NOBODY = 0  # no account has this id: an anonymous viewer has no votes
# A page's polls with the viewer's own choices, in one query.
PAGE_POLLS = (
    select(Poll, Post.account_id, PollVote.choice)
    .join(Post, Post.id == Poll.post_id)
    .outerjoin(
        PollVote, and_(PollVote.poll_id == Poll.id, PollVote.account_id == bindparam("viewer"))
    )
    .where(Poll.id.in_(bindparam("ids", expanding=True)))
    .order_by(Poll.id, PollVote.choice)
)


def of_polls(
    session: Session, poll_ids: Sequence[int], viewer_id: int | None
) -> dict[int, PollView]:
    """The views of these polls for `viewer_id` (None: anonymous), by poll id; no query when
    `poll_ids` is empty."""
    if not poll_ids:
        return {}
    rows = session.execute(PAGE_POLLS, {"ids": list(poll_ids), "viewer": viewer_id or NOBODY})
    found: dict[int, tuple[Poll, int, list[int]]] = {}
    for poll, author_id, choice in rows.all():
        entry = found.setdefault(poll.id, (poll, author_id, []))
        if choice is not None:
            entry[2].append(choice)
    views = {}
    for poll_id, (poll, author_id, own) in found.items():
        if viewer_id is None:
            views[poll_id] = PollView(poll, None, None)
        else:
            # As Mastodon: the author counts as having voted (they may not vote).
            views[poll_id] = PollView(poll, bool(own) or author_id == viewer_id, tuple(own))
    return views


def get_visible(session: Session, viewer_id: int | None, poll_id: int) -> PollView:
    poll = session.get(Poll, poll_id)
    post = session.get(Post, poll.post_id) if poll is not None else None
    if post is None or not can_see(session, viewer_id, post):
        raise NotFound("Record not found")
    return of_polls(session, [poll_id], viewer_id)[poll_id]


# --- voting -----------------------------------------------------------------------------------


def vote(session: Session, voter: Account, poll_id: int, choices: Sequence[int]) -> Poll:
    """A local account votes. On a local poll the counts change here; on a remote one the
    votes also go to its author's server (one Create per choice, as Mastodon sends them)."""
    poll = _locked(session, poll_id)
    post = session.get(Post, poll.post_id) if poll is not None else None
    if poll is None or post is None or not can_see(session, voter.id, post):
        raise NotFound("Record not found")
    if not choices:
        raise InvalidInput("Validation failed: Choose at least one option")
    if is_expired(poll):
        raise InvalidInput(EXPIRED)
    if any(not 0 <= choice < len(poll.options) for choice in choices):
        raise InvalidInput(INVALID_CHOICE)
    if voter.id == post.account_id:
        raise InvalidInput(SELF_VOTE)
    before = _choices_of(session, poll.id, voter.id)
    wanted = list(dict.fromkeys(choices))
    repeated = len(wanted) != len(choices) or bool(before & set(wanted))
    if repeated or (not poll.multiple and (before or len(wanted) > 1)):
        raise InvalidInput(ALREADY_VOTED)
    author = session.get(Account, post.account_id)
    assert author is not None
    uris = _record(session, poll, voter, wanted, first=not before)
    if author.domain is None:
        _counts_changed(session, poll, post)
        return poll
    for choice, uri in zip(wanted, uris, strict=True):
        _send_vote(session, voter, author, post, poll.options[choice], uri)
    if not before and poll.expires_at is not None and not _other_local_voters(session, poll, voter):
        # Its final counts are due from its server; the local voters are told by this job
        # if they never come (Mastodon's final poll check).
        wait = (poll.expires_at - now()).total_seconds() + REMOTE_CLOSE_GRACE
        enqueue(session, "poll.close", {"poll_id": poll.id}, delay=max(wait, 0.0))
    events.emit(session, "post.updated", post_id=post.id)
    return poll


def receive_vote(session: Session, voter: Account, in_reply_to: str, name: str, uri: str) -> bool:
    """A remote account's Note that may be a vote on a local poll: counted if it is one
    (and comes in time); True if it was a vote, handled, and so not a post."""
    post = session.execute(select(Post).where(Post.uri == in_reply_to)).scalar_one_or_none()
    if post is None or post.poll_id is None:
        return False
    author = session.get(Account, post.account_id)
    poll = _locked(session, post.poll_id)
    if author is None or author.domain is not None or poll is None or name not in poll.options:
        return False
    choice = poll.options.index(name)
    before = _choices_of(session, poll.id, voter.id)
    if is_expired(poll) or choice in before or (before and not poll.multiple):
        return True  # too late, or already counted (a redelivery): ignored, as Mastodon does
    if _blocked(session, author.id, voter.id):
        return True
    _record(session, poll, voter, [choice], first=not before, uris=[uri])
    _counts_changed(session, poll, post)
    return True


def _locked(session: Session, poll_id: int) -> Poll | None:
    """The poll, locked until the commit (PostgreSQL): two votes at once must not both start
    from the same counts. SQLite has one writer anyway."""
    return session.get(Poll, poll_id, with_for_update=True)


def _choices_of(session: Session, poll_id: int, account_id: int) -> set[int]:
    rows = session.execute(
        select(PollVote.choice).where(
            PollVote.poll_id == poll_id, PollVote.account_id == account_id
        )
    )
    return set(rows.scalars())


def _record(
    session: Session,
    poll: Poll,
    voter: Account,
    choices: list[int],
    *,
    first: bool,
    uris: list[str] | None = None,
) -> list[str]:
    """Store the votes and count them; returns their Note ids (Mastodon's `#votes/ID` form
    for ours)."""
    uris = uris or [f"{voter.uri}#votes/{new_id()}" for _ in choices]
    moment = now()
    insert_rows(
        session,
        PollVote,
        [
            {
                "poll_id": poll.id,
                "account_id": voter.id,
                "choice": c,
                "uri": u,
                "created_at": moment,
            }
            for c, u in zip(choices, uris, strict=True)
        ],
    )
    tallies = [int(count) for count in poll.tallies]
    for choice in choices:
        tallies[choice] += 1
    poll.tallies = tallies  # a new list: the ORM sees a JSON column change only by assignment
    poll.votes_count = poll.votes_count + len(choices)
    if first and poll.voters_count is not None:
        poll.voters_count = poll.voters_count + 1
    return uris


def _counts_changed(session: Session, poll: Poll, post: Post) -> None:
    """A local poll's counts changed: clients are told now, other servers by an Update of the
    Question a little later (one for all the votes meanwhile; none while totals are hidden)."""
    events.emit(session, "post.updated", post_id=post.id)
    if not poll.hide_totals and not poll.update_queued:
        poll.update_queued = True
        enqueue(session, "poll.update", {"poll_id": poll.id}, delay=UPDATE_DELAY)


def _send_vote(
    session: Session, voter: Account, author: Account, post: Post, name: str, uri: str
) -> None:
    note = {
        "id": uri,
        "type": "Note",
        "name": name,
        "attributedTo": voter.uri,
        "to": [author.uri],
        "inReplyTo": post.uri,
    }
    create = activities.wrap("Create", activities.create_id(uri), voter, note, published=now())
    authoring.append(session, voter, create)


def _other_local_voters(session: Session, poll: Poll, voter: Account) -> bool:
    found = session.execute(
        select(PollVote.account_id)
        .join(Account, Account.id == PollVote.account_id)
        .where(PollVote.poll_id == poll.id, PollVote.account_id != voter.id)
        .where(Account.domain.is_(None))
        .limit(1)
    )
    return found.first() is not None


def _blocked(session: Session, author_id: int, voter_id: int) -> bool:
    found = session.execute(
        select(Block.account_id).where(Block.account_id == author_id, Block.target_id == voter_id)
    )
    return found.first() is not None


# --- remote polls -----------------------------------------------------------------------------


def refresh_remote(session: Session, post: Post, found: RemotePoll | None) -> bool:
    """Bring a remote post's poll in line with its Question (as created or updated by its
    author's server). True if anything a reader sees changed."""
    poll = session.get(Poll, post.poll_id, with_for_update=True) if post.poll_id else None
    if found is None:
        if poll is None:
            return False
        session.delete(poll)  # edited into a post without a poll
        post.poll_id = None
        return True
    if poll is None:
        poll = Poll(
            id=new_id(), post_id=post.id, options=list(found.options), hide_totals=False,
            closed_at=None, update_queued=False,
        )  # fmt: skip
        session.add(poll)
        post.poll_id = poll.id
    elif list(found.options) != poll.options:
        # Other options: the votes cast for the old ones mean nothing now (Mastodon too).
        session.execute(delete(PollVote).where(PollVote.poll_id == poll.id))
        poll.options = list(found.options)
    before = (poll.tallies, poll.voters_count, poll.expires_at, poll.multiple)
    poll.tallies = list(found.tallies)
    poll.votes_count = sum(found.tallies)
    poll.voters_count = found.voters_count
    poll.expires_at = found.expires_at
    poll.multiple = found.multiple
    changed = before != (poll.tallies, poll.voters_count, poll.expires_at, poll.multiple)
    if poll.closed_at is None and (found.closed or is_expired(poll)):
        author = session.get(Account, post.account_id)
        assert author is not None
        close(session, poll, post, author)
        changed = True
    return changed


# --- closing and updates (job handlers) ---------------------------------------------------------


def handle_close(session: Session, payload: dict[str, Any]) -> None:
    """`poll.close`: at a local poll's end (or a remote one's, plus a grace period)."""
    poll = _locked(session, payload["poll_id"])
    if poll is None or poll.closed_at is not None or poll.expires_at is None:
        return
    if poll.expires_at > now():  # its end moved (an edit): come back then
        wait = (poll.expires_at - now()).total_seconds()
        enqueue(session, "poll.close", {"poll_id": poll.id}, delay=wait)
        return
    post = session.get(Post, poll.post_id)
    author = session.get(Account, post.account_id) if post is not None else None
    if post is not None and author is not None:
        close(session, poll, post, author)


def close(session: Session, poll: Poll, post: Post, author: Account) -> None:
    """The poll has ended: its author and local voters are told, and for a local poll the
    final counts go to everyone who saw it (and to the remote voters)."""
    poll.closed_at = now()
    voters = session.execute(
        select(PollVote.account_id)
        .join(Account, Account.id == PollVote.account_id)
        .where(PollVote.poll_id == poll.id, Account.domain.is_(None))
        .distinct()
    )
    told = {*voters.scalars(), *([author.id] if author.domain is None else [])}
    for account_id in sorted(told):
        notifications.create(
            session, account_id, "poll", author.id, post.id, f"poll:{poll.id}:{account_id}"
        )
    if author.domain is None:
        _send_counts(session, poll, post, author)
    events.emit(session, "post.updated", post_id=post.id)


def handle_update(session: Session, payload: dict[str, Any]) -> None:
    """`poll.update`: a local poll's counts, a few minutes after the votes that changed them."""
    poll = _locked(session, payload["poll_id"])
    if poll is None:
        return
    poll.update_queued = False
    if poll.closed_at is not None:
        return  # closing sent the final counts
    post = session.get(Post, poll.post_id)
    author = session.get(Account, post.account_id) if post is not None else None
    if post is not None and author is not None and author.domain is None:
        _send_counts(session, poll, post, author)


def _send_counts(session: Session, poll: Poll, post: Post, author: Account) -> None:
    """An Update of the post's Question: its latest signed version with today's counts.
    Without `updated` changing, Mastodon applies it to the counts alone, not as an edit."""
    current = authoring.signed_object(session, post.uri)
    if current is None:
        return  # deleted
    question = as_question({k: v for k, v in current.items() if k != "proof"}, poll)
    signed = authoring.sign(author, question)
    update = activities.wrap(
        "Update", f"{post.uri}#updates/{new_id()}", author, signed.document, published=now()
    )
    remote_voters = session.execute(
        select(Account.uri)
        .join(PollVote, PollVote.account_id == Account.id)
        .where(
            PollVote.poll_id == poll.id,
            Account.domain.is_not(None),
            ~exists().where(Block.account_id == author.id, Block.target_id == Account.id),
        )
        .distinct()
    )
    # Voters who do not follow the author get the counts too, without being named in it
    # (but those the author blocked since: nothing of the author's reaches them any more).
    authoring.append(session, author, update, signed, also_to=sorted(remote_voters.scalars()))
