"""Other servers' media become real attachments, cached here: a real node (block 12 of the
loopback addresses) receives posts from an outside server that serves images, and a Mastodon
client (Mastodon.py) sees attachments whose `url` is this node's copy, `remote_url` the
origin, with a blurhash, the bytes the author's server sent. What must be refused is: a file
whose bytes are not those its `digestMultibase` names, an endless body, SVG. A tiny cache
budget evicts, and an evicted file is fetched again when asked for. Remote avatars and
headers are cached and shown the same way."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import random
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import base58
import httpx
import pytest
from aiohttp import web
from mastodon import Mastodon
from PIL import Image

from tests.addresses import loopback
from tests.federation.helpers import eventually, start_node
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.outsider import Outsider, actor_document
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("federation/test_remote_media")]

HOST = loopback(12, 1)
OUTSIDER_HOST = loopback(12, 10)
BUDGET = 400_000  # bytes of remote media the node caches (tiny: eviction is tested)
PIXELFED = Path(__file__).parents[1] / "data" / "payloads" / "pixelfed" / "note_image.json"


def jpeg(seed: int, size: tuple[int, int] = (240, 180)) -> bytes:
    """A photo-like JPEG of its own (noise: it compresses badly, ~30-60 KB)."""
    noise = random.Random(seed).randbytes(size[0] * size[1] * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", size, noise).save(out, "JPEG", quality=90)
    return out.getvalue()


def png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (seed % 256, 80, 160)).save(out, "PNG")
    return out.getvalue()


def multibase(data: bytes) -> str:
    return "z" + base58.b58encode(b"\x12\x20" + hashlib.sha256(data).digest()).decode()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    root = tmp_path_factory.mktemp("remote-media")
    env = {"BOCAGE_MEDIA_CACHE_BYTES": str(BUDGET), "BOCAGE_LAN_DISCOVERY": "0"}
    started = start_node(root, HOST, ["alice"], env)
    try:
        yield started
    finally:
        started.stop()


class Origin:
    """The outside server's files: `files[path] = (bytes, Content-Type)`, `/endless` a body
    that never ends."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}

    async def file(self, request: web.Request) -> web.StreamResponse:
        found = self.files.get(request.path)
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found[0], content_type=found[1])

    async def endless(self, request: web.Request) -> web.StreamResponse:
        answer = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
        await answer.prepare(request)
        chunk = b"\xff\xd8\xff\xe0" + bytes(65532)
        try:
            while True:
                await answer.write(chunk)
        except (ConnectionError, RuntimeError):  # the node hung up: cut off
            return answer


@pytest.fixture
async def origin() -> AsyncIterator[tuple[Outsider, Origin]]:
    files = Origin()
    server = Outsider(
        OUTSIDER_HOST,
        ("pix",),
        routes=[("GET", "/media/endless", files.endless), ("GET", "/media/{name}", files.file)],
    )
    await server.start()
    avatar, header = png(1), png(2)
    files.files.update({"/media/avatar.png": (avatar, "image/png"),
                        "/media/header.png": (header, "image/png")})  # fmt: skip
    server.documents["/users/pix"] = actor_document(
        server.actor("pix"),
        icon={"type": "Image", "mediaType": "image/png", "url": f"{server.url}/media/avatar.png"},
        image={"type": "Image", "mediaType": "image/png", "url": f"{server.url}/media/header.png"},
    )
    yield server, files
    await server.close()


def pixelfed_note(server: Outsider, number: int, images: list[dict[str, Any]]) -> dict[str, Any]:
    """The captured Pixelfed Note, as if `pix` had posted it on the outside server."""
    note = json.loads(PIXELFED.read_text())
    actor = server.actor("pix")
    note.update(
        id=f"{server.url}/p/pix/{number}",
        url=f"{server.url}/p/pix/{number}",
        attributedTo=actor,
        cc=[f"{actor}/followers"],
        published="2024-03-01T10:00:00+00:00",
        attachment=images,
        tag=[],
    )
    return note


def image(server: Outsider, path: str, **extra: Any) -> dict[str, Any]:
    """An attachment as Pixelfed writes it (Image, mediaType, url, name null)."""
    return {"type": "Image", "mediaType": "image/jpeg", "url": server.url + path, "name": None,
            **extra}  # fmt: skip


async def deliver(server: Outsider, node: NodeProcess, note: dict[str, Any]) -> None:
    status, text = await server.send(
        "POST", f"{node.url}/users/alice/inbox", server.key_id("pix"), server.create(note)
    )
    assert status == 202, text


def client(node: NodeProcess) -> Mastodon:
    return logged_in(node, "alice", ["read"])


async def status_of(api: Mastodon, node: NodeProcess, server: Outsider, uri: str) -> Any:
    """The status `uri` as the API shows it, once it is here."""

    async def find() -> Any:
        try:
            account = await asyncio.to_thread(api.account_lookup, server.handle("pix"))
        except Exception:
            return None
        statuses = await asyncio.to_thread(api.account_statuses, account.id, limit=40)
        return next((s for s in statuses if s.uri == uri), None)

    return await eventually(find, what=f"{uri} on {node.url}")


async def attachments_cached(api: Mastodon, status_id: Any, count: int) -> list[Any]:
    """Its attachments, once each has its blurhash (set when its file is cached)."""

    async def cached() -> list[Any] | None:
        shown = await asyncio.to_thread(api.status, status_id)
        media = shown.media_attachments
        return media if len(media) == count and all(m.blurhash for m in media) else None

    return await eventually(cached, what="the attachments cached")


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=60.0) as http:
        return await http.get(url)


async def test_a_pixelfed_album_becomes_four_cached_attachments(
    node: NodeProcess, origin: tuple[Outsider, Origin]
) -> None:
    server, files = origin
    photos = [jpeg(seed) for seed in range(4)]
    for number, data in enumerate(photos):
        files.files[f"/media/album-{number}.jpg"] = (data, "image/jpeg")
    described = [image(server, f"/media/album-{n}.jpg") for n in range(4)]
    described[0]["name"] = "a red car by the sea"
    described[1]["digestMultibase"] = multibase(photos[1])  # the right one: accepted
    note = pixelfed_note(server, 1, described)
    api = await asyncio.to_thread(client, node)

    started = time.monotonic()
    await deliver(server, node, note)
    status = await status_of(api, node, server, note["id"])
    media = await attachments_cached(api, status.id, 4)
    elapsed = time.monotonic() - started
    print(f"\ninbound post with 4 remote images applied and cached: {elapsed:.2f} s")

    assert "album-" not in status.content  # attachments, not links in the text
    assert media[0].description == "a red car by the sea"
    for number, medium in enumerate(media):
        assert medium.type == "image"
        assert medium.remote_url == f"{server.url}/media/album-{number}.jpg"
        assert medium.url == f"{node.url}/media/remote/{medium.id}"
        assert medium.preview_url == f"{node.url}/media/remote/{medium.id}/preview"
        assert medium.meta.original.width == 240 and medium.meta.original.height == 180
        served = await get(medium.url)
        assert served.status_code == 200 and served.content == photos[number]
        preview = await get(medium.preview_url)
        assert preview.status_code == 200 and preview.content[8:12] == b"WEBP"
    # Fetched once each: the proxy served the cached copies.
    for number in range(4):
        assert len(server.requests("GET", f"/media/album-{number}.jpg")) == 1


async def test_tampered_endless_and_svg_files_are_refused(
    node: NodeProcess, origin: tuple[Outsider, Origin]
) -> None:
    server, files = origin
    honest, other = jpeg(10), jpeg(11)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    files.files["/media/tampered.jpg"] = (other, "image/jpeg")
    files.files["/media/drawing.png"] = (svg, "image/png")
    described = [
        image(server, "/media/tampered.jpg", digestMultibase=multibase(honest)),
        image(server, "/media/endless"),
        image(server, "/media/drawing.png", mediaType="image/png"),
    ]
    note = pixelfed_note(server, 2, described)
    api = await asyncio.to_thread(client, node)
    await deliver(server, node, note)
    status = await status_of(api, node, server, note["id"])
    for path in ("/media/tampered.jpg", "/media/endless", "/media/drawing.png"):
        await eventually(lambda p=path: _asked(server, p), what=f"{path} fetched", within=60)

    started = time.monotonic()
    for medium in status.media_attachments:
        answer = await get(medium.url)
        assert answer.status_code == 404, medium.remote_url
    assert time.monotonic() - started < 30  # the endless body is cut, not waited on
    shown = await asyncio.to_thread(api.status, status.id)
    assert [m.blurhash for m in shown.media_attachments] == [None, None, None]
    assert (await get(f"{node.url}/api/v1/instance")).status_code == 200  # still up


async def _asked(server: Outsider, path: str) -> bool:
    return bool(server.requests("GET", path))


async def test_a_tiny_budget_evicts_and_an_evicted_file_is_fetched_again(
    node: NodeProcess, origin: tuple[Outsider, Origin]
) -> None:
    server, files = origin
    api = await asyncio.to_thread(client, node)
    statuses = []
    photos: dict[str, bytes] = {}
    for post in range(3):  # 3 posts of 4 large photos: far over the 400 KB budget
        described = []
        for n in range(4):
            path = f"/media/big-{post}-{n}.jpg"
            photos[path] = jpeg(100 + 10 * post + n, (360, 270))
            files.files[path] = (photos[path], "image/jpeg")
            described.append(image(server, path))
        note = pixelfed_note(server, 10 + post, described)
        await deliver(server, node, note)
        found = await status_of(api, node, server, note["id"])
        statuses.append(found)
        await attachments_cached(api, found.id, 4)
    assert sum(len(data) for data in photos.values()) > 2 * BUDGET
    for found in statuses:
        for medium in found.media_attachments:
            served = await get(medium.url)
            assert served.status_code == 200
            assert served.content == photos[medium.remote_url.removeprefix(server.url)]
    refetched = [p for p in photos if len(server.requests("GET", p)) > 1]
    assert refetched, "no evicted file was fetched again"


async def test_a_remote_avatar_and_header_are_cached_and_shown(
    node: NodeProcess, origin: tuple[Outsider, Origin]
) -> None:
    server, files = origin
    note = pixelfed_note(server, 30, [])
    api = await asyncio.to_thread(client, node)
    await deliver(server, node, note)
    await status_of(api, node, server, note["id"])
    account = await asyncio.to_thread(api.account_lookup, server.handle("pix"))
    assert account.avatar.startswith(f"{node.url}/media/remote/")
    assert account.avatar_static == account.avatar
    assert account.header.startswith(f"{node.url}/media/remote/")
    assert (await get(account.avatar)).content == files.files["/media/avatar.png"][0]
    assert (await get(account.header)).content == files.files["/media/header.png"][0]
    async with httpx.AsyncClient(base_url=node.url) as http:
        page = await http.get(f"/@{server.handle('pix')}")
    assert account.avatar.removeprefix(node.url) in page.text
