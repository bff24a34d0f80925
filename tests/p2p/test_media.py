"""Media that outlive their node (issue 18), with four real nodes (block 16 of the loopback
addresses): Alice on node A posts photos; Bob on node B and Dave on node T follow her and
cache them; Carol on node C follows her too, but her node is off while Alice posts. Node T's
copy of one photo is then tampered with on disk. Alice's node goes away; Carol's node comes
back with T and B as peers, gets Alice's log from them, and fetches every photo by the digest
Alice signed: T's bad bytes are refused (and T scored down), B's accepted, so that Carol is
shown exactly what Alice posted. A followers-only photo is never served by digest."""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import sqlite3
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
from tests.p2p.helpers import holds, log_length, sync
from tests.processes import NodeProcess, run_cli, running

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("p2p/test_media")]

HOSTS = tuple(loopback(16, n) for n in (1, 2, 3, 4))  # A, B, T, C
GATEWAY = "/.well-known/apgateway/media"
PUBLIC_PHOTOS = 3


def photo(seed: int) -> bytes:
    """A small photo-like JPEG of its own (random colours, enlarged)."""
    rng = random.Random(seed)
    small = Image.frombytes("RGB", (8, 6), rng.randbytes(8 * 6 * 3))
    out = io.BytesIO()
    small.resize((320 + 16 * seed, 240), Image.Resampling.BICUBIC).save(out, "JPEG", quality=85)
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NodeProcess, ...]]:
    root: Path = tmp_path_factory.mktemp("media")
    env = {"BOCAGE_LAN_DISCOVERY": "0"}
    made = tuple(
        prepare_node(root, host, [user], env)
        for host, user in zip(HOSTS, ("alice", "bob", "dave", "carol"), strict=True)
    )
    with running(*made) as started:
        yield started


async def follow(follower: Mastodon, node: NodeProcess, who: str) -> None:
    """`follower` follows `who` of `node` (looked up on the follower's node), once accepted."""
    await api_follow(follower, f"{who}@{node.host}:{node.port}")


async def shown_status(client: Mastodon, uri: str, photos: int, within: float = 40) -> Any:
    """The status `uri` on the client's home with its `photos` attachments, each with a
    blurhash (the author's, from the post: it does not say the file is cached here yet)."""

    async def shown() -> Any:
        home = await asyncio.to_thread(client.timeline_home, limit=40)
        status = next((s for s in home if s.uri == uri), None)
        if status is None:
            return None
        media = status.media_attachments
        return status if len(media) == photos and all(m.blurhash for m in media) else None

    return await eventually(shown, within=within, what=f"{uri} with {photos} photos")


async def get(http: httpx.AsyncClient, url: str) -> bytes:
    answer = await http.get(url)
    assert answer.status_code == 200, f"{url} answered {answer.status_code}"
    return answer.content


async def served(http: httpx.AsyncClient, url: str) -> bytes | None:
    """The bytes at `url`, or None while it answers otherwise than 200."""
    answer = await http.get(url)
    return answer.content if answer.status_code == 200 else None


async def serves(http: httpx.AsyncClient, node: NodeProcess, digest: str) -> bool:
    """Whether `node` serves exactly the bytes of `digest` by digest."""
    answer = await http.get(f"{node.url}{GATEWAY}/{digest}")
    return answer.status_code == 200 and sha256(answer.content) == digest


def peer_rows(node: NodeProcess) -> dict[str, tuple[int, str | None]]:
    """A node's peers: url → (score, last error), read from its database as an admin would."""
    with sqlite3.connect(node.data / "bocage.db") as db:
        rows = db.execute("SELECT url, score, last_error FROM peers").fetchall()
    return {url: (int(score), error) for url, score, error in rows}


async def test_photos_outlive_their_node_and_a_bad_copy_is_refused(
    nodes: tuple[NodeProcess, ...],
) -> None:
    node_a, node_b, node_t, node_c = nodes
    alice = await asyncio.to_thread(logged_in, node_a, "alice", ["read", "write"])
    scopes = ["read", "write", "follow"]
    bob, dave, carol = [
        await asyncio.to_thread(logged_in, node, name, scopes)
        for node, name in ((node_b, "bob"), (node_t, "dave"), (node_c, "carol"))
    ]
    for follower in (bob, dave, carol):
        await follow(follower, node_a, "alice")

    # Carol's node is off while Alice posts: three photos for everyone, one for followers.
    node_c.stop()
    photos = [photo(n) for n in range(PUBLIC_PHOTOS + 1)]
    uploaded = [
        await asyncio.to_thread(
            alice.media_post, data, mime_type="image/jpeg", description=f"Hedge photo {n}"
        )
        for n, data in enumerate(photos)
    ]
    public = await asyncio.to_thread(
        alice.status_post,
        "Three photos of the hedge",
        media_ids=[m.id for m in uploaded[:PUBLIC_PHOTOS]],
        visibility="public",
    )
    private = await asyncio.to_thread(
        alice.status_post,
        "A photo for my followers only",
        media_ids=[uploaded[PUBLIC_PHOTOS].id],
        visibility="private",
    )

    async with httpx.AsyncClient(timeout=30.0) as http:
        # What Alice's node serves: each public photo's bytes, named by their sha-256.
        served_a = [await get(http, m.url) for m in public.media_attachments]
        digests = [sha256(data) for data in served_a]
        assert len(set(digests)) == PUBLIC_PHOTOS
        for digest in digests:
            assert await serves(http, node_a, digest)
        (private_medium,) = private.media_attachments
        private_digest = sha256(await get(http, private_medium.url))
        assert (await http.get(f"{node_a.url}{GATEWAY}/{private_digest}")).status_code == 404

        # Bob's and Dave's nodes cache every photo and serve the public ones by digest.
        for client in (bob, dave):
            await shown_status(client, public.uri, PUBLIC_PHOTOS)
        for node in (node_b, node_t):
            for digest in digests:
                await eventually(lambda n=node, d=digest: serves(http, n, d),
                                 what=f"{digest} by digest on {node.url}")  # fmt: skip

        # Bob's node holds the followers-only photo (Bob is shown it) but never serves it by
        # digest; a malformed digest is refused, an unknown one is not there.
        on_b = await shown_status(bob, private.uri, 1)
        assert sha256(await get(http, on_b.media_attachments[0].url)) == private_digest
        hidden = await http.get(f"{node_b.url}{GATEWAY}/{private_digest}")
        assert hidden.status_code == 404, hidden.text
        for malformed in (digests[0].upper(), digests[0][:63], f"{digests[0][:63]}g"):
            refused = await http.get(f"{node_b.url}{GATEWAY}/{malformed}")
            assert refused.status_code == 400, (malformed, refused.status_code)
            assert refused.json()["error"], refused.text
        unknown = await http.get(f"{node_b.url}{GATEWAY}/{sha256(b'no such photo')}")
        assert unknown.status_code == 404, unknown.text

        # Dave's node's copy of the first photo goes bad on disk: it now serves other bytes
        # under that digest.
        bad = digests[0]
        (stored,) = (node_t.data / "media" / bad[:2] / bad[2:4]).glob(f"{bad}.*")
        stored.write_bytes(photo(99))
        tampered = await http.get(f"{node_t.url}{GATEWAY}/{bad}")
        assert tampered.status_code == 200
        assert sha256(tampered.content) != bad

        # Both hold Alice's whole log; then Alice's node is gone.
        actor = f"{node_a.url}/users/alice"
        for node in (node_b, node_t):
            sync(node)
            await eventually(
                lambda n=node: holds(log_length(n, actor) == log_length(node_a, actor)),
                what=f"Alice's whole log on {node.url}",
            )
        node_a.stop()
        with pytest.raises(httpx.ConnectError):
            await http.get(f"{node_a.url}/about")

        # Carol's node, still off, is given T then B as peers, comes back and syncs: it
        # gets Alice's log from them, so her public post. It may have learned both already
        # (Alice's node named them in a clock exchange, in the order they followed her):
        # they are removed first, so that T, added first, is asked first (peers of equal
        # score are asked in the order they were added).
        for peer in (node_t, node_b):
            run_cli("peer", "remove", peer.url, "--data", str(node_c.data), env=node_c.env,
                    check=False)  # fmt: skip
        for peer in (node_t, node_b):
            run_cli("peer", "add", peer.url, "--data", str(node_c.data), env=node_c.env)
        node_c.start()
        sync(node_c)
        status = await shown_status(carol, public.uri, PUBLIC_PHOTOS, within=60)
        on_c = status.media_attachments
        assert [m.remote_url for m in on_c] == [m.url for m in public.media_attachments]
        for n, medium in enumerate(on_c):
            assert medium.url.startswith(f"{node_c.url}/media/"), medium.url
            data = await eventually(lambda url=medium.url: served(http, url), within=30,
                                    what=f"photo {n} served by Carol's node")  # fmt: skip
            assert sha256(data) == digests[n], f"photo {n} on Carol's node"
            assert data == served_a[n], f"photo {n}: not the bytes Alice's node served"

    # T sent other bytes for the first photo: scored down (by 10; a sync running meanwhile
    # may add 1 for a good log page, and record its own last error over the blame's);
    # B sent the right ones.
    scores = peer_rows(node_c)
    t_score, _ = scores[node_t.url]
    b_score, b_error = scores[node_b.url]
    assert t_score < 0, scores  # its log is good: only the bad photo lowers its score
    assert b_score >= 0 and not (b_error and "other bytes" in b_error), scores
