"""The social graph: follow (and follow requests for locked accounts) with the follower's
options, block, mute, and what the graph tells one account about others (relationships,
familiar followers)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, literal, null, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bocage.core.authorship import activities, authoring
from bocage.core.graph import lists
from bocage.core.notifications import notifications
from bocage.core.notifications.notifications import enqueue_notification
from bocage.core.timelines import feeds
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import Forbidden, InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import (
    Account,
    AccountDomainBlock,
    AccountNote,
    Block,
    Endorsement,
    Follow,
    FollowOption,
    Mute,
)
from bocage.store.queue import enqueue
from bocage.store.sql import update_rows

MUTE_EXPIRY_JOB = "mute.expire"
MAX_MUTE_SECONDS = 2**31 - 1  # a duration past this is refused (Mastodon's integer column)

LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")  # en, pt-BR, zh-Hant, cnr
MAX_LANGUAGES = 100


@dataclass(frozen=True)
class FollowOptions:
    """What a follower chose for one follow (Mastodon's follow parameters). On an existing
    follow, None leaves an option as it is; a new follow starts from the defaults."""

    reblogs: bool | None = None  # their boosts in the follower's home feed (default: yes)
    notify: bool | None = None  # a notification for each of their new posts (default: no)
    languages: tuple[str, ...] | None = None  # only posts in these; () for every language


DEFAULT_OPTIONS = FollowOptions(reblogs=True, notify=False, languages=())


@dataclass(frozen=True)
class Relationship:
    following: bool = False
    requested: bool = False
    followed_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False
    requested_by: bool = False
    domain_blocking: bool = False  # the viewer hides the account's server
    # The viewer's follow options (or follow request's), when there is one.
    showing_reblogs: bool = False
    notifying: bool = False
    languages: list[str] | None = None
    endorsed: bool = False
    note: str = ""


def follow(
    session: Session,
    ctx: Context,
    follower: Account,
    target: Account,
    *,
    uri: str | None = None,
    options: FollowOptions | None = None,
) -> Follow:
    """`uri` is the Follow activity's id when it came from another server. Following again
    changes the follow's `options` (Mastodon's way to change them), and nothing else."""
    if options is not None:
        check_options(options)
    if follower.id == target.id:
        raise InvalidInput("You cannot follow yourself.")
    if target.suspended:
        raise NotFound("That account is suspended.")
    if _blocked_either_way(session, follower.id, target.id):
        raise Forbidden("You cannot follow this account.")
    existing = session.get(Follow, (follower.id, target.id))
    if existing is not None:
        if existing.accepted and follower.domain is not None:
            # The remote side thinks it is still waiting (our Accept got lost): say it again.
            _answer(session, ctx, "Accept", existing.uri, follower, target)
        if options is not None:
            set_options(session, follower.id, target.id, options)
        return existing
    uri = uri or ctx.urls.activity(follower.username, new_id())
    row = Follow(
        follower_id=follower.id,
        target_id=target.id,
        # A remote account decides on its own server: pending until its Accept arrives.
        accepted=not target.locked and target.domain is None,
        created_at=now(),
        uri=uri,
    )
    session.add(row)
    if options is not None:
        session.flush()  # the options refer to the follow's row
        set_options(session, follower.id, target.id, options)
    authoring.append_if_local(
        session, follower, activities.wrap("Follow", uri, follower, target.uri, to=[target.uri])
    )
    if row.accepted:
        _accept(session, ctx, row, follower, target)
    else:
        enqueue_notification(session, target.id, "follow_request", follower.id)
    return row


def receive_follow(
    session: Session, ctx: Context, follower: Account, target: Account, uri: str
) -> Follow | None:
    """A Follow from another server (`uri`: its id) of a local account: the follow, or None
    when one of them blocks the other. Then the target's signed Reject tells the follower's
    server at once, as Mastodon's inbox answers it (ActivityPub::Activity::Follow), and no
    request is left pending there."""
    if _blocked_either_way(session, follower.id, target.id) or domain_blocked(
        session, target.id, follower.domain
    ):
        _answer(session, ctx, "Reject", uri, follower, target)
        return None
    return follow(session, ctx, follower, target, uri=uri)


def check_options(options: FollowOptions) -> None:
    languages = options.languages or ()
    if len(languages) > MAX_LANGUAGES or not all(LANGUAGE_RE.match(code) for code in languages):
        raise InvalidInput("Languages is invalid: give ISO 639 codes such as 'en' or 'pt-BR'.")


def options_of(session: Session, follower_id: int, target_id: int) -> FollowOptions:
    """The options of a follow (or follow request), defaults filled in."""
    row = session.execute(
        select(FollowOption.show_reblogs, FollowOption.notify, FollowOption.languages).where(
            FollowOption.follower_id == follower_id, FollowOption.target_id == target_id
        )
    ).first()
    if row is None:
        return DEFAULT_OPTIONS
    return FollowOptions(row.show_reblogs, row.notify, tuple(row.languages or ()))


def set_options(session: Session, follower_id: int, target_id: int, change: FollowOptions) -> None:
    """Apply `change` to an existing follow's options. Only follows that depart from the
    defaults keep a row: the others cost the home fan-out nothing."""
    current = options_of(session, follower_id, target_id)
    merged = FollowOptions(
        current.reblogs if change.reblogs is None else change.reblogs,
        current.notify if change.notify is None else change.notify,
        current.languages if change.languages is None else tuple(dict.fromkeys(change.languages)),
    )
    if merged == current:
        return
    session.execute(
        delete(FollowOption).where(
            FollowOption.follower_id == follower_id, FollowOption.target_id == target_id
        )
    )
    if merged != DEFAULT_OPTIONS:
        session.execute(
            insert(FollowOption).values(
                follower_id=follower_id,
                target_id=target_id,
                show_reblogs=merged.reblogs,
                notify=merged.notify,
                languages=list(merged.languages or ()) or None,
            )
        )


def follow_answered(session: Session, follower: Account, target: Account, accepted: bool) -> None:
    """A remote account's Accept or Reject of a local account's follow request. A Reject of
    a follow it accepted before ends the follow (Mastodon's "remove follower" sends that)."""
    row = session.get(Follow, (follower.id, target.id))
    if row is None or (row.accepted and accepted):
        return
    if accepted:
        _mark_accepted(session, row)
        if target.did is not None:  # its log is replicated here from now on
            events.emit(session, "replica.wanted", account_id=target.id)
    else:
        remove_follow(session, row)  # a request refused, or a follow ended


def unfollow(session: Session, ctx: Context, follower: Account, target: Account) -> None:
    row = session.get(Follow, (follower.id, target.id))
    if row is None:
        return
    if follower.domain is None:
        _undo_follow(session, ctx, row, follower, target)
    remove_follow(session, row)


def _undo_follow(
    session: Session, ctx: Context, row: Follow, follower: Account, target: Account
) -> None:
    """The local follower's signed Undo of its Follow (or follow request)."""
    follow_activity = {
        "id": row.uri, "type": "Follow", "actor": follower.uri, "object": target.uri,
        "to": [target.uri],  # the Undo is addressed as the Follow was
    }  # fmt: skip
    undo_id = ctx.urls.activity(follower.username, new_id())
    authoring.append(session, follower, activities.undo(undo_id, follower, follow_activity))


def accept_request(session: Session, ctx: Context, target: Account, follower_id: int) -> None:
    row = _pending_request(session, target, follower_id)
    follower = session.get(Account, follower_id)
    assert follower is not None
    _accept(session, ctx, row, follower, target)


def reject_request(session: Session, ctx: Context, target: Account, follower_id: int) -> None:
    row = _pending_request(session, target, follower_id)
    follower = session.get(Account, follower_id)
    assert follower is not None
    _answer(session, ctx, "Reject", row.uri, follower, target)
    lists.follow_ended(session, follower.id, target.id)
    session.delete(row)


def pending_requests(session: Session, target: Account) -> list[Account]:
    rows = session.execute(
        select(Account)
        .join(Follow, Follow.follower_id == Account.id)
        .where(Follow.target_id == target.id, Follow.accepted.is_(False))
        .order_by(Follow.created_at)
    )
    return list(rows.scalars())


def block(
    session: Session, ctx: Context, account: Account, target: Account, *, uri: str | None = None
) -> None:
    if account.id == target.id:
        raise InvalidInput("You cannot block yourself.")
    if session.get(Block, (account.id, target.id)) is not None:
        return
    uri = uri or ctx.urls.activity(account.username, new_id())
    made = now()
    session.add(
        Block(id=new_id(), account_id=account.id, target_id=target.id, created_at=made, uri=uri)
    )
    for follower, followed in ((account, target), (target, account)):
        row = session.get(Follow, (follower.id, followed.id))
        if row is not None:
            _end_follow(session, ctx, row, follower, followed)
    notifications.forget_between(session, account.id, target.id)
    authoring.append_if_local(
        session, account, activities.wrap("Block", uri, account, target.uri, to=[target.uri])
    )


def _end_follow(
    session: Session, ctx: Context, row: Follow, follower: Account, target: Account
) -> None:
    """A follow (or follow request) that a block ends, whoever blocked whom. The local side
    tells the remote one, as Mastodon's BlockService does (and its inbox when it is the one
    blocked): an Undo(Follow) from a local follower, a Reject(Follow) from a local target.
    A server that reads only the Block (Takahē) then drops both edges and stops delivering."""
    if follower.domain is None and target.domain is not None:
        _undo_follow(session, ctx, row, follower, target)
    elif target.domain is None and follower.domain is not None:
        _answer(session, ctx, "Reject", row.uri, follower, target)
    remove_follow(session, row)


def unblock(session: Session, ctx: Context, account: Account, target: Account) -> None:
    row = session.get(Block, (account.id, target.id))
    if row is None:
        return
    block_activity = {
        "id": row.uri, "type": "Block", "actor": account.uri, "object": target.uri,
        "to": [target.uri],
    }  # fmt: skip
    undo = activities.undo(ctx.urls.activity(account.username, new_id()), account, block_activity)
    authoring.append_if_local(session, account, undo)
    session.delete(row)


def mute(
    session: Session,
    account: Account,
    target: Account,
    duration: int | None = None,
    *,
    notifications: bool = True,
) -> None:
    """Mute `target`; for `duration` seconds (None or 0: until unmuted); `notifications`:
    their notifications too. Muting again sets both anew, as Mastodon's."""
    if account.id == target.id:
        raise InvalidInput("You cannot mute yourself.")
    if duration is not None and not 0 <= duration <= MAX_MUTE_SECONDS:
        raise InvalidInput(f"Duration must be a number of seconds from 0 to {MAX_MUTE_SECONDS}.")
    moment = now()
    expires_at = moment + timedelta(seconds=duration) if duration else None
    row = session.get(Mute, (account.id, target.id))
    if row is None:
        row = Mute(
            id=new_id(),
            account_id=account.id,
            target_id=target.id,
            created_at=moment,
            expires_at=expires_at,
            hide_notifications=notifications,
        )
        session.add(row)
    else:
        row.expires_at, row.hide_notifications = expires_at, notifications
    if expires_at is not None:
        payload = {"account_id": account.id, "target_id": target.id, "mute_id": row.id}
        enqueue(session, MUTE_EXPIRY_JOB, payload, delay=float(duration or 0))


def expire_mute(session: Session, payload: dict[str, Any]) -> None:
    """The `mute.expire` job: a mute for a while ends at its time (unless it was made again
    since, without an end or with a later one)."""
    row = session.get(Mute, (payload["account_id"], payload["target_id"]))
    if row is None or row.id != payload["mute_id"] or row.expires_at is None:
        return
    if row.expires_at > now():  # muted again for longer: that mute's own job ends it
        return
    session.delete(row)


def mute_in_force() -> ColumnElement[bool]:
    """SQL on `Mute`: not past its end (the job that removes it may not have run yet)."""
    return or_(Mute.expires_at.is_(None), Mute.expires_at > now())


def muted(session: Session, account_id: int, page: Any) -> list[tuple[Mute, Account]]:
    """A page of the accounts `account_id` mutes, the latest mute first, with each mute
    (its id pages the list, as Mastodon's); suspended accounts are left out."""
    query = (
        select(Mute, Account)
        .join(Account, Account.id == Mute.target_id)
        .where(Mute.account_id == account_id, mute_in_force(), Account.suspended.is_(False))
    )
    return [(m, a) for m, a in session.execute(_by_row_id(query, Mute.id, page)).all()]


def blocked(session: Session, account_id: int, page: Any) -> list[tuple[Block, Account]]:
    """A page of the accounts `account_id` blocks, the latest block first (paged by the
    block's id); suspended accounts are left out."""
    query = (
        select(Block, Account)
        .join(Account, Account.id == Block.target_id)
        .where(Block.account_id == account_id, Account.suspended.is_(False))
    )
    return [(b, a) for b, a in session.execute(_by_row_id(query, Block.id, page)).all()]


def _by_row_id(query: Any, column: Any, page: Any) -> Any:
    """Mastodon's `paginate_by_max_id`: newest first; `min_id` pages up from there."""
    if page.max_id is not None:
        query = query.where(column < page.max_id)
    if page.min_id is not None:
        query = query.where(column > page.min_id)
    return query.order_by(column.desc()).limit(page.limit)


def remove_from_followers(
    session: Session, ctx: Context, account: Account, follower: Account
) -> None:
    """`account` stops being followed by `follower` (Mastodon's "remove from followers"): the
    follow goes, and a remote follower's server is told by the account's signed Reject."""
    row = session.get(Follow, (follower.id, account.id))
    if row is not None:
        _end_follow(session, ctx, row, follower, account)


def domain_blocked(session: Session, account_id: int, domain: str | None) -> bool:
    """`account_id` hides the server `domain` (None, a local account: never)."""
    if not domain:
        return False
    found = select(AccountDomainBlock.id).where(
        AccountDomainBlock.account_id == account_id, AccountDomainBlock.domain == domain.lower()
    )
    return session.execute(found).first() is not None


def domain_followers_ended(session: Session, ctx: Context, account: Account, domain: str) -> None:
    """After `account` hid the server `domain`, as Mastodon's AfterBlockDomainFromAccount:
    its follows of accounts there end (an Undo each), their follows and follow requests of
    it are refused (a Reject each, so their server knows), and what they notified it of
    goes."""
    on_domain = select(Account.id).where(Account.domain == domain)
    rows = session.execute(
        select(Follow).where(
            or_(
                and_(Follow.follower_id == account.id, Follow.target_id.in_(on_domain)),
                and_(Follow.target_id == account.id, Follow.follower_id.in_(on_domain)),
            )
        )
    ).scalars()
    for row in list(rows):
        follower = session.get(Account, row.follower_id)
        target = session.get(Account, row.target_id)
        assert follower is not None and target is not None
        _end_follow(session, ctx, row, follower, target)
    notifications.forget_from(session, account.id, on_domain)


def unmute(session: Session, account: Account, target: Account) -> None:
    session.execute(delete(Mute).where(Mute.account_id == account.id, Mute.target_id == target.id))


def relationship(session: Session, viewer_id: int, target_id: int) -> Relationship:
    return relationships(session, viewer_id, [target_id])[target_id]


def relationships(
    session: Session, viewer_id: int, target_ids: Sequence[int]
) -> dict[int, Relationship]:
    """The viewer's relationship with each of `target_ids`, in three queries whatever
    their number (clients ask for a screenful of accounts at once)."""
    ids = list(dict.fromkeys(target_ids))
    found = {target: Relationship() for target in ids}
    if not ids:
        return found
    follows = session.execute(
        select(
            Follow.follower_id,
            Follow.target_id,
            Follow.accepted,
            FollowOption.show_reblogs,
            FollowOption.notify,
            FollowOption.languages,
        )
        .outerjoin(FollowOption, feeds.OPTIONS_OF_FOLLOW)
        .where(
            or_(
                and_(Follow.follower_id == viewer_id, Follow.target_id.in_(ids)),
                and_(Follow.target_id == viewer_id, Follow.follower_id.in_(ids)),
            )
        )
    )
    for follower, target, accepted, reblogs, notify, languages in follows.all():
        if follower == viewer_id:
            found[target] = replace(
                found[target],
                following=accepted,
                requested=not accepted,
                showing_reblogs=True if reblogs is None else reblogs,
                notifying=bool(notify),
                languages=list(languages) if languages else None,
            )
        else:
            found[follower] = replace(
                found[follower], followed_by=accepted, requested_by=not accepted
            )
    blocks = session.execute(
        select(Block.account_id, Block.target_id).where(
            or_(
                and_(Block.account_id == viewer_id, Block.target_id.in_(ids)),
                and_(Block.target_id == viewer_id, Block.account_id.in_(ids)),
            )
        )
    )
    for blocker, blocked in blocks.all():
        if blocker == viewer_id:
            found[blocked] = replace(found[blocked], blocking=True)
        else:
            found[blocker] = replace(found[blocker], blocked_by=True)
    for kind, target, comment in session.execute(_personal_marks(viewer_id, ids)).all():
        found[target] = replace(found[target], **_mark(kind, comment))
    return found


def _personal_marks(viewer_id: int, ids: list[int]) -> Any:
    """What the viewer keeps about each account besides follows: mutes, endorsements and
    notes, in one round trip."""
    return union_all(
        # The text column says whether the mute silences notifications ("1": it does).
        select(
            literal("mute"), Mute.target_id, case((Mute.hide_notifications, "1"), else_="")
        ).where(Mute.account_id == viewer_id, Mute.target_id.in_(ids), mute_in_force()),
        select(literal("domain_block"), Account.id, null()).where(
            Account.id.in_(ids),
            Account.domain.in_(
                select(AccountDomainBlock.domain).where(AccountDomainBlock.account_id == viewer_id)
            ),
        ),
        select(literal("endorsement"), Endorsement.target_id, null()).where(
            Endorsement.account_id == viewer_id, Endorsement.target_id.in_(ids)
        ),
        select(literal("note"), AccountNote.target_id, AccountNote.comment).where(
            AccountNote.account_id == viewer_id, AccountNote.target_id.in_(ids)
        ),
    )


def _mark(kind: str, comment: str | None) -> dict[str, Any]:
    if kind == "mute":
        return {"muting": True, "muting_notifications": comment == "1"}
    if kind == "endorsement":
        return {"endorsed": True}
    if kind == "domain_block":
        return {"domain_blocking": True}
    return {"note": comment or ""}


def familiar_followers(
    session: Session, viewer_id: int, target_ids: Sequence[int]
) -> dict[int, list[Account]]:
    """For each of `target_ids`, the accounts the viewer follows that follow it too."""
    found: dict[int, list[Account]] = {target: [] for target in target_ids}
    if not found:
        return found
    followed = select(Follow.target_id).where(
        Follow.follower_id == viewer_id, Follow.accepted.is_(True)
    )
    rows = session.execute(
        select(Follow.target_id, Account)
        .join(Account, Account.id == Follow.follower_id)
        .where(
            Follow.target_id.in_(found),
            Follow.accepted.is_(True),
            Follow.follower_id.in_(followed),
            Account.suspended.is_(False),
        )
        .order_by(Follow.created_at.desc())
    )
    for target, account in rows.all():
        found[target].append(account)
    return found


def followers(
    session: Session,
    account: Account,
    limit: int = 80,
    offset: int = 0,
    *,
    viewer_id: int | None = None,
) -> list[Account]:
    """The account's accepted followers, most recent first, as `viewer_id` may list them
    (None: no one in particular, a server)."""
    if _hides_network_from(session, account, viewer_id):
        return []
    return list(session.execute(_neighbours("followers", account, limit, offset)).scalars())


def following(
    session: Session,
    account: Account,
    limit: int = 80,
    offset: int = 0,
    *,
    viewer_id: int | None = None,
) -> list[Account]:
    """The accounts it follows (accepted), most recent first, as `viewer_id` may list them."""
    if _hides_network_from(session, account, viewer_id):
        return []
    return list(session.execute(_neighbours("following", account, limit, offset)).scalars())


def _hides_network_from(session: Session, account: Account, viewer_id: int | None) -> bool:
    """Mastodon's rules: an account's followers and following are not listed to someone it
    blocks, nor to anyone but itself when it hides them (`hide_collections`)."""
    if viewer_id == account.id:
        return False
    if account.hide_collections:
        return True
    if viewer_id is None:
        return False
    return session.get(Block, (account.id, viewer_id)) is not None


def neighbour_count(session: Session, account: Account, kind: str) -> int:
    """How many `followers` or `following` the lists above hold, all pages together."""
    listed = _neighbours(kind, account, None, 0).order_by(None).subquery()
    return int(session.execute(select(func.count()).select_from(listed)).scalar_one())


def _neighbours(kind: str, account: Account, limit: int | None, offset: int) -> Any:
    mine, other = (
        (Follow.target_id, Follow.follower_id)
        if kind == "followers"
        else (Follow.follower_id, Follow.target_id)
    )
    return (
        select(Account)
        .join(Follow, other == Account.id)
        .where(mine == account.id, Follow.accepted.is_(True))
        .order_by(Follow.created_at.desc(), Account.id.desc())
        .limit(limit)
        .offset(offset)
    )


def _accept(
    session: Session, ctx: Context, row: Follow, follower: Account, target: Account
) -> None:
    _mark_accepted(session, row)
    _answer(session, ctx, "Accept", row.uri, follower, target)
    enqueue_notification(session, target.id, "follow", follower.id)


def _mark_accepted(session: Session, row: Follow) -> None:
    row.accepted = True
    options = options_of(session, row.follower_id, row.target_id)
    feeds.backfill(
        session,
        row.follower_id,
        row.target_id,
        show_reblogs=options.reblogs is not False,
        languages=options.languages or (),
    )
    lists.follow_accepted(session, row.follower_id, row.target_id)
    session.execute(
        update_rows(Account)
        .where(Account.id == row.target_id)
        .values(followers_count=Account.followers_count + 1)
    )
    session.execute(
        update_rows(Account)
        .where(Account.id == row.follower_id)
        .values(following_count=Account.following_count + 1)
    )


def _answer(
    session: Session,
    ctx: Context,
    verdict: str,
    follow_uri: str,
    follower: Account,
    target: Account,
) -> None:
    """The target's signed Accept or Reject of a Follow, appended to the target's log."""
    follow_activity = {
        "id": follow_uri,
        "type": "Follow",
        "actor": follower.uri,
        "object": target.uri,
    }
    answer = activities.wrap(
        verdict,
        ctx.urls.activity(target.username, new_id()),
        target,
        follow_activity,
        to=[follower.uri],
    )
    authoring.append(session, target, answer)


def remove_follow(session: Session, row: Follow) -> None:
    feeds.forget_author(session, row.follower_id, row.target_id)
    lists.follow_ended(session, row.follower_id, row.target_id)
    if row.accepted:
        session.execute(
            update_rows(Account)
            .where(Account.id == row.target_id, Account.followers_count > 0)
            .values(followers_count=Account.followers_count - 1)
        )
        session.execute(
            update_rows(Account)
            .where(Account.id == row.follower_id, Account.following_count > 0)
            .values(following_count=Account.following_count - 1)
        )
    session.delete(row)


def _pending_request(session: Session, target: Account, follower_id: int) -> Follow:
    row = session.get(Follow, (follower_id, target.id))
    if row is None or row.accepted:
        raise NotFound("There is no such follow request.")
    return row


def _blocked_either_way(session: Session, a: int, b: int) -> bool:
    rows = session.execute(
        select(Block.account_id).where(
            or_(
                and_(Block.account_id == a, Block.target_id == b),
                and_(Block.account_id == b, Block.target_id == a),
            )
        )
    )
    return rows.first() is not None
