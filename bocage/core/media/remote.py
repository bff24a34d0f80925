"""Other servers' media, cached here: the attachments of remote posts and the avatars and
headers of remote accounts.

A remote file is first a row that names it (`remote_url`, what its server said of it, no
`storage_key`); a job fetches it (services/remote_media.py) and the rules it is fetched by
live here: how large each kind may be, what the bytes must turn out to be whatever the
sender called them (never SVG or HTML: a browser would run them), the `digestMultibase` the
author signed, and the cache's budget, of which the least recently used remote files are
evicted (never a local upload) to be fetched again when next shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bocage.core.reading.visibility import Visibility
from bocage.crypto.keys import KeyFormatError, decode_multibase_base58btc
from bocage.kernel.clock import now
from bocage.kernel.ids import new_id
from bocage.store.models import Account, MediaFile, Post, PreviewCard
from bocage.store.queue import enqueue
from bocage.store.sql import update_rows

MIB = 1024 * 1024
IMAGE_LIMIT = 16 * MIB  # as Mastodon's IMAGE_LIMIT
AUDIOVISUAL_LIMIT = 99 * MIB  # as Mastodon's VIDEO_LIMIT
PROFILE_IMAGE_LIMIT = 8 * MIB  # an avatar or a header (Mastodon: 2 MB, 8 with libvips)
FETCHED_KINDS = ("image", "gifv", "video", "audio", "document")  # `unknown` stays a link
TOUCH_EVERY = timedelta(minutes=10)  # last_used_at moves at most this often per file
SHARED = (Visibility.PUBLIC, Visibility.UNLISTED)
SNIFFED_HEAD = 1024  # bytes looked at for markup (a polyglot's HTML sits near the start)
MARKUP = (b"<svg", b"<html", b"<!doctype html", b"<script", b"<?xml", b"<body", b"<head")
MULTIHASH_SHA256 = b"\x12\x20"  # sha2-256, 32 bytes
JOB = "media.fetch"  # payload {"media_id": …}: services/remote_media.py fetches it
RETIRED = "retired"  # the purpose of a cached file no longer shown: evicted first


class Refused(Exception):
    """A remote file that will not be cached (too large, not what it may be, tampered): a
    person-readable reason, logged; fetching it again would give the same answer."""


def fetch_limit(kind: str, purpose: str, max_upload_bytes: int) -> int:
    """The most bytes read of a remote file; the rest of a longer body is cut off."""
    if purpose != "attachment":
        return PROFILE_IMAGE_LIMIT
    if kind in ("video", "audio"):
        return AUDIOVISUAL_LIMIT
    return max_upload_bytes if kind == "document" else IMAGE_LIMIT


@dataclass(frozen=True)
class Sniffed:
    """What a file's first bytes say it is, whatever its server called it."""

    content_type: str
    extension: str
    kind: str  # image, video, audio or document


_BRANDS_IMAGE = {b"avif": ("image/avif", "avif"), b"avis": ("image/avif", "avif")}
_BRANDS_HEIC = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


def sniff(data: bytes) -> Sniffed:
    """The type of `data` from its bytes; `Refused` for markup (SVG, HTML, a polyglot that
    carries HTML) and for anything not an image, audio, video or document we know."""
    head = data[:SNIFFED_HEAD].lower()
    if any(marker in head for marker in MARKUP):
        raise Refused("it holds markup (SVG or HTML), which is never served from here")
    found = _by_signature(data)
    if found is None:
        raise Refused("its bytes are no image, video, audio or document type we know")
    return found


def _by_signature(data: bytes) -> Sniffed | None:
    if data.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", "jpg", "image")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", "png", "image")
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image/gif", "gif", "image")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Sniffed("image/webp", "webp", "image")
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return Sniffed("audio/wav", "wav", "audio")
    if data[4:8] == b"ftyp":
        return _iso_media(data[8:12])
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video/webm", "webm", "video")
    if data.startswith(b"OggS"):
        return Sniffed("audio/ogg", "ogg", "audio")
    if data.startswith(b"fLaC"):
        return Sniffed("audio/flac", "flac", "audio")
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return Sniffed("audio/mpeg", "mp3", "audio")
    if data.startswith(b"%PDF-"):
        return Sniffed("application/pdf", "pdf", "document")
    if data.startswith(b"PK\x03\x04"):
        if data[30:58] == b"mimetypeapplication/epub+zip":
            return Sniffed("application/epub+zip", "epub", "document")
        return Sniffed("application/zip", "zip", "document")
    return None


def _iso_media(brand: bytes) -> Sniffed:
    """An ISO base media file (MP4, MOV, M4A, HEIC, AVIF) by its major brand."""
    if brand in _BRANDS_IMAGE:
        content_type, extension = _BRANDS_IMAGE[brand]
        return Sniffed(content_type, extension, "image")
    if brand in _BRANDS_HEIC:
        return Sniffed("image/heic", "heic", "image")
    if brand == b"M4A ":
        return Sniffed("audio/mp4", "m4a", "audio")
    if brand == b"qt  ":
        return Sniffed("video/quicktime", "mov", "video")
    return Sniffed("video/mp4", "mp4", "video")


def digest_matches(digest_multibase: str, data: bytes) -> bool:
    """Whether `data` is what a `digestMultibase` names; a digest of another shape cannot be
    checked: it matches."""
    named = sha256_of(digest_multibase)
    return named is None or named == hashlib.sha256(data).hexdigest()


def sha256_of(digest_multibase: str | None) -> str | None:
    """The hex sha-256 a `digestMultibase` names (multibase base58btc of a sha2-256
    multihash, FEP-ef61); None for a digest of another shape (another multibase, another
    hash function), which can neither be checked nor name a file to peers."""
    if not digest_multibase:
        return None
    try:
        decoded = decode_multibase_base58btc(digest_multibase)
    except KeyFormatError:
        return None
    if not decoded.startswith(MULTIHASH_SHA256) or len(decoded) != 34:
        return None
    return decoded[2:].hex()


# --- rows ------------------------------------------------------------------------------------


def new_remote(
    session: Session,
    account_id: int,
    url: str,
    *,
    purpose: str = "attachment",
    kind: str = "image",
    post_id: int | None = None,
    **described: Any,
) -> MediaFile:
    """A row for a remote file, not fetched yet, and its fetch queued (`described`: what
    its server said of it: content_type, description, width, height, blurhash, focus_x/y,
    digest_multibase, license, remote_preview_url). An `unknown` file is never fetched."""
    row = MediaFile(
        id=new_id(),
        account_id=account_id,
        storage_key=None,
        size=0,
        created_at=now(),
        post_id=post_id,
        kind=kind,
        purpose=purpose,
        remote_url=url,
        **{"content_type": "application/octet-stream", "description": ""} | described,
    )
    session.add(row)
    if kind in FETCHED_KINDS:
        session.flush()
        enqueue(session, JOB, {"media_id": row.id})
    return row


def retire(session: Session, row: MediaFile) -> None:
    """No longer shown (an attachment an edit removed, an avatar replaced): gone at once
    when nothing was cached, else first in line for eviction, which removes the row."""
    if row.storage_key is None:
        session.delete(row)
        return
    row.purpose, row.post_id, row.last_used_at = RETIRED, None, None


def profile_image(session: Session, account_id: int, purpose: str, url: str | None) -> str | None:
    """A remote account's avatar or header from its actor document's `url`: the row kept
    while the URL stays, replaced when it changes. The path its account shows it by."""
    current = session.execute(
        select(MediaFile).where(MediaFile.account_id == account_id, MediaFile.purpose == purpose)
    ).scalars()
    kept = None
    for row in current:
        if row.remote_url == url and kept is None:
            kept = row
        else:
            retire(session, row)
    if url is None:
        return None
    if kept is None:
        kept = new_remote(session, account_id, url, purpose=purpose)
    return served_path(kept)


@dataclass(frozen=True)
class Cached:
    """A remote file once fetched and stored: what `cached` records of it."""

    storage_key: str
    preview_key: str | None
    content_type: str
    kind: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    blurhash: str | None


def cached(session: Session, media_id: int, file: Cached) -> MediaFile | None:
    """Record a fetched file; the sender's blurhash and sizes stay when it gave them (its
    blurhash was checked at the edge), else ours are taken. None if the row is gone."""
    row = session.get(MediaFile, media_id)
    if row is None:
        return None
    row.storage_key, row.preview_key = file.storage_key, file.preview_key
    row.content_type, row.kind, row.size, row.sha256 = (
        file.content_type,
        file.kind,
        file.size,
        file.sha256,
    )
    row.width, row.height = file.width or row.width, file.height or row.height
    row.blurhash = row.blurhash or file.blurhash
    row.cached_at = row.last_used_at = now()
    shown_anew(session, row.post_id)
    return row


def shown_anew(session: Session, post_id: int | None) -> None:
    """A post's media changed (cached, evicted, edited): its row's version moves on, so
    that no Status built before (mastodon_api/rendered.py) is served again."""
    if post_id is not None:
        session.execute(
            update_rows(Post).where(Post.id == post_id).values(row_version=Post.row_version + 1)
        )


def servable(session: Session, media_id: int) -> MediaFile | None:
    """A remote file that may be served to anyone who asks by its id: an avatar, a header,
    or an attachment of a public or unlisted post (a private post's files are shown only
    through the stored copy's own address, to those who may read the post)."""
    row = session.get(MediaFile, media_id)
    if row is None or row.remote_url is None or row.purpose == RETIRED:
        return None
    if row.purpose != "attachment":
        return row
    post = session.get(Post, row.post_id) if row.post_id is not None else None
    return row if post is not None and post.visibility in SHARED else None


def touch(session: Session, media_id: int, seen: datetime) -> None:
    """It was shown: it moves to the young end of the cache."""
    row = session.get(MediaFile, media_id)
    if row is not None and needs_touch(row.last_used_at, seen):
        row.last_used_at = seen


def needs_touch(last_used_at: datetime | None, seen: datetime) -> bool:
    """Whether a file shown at `seen` is worth a write (at most one every TOUCH_EVERY)."""
    return last_used_at is None or seen - last_used_at >= TOUCH_EVERY


def cache_size(session: Session) -> int:
    """Bytes of remote files cached here (their originals)."""
    total = session.scalar(
        select(func.coalesce(func.sum(MediaFile.size), 0)).where(
            MediaFile.remote_url.is_not(None), MediaFile.storage_key.is_not(None)
        )
    )
    return int(total or 0)


def evict(session: Session, budget: int) -> list[str]:
    """Forget the least recently used remote files until the cache fits `budget` bytes
    (their rows stay, without a key: fetched again when next shown). Local uploads are never
    evicted. Returns the keys no row uses any more: the files to remove."""
    excess = cache_size(session) - budget
    if excess <= 0:
        return []
    oldest = session.execute(
        select(MediaFile)
        .where(MediaFile.remote_url.is_not(None), MediaFile.storage_key.is_not(None))
        .order_by(MediaFile.last_used_at.asc().nulls_first(), MediaFile.id)
    ).scalars()
    freed: set[str] = set()
    for row in oldest:
        if excess <= 0:
            break
        excess -= row.size
        freed.update(k for k in (row.storage_key, row.preview_key) if k)
        row.storage_key = row.preview_key = None
        row.cached_at = None
        shown_anew(session, row.post_id)
        if row.purpose == RETIRED:
            session.delete(row)
    return unused(session, freed)


def unused(session: Session, keys: Iterable[str]) -> list[str]:
    """Of the files `keys` some rows stopped showing, those no row shows any more: the files
    to remove."""
    session.flush()
    return sorted(key for key in set(keys) if not _in_use(session, key))


def _in_use(session: Session, key: str) -> bool:
    """Whether a row still shows the file `key` (an upload, another cached copy of the same
    bytes, a local profile's picture, a link preview card's image)."""
    media = select(MediaFile.id).where(
        or_(
            MediaFile.storage_key == key,
            MediaFile.preview_key == key,
            MediaFile.original_key == key,
        )
    )
    profile = select(Account.id).where(or_(Account.avatar == key, Account.header == key))
    card = select(PreviewCard.id).where(PreviewCard.image_key == key)
    return (
        session.execute(media.limit(1)).first() is not None
        or session.execute(profile.limit(1)).first() is not None
        or session.execute(card.limit(1)).first() is not None
    )


def served_paths(row: MediaFile, shared: bool = True) -> tuple[str | None, str | None]:
    """The paths under /media of a remote file and of its preview (`served_path`): through
    the proxy when anyone may see it (an image's preview at `…/preview`; another kind's
    preview is none of ours), else the cached copies (the file standing in for a missing
    preview). (None, None): a private post's file not cached, known only by its origin."""
    path = served_path(row, shared)
    if path is None:
        return None, None
    if shared:
        return path, f"{path}/preview" if row.kind == "image" else None
    return path, row.preview_key or path


def served_path(row: MediaFile, shared: bool = True) -> str | None:
    """The path under /media a client loads a file by: an upload's key; a remote file's
    proxy path (`remote/{id}`: served from the cache, fetched again when evicted) when it
    may be served to anyone, else its cached key (None when not cached)."""
    if row.remote_url is None:
        return row.storage_key
    return f"remote/{row.id}" if shared else row.storage_key
