"""The rules remote media are fetched and cached by (core/media/remote.py): the type read from
the bytes, never from what the sender says (no SVG, no HTML), the author's digest checked,
rows kept across an edit while their URL stays, and the cache's budget evicting the least
recently used remote files only, never an upload."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import base58
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.inbound import remote
from bocage.core.media import media
from bocage.core.media import remote as remote_media
from bocage.node import Node
from bocage.store.models import Job, MediaFile, Post
from tests.core.helpers import remote_user

AUTHOR = "http://127.0.0.9:9/users/pia"
PUBLISHED = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)


def photo(n: int) -> remote.RemoteAttachment:
    return remote.RemoteAttachment(kind="image", url=f"http://127.0.0.9:9/m/{n}.jpg",
                                   media_type="image/jpeg", description=f"photo {n}")  # fmt: skip


def note(*files: remote.RemoteAttachment, sensitive: bool = False) -> remote.RemotePost:
    return remote.RemotePost(
        uri=f"{AUTHOR}/statuses/1", author_uri=AUTHOR, content="<p>album</p>",
        published=PUBLISHED, attachments=files, sensitive=sensitive,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"GIF89a", "image/gif"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        (b"\0\0\0\x1cftypavif", "image/avif"),
        (b"\0\0\0\x18ftypheic", "image/heic"),
        (b"\0\0\0\x18ftypisom", "video/mp4"),
        (b"\x1a\x45\xdf\xa3", "video/webm"),
        (b"OggS", "audio/ogg"),
        (b"ID3\x04", "audio/mpeg"),
        (b"fLaC", "audio/flac"),
        (b"%PDF-1.7", "application/pdf"),
    ],
)
def test_the_type_is_read_from_the_bytes(head: bytes, content_type: str) -> None:
    assert remote_media.sniff(head + bytes(64)).content_type == content_type


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        b"<svg onload=alert(1)>",
        b"<!DOCTYPE html><html><script>alert(1)</script>",
        b"\xff\xd8\xff\xe0 a JPEG that carries <html><script>alert(1)</script>",  # a polyglot
        b"just some text",
    ],
)
def test_markup_and_unknown_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(remote_media.Refused):
        remote_media.sniff(data)


def test_a_digest_multibase_is_checked() -> None:
    data = b"\xff\xd8\xff the author's bytes"
    digest = "z" + base58.b58encode(b"\x12\x20" + hashlib.sha256(data).digest()).decode()
    assert remote_media.digest_matches(digest, data)
    assert not remote_media.digest_matches(digest, data + b"!")


def test_the_size_cap_depends_on_the_kind() -> None:
    assert remote_media.fetch_limit("image", "attachment", 8) == 16 * 1024 * 1024
    assert remote_media.fetch_limit("video", "attachment", 8) == 99 * 1024 * 1024
    assert remote_media.fetch_limit("document", "attachment", 1234) == 1234


async def test_a_received_post_gets_rows_and_fetch_jobs_and_an_edit_keeps_what_stays(
    node: Node,
) -> None:
    author = remote_user(node, AUTHOR)
    with node.db.transaction() as session:
        post = remote.receive_post(session, author, note(photo(1), photo(2), sensitive=True))
        assert isinstance(post, Post)
        post_id = post.id
    with node.db.snapshot() as session:
        rows = media.of_posts(session, [post_id])[post_id]
        jobs = session.scalars(select(Job).where(Job.kind == remote_media.JOB)).all()
        stored = session.get(Post, post_id)
        assert stored is not None and stored.media_count == 2 and stored.sensitive
    assert [(r.remote_url, r.description, r.storage_key) for r in rows] == [
        (photo(1).url, "photo 1", None),
        (photo(2).url, "photo 2", None),
    ]
    assert {job.payload["media_id"] for job in jobs} >= {r.id for r in rows}

    edited = note(photo(2), photo(3))
    with node.db.transaction() as session:
        remote.update_post(session, author, edited)
    with node.db.snapshot() as session:
        after = media.of_posts(session, [post_id])[post_id]
    assert [r.remote_url for r in after] == [photo(2).url, photo(3).url]
    assert after[0].id == rows[1].id  # kept: its URL stayed


def cached_row(session: Session, author: int, n: int, used: datetime, *, remote: bool) -> int:
    """A cached file of 100 bytes, last used at `used`; remote or an upload."""
    row = MediaFile(
        id=10_000 + n, account_id=author, storage_key=f"aa/bb/{n:064x}.jpg",
        content_type="image/jpeg", size=100, description="", created_at=used,
        remote_url=f"http://127.0.0.9:9/m/lru{n}.jpg" if remote else None, last_used_at=used,
    )  # fmt: skip
    session.add(row)
    return row.id


async def test_eviction_forgets_the_least_recently_used_remote_files_only(node: Node) -> None:
    old = datetime(2026, 1, 1, tzinfo=UTC)
    author = remote_user(node, AUTHOR).id
    with node.db.transaction() as session:
        upload = cached_row(session, author, 1, old - timedelta(days=9), remote=False)
        oldest = cached_row(session, author, 2, old, remote=True)
        middle = cached_row(session, author, 3, old + timedelta(days=1), remote=True)
        newest = cached_row(session, author, 4, old + timedelta(days=2), remote=True)
    with node.db.transaction() as session:
        removed = remote_media.evict(session, budget=150)
    with node.db.snapshot() as session:
        rows = {i: session.get(MediaFile, i) for i in (upload, oldest, middle, newest)}
        keys = {i: row.storage_key if row else "gone" for i, row in rows.items()}
    assert keys[upload] is not None and keys[newest] is not None
    assert keys[oldest] is None and keys[middle] is None
    assert removed == sorted([f"aa/bb/{2:064x}.jpg", f"aa/bb/{3:064x}.jpg"])
