"""A local account as other servers see it: its ActivityStreams `Person`.

Shaped like Mastodon's (what every fediverse server parses), plus the account's Ed25519
identity key as a FEP-521a Multikey under `assertionMethod`, the key that signs its objects'
integrity proofs (FEP-8b32), and the FEP-c390 identity proof that binds that key's did to the
actor (without it, other nodes do not take the key as the account's). It lives in the core
because the core signs it: a profile change is announced as an Update carrying this document.
"""

from __future__ import annotations

import html
from typing import Any

from bocage.core.authorship import activities
from bocage.core.authorship.activities import AS_CONTEXT, iso
from bocage.core.authorship.authoring import identity_key
from bocage.crypto import identity_proofs
from bocage.kernel.urls import Urls
from bocage.store.models import Account

ACTOR_CONTEXT: list[Any] = [
    AS_CONTEXT,
    "https://w3id.org/security/v1",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/data-integrity/v2",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
        "featuredCollections": {"@id": "toot:featuredCollections", "@type": "@id"},
        "gts": "https://gotosocial.org/ns#",
        "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
        "canFeature": {"@id": "toot:canFeature", "@type": "@id"},
        "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "gateways": {
            "@id": "https://w3id.org/fep/ef61#gateways",
            "@type": "@id",
            "@container": "@list",
        },
        **identity_proofs.CONTEXT_TERMS,
    },
]


def person(urls: Urls, account: Account, moved_to: str | None = None) -> dict[str, Any]:
    """The `Person` of a local account; `moved_to` is the actor id of its new home."""
    actor = urls.actor(account.username)
    document: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": actor,
        "type": "Service" if account.bot else "Person",  # Mastodon's bots are Services
        "preferredUsername": account.username,
        "name": account.display_name or account.username,
        "summary": account.note,
        "url": urls.profile(account.username),
        "published": iso(account.created_at),
        "inbox": urls.inbox(account.username),
        "outbox": urls.outbox(account.username),
        "followers": urls.followers(account.username),
        "following": urls.following(account.username),
        "featured": urls.featured(account.username),
        "featuredTags": urls.featured_tags(account.username),
        "featuredCollections": urls.featured_collections(account.username),
        # Who may put the account in a collection without asking, as Mastodon 4.6 words it
        # for its own accounts: anyone when it is discoverable (its followers when it is
        # also locked), only itself otherwise (core/collections/featuring.py).
        "interactionPolicy": {"canFeature": {"automaticApproval": [_featurers(urls, account)]}},
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": account.locked,
        "discoverable": bool(account.discoverable),
        "indexable": bool(account.indexable),
        "alsoKnownAs": list(account.also_known_as or []),
        "attachment": [
            *(
                {"type": "PropertyValue", "name": f["name"], "value": html.escape(f["value"])}
                for f in account.fields or []
            ),
            *_identity_proofs(account, actor),
        ],
        "publicKey": public_key(urls.key_id(account.username), actor, account.rsa_public_pem),
        "assertionMethod": _assertion_methods(account, actor),
        # The nodes that hold and serve its objects (FEP-ef61): this one, then its pubs.
        "gateways": [urls.base, *(account.gateways or [])],
    }
    if moved_to:
        document["movedTo"] = moved_to
    for name, key in (("icon", account.avatar), ("image", account.header)):
        if key:
            document[name] = {"type": "Image", "url": urls.media(key)}
    return document


def _featurers(urls: Urls, account: Account) -> str:
    if not account.discoverable:
        return urls.actor(account.username)
    return urls.followers(account.username) if account.locked else activities.PUBLIC


def public_key(key_id: str, owner: str, pem: str | None) -> dict[str, str]:
    return {"id": key_id, "owner": owner, "publicKeyPem": pem or ""}


def _identity_proofs(account: Account, actor: str) -> list[dict[str, Any]]:
    if account.did is None or account.identity_seed is None:
        return []
    # Signed once per account and process: the same bytes each time (`created` is fixed).
    cache_key = (account.did, actor, account.created_at)
    found = _STATEMENTS.get(cache_key)
    if found is None:
        if len(_STATEMENTS) >= 4096:
            _STATEMENTS.clear()
        found = identity_proofs.statement(identity_key(account), actor, account.created_at)
        _STATEMENTS[cache_key] = found
    return [found]


_STATEMENTS: dict[tuple[str, str, Any], dict[str, Any]] = {}


def _assertion_methods(account: Account, actor: str) -> list[dict[str, str]]:
    if account.did is None or account.identity_seed is None:
        return []
    return [
        {
            # FEP-521a's form; the proofs name the same key by its did:key (FEP-ef61).
            "id": f"{actor}#ed25519-key",
            "type": "Multikey",
            "controller": actor,
            "publicKeyMultibase": identity_key(account).public_multibase,
        }
    ]
