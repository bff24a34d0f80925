"""The ActivityPub face: how this node federates with Mastodon and the rest of the fediverse.

Served: discovery (WebFinger, host-meta, NodeInfo) · actors (documents) · objects (served at
their ids) · collections (outbox, followers, following, paged) · inbox (signed activities
in). These routes work through services/publishing.py and services/inbox.py, never the node
or the database (tests/services/test_layering.py).
Working in the background: federation (the services one node holds) · receive (applying
what arrived) · delivery (outbox, retries, parked hosts).
Shared with the other faces, below them (bocage/federation): the SSRF-safe signed client,
the resolver (fetching actors, keys, posts), inbound signature checks, responses (media
types, content negotiation) and normalize (remote quirks, at the edge). HTTP signatures
live in crypto/httpsig, integrity proofs in crypto/proofs.
"""

from starlette.routing import BaseRoute

from bocage.activitypub import collections, discovery, inbox, objects


def all_routes() -> list[BaseRoute]:
    return [*discovery.routes, *inbox.routes, *objects.routes, *collections.routes]
