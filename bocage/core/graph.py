"""The social graph: follow (and follow requests for locked accounts), block, mute."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from bocage.core import activities, authoring, feeds, lists
from bocage.core.clock import now
from bocage.core.context import Context
from bocage.core.errors import Forbidden, InvalidInput, NotFound
from bocage.core.ids import new_id
from bocage.core.notifications import enqueue_notification
from bocage.store.models import Account, Block, Follow, Mute
from bocage.store.sql import update_rows


@dataclass(frozen=True)
class Relationship:
    following: bool = False
    requested: bool = False
    followed_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False


def follow(
    session: Session, ctx: Context, follower: Account, target: Account, *, uri: str | None = None
) -> Follow:
    """`uri` is the Follow activity's id when it came from another server."""
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
            _answer(session, ctx, "Accept", existing, follower, target)
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
    authoring.append_if_local(
        session, follower, activities.wrap("Follow", uri, follower, target.uri, to=[target.uri])
    )
    if row.accepted:
        _accept(session, ctx, row, follower, target)
    else:
        enqueue_notification(session, target.id, "follow_request", follower.id)
    return row


def follow_answered(session: Session, follower: Account, target: Account, accepted: bool) -> None:
    """A remote account's Accept or Reject of a local account's follow request."""
    row = session.get(Follow, (follower.id, target.id))
    if row is None or row.accepted:
        return
    if accepted:
        _mark_accepted(session, row)
    else:
        lists.follow_ended(session, follower.id, target.id)
        session.delete(row)


def unfollow(session: Session, ctx: Context, follower: Account, target: Account) -> None:
    row = session.get(Follow, (follower.id, target.id))
    if row is None:
        return
    if follower.domain is None:
        follow_activity = {
            "id": row.uri, "type": "Follow", "actor": follower.uri, "object": target.uri,
            "to": [target.uri],  # the Undo is addressed as the Follow was
        }  # fmt: skip
        undo = activities.undo(
            ctx.urls.activity(follower.username, new_id()), follower, follow_activity
        )
        authoring.append(session, follower, undo)
    remove_follow(session, row)


def accept_request(session: Session, ctx: Context, target: Account, follower_id: int) -> None:
    row = _pending_request(session, target, follower_id)
    follower = session.get(Account, follower_id)
    assert follower is not None
    _accept(session, ctx, row, follower, target)


def reject_request(session: Session, ctx: Context, target: Account, follower_id: int) -> None:
    row = _pending_request(session, target, follower_id)
    follower = session.get(Account, follower_id)
    assert follower is not None
    _answer(session, ctx, "Reject", row, follower, target)
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
    session.add(Block(account_id=account.id, target_id=target.id, created_at=now(), uri=uri))
    for pair in ((account.id, target.id), (target.id, account.id)):
        row = session.get(Follow, pair)
        if row is not None:
            remove_follow(session, row)
    authoring.append_if_local(
        session, account, activities.wrap("Block", uri, account, target.uri, to=[target.uri])
    )


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


def mute(session: Session, account: Account, target: Account) -> None:
    if account.id == target.id:
        raise InvalidInput("You cannot mute yourself.")
    if session.get(Mute, (account.id, target.id)) is None:
        session.add(Mute(account_id=account.id, target_id=target.id, created_at=now()))


def unmute(session: Session, account: Account, target: Account) -> None:
    session.execute(delete(Mute).where(Mute.account_id == account.id, Mute.target_id == target.id))


def relationship(session: Session, viewer_id: int, target_id: int) -> Relationship:
    follows = session.execute(
        select(Follow.follower_id, Follow.accepted).where(
            or_(
                and_(Follow.follower_id == viewer_id, Follow.target_id == target_id),
                and_(Follow.follower_id == target_id, Follow.target_id == viewer_id),
            )
        )
    )
    mine = {follower: accepted for follower, accepted in follows.all()}
    blocks = session.execute(
        select(Block.account_id).where(
            or_(
                and_(Block.account_id == viewer_id, Block.target_id == target_id),
                and_(Block.account_id == target_id, Block.target_id == viewer_id),
            )
        )
    )
    blockers = set(blocks.scalars())
    muting = session.get(Mute, (viewer_id, target_id)) is not None
    return Relationship(
        following=mine.get(viewer_id) is True,
        requested=mine.get(viewer_id) is False,
        followed_by=mine.get(target_id) is True,
        blocking=viewer_id in blockers,
        blocked_by=target_id in blockers,
        muting=muting,
    )


def followers(session: Session, account: Account, limit: int = 80) -> list[Account]:
    return _neighbours(session, Follow.target_id == account.id, Follow.follower_id, limit)


def following(session: Session, account: Account, limit: int = 80) -> list[Account]:
    return _neighbours(session, Follow.follower_id == account.id, Follow.target_id, limit)


def _neighbours(session: Session, condition: object, other: object, limit: int) -> list[Account]:
    rows = session.execute(
        select(Account)
        .join(Follow, other == Account.id)  # type: ignore[arg-type]
        .where(condition, Follow.accepted.is_(True))  # type: ignore[arg-type]
        .order_by(Follow.created_at.desc())
        .limit(limit)
    )
    return list(rows.scalars())


def _accept(
    session: Session, ctx: Context, row: Follow, follower: Account, target: Account
) -> None:
    _mark_accepted(session, row)
    _answer(session, ctx, "Accept", row, follower, target)
    enqueue_notification(session, target.id, "follow", follower.id)


def _mark_accepted(session: Session, row: Follow) -> None:
    row.accepted = True
    feeds.backfill(session, row.follower_id, row.target_id)
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
    session: Session, ctx: Context, verdict: str, row: Follow, follower: Account, target: Account
) -> None:
    """The target's signed Accept or Reject of a Follow, appended to the target's log."""
    follow_activity = {"id": row.uri, "type": "Follow", "actor": follower.uri, "object": target.uri}
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
