"""Peer replication: author logs served by any node that holds them, fetched from whichever
peer has them, verified against the author's key. The contract is docs/protocol.md."""

from starlette.routing import BaseRoute

from bocage.p2p import gateway, live


def all_routes() -> list[BaseRoute]:
    return [*gateway.routes, *live.routes]
