"""/media/{key} as browsers, apps and players ask for files: a strong ETag from the key's
sha-256 (If-None-Match → 304), a year of `immutable` caching, byte ranges (206, 416), the type
from the key's extension and never from the bytes, `nosniff`, documents as downloads, HEAD,
and files larger than a read chunk streamed whole. Files are served the same whichever face
stored them (the node's one storage object)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator

import httpx
import pytest

from bocage.core.media.serving import READ_CHUNK
from bocage.federation.files import UNSATISFIABLE, Streamed, byte_range
from bocage.node import Node
from tests.services.conftest import client

IMMUTABLE = "public, max-age=31536000, immutable"
BIG = bytes(range(251)) * (3 * READ_CHUNK // 251 + 7)  # several chunks, not a multiple of one
HTML_IN_A_PNG = b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"


@pytest.fixture
def backend() -> str:
    return "sqlite"  # serving reads no database row


@pytest.fixture
async def anyone(web_node: Node) -> AsyncIterator[httpx.AsyncClient]:
    async with client(web_node) as http:
        yield http


async def test_an_image_is_served_with_its_type_etag_and_a_year_of_caching(
    web_node: Node, anyone: httpx.AsyncClient
) -> None:
    key = web_node.storage.put(HTML_IN_A_PNG, "png")
    answer = await anyone.get(f"/media/{key}")
    assert answer.status_code == 200
    assert answer.content == HTML_IN_A_PNG
    sha256 = key.rsplit("/", 1)[1].split(".")[0]
    assert answer.headers["etag"] == f'"{sha256}"'
    assert answer.headers["cache-control"] == IMMUTABLE
    assert answer.headers["content-type"] == "image/png"  # from the key, not the bytes
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["accept-ranges"] == "bytes"
    assert answer.headers["content-length"] == str(len(HTML_IN_A_PNG))
    assert "content-disposition" not in answer.headers


async def test_a_client_holding_the_file_gets_304(
    web_node: Node, anyone: httpx.AsyncClient
) -> None:
    key = web_node.storage.put(b"cached", "webp")
    etag = (await anyone.get(f"/media/{key}")).headers["etag"]
    for tag in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await anyone.get(f"/media/{key}", headers={"if-none-match": tag})
        assert again.status_code == 304, tag
        assert again.content == b""
        assert again.headers["etag"] == etag
    changed = await anyone.get(f"/media/{key}", headers={"if-none-match": '"other"'})
    assert changed.status_code == 200 and changed.content == b"cached"


async def test_ranges_get_206_with_their_bytes(web_node: Node, anyone: httpx.AsyncClient) -> None:
    key = web_node.storage.put(BIG, "mp4")
    size = len(BIG)
    for asked, (start, stop) in {
        "bytes=0-99": (0, 100),
        "bytes=100-": (100, size),
        "bytes=-500": (size - 500, size),
        f"bytes={size - 10}-{size + 1000}": (size - 10, size),
        f"bytes={READ_CHUNK - 3}-{2 * READ_CHUNK + 5}": (READ_CHUNK - 3, 2 * READ_CHUNK + 6),
        "bytes=0-9, 20-29": (0, 30),  # several ranges: the one span covering them
    }.items():
        answer = await anyone.get(f"/media/{key}", headers={"range": asked})
        assert answer.status_code == 206, asked
        assert answer.content == BIG[start:stop], asked
        assert answer.headers["content-range"] == f"bytes {start}-{stop - 1}/{size}"
        assert answer.headers["content-length"] == str(stop - start)
        assert answer.headers["content-type"] == "video/mp4"


async def test_a_range_past_the_end_is_416(web_node: Node, anyone: httpx.AsyncClient) -> None:
    key = web_node.storage.put(b"0123456789", "mp3")
    answer = await anyone.get(f"/media/{key}", headers={"range": "bytes=10-20"})
    assert answer.status_code == 416
    assert answer.headers["content-range"] == "bytes */10"


async def test_a_range_not_understood_or_for_other_bytes_gets_the_whole_file(
    web_node: Node, anyone: httpx.AsyncClient
) -> None:
    key = web_node.storage.put(b"0123456789", "ogg")
    for headers in (
        {"range": "pages=1-2"},
        {"range": "bytes=5-2"},
        {"range": "bytes=abc"},
        {"range": "bytes=0-3", "if-range": '"some-other-etag"'},
    ):
        answer = await anyone.get(f"/media/{key}", headers=headers)
        assert answer.status_code == 200, headers
        assert answer.content == b"0123456789"
    etag = answer.headers["etag"]
    same = await anyone.get(f"/media/{key}", headers={"range": "bytes=0-3", "if-range": etag})
    assert same.status_code == 206 and same.content == b"0123"


async def test_a_large_file_is_streamed_whole(web_node: Node, anyone: httpx.AsyncClient) -> None:
    key = web_node.storage.put(BIG, "webm")
    answer = await anyone.get(f"/media/{key}")
    assert answer.status_code == 200
    assert answer.content == BIG


async def test_head_says_everything_but_the_bytes(
    web_node: Node, anyone: httpx.AsyncClient
) -> None:
    key = web_node.storage.put(BIG, "jpg")
    answer = await anyone.head(f"/media/{key}")
    assert answer.status_code == 200
    assert answer.content == b""
    assert answer.headers["content-length"] == str(len(BIG))
    assert answer.headers["content-type"] == "image/jpeg"
    ranged = await anyone.head(f"/media/{key}", headers={"range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.headers["content-length"] == "10"


async def test_documents_are_downloads(web_node: Node, anyone: httpx.AsyncClient) -> None:
    for extension, content_type in (
        ("pdf", "application/pdf"),
        ("epub", "application/epub+zip"),
        ("zip", "application/zip"),
        ("exe", "application/octet-stream"),  # not in the table: bytes to save
    ):
        key = web_node.storage.put(b"<html>not shown here</html>", extension)
        answer = await anyone.get(f"/media/{key}")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == content_type
        file_name = key.rsplit("/", 1)[1]
        assert answer.headers["content-disposition"] == f'attachment; filename="{file_name}"'


async def test_audio_and_video_play_in_place(web_node: Node, anyone: httpx.AsyncClient) -> None:
    for extension, content_type in (("mp3", "audio/mpeg"), ("flac", "audio/flac")):
        key = web_node.storage.put(b"sound", extension)
        answer = await anyone.get(f"/media/{key}")
        assert answer.headers["content-type"] == content_type
        assert "content-disposition" not in answer.headers


async def test_unknown_and_malformed_keys_are_404(anyone: httpx.AsyncClient) -> None:
    for key in ("00/00/" + "0" * 64 + ".png", "../../etc/passwd", "x.png", "ab/cd"):
        answer = await anyone.get(f"/media/{key}")
        assert answer.status_code == 404, key


async def test_a_file_removed_from_the_store_is_404(
    web_node: Node, anyone: httpx.AsyncClient
) -> None:
    key = web_node.storage.put(b"evicted", "png")
    assert web_node.storage.delete(key)
    assert (await anyone.get(f"/media/{key}")).status_code == 404


def test_byte_ranges_as_rfc_9110_reads_them() -> None:
    assert byte_range("bytes=0-0", 10) == (0, 1)
    assert byte_range("bytes=9-", 10) == (9, 10)
    assert byte_range("bytes=-20", 10) == (0, 10)
    assert byte_range("BYTES = 2-3", 10) == (2, 4)
    assert byte_range("bytes=10-", 10) == UNSATISFIABLE
    assert byte_range("bytes=-0", 10) == UNSATISFIABLE
    assert byte_range("bytes=0-", 0) == UNSATISFIABLE
    assert byte_range("bytes=20-30, 2-3", 10) == (2, 4)  # the satisfiable one
    assert byte_range("bytes=", 10) is None
    assert byte_range("bytes=-", 10) is None
    assert byte_range("bytes=1-2,x", 10) is None
    assert byte_range("items=0-1", 10) is None


async def test_a_client_gone_mid_file_stops_the_reading() -> None:
    """uvicorn drops what is sent to a client that left: the body stops at the disconnect,
    and the file's reader is closed."""
    read, closed = [], []

    async def chunks() -> AsyncGenerator[bytes, None]:
        try:
            for n in range(1000):
                read.append(n)
                await asyncio.sleep(0)
                yield b"x" * READ_CHUNK
        finally:
            closed.append(True)

    async def receive() -> dict[str, str]:
        return {"type": "http.disconnect"}

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    size = str(1000 * READ_CHUNK)
    response = Streamed(chunks(), 200, {"content-length": size})
    await response({"type": "http"}, receive, send)  # type: ignore[arg-type]
    assert len(read) < 5 and closed == [True]
    assert not any(message.get("more_body") is False for message in sent)
