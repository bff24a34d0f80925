"""LAN discovery over mDNS, for real, on the loopback interface only.

Linux delivers multicast sent out of `lo` (IP_MULTICAST_IF 127.0.0.1, IP_MULTICAST_LOOP on,
which zeroconf sets) to sockets that joined the group on 127.0.0.1, even though `lo` has no
MULTICAST flag. Every zeroconf here is given `interfaces=["127.0.0.1"]`, so nothing is sent
on the machine's real networks."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import random
import re
import socket
import time
from collections.abc import AsyncIterator, Callable

import pytest
from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from bocage.p2p import lan
from bocage.p2p.lan import SERVICE_TYPE, LanDiscovery, node_url, peer_url
from tests.addresses import loopback

pytestmark = pytest.mark.xdist_group("lan")

LOOPBACK = ["127.0.0.1"]
MDNS_GROUP = "224.0.0.251"


def loopback_multicast_works() -> bool:
    """One datagram to the mDNS group through `lo`, on a private port (not 5353)."""
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender,
    ):
        try:
            receiver.bind(("", 0))
            membership = socket.inet_aton(MDNS_GROUP) + socket.inet_aton("127.0.0.1")
            receiver.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
            receiver.settimeout(1)
            sender.setsockopt(
                socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1")
            )
            sender.sendto(b"bocage", (MDNS_GROUP, receiver.getsockname()[1]))
            return receiver.recv(16) == b"bocage"
        except OSError:
            return False


@pytest.fixture
def multicast() -> None:
    if not loopback_multicast_works() and os.environ.get("CI") != "true":
        pytest.skip("multicast on the loopback interface does not work on this machine")


def urls() -> tuple[int, str, str]:
    """A port and two node URLs of our own, so that another test run on this machine (whose
    announcements we hear too) cannot be mistaken for ours."""
    port = random.randrange(20000, 60000)
    return port, f"http://{loopback(0, 2)}:{port}", f"http://{loopback(0, 3)}:{port + 1}"


async def until(condition: Callable[[], bool], *, within: float = 5.0, what: str = "") -> None:
    """Poll `condition`: mDNS answers come when they come, usually within a second."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within}s: {what}")
        await asyncio.sleep(0.02)


def recorder(seen: list[str]) -> lan.OnPeer:
    async def on_peer(url: str) -> None:
        seen.append(url)

    return on_peer


class Observer:
    """A plain zeroconf browser on loopback: what another machine on the LAN would hear."""

    def __init__(self, zc: AsyncZeroconf) -> None:
        self.zc = zc
        self.events: list[tuple[str, ServiceStateChange]] = []
        self.browser = AsyncServiceBrowser(zc.zeroconf, SERVICE_TYPE, handlers=[self._on_change])

    def _on_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        self.events.append((name, state_change))

    def heard(self, name: str | None, change: ServiceStateChange) -> bool:
        return (name, change) in self.events

    async def announce(self, label: str, port: int, properties: dict[str, str]) -> None:
        """Announce a service, as some other program on the LAN would."""
        info = AsyncServiceInfo(
            SERVICE_TYPE,
            f"{label}.{SERVICE_TYPE}",
            port=port,
            properties=properties,
            server=f"{label}.local.",
            parsed_addresses=LOOPBACK,
        )
        # cooperating_responders skips the second of probing: the random label is ours alone.
        announcing = await self.zc.async_register_service(info, cooperating_responders=True)
        await announcing

    async def resolve(self, name: str) -> AsyncServiceInfo:
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        assert await info.async_request(self.zc.zeroconf, 3000)
        return info


@pytest.fixture
async def observer(multicast: None) -> AsyncIterator[Observer]:
    zc = AsyncZeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only)
    watching = Observer(zc)
    yield watching
    await watching.browser.async_cancel()
    await zc.async_close()  # also says goodbye for whatever it announced


@pytest.mark.usefixtures("multicast")
async def test_two_nodes_find_each_other_and_not_themselves() -> None:
    port, url_a, url_b = urls()
    seen_a: list[str] = []
    seen_b: list[str] = []
    a = LanDiscovery(url_a, port, recorder(seen_a), interfaces=LOOPBACK)
    b = LanDiscovery(url_b, port + 1, recorder(seen_b), interfaces=LOOPBACK)
    await asyncio.gather(a.start(), b.start())
    try:
        await until(
            lambda: url_b in seen_a and url_a in seen_b,
            what=f"each node hears the other (a heard {seen_a}, b heard {seen_b})",
        )
        assert url_a not in seen_a
        assert url_b not in seen_b
    finally:
        await asyncio.gather(a.stop(), b.stop())


async def test_announces_the_node_address_and_no_identity(observer: Observer) -> None:
    port, url, _ = urls()
    node = LanDiscovery(url, port, recorder([]), interfaces=LOOPBACK)
    await node.start()
    try:
        assert node.service_name is not None
        await until(
            lambda: observer.heard(node.service_name, ServiceStateChange.Added),
            what=f"a browser hears {node.service_name}",
        )
        info = await observer.resolve(node.service_name)
    finally:
        await node.stop()
    assert info.properties == {
        b"v": b"1",
        b"path": b"/.well-known/apgateway",
        b"url": url.encode(),
    }
    assert info.port == port
    assert info.parsed_addresses() == ["127.0.0.1"]
    # The instance and host names are random tokens, nothing a person chose.
    assert re.fullmatch(r"[0-9a-f]{12}\._bocage\._tcp\.local\.", info.name)
    assert info.server is not None
    assert re.fullmatch(r"bocage-[0-9a-f]{12}\.local\.", info.server)


async def test_stop_says_goodbye(observer: Observer) -> None:
    port, url, _ = urls()
    node = LanDiscovery(url, port, recorder([]), interfaces=LOOPBACK)
    await node.start()
    name = node.service_name
    try:
        await until(
            lambda: observer.heard(name, ServiceStateChange.Added), what=f"a browser hears {name}"
        )
    finally:
        await node.stop()
    assert node.service_name is None
    # Goodbye packets (TTL 0) make a browser drop the service about a second later,
    # instead of when its records would have expired (minutes).
    await until(lambda: observer.heard(name, ServiceStateChange.Removed), what=f"{name} is removed")


async def test_ignores_bad_urls_and_falls_back_to_the_address(observer: Observer) -> None:
    port, url, _ = urls()
    seen: list[str] = []
    node = LanDiscovery(url, port, recorder(seen), interfaces=LOOPBACK)
    await node.start()
    token = f"{random.getrandbits(48):012x}"
    try:
        # The bad one first, so that it has been dealt with when the good one is reported.
        await observer.announce(f"{token}-bad", port + 3, {"url": f"ftp://127.0.0.1:{port + 3}"})
        await observer.announce(f"{token}-bare", port + 2, {"v": "1"})
        fallback = f"http://127.0.0.1:{port + 2}"
        await until(lambda: fallback in seen, what=f"the fallback URL is reported ({seen})")
        # Only compare our own URLs: another test run on this machine is heard too.
        assert not [heard for heard in seen if heard.endswith(f":{port + 3}")]
    finally:
        await node.stop()


async def test_ignores_its_own_url_under_another_name(observer: Observer) -> None:
    # What a crashed earlier run of the same node leaves in the LAN's caches.
    port, url, other = urls()
    seen: list[str] = []
    node = LanDiscovery(url, port, recorder(seen), interfaces=LOOPBACK)
    await node.start()
    token = f"{random.getrandbits(48):012x}"
    try:
        await observer.announce(f"{token}-old", port, {"v": "1", "url": url})
        await observer.announce(f"{token}-peer", port + 1, {"v": "1", "url": other})
        await until(lambda: other in seen, what=f"the peer is reported ({seen})")
        assert url not in seen
    finally:
        await node.stop()


@pytest.mark.usefixtures("multicast")
async def test_a_failing_callback_does_not_stop_discovery() -> None:
    port, url_a, url_b = urls()
    calls: list[str] = []

    async def failing(url: str) -> None:
        calls.append(url)
        raise RuntimeError("database is locked")

    a = LanDiscovery(url_a, port, failing, interfaces=LOOPBACK)
    b = LanDiscovery(url_b, port + 1, recorder([]), interfaces=LOOPBACK)
    await asyncio.gather(a.start(), b.start())
    try:
        await until(lambda: url_b in calls, what="the callback is called")
    finally:
        await asyncio.gather(a.stop(), b.stop())


async def test_no_multicast_is_a_warning_not_an_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_multicast(**kwargs: object) -> AsyncZeroconf:
        raise OSError(errno.ENODEV, "No such device")

    monkeypatch.setattr(lan, "AsyncZeroconf", no_multicast)
    node = LanDiscovery("http://127.0.0.2:8000", 8000, recorder([]))
    with caplog.at_level(logging.WARNING, logger="bocage.p2p"):
        await node.start()
        await node.stop()
    assert "LAN discovery is off" in caplog.text
    assert node.service_name is None


async def test_interfaces_that_are_not_addresses_are_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    node = LanDiscovery("http://127.0.0.2:8000", 8000, recorder([]), interfaces=["eth-nope"])
    with caplog.at_level(logging.WARNING, logger="bocage.p2p"):
        await node.start()
        await node.stop()
    assert "LAN discovery is off" in caplog.text


@pytest.mark.usefixtures("multicast")
async def test_stop_without_start_and_twice() -> None:
    node = LanDiscovery("http://127.0.0.2:8000", 8000, recorder([]), interfaces=LOOPBACK)
    await node.stop()
    await node.start()
    await node.stop()
    await node.stop()


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({b"v": b"1", b"url": b"http://127.0.0.2:8001"}, "http://127.0.0.2:8001"),
        ({b"url": b"https://Node.Example:443/"}, "https://node.example:443"),
        ({b"v": b"1"}, "http://192.0.2.7:9000"),  # no url: the resolved address
        ({b"v": b"1", b"url": None}, "http://192.0.2.7:9000"),
        ({b"v": b"2", b"url": b"http://127.0.0.2:8001"}, None),  # unknown format
        ({b"url": b"ftp://127.0.0.2"}, None),
        ({b"url": b"javascript:alert(1)"}, None),
        ({b"url": b"http://"}, None),
        ({b"url": b"http://user:secret@127.0.0.2"}, None),
        ({b"url": b"http://127.0.0.2/some/path"}, None),
        ({b"url": b"http://127.0.0.2/?q=1"}, None),
        ({b"url": b"http://127.0.0.2:99999"}, None),
        ({b"url": b"http://127.0.0.2\nHost: x"}, None),
        ({b"url": b"http://\xff\xfe"}, None),
        ({b"url": b"alice@example.org"}, None),
    ],
)
def test_peer_url(properties: dict[bytes, bytes | None], expected: str | None) -> None:
    assert peer_url(properties, ["192.0.2.7"], 9000) == expected


def test_peer_url_needs_an_address_to_fall_back_on() -> None:
    assert peer_url({}, [], 9000) is None
    assert peer_url({}, ["192.0.2.7"], None) is None


def test_node_url_keeps_the_node_part() -> None:
    assert node_url("http://127.0.0.2:8000/") == "http://127.0.0.2:8000"
    assert node_url("HTTPS://[::1]:8443") == "https://[::1]:8443"
