"""The ActivityPub face: how this node federates with Mastodon and the rest of the fediverse.

Served: discovery (WebFinger, host-meta, NodeInfo) · actors (documents) · objects (served at
their ids) · collections (outbox, followers, following, paged) · inbox (signed activities
in) · responses (media types, content negotiation).
Working in the background: federation (the services one node holds) · client (SSRF-safe,
signed HTTP out) · resolver (fetching actors, keys, posts) · normalize (remote quirks, at the
edge) · receive (applying what arrived) · delivery (outbox, retries, parked hosts).
HTTP signatures live in crypto/httpsig, integrity proofs in crypto/proofs.
"""

from starlette.routing import BaseRoute

from bocage.activitypub import collections, discovery, inbox, objects


def all_routes() -> list[BaseRoute]:
    return [*discovery.routes, *inbox.routes, *objects.routes, *collections.routes]
