"""The outbound guard's judgement of addresses (`AddressPolicy`, which both the resolver and
the check of IP literals use): an IPv6 address that carries an IPv4 address (NAT64,
IPv4-mapped, -translated or -compatible, 6to4, Teredo) is judged by that IPv4 address,
because that is where its packets end up. So a private, loopback or link-local IPv4 address
cannot be reached by writing it as IPv6, and a public one still can."""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bocage.federation.client import AddressPolicy, BlockedAddress, FederationClient

GUARD = AddressPolicy(allow_loopback=False)
DEVELOPMENT = AddressPolicy(allow_loopback=True)

FORBIDDEN_V4 = [
    IPv4Network(network)
    for network in (
        "0.0.0.0/8",  # this network
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, the cloud metadata address
        "172.16.0.0/12",
        "192.0.0.0/29",  # IETF protocol assignments
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",
    )
]
forbidden_v4 = st.sampled_from(FORBIDDEN_V4).flatmap(lambda net: st.ip_addresses(network=net))
public_v4 = st.ip_addresses(v=4).filter(lambda ip: ip.is_global and not ip.is_multicast)
bits = st.integers


def embeddings(v4: IPv4Address, data: st.DataObject) -> dict[str, IPv6Address]:
    """Every IPv6 spelling of `v4` the guard must see through (free bits drawn at random)."""
    n = int(v4)
    other = int(data.draw(public_v4, label="Teredo's other end"))
    port = data.draw(bits(0, 0xFFFF), label="Teredo port")
    subnet = data.draw(bits(0, 0xFFFF), label="local-use NAT64 subnet")
    tail = data.draw(bits(0, 2**80 - 1), label="6to4 subnet and interface")
    teredo = 0x20010000 << 96  # 2001:0::/32, then server, flags, port, client (RFC 4380)
    return {
        "IPv4-mapped": IPv6Address(0xFFFF << 32 | n),
        "IPv4-translated": IPv6Address(0xFFFF << 48 | n),
        "IPv4-compatible": IPv6Address(n),
        "NAT64 well-known": IPv6Address(int(IPv6Address("64:ff9b::")) | n),
        "NAT64 local-use /96": IPv6Address(int(IPv6Address("64:ff9b:1::")) | subnet << 32 | n),
        "6to4": IPv6Address(0x2002 << 112 | n << 80 | tail),
        "Teredo server": IPv6Address(teredo | n << 64 | port << 32 | other ^ 0xFFFFFFFF),
        "Teredo client": IPv6Address(teredo | other << 64 | port << 32 | n ^ 0xFFFFFFFF),
    }


@given(forbidden_v4, st.data())
def test_every_ipv6_spelling_of_a_forbidden_ipv4_address_is_refused(
    v4: IPv4Address, data: st.DataObject
) -> None:
    assert not GUARD.allows(str(v4))
    for kind, spelled in embeddings(v4, data).items():
        assert not GUARD.allows(str(spelled)), f"{kind} {spelled} leads to {v4}"
        if not v4.is_loopback or kind == "IPv4-mapped":
            continue
        # Development mode allows this machine's loopback, never a gateway's.
        assert not DEVELOPMENT.allows(str(spelled)), f"{kind} {spelled} leads to {v4}"


@given(public_v4, st.data())
def test_a_public_ipv4_address_stays_reachable_through_nat64_mapping_and_6to4(
    v4: IPv4Address, data: st.DataObject
) -> None:
    spelled = embeddings(v4, data)
    for kind in ("IPv4-mapped", "NAT64 well-known", "6to4"):
        assert GUARD.allows(str(spelled[kind])), f"{kind} {spelled[kind]} leads to {v4}"


@given(st.integers(0, 2**80 - 1), st.sampled_from([48, 56, 64, 96]))
def test_a_local_use_nat64_prefix_is_refused_whatever_it_embeds(tail: int, length: int) -> None:
    """Where the IPv4 address sits under 64:ff9b:1::/48 is the network operator's choice
    (RFC 6052, /48 to /96), so it cannot be read from the address: always refused."""
    address = IPv6Address(int(IPv6Address("64:ff9b:1::")) | tail)
    assert not GUARD.allows(str(address)) and not DEVELOPMENT.allows(str(address))


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # the metadata address via NAT64
        "https://[64:ff9b::a00:1]/actor",
        "https://[::ffff:0:c0a8:101]/actor",
        "https://[2002:a00:1::1]/actor",
        "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/actor",  # Teredo client 10.0.0.1
        "https://[::7f00:1]/actor",
    ],
)
async def test_such_literals_are_never_contacted(url: str) -> None:
    client = FederationClient(GUARD)
    try:
        with pytest.raises(BlockedAddress, match="refusing to contact"):
            await client.get_json(url)
    finally:
        await client.close()


def test_ordinary_addresses_keep_their_verdicts() -> None:
    assert GUARD.allows("2a00:1450:4007:80e::200e") and GUARD.allows("9.9.9.9")
    for address in ("::1", "::", "fe80::1%eth0", "fc00::1", "ff02::1", "127.0.0.1"):
        assert not GUARD.allows(address), address
    assert DEVELOPMENT.allows("::1") and DEVELOPMENT.allows("127.0.5.9")
    assert DEVELOPMENT.allows(str(ipaddress.IPv6Address("::ffff:127.0.5.9")))
