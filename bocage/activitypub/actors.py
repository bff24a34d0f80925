"""Actor documents: how a local account, and the node itself, look to other servers.

Shaped like Mastodon's (what every fediverse server parses), plus the account's Ed25519
identity key as a FEP-521a Multikey under `assertionMethod`, the key that signs its objects'
integrity proofs (FEP-8b32).
"""

from __future__ import annotations

import html
from typing import Any

from bocage.activitypub.responses import CONTEXT
from bocage.core.activities import iso
from bocage.core.authoring import identity_key
from bocage.core.urls import Urls
from bocage.store.models import Account

INSTANCE_ACTOR_NAME = "bocage.internal.fetch"  # what Mastodon's instance actor is called too


def person(urls: Urls, account: Account) -> dict[str, Any]:
    """The ActivityStreams `Person` of a local account."""
    actor = urls.actor(account.username)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": actor,
        "type": "Person",
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
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": account.locked,
        "discoverable": True,
        "indexable": True,
        "alsoKnownAs": [],
        "attachment": [
            {"type": "PropertyValue", "name": f["name"], "value": html.escape(f["value"])}
            for f in account.fields or []
        ],
        "publicKey": _public_key(urls.key_id(account.username), actor, account.rsa_public_pem),
        "assertionMethod": _assertion_methods(account, actor),
    }
    for name, key in (("icon", account.avatar), ("image", account.header)):
        if key:
            document[name] = {"type": "Image", "url": urls.media(key)}
    return document


def instance_actor(urls: Urls, public_pem: str) -> dict[str, Any]:
    """The node itself, an `Application` (as Mastodon's), whose key signs fetches made on
    nobody's behalf: servers in authorized-fetch mode refuse unsigned fetches."""
    actor = urls.instance_actor
    return {
        "@context": CONTEXT,
        "id": actor,
        "type": "Application",
        "preferredUsername": INSTANCE_ACTOR_NAME,
        "name": INSTANCE_ACTOR_NAME,
        "url": f"{urls.base}/about",
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": True,
        "publicKey": _public_key(f"{actor}#main-key", actor, public_pem),
    }


def _public_key(key_id: str, owner: str, pem: str | None) -> dict[str, str]:
    return {"id": key_id, "owner": owner, "publicKeyPem": pem or ""}


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
