"""The node itself as an actor. A local account's actor document is in
`core.actor_document`: the core signs it into the Update that announces a profile change."""

from __future__ import annotations

from typing import Any

from bocage.core.authorship.actor_document import ACTOR_CONTEXT, public_key
from bocage.kernel.urls import Urls

INSTANCE_ACTOR_NAME = "bocage.internal.fetch"  # what Mastodon's instance actor is called too


def instance_actor(urls: Urls, public_pem: str) -> dict[str, Any]:
    """The node itself, an `Application` (as Mastodon's), whose key signs fetches made on
    nobody's behalf: servers in authorized-fetch mode refuse unsigned fetches."""
    actor = urls.instance_actor
    return {
        "@context": ACTOR_CONTEXT,
        "id": actor,
        "type": "Application",
        "preferredUsername": INSTANCE_ACTOR_NAME,
        "name": INSTANCE_ACTOR_NAME,
        "url": f"{urls.base}/about",
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": True,
        "publicKey": public_key(f"{actor}#main-key", actor, public_pem),
    }
