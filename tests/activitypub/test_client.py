"""The outbound client's guards, against a real HTTP server on a loopback address: which
addresses it refuses (SSRF), and the limits on what it accepts (redirects, size, time,
content type); and how it signs GETs and deliveries (a double knock: RFC 9421, then
draft-cavage on any answer that is not a success, the scheme that worked remembered)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bocage.federation.client import (
    MAX_DOCUMENT_BYTES,
    AddressPolicy,
    BlockedAddress,
    FederationClient,
    FetchError,
    Signer,
)
from tests.addresses import loopback
from tests.conftest import shared_secrets

HOST = loopback(0, 5)
AS_JSON = "application/activity+json"


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[str]]]:
    """A test server; the list records, per request, the signature scheme it carried."""
    seen: list[str] = []

    async def document(request: web.Request) -> web.Response:
        """`?only=cavage`: 401 to RFC 9421; `?rfc9421=500&cavage=401`: the status each
        scheme gets (200 when not given). Inboxes (POST) answer 202 instead of 200."""
        scheme = "rfc9421" if "Signature-Input" in request.headers else "cavage"
        seen.append(scheme if "Signature" in request.headers else "unsigned")
        if request.query.get("only") == "cavage" and scheme != "cavage":
            return web.Response(status=401)
        ok = 202 if request.method == "POST" else 200
        status = int(request.query.get(scheme, ok))
        if status != ok:
            return web.json_response({"error": f"{scheme} answered {status}"}, status=status)
        return web.Response(body=b'{"id": "x"}', content_type=AS_JSON, status=ok)

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
    app.router.add_post("/inbox", document)
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


def signer() -> Signer:
    return Signer("https://bocage.example/actor#main-key", shared_secrets().rsa.private_pem)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422, 500, 501, 502, 503])
async def test_any_refusal_of_rfc9421_is_asked_again_with_cavage(
    server: tuple[str, list[str]], status: int
) -> None:
    """A server that answers anything but a success to RFC 9421 (a 500 from one that crashes
    on it included) is asked again with draft-cavage, and then only with draft-cavage."""
    base, seen = server
    client = FederationClient(AddressPolicy(allow_loopback=True))
    try:
        for _ in range(2):
            assert await client.get_json(f"{base}/doc?rfc9421={status}", signer()) == {"id": "x"}
    finally:
        await client.close()
    assert seen == ["rfc9421", "cavage", "cavage"]


async def test_a_scheme_is_remembered_only_once_it_worked(server: tuple[str, list[str]]) -> None:
    """Refused both ways: nothing is remembered, so the next request knocks twice again. The
    answer that stands is a transient one (the server may recover) over a final one."""
    base, seen = server
    host = base.removeprefix("http://")
    client = FederationClient(AddressPolicy(allow_loopback=True))
    try:
        with pytest.raises(FetchError) as refused:
            await client.get_json(f"{base}/doc?rfc9421=401&cavage=401", signer())
        assert refused.value.status == 401 and client.get_schemes == {}
        with pytest.raises(FetchError) as crashed:
            await client.get_json(f"{base}/doc?rfc9421=503&cavage=401", signer())
        assert crashed.value.status == 503 and client.get_schemes == {}
        with pytest.raises(FetchError) as crashed:
            await client.get_json(f"{base}/doc?rfc9421=401&cavage=500", signer())
        assert crashed.value.status == 500 and client.get_schemes == {}
        assert seen == ["rfc9421", "cavage"] * 3
        assert await client.get_json(f"{base}/doc", signer()) == {"id": "x"}
        assert client.get_schemes == {host: "rfc9421"}
        # A host known for one scheme that now refuses it is asked with the other, which
        # becomes the one remembered.
        seen.clear()
        assert await client.get_json(f"{base}/doc?rfc9421=500", signer()) == {"id": "x"}
        assert client.get_schemes == {host: "cavage"} and seen == ["rfc9421", "cavage"]
        seen.clear()
        assert await client.get_json(f"{base}/doc?cavage=403", signer()) == {"id": "x"}
        assert client.get_schemes == {host: "rfc9421"} and seen == ["cavage", "rfc9421"]
    finally:
        await client.close()


async def test_deliveries_double_knock_too(server: tuple[str, list[str]]) -> None:
    base, seen = server
    client = FederationClient(AddressPolicy(allow_loopback=True))
    try:
        crashed = await client.post(f"{base}/inbox?rfc9421=500", b"{}", signer())
        assert (crashed.response.status, crashed.scheme) == (202, "cavage")
        known = await client.post(f"{base}/inbox?rfc9421=500", b"{}", signer(), "cavage")
        assert (known.response.status, known.scheme) == (202, "cavage")
        down = await client.post(f"{base}/inbox?rfc9421=400&cavage=503", b"{}", signer())
        assert (down.response.status, down.scheme) == (503, "cavage")
    finally:
        await client.close()
    assert seen == ["rfc9421", "cavage", "cavage", "rfc9421", "cavage"]


async def test_urls_from_other_servers_are_encoded_or_refused_before_being_signed(
    server: tuple[str, list[str]],
) -> None:
    """A key id or an inbox from another server may hold spaces, non-ASCII or a broken
    `[host]`. RFC 9421 signs an encoded URL only: signing such a URL crashed the request (a
    signed inbox POST whose keyId had a space was a 500). It is sent encoded, or refused."""
    base, _seen = server
    client = FederationClient(AddressPolicy(allow_loopback=True))
    try:
        with pytest.raises(FetchError, match="answered 404"):  # sent encoded, and answered
            await client.get_json(f"{base}/doc ument é", signer())
        for broken in ("http://[::1/actor", f"http://{HOST}:99999/actor"):
            with pytest.raises(BlockedAddress, match="not a URL"):
                await client.get_json(broken, signer())
    finally:
        await client.close()
