"""Account migration: aliases, and followers moving from an old account to a new one.

Mastodon's rules, which every server checks the same way: the new account first names the
old one in `alsoKnownAs` (so nobody can take someone's followers by claiming to be where they
went); then the old account announces a Move to its followers, and each follower's server
follows the new account and unfollows the old one. This node does that for its own people,
whichever side of the move it is on.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.authorship import actor_document, authoring
from bocage.core.authorship.activities import PUBLIC, wrap
from bocage.core.graph import graph, lists
from bocage.kernel import events
from bocage.kernel.context import Context
from bocage.kernel.errors import Conflict, DomainError, Forbidden, InvalidInput
from bocage.kernel.ids import new_id
from bocage.store.models import Account, Follow

MAX_ALIASES = 10


def set_aliases(session: Session, ctx: Context, account: Account, uris: list[str]) -> None:
    """The accounts (actor ids) this one also is: a Move from any of them is accepted."""
    unique = list(dict.fromkeys(uris))
    if len(unique) > MAX_ALIASES:
        raise InvalidInput(f"An account can have at most {MAX_ALIASES} aliases.")
    for uri in unique:
        if urlsplit(uri).scheme not in ("https", "http") or uri == account.uri:
            raise InvalidInput(f"{uri} is not another account's address.")
    account.also_known_as = unique
    announce_profile(session, ctx, account)


def move(session: Session, ctx: Context, account: Account, target: Account) -> None:
    """Move a local account to `target`: its followers are asked to follow `target`."""
    if account.moved_to_id is not None:
        raise Conflict("This account has already moved.")
    if target.id == account.id or target.moved_to_id is not None:
        raise InvalidInput("An account can only move to another account that has not moved.")
    if account.uri not in (target.also_known_as or []):
        raise InvalidInput(
            "The new account must first name this one as an alias "
            "(on its server, in its account migration settings)."
        )
    account.moved_to_id = target.id
    events.emit(session, "account.moved", account_id=account.id)  # its tokens re-read it
    followers = ctx.urls.followers(account.username)
    activity = wrap(
        "Move",
        ctx.urls.activity(account.username, new_id()),
        account,
        account.uri,
        to=[followers],
    )
    activity["target"] = target.uri
    authoring.append(session, account, activity)
    announce_profile(session, ctx, account)
    _migrate_local_followers(session, ctx, account, target)


def moved(session: Session, ctx: Context, old: Account, new: Account) -> None:
    """A remote account announced it moved to `new` (whose actor was just fetched)."""
    if old.uri not in (new.also_known_as or []):
        raise Forbidden(f"{new.uri} does not name {old.uri} as an alias: the move is refused.")
    if new.moved_to_id is not None or new.id == old.id:
        raise InvalidInput("A move must go to another account that has not moved itself.")
    old.moved_to_id = new.id
    _migrate_local_followers(session, ctx, old, new)


def new_home(session: Session, account: Account) -> str | None:
    """The actor id of the account this one moved to, if it moved."""
    moved_to = session.get(Account, account.moved_to_id) if account.moved_to_id else None
    return moved_to.uri if moved_to else None


def announce_profile(session: Session, ctx: Context, account: Account) -> None:
    """Tell the account's followers (and its log) what its profile now says."""
    document = actor_document.person(ctx.urls, account, new_home(session, account))
    document.pop("@context")
    update = wrap(
        "Update",
        ctx.urls.activity(account.username, new_id()),
        account,
        document,
        to=[PUBLIC],
        cc=[ctx.urls.followers(account.username)],
    )
    update["@context"] = actor_document.ACTOR_CONTEXT
    authoring.append(session, account, update)


def _migrate_local_followers(session: Session, ctx: Context, old: Account, new: Account) -> None:
    """This node's people who followed `old` follow `new` instead, with the same options and
    on the same lists.
    Someone `new` blocks, or who blocks it, just stops following `old`."""
    followers = session.execute(
        select(Account)
        .join(Follow, Follow.follower_id == Account.id)
        .where(Follow.target_id == old.id, Follow.accepted.is_(True), Account.domain.is_(None))
    ).scalars()
    for follower in list(followers):
        if follower.id != new.id:
            try:
                options = graph.options_of(session, follower.id, old.id)
                with session.begin_nested():
                    graph.follow(session, ctx, follower, new, options=options)
            except DomainError:
                pass
            lists.moved(session, follower.id, old.id, new.id)
        graph.unfollow(session, ctx, follower, old)
