"""The outbound client's guards, against a real HTTP server on a loopback address: which
addresses it refuses (SSRF), and the limits on what it accepts (redirects, size, time,
content type); and how it signs GETs (RFC 9421, then draft-cavage, remembered per host)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bocage.activitypub.client import (
    MAX_DOCUMENT_BYTES,
    AddressPolicy,
    BlockedAddress,
    FederationClient,
    FetchError,
    Signer,
)
from tests.conftest import shared_secrets

HOST = "127.0.0.5"
AS_JSON = "application/activity+json"


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[str]]]:
    """A test server; the list records, per request, the signature scheme it carried."""
    seen: list[str] = []

    async def document(request: web.Request) -> web.Response:
        scheme = "rfc9421" if "Signature-Input" in request.headers else "cavage"
        seen.append(scheme if "Signature" in request.headers else "unsigned")
        if request.query.get("only") == "cavage" and scheme != "cavage":
            return web.Response(status=401)
        return web.Response(body=b'{"id": "x"}', content_type=AS_JSON)

    async def hop(request: web.Request) -> web.Response:
        left = int(request.match_info["left"])
        target = "/doc" if left == 0 else f"/hop/{left - 1}"
        raise web.HTTPFound(request.query.get("to", target))

    async def huge(_request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": AS_JSON})
        await response.prepare(_request)
        for _ in range(MAX_DOCUMENT_BYTES // 65536 + 2):
            await response.write(b" " * 65536)
        return response

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.Response(body=b"{}", content_type=AS_JSON)

    async def html(_request: web.Request) -> web.Response:
        return web.Response(body=b"<html></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/doc", document)
    app.router.add_get("/hop/{left}", hop)
    app.router.add_get("/huge", huge)
    app.router.add_get("/slow", slow)
    app.router.add_get("/html", html)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://{HOST}:{port}", seen
    await runner.cleanup()


@pytest.mark.parametrize(
    "url",
    [
        "http://203.0.113.7/actor",  # plain http, outside development mode
        "https://127.0.0.1/actor",
        "https://[::1]/actor",
        "https://10.0.0.8/actor",
        "https://192.168.1.1/actor",
        "https://169.254.169.254/latest/meta-data",  # the cloud metadata address
        "https://224.0.0.1/actor",
        "https://[fe80::1]/actor",
        "file:///etc/passwd",
    ],
)
async def test_forbidden_addresses_are_never_contacted(url: str) -> None:
    client = FederationClient(AddressPolicy(allow_loopback=False))
    try:
        with pytest.raises(BlockedAddress):
            await client.get_json(url)
    finally:
        await client.close()


async def test_a_name_that_resolves_to_loopback_is_refused(server: tuple[str, list[str]]) -> None:
    base, seen = server
    port = base.rsplit(":", 1)[1]
    client = FederationClient(AddressPolicy(allow_loopback=False))
    try:
        with pytest.raises(FetchError, match="must not contact"):
            await client.get_json(f"https://localhost:{port}/doc")
    finally:
        await client.close()
    assert seen == []


async def test_limits_on_redirects_size_time_and_type(server: tuple[str, list[str]]) -> None:
    base, _seen = server
    client = FederationClient(AddressPolicy(allow_loopback=True), timeout_seconds=1.0)
    try:
        assert await client.get_json(f"{base}/hop/2") == {"id": "x"}  # 3 redirects: fine
        with pytest.raises(FetchError, match="more than 3 redirects"):
            await client.get_json(f"{base}/hop/3")
        with pytest.raises(BlockedAddress):  # a redirect is checked like the first URL
            await client.get_json(f"{base}/hop/0?to=http://10.0.0.8/doc")
        with pytest.raises(FetchError, match="byte limit"):
            await client.get_json(f"{base}/huge")
        with pytest.raises(FetchError, match="TimeoutError"):
            await client.get_json(f"{base}/slow")
        with pytest.raises(FetchError, match="not ActivityStreams JSON"):
            await client.get_json(f"{base}/html")
    finally:
        await client.close()


async def test_gets_fall_back_to_cavage_once_per_host(server: tuple[str, list[str]]) -> None:
    base, seen = server
    signer = Signer("https://bocage.example/actor#main-key", shared_secrets().rsa.private_pem)
    client = FederationClient(AddressPolicy(allow_loopback=True))
    try:
        for _ in range(3):
            assert await client.get_json(f"{base}/doc?only=cavage", signer) == {"id": "x"}
    finally:
        await client.close()
    assert seen == ["rfc9421", "cavage", "cavage", "cavage"]


async def test_urls_from_other_servers_are_encoded_or_refused_before_being_signed(
    server: tuple[str, list[str]],
) -> None:
    """A key id or an inbox from another server may hold spaces, non-ASCII or a broken
    `[host]`. RFC 9421 signs an encoded URL only: signing such a URL crashed the request (a
    signed inbox POST whose keyId had a space was a 500). It is sent encoded, or refused."""
    base, _seen = server
    signer = Signer("https://bocage.example/actor#main-key", shared_secrets().rsa.private_pem)
    client = FederationClient(AddressPolicy(allow_loopback=True))
    try:
        with pytest.raises(FetchError, match="answered 404"):  # sent encoded, and answered
            await client.get_json(f"{base}/doc ument é", signer)
        for broken in ("http://[::1/actor", "http://127.0.0.5:99999/actor"):
            with pytest.raises(BlockedAddress, match="not a URL"):
                await client.get_json(broken, signer)
    finally:
        await client.close()
