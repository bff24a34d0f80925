"""Collections, with Mastodon 4.6's rules:

- a collection belongs to one local account (its curator) and only it changes or deletes
  it; a name is required (at most 40 characters), a description at most 100; at most
  `MAX_ITEMS` accounts that are in it or asked to be, and `MAX_COLLECTIONS` collections an
  account (Mastodon sets that per role; Bocage has one number);
- anyone may read a collection and an account's collections, but not someone the curator
  blocks, or whose server the curator blocks (404 for one, an empty list for the other);
  others than the curator see only `discoverable` ones in the list, and only accepted items;
- an account may be put in a collection unless a block stands between it and the curator
  (or the curator blocks its server); one of this node must be discoverable (it consents to
  be featured by being discoverable, as on Mastodon, whose local accounts answer `automatic`
  then and `denied` otherwise), and its item is `accepted` at once;
- the account put in a collection may take itself out (`revoke`): its item stays, as
  `revoked`, so that it is not listed and cannot be added again;
- the curator takes an item out by deleting it.

An account of another server is asked first (`featuring.py`, FEP-7aa9): its item waits as
`pending` until its server answers. What other servers are told of a collection is
`featuring.py`'s too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from bocage.core.collections import featuring
from bocage.core.graph import graph
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import Forbidden, InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import Account, Block, Collection, CollectionItem

MAX_ITEMS = featuring.MAX_ITEMS  # Mastodon's Collection::MAX_ITEMS
MAX_COLLECTIONS = 10  # an account's; Mastodon sets it per role (`collection_limit`)
MAX_NAME = 40  # Mastodon's limit for local collections
MAX_DESCRIPTION = 100
MAX_TAG = 100
NOT_FOUND = "Record not found"
NOT_ALLOWED = "This action is not allowed"
CANNOT_FEATURE = "This account cannot be added to collections."

PENDING, ACCEPTED, REJECTED, REVOKED = "pending", "accepted", "rejected", "revoked"
LISTED = (PENDING, ACCEPTED)  # the states that count and that the curator sees


class Invalid(InvalidInput):
    """A collection that cannot be saved, with Rails' errors per field (`details`: field →
    [(code, description)]), which Mastodon's collections API gives back."""

    def __init__(self, details: dict[str, list[tuple[str, str]]], message: str) -> None:
        super().__init__(message)
        self.details = details


def _invalid(details: dict[str, list[tuple[str, str]]]) -> Invalid:
    words = [
        f"{'' if field == 'base' else field.replace('_', ' ').capitalize() + ' '}{text}"
        for field, found in details.items()
        for _code, text in found
    ]
    return Invalid(details, "Validation failed: " + ", ".join(words))


@dataclass(frozen=True)
class CollectionView:
    """A collection as someone sees it: the items they may see, with their accounts."""

    collection: Collection
    items: list[tuple[CollectionItem, Account]]
    curator: Account


@dataclass(frozen=True)
class Draft:
    """What a collection is made of, or what changes (None: keep it)."""

    name: str | None = None
    description: str | None = None
    language: str | None = None
    tag_name: str | None = None
    sensitive: bool | None = None
    discoverable: bool | None = None


# --- reading -------------------------------------------------------------------------------


def view(session: Session, collection_id: int | None, viewer_id: int | None) -> CollectionView:
    """One collection, as `viewer_id` (None: nobody logged in) may see it."""
    collection = session.get(Collection, collection_id) if collection_id else None
    if collection is None:
        raise NotFound(NOT_FOUND)
    curator = session.get(Account, collection.account_id)
    if curator is None or curator.suspended or _shut_out(session, curator, viewer_id):
        raise NotFound(NOT_FOUND)
    return _view(session, collection, curator, viewer_id)


def of_account(
    session: Session, account: Account, viewer_id: int | None, *, offset: int, limit: int
) -> tuple[list[CollectionView], bool]:
    """An account's collections, newest first, as `viewer_id` may see them (only the
    discoverable ones but to their curator; none to someone the curator shuts out), and
    whether more follow."""
    if _shut_out(session, account, viewer_id):
        return [], False
    query = select(Collection).where(Collection.account_id == account.id)
    if viewer_id != account.id:
        query = query.where(Collection.discoverable.is_(True))
    rows = list(
        session.execute(
            query.order_by(Collection.created_at.desc(), Collection.id.desc())
            .offset(offset)
            .limit(limit + 1)
        ).scalars()
    )
    return [_view(session, row, account, viewer_id) for row in rows[:limit]], len(rows) > limit


def featured_in(
    session: Session, account: Account, viewer_id: int, *, offset: int, limit: int
) -> tuple[list[CollectionView], bool]:
    """The collections `account` is in (accepted), for that account only (Mastodon:
    `index_featured_in_collections?`, anyone else is refused)."""
    if viewer_id != account.id:
        raise Forbidden(NOT_ALLOWED)
    rows = list(
        session.execute(
            select(Collection)
            .join(CollectionItem, CollectionItem.collection_id == Collection.id)
            .join(Account, Account.id == Collection.account_id)
            .where(
                CollectionItem.account_id == account.id,
                CollectionItem.state == ACCEPTED,
                Account.suspended.is_(False),
            )
            .order_by(CollectionItem.id.desc())
            .offset(offset)
            .limit(limit + 1)
        ).scalars()
    )
    views = []
    for row in rows[:limit]:
        curator = session.get(Account, row.account_id)
        assert curator is not None
        views.append(_view(session, row, curator, viewer_id))
    return views, len(rows) > limit


def _view(
    session: Session, collection: Collection, curator: Account, viewer_id: int | None
) -> CollectionView:
    """Its items as `viewer_id` sees them: the curator pending and accepted ones, anyone
    else accepted ones; never accounts the viewer blocks, nor suspended ones."""
    states = LISTED if viewer_id == curator.id else (ACCEPTED,)
    query = (
        select(CollectionItem, Account)
        .join(Account, Account.id == CollectionItem.account_id)
        .where(
            CollectionItem.collection_id == collection.id,
            CollectionItem.state.in_(states),
            Account.suspended.is_(False),
        )
        .order_by(CollectionItem.position)
    )
    if viewer_id is not None:
        blocked = select(Block.target_id).where(Block.account_id == viewer_id)
        query = query.where(CollectionItem.account_id.not_in(blocked))
    items = [(item, account) for item, account in session.execute(query).all()]
    return CollectionView(collection, items, curator)


def _shut_out(session: Session, curator: Account, viewer_id: int | None) -> bool:
    """Does the curator block the viewer, or the viewer's server?"""
    if viewer_id is None or viewer_id == curator.id:
        return False
    if session.get(Block, (curator.id, viewer_id)) is not None:
        return True
    viewer = session.get(Account, viewer_id)
    return viewer is not None and graph.domain_blocked(session, curator.id, viewer.domain)


# --- the curator's changes -----------------------------------------------------------------


def create(
    session: Session, ctx: Context, curator: Account, draft: Draft, account_ids: Iterable[int]
) -> CollectionView:
    _check(draft, creating=True)
    count = session.execute(
        select(func.count()).select_from(Collection).where(Collection.account_id == curator.id)
    ).scalar_one()
    if count >= MAX_COLLECTIONS:
        raise _invalid(
            {"base": [("too_many", f"You cannot have more than {MAX_COLLECTIONS} collections")]}
        )
    wanted = list(dict.fromkeys(account_ids))
    if len(wanted) > MAX_ITEMS:
        raise _invalid(
            {"collection_items": [("too_many", f"are too many (maximum is {MAX_ITEMS})")]}
        )
    members = [_featurable(session, curator, account_id) for account_id in wanted]
    made = now()
    collection = Collection(
        id=new_id(),
        account_id=curator.id,
        name=(draft.name or "").strip(),
        description=draft.description or "",
        language=draft.language or None,
        tag_name=_tag(draft.tag_name),
        sensitive=bool(draft.sensitive),
        discoverable=bool(draft.discoverable),
        created_at=made,
        updated_at=made,
    )
    session.add(collection)
    session.flush()
    for position, member in enumerate(members, start=1):
        item = _item(collection.id, member, position)
        session.add(item)
        if member.domain is not None:
            featuring.request(session, ctx, curator, collection, item)
    session.flush()
    view = _view(session, collection, curator, curator.id)
    document = featuring.featured_collection(ctx, curator, collection, view.items)
    featuring.announce(session, ctx, curator, "Add", document, collection=collection)
    return view


def update(
    session: Session, ctx: Context, curator: Account, collection_id: int, draft: Draft
) -> CollectionView:
    collection = _owned(session, curator, collection_id)
    was_discoverable = collection.discoverable
    _check(draft, creating=False)
    if draft.name is not None:
        collection.name = draft.name.strip()
    if draft.description is not None:
        collection.description = draft.description
    if draft.language is not None:
        collection.language = draft.language or None
    if draft.tag_name is not None:
        collection.tag_name = _tag(draft.tag_name)
    if draft.sensitive is not None:
        collection.sensitive = draft.sensitive
    if draft.discoverable is not None:
        collection.discoverable = draft.discoverable
    collection.updated_at = now()
    session.flush()
    view = _view(session, collection, curator, curator.id)
    document = featuring.featured_collection(ctx, curator, collection, view.items)
    if was_discoverable and not collection.discoverable:  # no longer shown elsewhere
        featuring.announce(session, ctx, curator, "Remove", document["id"], collection=collection,
                           always=True)  # fmt: skip
    elif collection.discoverable and not was_discoverable:
        featuring.announce(session, ctx, curator, "Add", document, collection=collection)
    else:
        featuring.announce(session, ctx, curator, "Update", document, collection=collection)
    return view


def delete_collection(session: Session, ctx: Context, curator: Account, collection_id: int) -> None:
    collection = _owned(session, curator, collection_id)
    uri = ctx.urls.featured_collection(curator.username, collection.id)
    featuring.announce(session, ctx, curator, "Remove", uri, collection=collection)
    session.execute(delete(CollectionItem).where(CollectionItem.collection_id == collection.id))
    session.delete(collection)


def add(
    session: Session, ctx: Context, curator: Account, collection_id: int, account_id: int | None
) -> CollectionItem:
    collection = _owned(session, curator, collection_id)
    if account_id is None:
        raise InvalidInput("`account_id` parameter is missing")
    member = _featurable(session, curator, account_id)
    existing = session.execute(
        select(CollectionItem).where(
            CollectionItem.collection_id == collection.id,
            CollectionItem.account_id == member.id,
        )
    ).scalar_one_or_none()
    if existing is not None:
        if existing.state in (REVOKED, REJECTED):
            raise Forbidden(CANNOT_FEATURE)
        raise InvalidInput("Validation failed: Account has already been taken")
    listed = session.execute(
        select(func.count())
        .select_from(CollectionItem)
        .where(CollectionItem.collection_id == collection.id, CollectionItem.state.in_(LISTED))
    ).scalar_one()
    if listed >= MAX_ITEMS:
        raise InvalidInput(
            f"Validation failed: Collection items is too long (maximum is {MAX_ITEMS} accounts)"
        )
    last = session.execute(
        select(func.max(CollectionItem.position)).where(
            CollectionItem.collection_id == collection.id
        )
    ).scalar_one()
    item = _item(collection.id, member, (last or 0) + 1)
    session.add(item)
    collection.updated_at = now()
    session.flush()
    if member.domain is not None:
        featuring.request(session, ctx, curator, collection, item)
    else:
        document = featuring.featured_item(ctx, curator, collection, item, member)
        featuring.announce(session, ctx, curator, "Add", document, collection=collection, item=True)
    return item


def remove(
    session: Session, ctx: Context, curator: Account, collection_id: int, item_id: int
) -> None:
    """The curator takes an item out (any state): the row goes."""
    collection = _owned(session, curator, collection_id)
    item = _item_of(session, collection.id, item_id)
    if item.state == ACCEPTED:
        featuring.announce(session, ctx, curator, "Remove",
                           featuring.item_id(ctx, curator, collection, item),
                           collection=collection, item=True)  # fmt: skip
    session.delete(item)
    collection.updated_at = now()


def revoke(
    session: Session, ctx: Context, member: Account, collection_id: int, item_id: int
) -> None:
    """The account in an item takes itself out; nobody else may (403). Its consent is no
    longer served, and the curator's followers are told."""
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFound(NOT_FOUND)
    item = _item_of(session, collection.id, item_id)
    if item.account_id != member.id:
        raise Forbidden(NOT_ALLOWED)
    if collection.uri is not None:  # another server's: its curator's server is told
        featuring.withdraw(session, ctx, member, collection)
    elif item.state == ACCEPTED:
        curator = session.get(Account, collection.account_id)
        assert curator is not None
        featuring.announce(session, ctx, curator, "Remove",
                           featuring.item_id(ctx, curator, collection, item),
                           collection=collection, item=True)  # fmt: skip
    item.state = REVOKED


# --- helpers -------------------------------------------------------------------------------


def _owned(session: Session, curator: Account, collection_id: int | None) -> Collection:
    """The curator's collection; a missing one is 404, someone else's 403 (Mastodon's
    `authorize @collection, :update?`)."""
    collection = session.get(Collection, collection_id) if collection_id else None
    if collection is None:
        raise NotFound(NOT_FOUND)
    if collection.account_id != curator.id:
        raise Forbidden(NOT_ALLOWED)
    return collection


def _item_of(session: Session, collection_id: int, item_id: int | None) -> CollectionItem:
    item = session.get(CollectionItem, item_id) if item_id else None
    if item is None or item.collection_id != collection_id:
        raise NotFound(NOT_FOUND)
    return item


def _featurable(session: Session, curator: Account, account_id: int) -> Account:
    """An account the curator may put in a collection (Mastodon's `AccountPolicy#feature?`)."""
    account = session.get(Account, account_id)
    if account is None or account.suspended:
        raise NotFound(NOT_FOUND)
    blocked = session.execute(
        select(Block.account_id).where(
            or_(
                and_(Block.account_id == curator.id, Block.target_id == account.id),
                and_(Block.account_id == account.id, Block.target_id == curator.id),
            )
        )
    ).first()
    if blocked is not None or graph.domain_blocked(session, curator.id, account.domain):
        raise Forbidden(CANNOT_FEATURE)
    if account.domain is None and not account.discoverable:
        raise Forbidden(CANNOT_FEATURE)  # its consent, as Mastodon reads a local account's
    return account


def _item(collection_id: int, member: Account, position: int) -> CollectionItem:
    """Accepted at once for an account of this node (its consent is its being
    discoverable); pending for another server's, until it answers."""
    return CollectionItem(
        id=new_id(),
        collection_id=collection_id,
        account_id=member.id,
        state=ACCEPTED if member.domain is None else PENDING,
        position=position,
        created_at=now(),
    )


def _tag(name: str | None) -> str | None:
    cleaned = (name or "").strip().removeprefix("#")
    return cleaned or None


def _check(draft: Draft, *, creating: bool) -> None:
    details: dict[str, list[tuple[str, str]]] = {}
    if draft.name is not None or creating:
        name = (draft.name or "").strip()
        if not name:
            details["name"] = [("blank", "can't be blank")]
        elif len(name) > MAX_NAME:
            details["name"] = [("too_long", f"is too long (maximum is {MAX_NAME} characters)")]
    if draft.description is not None and len(draft.description) > MAX_DESCRIPTION:
        details["description"] = [
            ("too_long", f"is too long (maximum is {MAX_DESCRIPTION} characters)")
        ]
    tag = _tag(draft.tag_name)
    if tag is not None and (len(tag) > MAX_TAG or not all(c.isalnum() or c == "_" for c in tag)):
        details["tag_name"] = [("unusable", "is not a usable hashtag")]
    if draft.language and not (2 <= len(draft.language) <= 3 and draft.language.isalpha()):
        details["language"] = [("invalid", "is not a valid language code")]
    if details:
        raise _invalid(details)
