"""Who may see what: the one rule every face and timeline applies.

`Visibility` names who a post is for; every face parses its outside string into it once,
at the edge (`Visibility.parse`), and the core compares members, never bare strings (the
database column keeps the plain value: a `StrEnum` member equals its string).
public, unlisted: anyone (unlisted only stays off public timelines);
private (followers only): the author, accepted followers and mentioned accounts;
direct (mentioned people only): the author and mentioned accounts.
Blocks hide an author's posts from the blocked account, and the other way round
(`no_block_between`, also applied by home and list feeds, notifications and streams).
Servers that fetch are served as the people they serve (`server_may_see`): one whose
account an author blocks gets none of that author's posts or collections (`shuts_out`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.util import AliasedClass
from sqlalchemy.sql.elements import ColumnElement

from bocage.kernel.errors import InvalidInput
from bocage.store.models import Account, AccountDomainBlock, Block, Follow, Mention, Post


class Visibility(StrEnum):
    """Who a post is for: Mastodon's four (Bocage has no local-only posts)."""

    PUBLIC = "public"
    UNLISTED = "unlisted"
    PRIVATE = "private"
    DIRECT = "direct"

    @classmethod
    def parse(cls, value: str) -> Visibility:
        """An outside string (a form field, an API parameter) as a visibility, or the
        `InvalidInput` that names the choices."""
        try:
            return cls(value)
        except ValueError:
            raise InvalidInput(
                f"Unknown visibility {value!r}; choose one of {', '.join(cls)}."
            ) from None

    @property
    def label(self) -> str:
        """How the web pages name it."""
        return _LABELS[self]

    @property
    def is_open(self) -> bool:
        """Anyone may see it (public or unlisted)."""
        return self in OPEN


_LABELS = {
    Visibility.PUBLIC: "Public",
    Visibility.UNLISTED: "Unlisted",
    Visibility.PRIVATE: "Followers only",
    Visibility.DIRECT: "Mentioned people only",
}
OPEN = (Visibility.PUBLIC, Visibility.UNLISTED)  # seen by anyone; unlisted stays off timelines
# A new post's when its author chooses none (there is no per-account default yet): what the
# compose forms preselect and what the API's preferences and credentials report.
DEFAULT = Visibility.PUBLIC


def visible_to(viewer_id: Any, post: type[Post] | AliasedClass[Post] = Post) -> ColumnElement[bool]:
    """A SQL condition on `Post` (or an alias of it) that is true for posts `viewer_id` may
    see: an account id, None (nobody logged in), a bind parameter (for statements built
    once) or a column (for several readers at once)."""
    open_ = post.visibility.in_(OPEN)
    # An alias, so that the condition also works in queries that already join Account.
    author = aliased(Account)
    # `suspended`, not `suspended IS TRUE`: only the former matches ix_accounts_suspended.
    author_ok = ~exists().where(author.id == post.account_id, author.suspended)
    if viewer_id is None:
        return and_(open_, author_ok)
    mentioned = exists().where(Mention.post_id == post.id, Mention.account_id == viewer_id)
    follows = exists().where(
        Follow.follower_id == viewer_id,
        Follow.target_id == post.account_id,
        Follow.accepted.is_(True),
    )
    allowed = or_(
        open_,
        post.account_id == viewer_id,
        mentioned,
        and_(post.visibility == Visibility.PRIVATE, follows),
    )
    return and_(allowed, author_ok, no_block_between(viewer_id, post.account_id))


def no_block_between(one: Any, other: Any) -> ColumnElement[bool]:
    """SQL: neither `one` nor `other` (account ids, bind parameters or columns) blocks the
    other. Two primary-key probes, cheap enough for every row a page reads; two NOT EXISTS
    side by side, which PostgreSQL turns into anti-joins (an OR inside one it cannot)."""
    return and_(
        ~exists().where(Block.account_id == one, Block.target_id == other),
        ~exists().where(Block.account_id == other, Block.target_id == one),
    )


def no_domain_block(viewer: Any, author_id: Any) -> ColumnElement[bool]:
    """SQL: `viewer` has not hidden the server of the account `author_id` (a person's own
    domain block, Mastodon's AccountDomainBlock). One probe of the unique (viewer, domain)
    index, for the rows a page reads; nothing for a local author (no domain)."""
    author = aliased(Account)
    return ~exists().where(
        author.id == author_id,
        AccountDomainBlock.account_id == viewer,
        AccountDomainBlock.domain == author.domain,
    )


# Asked for every post someone opens or acts on: built once (building this statement, with
# its aliases, cost more than the rest of a status request).
_SEEN_BY_ANYONE = select(Post.id).where(Post.id == bindparam("post"), visible_to(None))
_SEEN_BY_VIEWER = select(Post.id).where(
    Post.id == bindparam("post"), visible_to(bindparam("viewer", type_=BigInteger))
)


def can_see(session: Session, viewer_id: int | None, post: Post) -> bool:
    if viewer_id is None:
        found = session.connection().execute(_SEEN_BY_ANYONE, {"post": post.id})
    else:
        found = session.connection().execute(
            _SEEN_BY_VIEWER, {"post": post.id, "viewer": viewer_id}
        )
    return found.first() is not None


def can_boost(post: Post, booster_id: int) -> bool:
    # Mastodon lets authors boost their own followers-only posts, nobody else.
    if post.visibility in OPEN:
        return True
    return post.visibility == Visibility.PRIVATE and post.account_id == booster_id


def server_may_see(session: Session, domain: str, post: Post) -> bool:
    """May the server `domain` fetch `post`? Yes if someone there may see it: it serves all
    its people, as Mastodon reasons for signed fetches by a server's instance actor."""
    if post.visibility in OPEN:
        return not shuts_out(session, post.account_id, domain)
    on_domain = select(Account.id).where(Account.domain == domain)
    mentioned = exists().where(Mention.post_id == post.id, Mention.account_id.in_(on_domain))
    follows = exists().where(
        Follow.target_id == post.account_id,
        Follow.accepted.is_(True),
        Follow.follower_id.in_(on_domain),
    )
    allowed = or_(mentioned, follows) if post.visibility == Visibility.PRIVATE else mentioned
    found = session.execute(select(Post.id).where(Post.id == post.id, allowed)).first()
    return found is not None and not shuts_out(session, post.account_id, domain)


def shuts_out(session: Session, author_id: int, domain: str) -> bool:
    """Does the author block someone on the server `domain`? Then that server gets none of
    the author's posts and collections: it would show them to everyone it serves, the
    blocked person too (Mastodon answers a blocked account's signed fetches with 404)."""
    blocked = session.execute(
        select(Block.target_id)
        .join(Account, Account.id == Block.target_id)
        .where(Block.account_id == author_id, Account.domain == domain)
        .limit(1)
    )
    return blocked.first() is not None
