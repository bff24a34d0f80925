"""Who signed a request: the HTTP signature (cavage or RFC 9421) checked against the key of
the account it names, fetched when unknown and once more when it no longer verifies (the
key may have been rotated). Used by the inboxes and, in authorized-fetch mode, by GETs;
`Checks` offers them to the services (services/ports.py `SignatureChecks`)."""

from __future__ import annotations

from typing import Any, Protocol

from starlette.requests import HTTPConnection
from starlette.types import Scope

from bocage.core.instance.domains import DomainRules
from bocage.crypto import httpsig
from bocage.federation import normalize
from bocage.federation.client import FetchError
from bocage.kernel.context import Context
from bocage.store.models import Account


class KeyResolver(Protocol):
    async def key(self, key_id: str, *, refresh: bool = False) -> tuple[Account, str]:
        """The account owning `key_id` and its public key (PEM), fetched when unknown or
        when `refresh`."""
        ...


class ProofResolver(KeyResolver, Protocol):
    """Keys, and the actors whose integrity proofs vouch for what a server relays."""

    async def actor(self, uri: str, *, refresh: bool = False) -> Account: ...

    async def proof_verdict(self, document: dict[str, Any], author: Account) -> bool | None: ...


class KeyedFederation(Protocol):
    @property
    def resolver(self) -> KeyResolver: ...

    async def domain_rules(self) -> DomainRules: ...


class ProvingFederation(KeyedFederation, Protocol):
    @property
    def resolver(self) -> ProofResolver: ...


class Addressed(Protocol):
    """Whatever knows the node's own base URL: the URL a sender signed."""

    @property
    def ctx(self) -> Context: ...


class Verifier(Addressed, Protocol):
    """What checking a signature needs of the node it runs in: its own base URL (the URL a
    sender signed), the remote keys, the admin's domain rules. A node is one; so is anything
    that has these (tests pass fakes)."""

    @property
    def federation(self) -> KeyedFederation: ...


class KeyGone(httpsig.SignatureError):
    """The signer's key can no longer be fetched (404/410): the account is gone."""


def as_signed(node: Addressed, request: HTTPConnection, body: bytes = b"") -> httpsig.Request:
    # The URL as the sender addressed it: our own base URL, not whatever the proxy saw. A
    # WebSocket's handshake (no method in its scope) is a GET.
    target = _target(request.scope)
    method = request.scope.get("method", "GET")
    return httpsig.Request(method, node.ctx.urls.base + target, dict(request.headers), body)


def _target(scope: Scope) -> str:
    """The path and query, as `request.url` gives them, without parsing a whole URL (its
    host header and all), which cost ~4% of accepting an activity."""
    path = scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    query = scope.get("query_string", b"").decode()
    return f"{path}?{query}" if query else path


def is_signed(request: httpsig.Request) -> bool:
    return bool(request.header("signature") or request.header("signature-input"))


async def signer(node: Verifier, request: httpsig.Request) -> Account:
    """The account whose key signed `request`; `SignatureError` if none did."""
    key_id = httpsig.key_id_of(request)
    resolver = node.federation.resolver
    try:
        account, pem = await resolver.key(key_id)
    except FetchError as failed:
        if failed.status in (404, 410):
            raise KeyGone(f"The key {key_id} is gone ({failed.status}).") from None
        raise httpsig.SignatureError(f"The key {key_id} could not be fetched: {failed}.") from None
    except normalize.Malformed as bad:
        raise httpsig.SignatureError(f"The key {key_id} is not usable: {bad}.") from None
    try:
        httpsig.verify(request, httpsig.load_public_key(pem))
    except httpsig.SignatureMismatch as refused:
        try:
            account, pem = await resolver.key(key_id, refresh=True)
        except (FetchError, normalize.Malformed):
            raise refused from None
        httpsig.verify(request, httpsig.load_public_key(pem))
    return account


async def signing_server(
    node: Verifier, request: HTTPConnection, body: bytes, *, unsigned: str, refused: str
) -> Account:
    """The remote account (an instance actor, usually) whose signature vouches for a request
    from another server: authorized fetches, peers' replication requests. `SignatureError`
    with the status to answer: 401 `unsigned` or a bad signature, 403 `refused` when the
    admin does not federate with that server."""
    return await server_of(node, as_signed(node, request, body), unsigned=unsigned, refused=refused)


async def server_of(
    node: Verifier, signed: httpsig.Request, *, unsigned: str, refused: str
) -> Account:
    """`signing_server` of a request already read (`as_signed`)."""
    if not is_signed(signed):
        raise httpsig.SignatureError(unsigned, 401)
    account = await signer(node, signed)
    if account.domain is None or (await node.federation.domain_rules()).refuses(account.domain):
        raise httpsig.SignatureError(refused, 403)
    return account


class Checks:
    """The checks above for one node, as the services take them (`SignatureChecks` in
    services/ports.py): the node's URLs, and its federation's keys, actors and domain rules."""

    def __init__(self, ctx: Context, federation: ProvingFederation) -> None:
        self.ctx = ctx
        self.federation = federation

    async def signer(self, request: httpsig.Request) -> Account:
        return await signer(self, request)

    async def signing_server(
        self, request: httpsig.Request, *, unsigned: str, refused: str
    ) -> Account:
        return await server_of(self, request, unsigned=unsigned, refused=refused)

    async def actor(self, uri: str) -> Account:
        return await self.federation.resolver.actor(uri)

    async def proof_verdict(self, document: dict[str, Any], author: Account) -> bool | None:
        return await self.federation.resolver.proof_verdict(document, author)

    async def domain_rules(self) -> DomainRules:
        return await self.federation.domain_rules()
