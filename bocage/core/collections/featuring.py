"""Collections across servers, as Mastodon 4.6 federates them (FEP-7aa9):

- a local collection is a `FeaturedCollection` served at its id (its accepted items as
  `FeaturedItem`s naming the featured actor and the `FeatureAuthorization` that consents);
  a discoverable one is announced to the curator's followers (`Add` when made, `Update`
  when changed, `Remove` when deleted; an item `Add`ed or `Remove`d);
- an account of this node consents by being discoverable: its consent to be in a local
  collection is served at `/users/:name/feature_authorizations/:item_id`;
- an account of another server is asked first: a `FeatureRequest` (object: the actor,
  instrument: the collection) goes to it and the item waits as `pending` until its server
  answers `Accept` (with the `FeatureAuthorization` as `result`: `accepted`) or `Reject`
  (`rejected`); a `Delete` of that authorization later revokes it;
- a `FeatureRequest` from another server for an account of this node is answered at once,
  by Mastodon's rule for its own accounts: `Accept` when the account is discoverable and no
  block stands between them (the consent is kept and served, `feature_grants`), else
  `Reject`.

- another server's collection (an `Add` or `Update` of a `FeaturedCollection`, or of one of
  its items) is read again from its origin and kept (`uri`), with the members whose consent
  holds: for an account of this node, the grant it gave; for another server's, its
  `FeatureAuthorization` (checked by the receiving face); a `Remove` forgets it. A local
  account that revokes its place in one tells the curator's server (`Delete` of its
  consent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from bocage.core.authorship import activities, authoring
from bocage.core.graph import graph
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.ids import new_id
from bocage.kernel.urls import same_origin
from bocage.store.models import Account, Block, Collection, CollectionItem, FeatureGrant

ACCEPTED, REJECTED, REVOKED = "accepted", "rejected", "revoked"
MAX_ITEMS = 25  # Mastodon's Collection::MAX_ITEMS (collections.py's too)
FEATURE_CONTEXT: list[Any] = [
    *activities.CONTEXT,
    {
        "toot": "http://joinmastodon.org/ns#",
        "FeaturedCollection": "toot:FeaturedCollection",
        "FeaturedItem": "toot:FeaturedItem",
        "FeatureRequest": "toot:FeatureRequest",
        "FeatureAuthorization": "toot:FeatureAuthorization",
        "featuredObject": {"@id": "toot:featuredObject", "@type": "@id"},
        "featuredObjectType": "toot:featuredObjectType",
        "featureAuthorization": {"@id": "toot:featureAuthorization", "@type": "@id"},
        "interactingObject": {"@id": "toot:interactingObject", "@type": "@id"},
        "interactionTarget": {"@id": "toot:interactionTarget", "@type": "@id"},
        "topic": "toot:topic",
        "sensitive": "as:sensitive",
        "discoverable": "toot:discoverable",
    },
]


# --- documents ---------------------------------------------------------------------------------


def item_id(ctx: Context, curator: Account, collection: Collection, item: CollectionItem) -> str:
    return f"{ctx.urls.featured_collection(curator.username, collection.id)}/items/{item.id}"


def featured_item(
    ctx: Context, curator: Account, collection: Collection, item: CollectionItem, member: Account
) -> dict[str, Any]:
    local = member.domain is None
    return {
        "id": item_id(ctx, curator, collection, item),
        "type": "FeaturedItem",
        "featuredObject": member.uri,
        "featuredObjectType": "Service" if member.bot else "Person",
        "featureAuthorization": (
            ctx.urls.feature_authorization(member.username, item.id) if local else item.approval_uri
        ),
    }


def featured_collection(
    ctx: Context,
    curator: Account,
    collection: Collection,
    items: list[tuple[CollectionItem, Account]],
) -> dict[str, Any]:
    """The `FeaturedCollection`, with its accepted items only (Mastodon's serializer)."""
    shown = [(item, member) for item, member in items if item.state == ACCEPTED]
    document: dict[str, Any] = {
        "id": ctx.urls.featured_collection(curator.username, collection.id),
        "type": "FeaturedCollection",
        "attributedTo": curator.uri,
        "name": collection.name,
        "sensitive": bool(collection.sensitive),
        "discoverable": bool(collection.discoverable),
        "published": activities.iso(collection.created_at),
        "updated": activities.iso(collection.updated_at),
        "totalItems": len(shown),
        "orderedItems": [
            featured_item(ctx, curator, collection, item, member) for item, member in shown
        ],
    }
    if collection.language:
        document["summaryMap"] = {collection.language: collection.description or ""}
    else:
        document["summary"] = collection.description or ""
    if collection.tag_name:
        document["topic"] = {
            "type": "Hashtag",
            "href": ctx.urls.tag(collection.tag_name),
            "name": f"#{collection.tag_name}",
        }
    return document


def feature_authorization(
    ctx: Context, member: Account, grant_id: int, collection_uri: str
) -> dict[str, Any]:
    return {
        "@context": FEATURE_CONTEXT,
        "id": ctx.urls.feature_authorization(member.username, grant_id),
        "type": "FeatureAuthorization",
        "interactingObject": collection_uri,
        "interactionTarget": member.uri,
    }


def authorization(session: Session, ctx: Context, member: Account, grant_id: int) -> Any:
    """The consent `grant_id` of a local account, as served: to be in a local collection (an
    accepted item) or another server's (a grant); None when there is none (any more)."""
    item = session.get(CollectionItem, grant_id)
    if item is not None and item.account_id == member.id and item.state == ACCEPTED:
        collection = session.get(Collection, item.collection_id)
        curator = session.get(Account, collection.account_id) if collection else None
        if collection is not None and curator is not None:
            uri = ctx.urls.featured_collection(curator.username, collection.id)
            return feature_authorization(ctx, member, item.id, uri)
    grant = session.get(FeatureGrant, grant_id)
    if grant is not None and grant.account_id == member.id:
        return feature_authorization(ctx, member, grant.id, grant.collection_uri)
    return None


# --- what a curator here sends -----------------------------------------------------------------


def announce(
    session: Session,
    ctx: Context,
    curator: Account,
    kind: str,
    obj: dict[str, Any] | str,
    *,
    collection: Collection,
    item: bool = False,
    always: bool = False,
) -> None:
    """`Add`, `Update` or `Remove` of a collection (or of one of its items: `item`), to the
    curator's followers, for a discoverable collection (Mastodon federates only those) or
    when `always`. The target is the curator's `featuredCollections` for a collection, the
    collection for an item, as Mastodon's serializers have it; an Update has none."""
    if not (collection.discoverable or always):
        return
    activity = activities.wrap(
        kind,
        ctx.urls.activity(curator.username, new_id()),
        curator,
        obj,
        to=[ctx.urls.followers(curator.username)],
    )
    activity["@context"] = FEATURE_CONTEXT
    if item:
        activity["target"] = ctx.urls.featured_collection(curator.username, collection.id)
    elif kind != "Update":
        activity["target"] = ctx.urls.featured_collections(curator.username)
    authoring.append(session, curator, activity)


def request(
    session: Session, ctx: Context, curator: Account, collection: Collection, item: CollectionItem
) -> None:
    """Ask another server's account to be in a collection: its item waits as `pending`."""
    member = session.get(Account, item.account_id)
    assert member is not None and member.domain is not None
    item.request_uri = ctx.urls.activity(curator.username, new_id())
    activity = {
        "@context": FEATURE_CONTEXT,
        "id": item.request_uri,
        "type": "FeatureRequest",
        "actor": curator.uri,
        "object": member.uri,
        "instrument": ctx.urls.featured_collection(curator.username, collection.id),
        "to": [member.uri],
    }
    authoring.append(session, curator, activity)


def answered(
    session: Session, ctx: Context, actor: Account, request_uri: str, verdict: str, result: Any
) -> bool:
    """An `Accept` or `Reject` from `actor` of a FeatureRequest sent from here: the item
    accepted (with the authorization's id, and the curator's followers told) or rejected.
    False when it answers none."""
    item = session.execute(
        select(CollectionItem).where(
            CollectionItem.request_uri == request_uri, CollectionItem.account_id == actor.id
        )
    ).scalar_one_or_none()
    if item is None:
        return False
    if item.state != "pending":
        return True  # answered twice: the first answer stands
    approval = result if isinstance(result, str) else None
    if verdict == "Accept" and approval and same_origin(approval, actor.uri):
        item.state, item.approval_uri = ACCEPTED, approval
        collection = session.get(Collection, item.collection_id)
        curator = session.get(Account, collection.account_id) if collection else None
        if collection is not None and curator is not None:
            document = featured_item(ctx, curator, collection, item, actor)
            announce(session, ctx, curator, "Add", document, collection=collection, item=True)
    else:
        item.state = REJECTED
    return True


def authorization_deleted(session: Session, actor: Account, approval_uri: str) -> bool:
    """A `Delete` of the FeatureAuthorization an account of another server gave: its item
    is revoked. False when no item here rests on it."""
    items = session.execute(
        select(CollectionItem).where(
            CollectionItem.approval_uri == approval_uri, CollectionItem.account_id == actor.id
        )
    ).scalars()
    found = False
    for item in items:
        item.state, found = REVOKED, True
    return found


# --- what another server asks of an account here -----------------------------------------------


def receive_request(
    session: Session,
    ctx: Context,
    curator: Account,
    member: Account,
    request_uri: str,
    collection_uri: str,
) -> bool:
    """A FeatureRequest from another server's `curator` for the local `member`, answered at
    once; True when accepted."""
    blocked = session.execute(
        select(Block.account_id).where(
            or_(
                and_(Block.account_id == curator.id, Block.target_id == member.id),
                and_(Block.account_id == member.id, Block.target_id == curator.id),
            )
        )
    ).first()
    consents = (
        member.discoverable
        and not member.suspended
        and blocked is None
        and not graph.domain_blocked(session, member.id, curator.domain)
        and same_origin(collection_uri, curator.uri)
    )
    found = session.execute(
        select(FeatureGrant).where(
            FeatureGrant.account_id == member.id, FeatureGrant.collection_uri == collection_uri
        )
    ).scalar_one_or_none()
    answer: dict[str, Any] = {
        "@context": FEATURE_CONTEXT,
        "id": ctx.urls.activity(member.username, new_id()),
        "type": "Accept" if consents else "Reject",
        "actor": member.uri,
        "to": [curator.uri],
        "object": request_uri,
    }
    if consents:
        if found is None:
            found = FeatureGrant(
                id=new_id(),
                account_id=member.id,
                curator_id=curator.id,
                collection_uri=collection_uri,
                request_uri=request_uri,
                created_at=now(),
            )
            session.add(found)
        answer["result"] = ctx.urls.feature_authorization(member.username, found.id)
    elif found is not None:
        session.delete(found)
    authoring.append(session, member, answer)
    return bool(consents)


# --- what is served ------------------------------------------------------------------------------


def collection_document(
    session: Session, ctx: Context, curator: Account, collection_id: int
) -> dict[str, Any] | None:
    """A local collection as other servers read it (None: not the curator's, or gone)."""
    collection = session.get(Collection, collection_id)
    if collection is None or collection.account_id != curator.id:
        return None
    rows = session.execute(
        select(CollectionItem, Account)
        .join(Account, Account.id == CollectionItem.account_id)
        .where(
            CollectionItem.collection_id == collection.id,
            CollectionItem.state == ACCEPTED,
            Account.suspended.is_(False),
        )
        .order_by(CollectionItem.position)
    ).all()
    items = [(item, member) for item, member in rows]
    document = featured_collection(ctx, curator, collection, items)
    return {"@context": FEATURE_CONTEXT, **document}


def listed(session: Session, ctx: Context, curator: Account) -> list[str]:
    """The ids of the curator's discoverable collections, newest first."""
    rows = session.execute(
        select(Collection.id)
        .where(Collection.account_id == curator.id, Collection.discoverable.is_(True))
        .order_by(Collection.created_at.desc(), Collection.id.desc())
    ).scalars()
    return [ctx.urls.featured_collection(curator.username, found) for found in rows]


# --- another server's collections ---------------------------------------------------------------


@dataclass(frozen=True)
class RemoteCollection:
    """Another server's `FeaturedCollection` as read (and checked) from its origin: its
    members resolved to accounts, each with the consent that backs it."""

    uri: str
    name: str
    description: str  # that server's HTML, sanitized
    language: str | None
    tag_name: str | None
    sensitive: bool
    discoverable: bool
    members: list[tuple[int, str | None]]  # account id, its FeatureAuthorization's id


def is_remote_collection(session: Session, curator: Account, uri: str | None) -> bool:
    if not uri:
        return False
    found = session.execute(
        select(Collection.id).where(Collection.uri == uri, Collection.account_id == curator.id)
    ).first()
    return found is not None


def store_remote(session: Session, curator: Account, found: RemoteCollection) -> Collection:
    """Another server's collection, made or brought up to date. A member of this node is
    kept only with a consent it gave (a grant for this collection), and one who revoked
    stays revoked."""
    collection = session.execute(
        select(Collection).where(Collection.uri == found.uri, Collection.account_id == curator.id)
    ).scalar_one_or_none()
    moment = now()
    if collection is None:
        collection = Collection(id=new_id(), account_id=curator.id, uri=found.uri,
                                created_at=moment)  # fmt: skip
        session.add(collection)
    collection.name = found.name[:256] or "?"
    collection.description = found.description
    collection.language = found.language
    collection.tag_name = found.tag_name
    collection.sensitive, collection.discoverable = found.sensitive, found.discoverable
    collection.updated_at = moment
    session.flush()
    existing = {
        item.account_id: item
        for item in session.execute(
            select(CollectionItem).where(CollectionItem.collection_id == collection.id)
        ).scalars()
    }
    kept: set[int] = set()
    for position, (member_id, approval) in enumerate(found.members, start=1):
        member = session.get(Account, member_id)
        if member is None or member_id in kept:
            continue
        if member.domain is None and not _granted(session, member.id, found.uri):
            continue  # no consent given here: not shown as in it
        kept.add(member_id)
        item = existing.get(member_id)
        if item is None:
            session.add(
                CollectionItem(
                    id=new_id(),
                    collection_id=collection.id,
                    account_id=member_id,
                    state=ACCEPTED,
                    position=position,
                    created_at=moment,
                    approval_uri=approval,
                )
            )
        elif item.state != REVOKED:
            item.state, item.position, item.approval_uri = ACCEPTED, position, approval
    for member_id, item in existing.items():
        if member_id not in kept:
            session.delete(item)
    return collection


def forget_remote(session: Session, curator: Account, uri: str) -> bool:
    collection = session.execute(
        select(Collection).where(Collection.uri == uri, Collection.account_id == curator.id)
    ).scalar_one_or_none()
    if collection is None:
        return False
    session.execute(delete(CollectionItem).where(CollectionItem.collection_id == collection.id))
    session.delete(collection)
    return True


def withdraw(session: Session, ctx: Context, member: Account, collection: Collection) -> None:
    """A local account takes itself out of another server's collection: its consent is
    deleted, and the curator's server told (`Delete` of the FeatureAuthorization, as
    Mastodon's RevokeCollectionItemService)."""
    curator = session.get(Account, collection.account_id)
    assert curator is not None and collection.uri is not None
    grant = session.execute(
        select(FeatureGrant).where(
            FeatureGrant.account_id == member.id, FeatureGrant.collection_uri == collection.uri
        )
    ).scalar_one_or_none()
    if grant is None:
        return
    stamp = ctx.urls.feature_authorization(member.username, grant.id)
    session.delete(grant)
    activity = activities.wrap(
        "Delete", ctx.urls.activity(member.username, new_id()), member, stamp, to=[curator.uri]
    )
    activity["@context"] = FEATURE_CONTEXT
    authoring.append(session, member, activity)


def _granted(session: Session, member_id: int, collection_uri: str) -> bool:
    found = session.execute(
        select(FeatureGrant.id).where(
            FeatureGrant.account_id == member_id, FeatureGrant.collection_uri == collection_uri
        )
    ).first()
    return found is not None
