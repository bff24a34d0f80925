"""LAN discovery: Bocage nodes on one local network find each other with DNS-SD over mDNS
(service type `_bocage._tcp.local.`), so a LAN keeps replicating when the internet is down.

A node announces its address and nothing else: a random instance name, and a TXT record with
the format version, the gateway path and the node's base URL. Never a user name or any account
identity: everyone on the LAN hears these announcements (ARCHITECTURE.md, "Discovery")."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import ifaddr  # zeroconf's own dependency, and where it gets its list of interfaces
from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

log = logging.getLogger("bocage.p2p")

SERVICE_TYPE = "_bocage._tcp.local."
GATEWAY_PATH = "/.well-known/apgateway"
TXT_VERSION = "1"
RESOLVE_TIMEOUT_MS = 3000  # a LAN peer answers in milliseconds; past this it is gone

OnPeer = Callable[[str], Awaitable[None]]


class LanDiscovery:
    """Announce this node on the LAN and call `on_peer(url)` for every other node heard.

    `interfaces` are the IPv4 addresses of the interfaces to use (e.g. `["192.168.1.20"]`);
    None means all of them. `on_peer` gets a node's base URL (`http://host:port`), may be
    called again for the same URL (after the peer changed or came back) and should be
    idempotent."""

    def __init__(
        self,
        base_url: str,
        port: int,
        on_peer: OnPeer,
        *,
        interfaces: list[str] | None = None,
        instance_name: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.port = port
        self._on_peer = on_peer
        self._interfaces = interfaces
        self._instance = instance_name or secrets.token_hex(6)
        # The SRV target host name is heard by the whole LAN too: random as well.
        self._host = f"bocage-{secrets.token_hex(6)}.local."
        self._zc: AsyncZeroconf | None = None
        self._info: AsyncServiceInfo | None = None
        self._announcing: asyncio.Future[object] | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._reported: dict[str, str] = {}  # service name -> URL on_peer last accepted

    @property
    def service_name(self) -> str | None:
        """The full service name announced, once started: zeroconf appends `-2` to the
        instance name if another service already holds it."""
        if self._info is None or self._announcing is None:
            return None
        return self._info.name

    async def start(self) -> None:
        """Announce and browse. Never raises for network trouble: a node must run without
        a LAN (no multicast, no interface), so that is logged and discovery stays off."""
        if self._zc is not None:
            return
        try:
            await self._start()
        except asyncio.CancelledError:
            await self.stop()  # release the sockets before giving up
            raise
        except Exception as exc:
            log.warning("LAN discovery is off: %s", str(exc) or type(exc).__name__)
            await self.stop()

    async def stop(self) -> None:
        """Withdraw the announcement, stop browsing and close the sockets. Never raises."""
        zc, self._zc = self._zc, None
        if zc is None:
            return
        try:
            await self._shutdown(zc)
        except Exception as exc:
            log.warning("LAN discovery did not stop cleanly: %s", str(exc) or type(exc).__name__)

    async def _start(self) -> None:
        interfaces = _ipv4_interfaces(self._interfaces)
        self._zc = AsyncZeroconf(
            interfaces=InterfaceChoice.All if interfaces is None else interfaces,
            ip_version=IPVersion.V4Only,  # the URL and the A records we announce are IPv4
        )
        self._info = self._service_info(interfaces)
        # A clash of random names is unlikely; should it happen, zeroconf renames us ("-2")
        # instead of failing. Awaiting this waits for the probes; announcing goes on after.
        registered = await self._zc.async_register_service(self._info, allow_name_change=True)
        self._announcing = asyncio.ensure_future(registered)
        self._browser = AsyncServiceBrowser(
            self._zc.zeroconf, SERVICE_TYPE, handlers=[self._on_change]
        )

    def _service_info(self, interfaces: list[str] | None) -> AsyncServiceInfo:
        return AsyncServiceInfo(
            SERVICE_TYPE,
            f"{self._instance}.{SERVICE_TYPE}",
            port=self.port,
            properties={"v": TXT_VERSION, "path": GATEWAY_PATH, "url": self.base_url},
            server=self._host,
            parsed_addresses=interfaces if interfaces is not None else _lan_ipv4_addresses(),
        )

    async def _shutdown(self, zc: AsyncZeroconf) -> None:
        try:
            if self._browser is not None:
                await self._browser.async_cancel()
            await self._cancel_tasks()
            if self._info is not None and self._announcing is not None:
                self._announcing.cancel()  # no announcement after the goodbyes
                # Goodbye packets: peers forget us now rather than when the records expire.
                goodbyes = await zc.async_unregister_service(self._info)
                await goodbyes
        finally:
            self._browser, self._announcing, self._info = None, None, None
            self._reported.clear()
            await zc.async_close()

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _on_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        # Called by the browser in the event loop: resolving takes round trips, so it
        # runs in a task of its own.
        if self._zc is None or self._is_self(name):
            return
        if state_change is ServiceStateChange.Removed:
            self._reported.pop(name, None)  # so that it is reported again if it comes back
            return
        task = asyncio.get_running_loop().create_task(self._resolve(zeroconf, service_type, name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _is_self(self, name: str) -> bool:
        # Our own announcements come back to us through the multicast loop.
        return self._info is not None and name.lower() == self._info.name.lower()

    async def _resolve(self, zeroconf: Zeroconf, service_type: str, name: str) -> None:
        info = AsyncServiceInfo(service_type, name)
        if not await info.async_request(zeroconf, RESOLVE_TIMEOUT_MS):
            log.debug("LAN: %s did not resolve", name)
            return
        url = peer_url(info.properties, info.parsed_addresses(IPVersion.V4Only), info.port)
        if url is None:
            log.debug("LAN: ignoring %s, no usable node URL in %r", name, info.properties)
            return
        # Our own URL under another name: what a previous run of this node left in caches.
        if url == node_url(self.base_url) or self._reported.get(name) == url:
            return
        await self._report(name, url)

    async def _report(self, name: str, url: str) -> None:
        try:
            await self._on_peer(url)
        except Exception:
            # One bad peer or a busy database must not stop discovery; it is retried
            # when the peer announces itself again.
            log.warning("LAN: could not record peer %s", url, exc_info=True)
            return
        self._reported[name] = url


def peer_url(
    properties: dict[bytes, bytes | None], addresses: list[str], port: int | None
) -> str | None:
    """The base URL a resolved `_bocage._tcp` service stands for, or None if it has none we
    accept. Anyone on the LAN can announce anything: this is a hint, checked like any URL."""
    version = properties.get(b"v")
    if version is not None and version != TXT_VERSION.encode():
        return None  # a later format, whose fields may not mean what we think
    raw = properties.get(b"url")
    if raw is None:
        # No URL announced: the address and port the service resolved to.
        return node_url(f"http://{addresses[0]}:{port}") if addresses and port else None
    try:
        return node_url(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def node_url(url: str) -> str | None:
    """`url` as `scheme://host[:port]` when it is the http(s) address of a whole node (no
    credentials, path, query or fragment), else None."""
    if not url.isprintable() or any(char.isspace() for char in url):
        return None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _ipv4_interfaces(interfaces: list[str] | None) -> list[str] | None:
    """The IPv4 addresses among `interfaces` (ValueError for anything not an IP address):
    IPv6 ones are left out, as everything announced is IPv4."""
    if interfaces is None:
        return None
    chosen = [address for address in interfaces if ipaddress.ip_address(address).version == 4]
    if not chosen:
        raise ValueError(f"no IPv4 address among the interfaces {interfaces!r}")
    return chosen


def _lan_ipv4_addresses() -> list[str]:
    """The IPv4 addresses zeroconf listens on with InterfaceChoice.All, loopback ones left
    out (a peer cannot reach our 127.0.0.1) unless there is nothing else."""
    found = {ip.ip for adapter in ifaddr.get_adapters() for ip in adapter.ips if ip.is_IPv4}
    lan = sorted(str(a) for a in found if not ipaddress.ip_address(str(a)).is_loopback)
    return lan or sorted(str(a) for a in found)
