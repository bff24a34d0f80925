"""An album outlives its author's node (issue 18), with two real nodes (block 15 of the
loopback addresses): Alice on node A uploads ten photos through Mastodon.py, each with alt
text and a camera's EXIF with GPS coordinates, and posts them as one public status. Bob on
node B, who follows her, sees that status through Mastodon.py with ten image attachments,
each with a blurhash, its alt text and size, `url` on node B and `remote_url` on node A.
Alice's node is stopped: Bob's node still serves every image and preview, the originals
byte for byte what node A served. No served file, on either node, original or preview,
carries the GPS coordinates, and no original was recompressed (its pixels are the
uploaded JPEG's)."""

from __future__ import annotations

import asyncio
import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon
from PIL import Image

from tests.addresses import loopback
from tests.federation.helpers import api_follow, eventually, prepare_node
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess, running

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("federation/test_album")]

HOSTS = (loopback(15, 1), loopback(15, 2))
PHOTOS = 10
GPS_IFD = 0x8825
CAMERA = "BocageCam X100"  # the Make tag: a camera's own words, found in no stripped file
DATUM = "WGS-84"  # GPSMapDatum: a GPS tag's bytes, found in no stripped file
# Where each photo was taken, as a camera writes it: degrees, minutes, seconds.
GPS = {1: "N", 2: (48.0, 51.0, 29.6), 3: "E", 4: (2.0, 17.0, 40.2), 0x12: DATUM}


def photo(seed: int, size: tuple[int, int]) -> bytes:
    """A smooth photo-like JPEG of its own (random colours, enlarged), with a camera's EXIF:
    its make and model, and a GPS IFD with latitude and longitude."""
    rng = random.Random(seed)
    small = Image.frombytes("RGB", (16, 12), rng.randbytes(16 * 12 * 3))
    picture = small.resize(size, Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x0110] = f"album photo {seed}"  # Model
    exif[GPS_IFD] = dict(GPS)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


def sizes() -> list[tuple[int, int]]:
    """Each photo's own size, landscape and portrait, larger than a preview (640 px)."""
    return [(960 + 16 * n, 720) if n % 2 == 0 else (720, 960 + 16 * n) for n in range(PHOTOS)]


def gps_of(data: bytes) -> dict[int, Any]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))


def assert_no_gps(data: bytes, what: str) -> None:
    """No GPS in the file, read by Pillow (the parsed EXIF and its raw block) and as bytes."""
    assert CAMERA.encode() not in data, f"{what}: the camera's EXIF is still there"
    assert DATUM.encode() not in data, f"{what}: a GPS tag is still there"
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        exif = image.getexif()
        assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD), f"{what}: GPS {dict(exif)}"
        raw = image.info.get("exif")
        if raw:
            parsed = Image.Exif()
            parsed.load(raw)
            assert GPS_IFD not in parsed and not parsed.get_ifd(GPS_IFD), f"{what}: raw GPS"


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data)) as image:
        return image.mode, image.size, image.tobytes()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NodeProcess, ...]]:
    root: Path = tmp_path_factory.mktemp("album")
    env = {"BOCAGE_LAN_DISCOVERY": "0"}
    made = (
        prepare_node(root, HOSTS[0], ["alice"], env),
        prepare_node(root, HOSTS[1], ["bob"], env),
    )
    with running(*made) as started:
        yield started


async def get(http: httpx.AsyncClient, url: str, what: str) -> bytes:
    answer = await http.get(url)
    assert answer.status_code == 200, f"{what}: {url} answered {answer.status_code}"
    return answer.content


async def album_on_home(bob: Mastodon, uri: str) -> Any:
    """The status `uri` on Bob's home, once each of its ten attachments has its blurhash
    (the sender's, or ours once cached: the bytes are checked after, by fetching them)."""

    async def shown() -> Any:
        home = await asyncio.to_thread(bob.timeline_home, limit=40)
        status = next((s for s in home if s.uri == uri), None)
        if status is None:
            return None
        media = status.media_attachments
        return status if len(media) == PHOTOS and all(m.blurhash for m in media) else None

    return await eventually(shown, within=40, what=f"{uri} with {PHOTOS} cached attachments")


async def test_an_album_of_ten_outlives_its_authors_node(nodes: tuple[NodeProcess, ...]) -> None:
    node_a, node_b = nodes
    alice = await asyncio.to_thread(logged_in, node_a, "alice", ["read", "write"])
    bob = await asyncio.to_thread(logged_in, node_b, "bob", ["read", "write", "follow"])
    await api_follow(bob, f"alice@{node_a.host}:{node_a.port}")

    photos = [photo(n, size) for n, size in enumerate(sizes())]
    alts = [f"Photo {n + 1} of the walk along the hedge, in the evening" for n in range(PHOTOS)]
    assert all(gps_of(data) == GPS for data in photos)  # what is uploaded carries GPS
    uploaded = []
    for data, alt in zip(photos, alts, strict=True):
        medium = await asyncio.to_thread(
            alice.media_post, data, mime_type="image/jpeg", description=alt
        )
        uploaded.append(medium)
    posted = await asyncio.to_thread(
        alice.status_post,
        "An evening walk, ten photos",
        media_ids=[m.id for m in uploaded],
        visibility="public",
    )
    on_a = posted.media_attachments
    assert [m.id for m in on_a] == [m.id for m in uploaded]

    status = await album_on_home(bob, posted.uri)
    on_b = status.media_attachments
    assert len(on_b) == PHOTOS
    assert [m.remote_url for m in on_b] == [m.url for m in on_a]
    for n, (medium, size) in enumerate(zip(on_b, sizes(), strict=True)):
        assert medium.type == "image", n
        assert medium.blurhash, n
        assert medium.description == alts[n]
        original = medium.meta.original
        assert (original.width, original.height) == size, n
        assert medium.url.startswith(f"{node_b.url}/media/"), medium.url
        assert medium.preview_url.startswith(f"{node_b.url}/media/"), medium.preview_url
        assert medium.remote_url.startswith(f"{node_a.url}/media/"), medium.remote_url

    # What Alice's node serves, while it is up: the originals and their previews.
    served_a: list[bytes] = []
    async with httpx.AsyncClient(timeout=30.0) as http:
        for n, medium in enumerate(on_a):
            original = await get(http, medium.url, f"photo {n} on A")
            preview = await get(http, medium.preview_url, f"photo {n}'s preview on A")
            assert_no_gps(original, f"photo {n} on A")
            assert_no_gps(preview, f"photo {n}'s preview on A")
            assert pixels(original) == pixels(photos[n]), f"photo {n} recompressed on A"
            served_a.append(original)

    node_a.stop()  # Alice closes her laptop
    async with httpx.AsyncClient(timeout=30.0) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"{node_a.url}/about")
        for n, medium in enumerate(on_b):
            original = await get(http, medium.url, f"photo {n} on B")
            preview = await get(http, medium.preview_url, f"photo {n}'s preview on B")
            assert original == served_a[n], f"photo {n}: B's bytes are not those A served"
            assert_no_gps(original, f"photo {n} on B")
            assert_no_gps(preview, f"photo {n}'s preview on B")
            assert pixels(original) == pixels(photos[n]), f"photo {n} recompressed on B"
            with Image.open(io.BytesIO(preview)) as small:
                assert max(small.size) <= 640, f"photo {n}'s preview on B is {small.size}"
