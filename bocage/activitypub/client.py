"""Outbound HTTP for federation: fetches and deliveries, signed, and SSRF-safe.

Every request made on behalf of a remote document goes through `FederationClient`:
- only http(s) URLs; plain http and loopback only when `insecure_loopback` is set (tests,
  development), never private, link-local or multicast addresses: the resolver drops them,
  and IP literals are checked before connecting (aiohttp does not resolve those);
- redirects are followed by hand, at most `MAX_REDIRECTS`, each target checked again;
- every response has a time limit and a size cap, and fetched documents must say they are
  ActivityStreams JSON.
One aiohttp session per node (pooled keep-alive connections): it measured ~20x httpx's pooled
client under concurrency on this machine class. aiohttp is imported when the first request is
made: with its dependencies it is ~20 MB that a node nobody federates with never needs.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

import orjson

from bocage.activitypub import normalize
from bocage.crypto import httpsig

if TYPE_CHECKING:
    import aiohttp

MAX_REDIRECTS = 3
MAX_DOCUMENT_BYTES = 1024 * 1024  # an actor or a note; Mastodon caps at 1 MiB as well
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # RFC 3986 reserved characters and escapes: kept as they are
ACTIVITY_TYPES = ("application/activity+json", "application/ld+json", "application/json")
JRD_TYPES = ("application/jrd+json", "application/json")
ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
USER_AGENT = "Bocage/0.1 (+https://github.com/bocage-social/bocage)"


class FetchError(Exception):
    """A remote request failed; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class BlockedAddress(FetchError):
    """The URL points at an address this node must not contact (SSRF guard)."""


@dataclass(frozen=True)
class AddressPolicy:
    allow_loopback: bool = False

    def allows(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if self.allow_loopback and ip.is_loopback:
            return True
        return ip.is_global and not ip.is_multicast

    def check_url(self, url: str) -> str:
        """`url`, percent-encoded as it is signed and sent, if it may be requested at all;
        its host is checked again once resolved. (URLs come from other servers: one with
        spaces, non-ASCII or a broken `[host]` could neither be signed nor requested.)"""
        try:
            parts = urlsplit(url)
            hostname, _port = parts.hostname, parts.port
        except ValueError:
            raise BlockedAddress(f"not a URL: {url[:200]}") from None
        allowed_schemes = ("https", "http") if self.allow_loopback else ("https",)
        if parts.scheme not in allowed_schemes or not hostname:
            raise BlockedAddress(f"not a URL this node fetches: {url[:200]}")
        encoded = quote(url, safe=URL_SAFE)
        try:
            literal = ipaddress.ip_address(hostname)
        except ValueError:
            return encoded  # a name: the resolver checks what it resolves to
        if not self.allows(str(literal)):
            raise BlockedAddress(f"refusing to contact the address {literal}")
        return encoded


@cache
def _aiohttp() -> Any:
    import aiohttp

    return aiohttp


def guarded_resolver(policy: AddressPolicy) -> Any:
    """DNS resolution that never hands aiohttp a forbidden address (no DNS rebinding: the
    address checked is the address connected to)."""
    return _guarded_resolver_class()(policy)


@cache
def _guarded_resolver_class() -> type:
    aiohttp = _aiohttp()
    from aiohttp.abc import AbstractResolver, ResolveResult

    class GuardedResolver(AbstractResolver):  # type: ignore[misc]
        def __init__(self, policy: AddressPolicy) -> None:
            self.policy = policy
            self.inner = aiohttp.ThreadedResolver()

        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            results = await self.inner.resolve(host, port, family)
            allowed = [r for r in results if self.policy.allows(r["host"])]
            if not allowed:
                raise BlockedAddress(
                    f"{host} resolves only to addresses this node must not contact"
                )
            return allowed

        async def close(self) -> None:
            await self.inner.close()

    return GuardedResolver


@dataclass(frozen=True)
class Signer:
    """Who signs a request: a key id as the remote side will look it up, and the key."""

    key_id: str
    private_pem: str

    def headers(self, method: str, url: str, body: bytes, scheme: httpsig.Scheme) -> dict[str, str]:
        request = httpsig.Request(method, url, {}, body)
        key = httpsig.load_private_key(self.private_pem)
        return httpsig.sign(request, self.key_id, key, scheme=scheme)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


class FederationClient:
    def __init__(
        self,
        policy: AddressPolicy,
        *,
        timeout_seconds: float = 10.0,
        connections: int = 256,
        per_host: int = 8,
    ) -> None:
        self.policy = policy
        self.timeout_seconds = timeout_seconds
        self.connections = connections
        self.per_host = per_host
        self._session: aiohttp.ClientSession | None = None
        # The signature scheme each host accepted for GETs: a server that refuses RFC 9421
        # is not asked twice for every document. (Deliveries keep theirs in `HostBook`.)
        self.get_schemes: dict[str, httpsig.Scheme] = {}

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use, inside the running loop (aiohttp binds a session to its loop).
        if self._session is None or self._session.closed:
            aiohttp = _aiohttp()
            connector = aiohttp.TCPConnector(
                resolver=guarded_resolver(self.policy),
                limit=self.connections,
                limit_per_host=self.per_host,
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout_seconds, connect=5.0),
                headers={"User-Agent": USER_AGENT},
                json_serialize=lambda value: orjson.dumps(value).decode(),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get_json(
        self, url: str, signer: Signer | None = None, *, jrd: bool = False
    ) -> dict[str, Any]:
        """An ActivityStreams document (or a WebFinger JRD). Signed (RFC 9421, then cavage if
        refused) when a signer is given: servers in authorized-fetch mode answer only signed
        GETs."""
        accept = "application/jrd+json, application/json" if jrd else ACCEPT
        types = JRD_TYPES if jrd else ACTIVITY_TYPES
        url = self.policy.check_url(url)
        host = urlsplit(url).netloc
        known = self.get_schemes.get(host)
        try:
            response = await self._get(url, signer, known or "rfc9421", accept, types)
            if signer is not None and known is None and response.status in (401, 403):
                response = await self._get(url, signer, "cavage", accept, types)
                if response.status == 200:
                    self.get_schemes[host] = "cavage"
            elif signer is not None and known is None and response.status == 200:
                self.get_schemes[host] = "rfc9421"
        except (_aiohttp().ClientError, TimeoutError) as exc:
            raise FetchError(f"GET {url[:200]}: {exc.__class__.__name__} {exc}") from exc
        if response.status != 200:
            raise FetchError(f"GET {url[:200]} answered {response.status}", response.status)
        try:
            document = normalize.loads(response.body)
        except normalize.Malformed as bad:
            raise FetchError(f"{url[:200]} did not return a document we can read: {bad}") from bad
        if not isinstance(document, dict):
            raise FetchError(f"{url[:200]} did not return a JSON object")
        return document

    async def _get(
        self,
        url: str,
        signer: Signer | None,
        scheme: httpsig.Scheme,
        accept: str,
        types: tuple[str, ...],
    ) -> Response:
        for _ in range(MAX_REDIRECTS + 1):
            url = self.policy.check_url(url)
            headers = {"Accept": accept}
            if signer is not None:
                headers.update(signer.headers("GET", url, b"", scheme))
            async with self._client().get(url, headers=headers, allow_redirects=False) as answer:
                if answer.status in (301, 302, 303, 307, 308) and "Location" in answer.headers:
                    url = urljoin(url, answer.headers["Location"])
                    continue
                if answer.status == 200:
                    _check_content_type(url, answer.headers.get("Content-Type", ""), types)
                return Response(answer.status, await _read_capped(answer, MAX_DOCUMENT_BYTES))
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url[:200]}")

    async def post(
        self, url: str, body: bytes, signer: Signer, scheme: httpsig.Scheme = "rfc9421"
    ) -> int:
        """Deliver `body` to an inbox; returns the status (no redirects: inboxes don't move)."""
        url = self.policy.check_url(url)
        headers = {"Content-Type": "application/activity+json"}
        headers.update(signer.headers("POST", url, body, scheme))
        try:
            async with self._client().post(url, data=body, headers=headers) as answer:
                await _read_capped(answer, 64 * 1024)
                return answer.status
        except (_aiohttp().ClientError, TimeoutError) as exc:
            raise FetchError(f"POST {url[:200]}: {exc.__class__.__name__} {exc}") from exc

    async def signed_request(
        self,
        method: str,
        url: str,
        signer: Signer,
        *,
        body: bytes = b"",
        content_type: str = "application/json",
        accept: str = "application/json",
        limit: int = MAX_DOCUMENT_BYTES,
    ) -> Response:
        """One signed request (RFC 9421) between nodes, any status answered as is: peer
        replication's clock exchanges and log pages (bocage/p2p/sync.py)."""
        url = self.policy.check_url(url)
        headers = {"Accept": accept}
        if body:
            headers["Content-Type"] = content_type
        headers.update(signer.headers(method, url, body, "rfc9421"))
        try:
            async with self._client().request(
                method, url, data=body or None, headers=headers, allow_redirects=False
            ) as answer:
                return Response(answer.status, await _read_capped(answer, limit))
        except (_aiohttp().ClientError, TimeoutError) as exc:
            raise FetchError(f"{method} {url[:200]}: {exc.__class__.__name__} {exc}") from exc

    def websocket(self, url: str, signer: Signer) -> Any:
        """A WebSocket to another node, its handshake signed (peer replication's live
        entries); an async context manager yielding aiohttp's socket."""
        url = self.policy.check_url(url)
        headers = signer.headers("GET", url, b"", "rfc9421")
        return self._client().ws_connect(url, headers=headers, heartbeat=30.0, max_msg_size=4 << 20)


def _check_content_type(url: str, content_type: str, types: tuple[str, ...]) -> None:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in types:
        raise FetchError(f"{url[:200]} is {media_type or 'untyped'}, not ActivityStreams JSON")


async def _read_capped(answer: aiohttp.ClientResponse, limit: int) -> bytes:
    declared = answer.content_length
    if declared is not None and declared > limit:
        raise FetchError(f"response of {declared} bytes is over the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in answer.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise FetchError(f"response is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)
