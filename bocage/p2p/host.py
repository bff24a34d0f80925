"""What the p2p face uses of the node it runs in, as Protocols (the node is one; tests may
pass anything that has these): its settings and context, the replication service (every
read and write of logs, peers and pubs), the federation machinery it signs and fetches with,
and (for the routes that serve peers) the replication that counts their requests and tells
their live subscriptions. The p2p face never takes the node itself, nor its database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from starlette.requests import HTTPConnection

from bocage.config import Settings
from bocage.core.instance.domains import DomainRules
from bocage.federation.client import FederationClient, Signer
from bocage.kernel.context import Context
from bocage.services.replication import ReplicationService
from bocage.store.models import Account

if TYPE_CHECKING:
    from bocage.p2p.service import Replication

Elsewhere = Callable[[str], Awaitable[dict[str, Any] | None]]


class PeerResolver(Protocol):
    # Where an object is asked for when its home node does not answer (set by replication).
    elsewhere: Elsewhere | None

    async def instance_signer(self) -> Signer: ...

    async def actor(self, uri: str, *, refresh: bool = False) -> Account: ...

    async def key(self, key_id: str, *, refresh: bool = False) -> tuple[Account, str]: ...


class PeerFederation(Protocol):
    @property
    def client(self) -> FederationClient: ...

    @property
    def resolver(self) -> PeerResolver: ...

    async def domain_rules(self) -> DomainRules: ...


class PeerServices(Protocol):
    @property
    def replication(self) -> ReplicationService: ...


class Peering(Protocol):
    """What syncing, fetching from peers and registering pubs need."""

    @property
    def settings(self) -> Settings: ...

    @property
    def ctx(self) -> Context: ...

    @property
    def services(self) -> PeerServices: ...

    @property
    def federation(self) -> PeerFederation: ...


class PeerServing(Peering, Protocol):
    """What the routes that serve peers need besides: the node's replication."""

    @property
    def replication(self) -> Replication: ...


def host_of(connection: HTTPConnection) -> PeerServing:
    """The node a request or socket reached, as the p2p routes see it."""
    return cast("PeerServing", connection.app.state.node)
