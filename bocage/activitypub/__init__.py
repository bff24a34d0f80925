"""The ActivityPub face: how this node federates with Mastodon and the rest of the fediverse.

discovery (WebFinger, host-meta, NodeInfo) · actors (documents) · objects (served at their
ids) · responses (media types, content negotiation). HTTP signatures live in crypto/httpsig.
"""

from starlette.routing import BaseRoute

from bocage.activitypub import discovery, objects


def all_routes() -> list[BaseRoute]:
    return [*discovery.routes, *objects.routes]
