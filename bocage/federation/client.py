"""Outbound HTTP for federation: fetches and deliveries, signed, and SSRF-safe.

Every request made on behalf of a remote document goes through `FederationClient`:
- only http(s) URLs; plain http and loopback only when `insecure_loopback` is set (tests,
  development), never private, link-local or multicast addresses: the resolver drops them,
  and IP literals are checked before connecting (aiohttp does not resolve those);
- redirects are followed by hand, at most `MAX_REDIRECTS`, each target checked again;
- every response has a time limit and a size cap, and fetched documents must say they are
  ActivityStreams JSON;
- signed requests double-knock: RFC 9421 first (or the scheme the server is known to take),
  and any answer that is not a success is asked once more with the other scheme.
One aiohttp session per node (pooled keep-alive connections): it measured ~20x httpx's pooled
client under concurrency on this machine class. aiohttp is imported when the first request is
made: with its dependencies it is ~20 MB that a node nobody federates with never needs.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

import orjson

from bocage.crypto import httpsig
from bocage.federation import normalize

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


class TooLarge(FetchError):
    """The answer is longer than this node reads (a declared length, or a body cut off)."""


class BlockedAddress(FetchError):
    """The URL points at an address this node must not contact (SSRF guard)."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215
IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 2765 (SIIT)
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291, deprecated


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses that packets to `ip` end up at, when it embeds any: NAT64's
    `64:ff9b::10.0.0.1`, IPv4-mapped `::ffff:10.0.0.1`, IPv4-translated, IPv4-compatible
    `::10.0.0.1`, 6to4's `2002:a00:1::` and Teredo's server and client."""
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip.teredo is not None:
        return ip.teredo
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    low = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in NAT64_WELL_KNOWN or ip in IPV4_TRANSLATED:
        return (low,)
    if ip in IPV4_COMPATIBLE and int(ip) > 1:  # not :: or ::1, which are IPv6's own
        return (low,)
    return ()


@dataclass(frozen=True)
class AddressPolicy:
    allow_loopback: bool = False

    def allows(self, address: str) -> bool:
        """Whether this node may connect to `address`. An IPv6 address that leads to an IPv4
        one is judged by that IPv4 address: `64:ff9b::a9fe:a9fe` is the cloud metadata
        address behind a NAT64 gateway, not a public IPv6 host."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if ip.version == 4:
            return self._allows(ip, self.allow_loopback)
        assert isinstance(ip, ipaddress.IPv6Address)
        if ip in NAT64_LOCAL_USE:
            return False  # where its IPv4 address sits is the network's choice: unknowable
        embedded = embedded_ipv4(ip)
        if not embedded:
            return self._allows(ip, self.allow_loopback)
        # Only an IPv4-mapped address stays on this machine: the others go through a
        # gateway (NAT64, 6to4, Teredo), whose loopback is not ours to allow.
        loopback = self.allow_loopback and ip.ipv4_mapped is not None
        return all(self._allows(inner, loopback) for inner in embedded)

    @staticmethod
    def _allows(ip: IPAddress, loopback: bool) -> bool:
        if loopback and ip.is_loopback:
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

    class GuardedResolver(AbstractResolver):
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

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300


def transient(status: int) -> bool:
    """An answer that may change if the request is made again later."""
    return status in (408, 429) or status >= 500


OTHER_SCHEME: dict[httpsig.Scheme, httpsig.Scheme] = {"rfc9421": "cavage", "cavage": "rfc9421"}


@dataclass(frozen=True)
class Knocked:
    """The answer a double knock kept, and the signature scheme of the request it answered."""

    response: Response
    scheme: httpsig.Scheme


async def double_knock(
    send: Callable[[httpsig.Scheme], Awaitable[Response]], known: httpsig.Scheme | None
) -> Knocked:
    """A signed request, signed with the scheme its server is `known` to take (RFC 9421 when
    none is), and once more with the other scheme when the answer is not a success: whatever
    the status, since servers answer a signature they cannot handle with 400, 401, 403, 404
    or even a 500 (a server crashing on RFC 9421 was seen). The answer kept is a success if
    either was one; else a transient failure (408, 429, 5xx) if either was one, so that the
    request is tried again later rather than given up; else the second."""
    first = Knocked(await send(known or "rfc9421"), known or "rfc9421")
    if first.response.succeeded:
        return first
    other = OTHER_SCHEME[first.scheme]
    second = Knocked(await send(other), other)
    if second.response.succeeded or transient(second.response.status):
        return second
    return first if transient(first.response.status) else second


@dataclass(frozen=True)
class Page:
    """A page read for its link preview card: the URL it was read at (after redirects), its
    media type and charset as its server named them, and its first bytes."""

    url: str
    content_type: str
    charset: str | None
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
        """An ActivityStreams document (or a WebFinger JRD). Signed when a signer is given
        (servers in authorized-fetch mode answer only signed GETs), with a double knock: the
        scheme that worked is remembered per host."""
        accept = "application/jrd+json, application/json" if jrd else ACCEPT
        types = JRD_TYPES if jrd else ACTIVITY_TYPES
        url = self.policy.check_url(url)
        host = urlsplit(url).netloc
        try:
            if signer is None:
                response = await self._get(url, None, "rfc9421", accept, types)
            else:
                knocked = await double_knock(
                    lambda scheme: self._get(url, signer, scheme, accept, types),
                    self.get_schemes.get(host),
                )
                response = knocked.response
                if response.succeeded:
                    self.get_schemes[host] = knocked.scheme
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

    async def get_file(self, url: str, limit: int, timeout_seconds: float = 60.0) -> bytes:
        """A file (a medium another server serves), unsigned as Mastodon fetches them,
        redirects followed and checked; the body read in chunks and cut at `limit` bytes
        (an endless body is refused, not waited on past `timeout_seconds`)."""
        url = self.policy.check_url(url)
        try:
            for _ in range(MAX_REDIRECTS + 1):
                async with self._client().get(
                    url,
                    allow_redirects=False,
                    timeout=_aiohttp().ClientTimeout(total=timeout_seconds, connect=5.0),
                ) as answer:
                    if answer.status in (301, 302, 303, 307, 308) and "Location" in answer.headers:
                        url = self.policy.check_url(urljoin(url, answer.headers["Location"]))
                        continue
                    if answer.status != 200:
                        raise FetchError(f"GET {url[:200]} answered {answer.status}", answer.status)
                    return await _read_capped(answer, limit)
        except (_aiohttp().ClientError, TimeoutError) as exc:
            raise FetchError(f"GET {url[:200]}: {exc.__class__.__name__} {exc}") from exc
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url[:200]}")

    async def get_page(
        self, url: str, limit: int, accept: str, timeout_seconds: float = 15.0
    ) -> Page:
        """A web page (or an oEmbed document), unsigned, as Mastodon fetches link previews:
        redirects followed and each target checked, only a 200 taken, and only its first
        `limit` bytes read (the rest is not waited for: a card's tags are in the head)."""
        url = self.policy.check_url(url)
        headers = {"Accept": accept, "User-Agent": f"{USER_AGENT} Bot"}
        try:
            for _ in range(MAX_REDIRECTS + 1):
                async with self._client().get(
                    url,
                    headers=headers,
                    allow_redirects=False,
                    timeout=_aiohttp().ClientTimeout(total=timeout_seconds, connect=5.0),
                ) as answer:
                    if answer.status in (301, 302, 303, 307, 308) and "Location" in answer.headers:
                        url = self.policy.check_url(urljoin(url, answer.headers["Location"]))
                        continue
                    if answer.status != 200:
                        raise FetchError(f"GET {url[:200]} answered {answer.status}", answer.status)
                    media_type = answer.headers.get("Content-Type", "").split(";", 1)[0]
                    body = await _read_truncated(answer, limit)
                    return Page(url, media_type.strip().lower(), answer.charset, body)
        except (_aiohttp().ClientError, TimeoutError, UnicodeError) as exc:
            raise FetchError(f"GET {url[:200]}: {exc.__class__.__name__} {exc}") from exc
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url[:200]}")

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
        self, url: str, body: bytes, signer: Signer, known: httpsig.Scheme | None = None
    ) -> Knocked:
        """Deliver `body` to an inbox (no redirects: inboxes don't move), with a double knock
        starting with the scheme the server is `known` to take."""
        url = self.policy.check_url(url)
        try:
            return await double_knock(lambda scheme: self._post(url, body, signer, scheme), known)
        except (_aiohttp().ClientError, TimeoutError) as exc:
            raise FetchError(f"POST {url[:200]}: {exc.__class__.__name__} {exc}") from exc

    async def _post(
        self, url: str, body: bytes, signer: Signer, scheme: httpsig.Scheme
    ) -> Response:
        headers = {"Content-Type": "application/activity+json"}
        headers.update(signer.headers("POST", url, body, scheme))
        async with self._client().post(url, data=body, headers=headers) as answer:
            return Response(answer.status, await _read_capped(answer, 64 * 1024))

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

    async def push(
        self, url: str, body: bytes, headers: dict[str, str], timeout_seconds: float = 30.0
    ) -> Response:
        """A Web Push message to a push service (services/push.py): unsigned (its VAPID
        signature is in `headers`), no redirects (RFC 8030 has none), any status answered
        as is; `FetchError` when the service cannot be reached in time."""
        url = self.policy.check_url(url)
        try:
            async with self._client().post(
                url,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=_aiohttp().ClientTimeout(total=timeout_seconds, connect=5.0),
            ) as answer:
                return Response(answer.status, await _read_capped(answer, 64 * 1024))
        except (_aiohttp().ClientError, TimeoutError) as exc:
            raise FetchError(f"POST {url[:200]}: {exc.__class__.__name__} {exc}") from exc

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


async def _read_truncated(answer: aiohttp.ClientResponse, limit: int) -> bytes:
    """The first `limit` bytes of the body; the rest is left unread (the connection is
    dropped rather than drained)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in answer.content.iter_chunked(65536):
        chunks.append(chunk[: limit - size])
        size += len(chunks[-1])
        if size >= limit:
            answer.close()
            break
    return b"".join(chunks)


async def _read_capped(answer: aiohttp.ClientResponse, limit: int) -> bytes:
    declared = answer.content_length
    if declared is not None and declared > limit:
        raise TooLarge(f"response of {declared} bytes is over the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in answer.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"response is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)
