"""Media: the one pipeline for every file a person sends, whichever face it came through
(an API upload, a web or API avatar or header): prepared as the core's policy for its kind
says (core/media/media.py: an attachment's metadata stripped and its pixels untouched, a
profile image resized), stored once by content, then recorded; uploads never posted are
forgotten by `sweep`. Files are served from the same storage object (the local disk or an
object store, services/ports.py `MediaStore`): `stored` says what a key is served as
(core/media/serving.py), `read` streams a range of its bytes in chunks, each read off the
event loop, never the whole file at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from sqlalchemy.orm import Session

from bocage.core.media import media, serving, shared
from bocage.core.media.audiovisual import UploadLimits
from bocage.core.media.media import Derived, ImagePolicy, MediaRules, ProfileImage, StoredUpload
from bocage.core.media.serving import READ_CHUNK, StoredFile
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.services.ports import ImageProcessor, MediaStore, StoredRange
from bocage.services.unit import Query, Service
from bocage.store.db import Database
from bocage.store.models import Account, MediaFile


class MediaService(Service):
    def __init__(
        self, db: Database, ctx: Context, images: ImageProcessor, storage: MediaStore
    ) -> None:
        super().__init__(db, ctx)
        self._images = images
        self._storage = storage

    async def _processed(self, data: bytes, policy: ImagePolicy) -> str:
        processed = await self._images.process(data, policy)
        return await self._put(processed.data, processed.extension)

    async def _put(self, data: bytes, extension: str) -> str:
        """Store off the event loop (a disk write and fsync, or a request to the store)."""
        return await asyncio.to_thread(self._storage.put, data, extension)

    async def upload(
        self,
        uploader: Account,
        data: bytes,
        description: str = "",
        focus: str | None = None,
        license: str | None = None,
        file_name: str | None = None,
        thumbnail: bytes | None = None,
    ) -> MediaFile:
        """An attachment for a post to come: checked, prepared and stored first (no
        transaction waits on the file; nothing is stored of a file refused), then recorded
        as the uploader's. A video's or a sound's `thumbnail` (an image) is its preview."""
        media.check_fields(description, focus, license)
        limits = UploadLimits.of(self._ctx.settings)
        upload = await self._images.prepare(data, limits)
        if thumbnail:
            media.check_thumbnail(upload.kind)
            upload = media.with_thumbnail(upload, await self._images.thumbnail(thumbnail, limits))
        put = self._put
        derived, original_type = upload.derived, upload.original_type
        stored = StoredUpload(
            upload,
            await put(upload.data, upload.extension),
            await put(derived.preview, "webp") if derived else None,
            await put(upload.original, media.EXTENSIONS[original_type])
            if upload.original is not None and original_type
            else None,
            description,
            focus,
            license,
            file_name,
        )
        return await self._db.write(_record, uploader.id, stored)

    async def describe(
        self,
        owner: Account,
        media_id: int,
        description: str | None,
        focus: str | None,
        thumbnail: bytes | None = None,
    ) -> MediaFile:
        """An upload's description and focus changed, and a video's or a sound's preview
        replaced by a `thumbnail` (an image), before it is posted."""
        if not thumbnail:
            return await self._db.write(_describe, owner.id, media_id, description, focus)
        row = await self.own(owner, media_id)
        media.check_changeable(row)
        media.check_thumbnail(row.kind)
        derived = await self._images.thumbnail(thumbnail, UploadLimits.of(self._ctx.settings))
        stored_before = now().timestamp()
        preview_key = await self._put(derived.preview, "webp")
        changed, unused = await self._db.write(
            _describe_with_thumbnail, owner.id, media_id, description, focus, derived, preview_key
        )
        if unused is not None:
            await asyncio.to_thread(self._storage.remove, unused, stored_before)
        return changed

    async def label(
        self, owner: Account, media_id: int, file_name: str, licence: str | None
    ) -> MediaFile:
        """A shared file's name and licence (core/media `label`)."""
        return await self._db.write(_label, owner.id, media_id, file_name, licence)

    def own(self, owner: Account, media_id: int) -> Query[MediaFile]:
        def load(session: Session) -> MediaFile:
            me = session.get(Account, owner.id)
            assert me is not None
            return media.own_upload(session, me, media_id)

        return self._query(load)

    async def original(self, owner: Account, media_id: int) -> StoredFile:
        """The file its owner sent, when what is served is a rendition of it (a HEIC photo):
        for its owner only (read it with `read`)."""
        row = await self.own(owner, media_id)
        found = await self.stored(row.original_key) if row.original_key else None
        if found is None:
            raise NotFound("This media has no original apart from the file served.")
        return found

    async def profile_image(self, data: bytes | None, kind: ProfileImage) -> str | None:
        """An avatar or a header, resized and cropped as its policy says, stored; its storage
        key (None when nothing was sent)."""
        if not data:
            return None
        return await self._processed(data, media.PROFILE_IMAGES[kind])

    async def stored(self, key: str) -> StoredFile | None:
        """What the file under `key` is served as (None if the key is malformed or unknown)."""
        return await stored_in(self._storage, key)

    async def by_digest(self, sha256: str) -> StoredFile | None:
        """A file anyone may be shown, by the sha-256 of its bytes, for peers and gateways
        (core/media/shared.py); None when this node holds no such file it may serve."""
        if not shared.is_digest(sha256):
            return None
        key = await self._db.read(shared.public_key_of, sha256)
        return await self.stored(key) if key is not None else None

    async def read(self, key: str, start: int, stop: int) -> AsyncGenerator[bytes, None]:
        """Bytes `start` to `stop` (excluded) of the file under `key`, in chunks of at most
        READ_CHUNK; a small file costs one trip off the event loop (open, read, close)."""
        opened = await asyncio.to_thread(_open_and_read, self._storage, key, start, stop)
        if opened is None:
            return
        stream, chunk, left = opened
        if not left:  # all read (and closed) in that one trip
            if chunk:
                yield chunk
            return
        try:
            while chunk:
                yield chunk
                chunk = await asyncio.to_thread(stream.read, min(READ_CHUNK, left))
                left -= len(chunk)
                if not left:
                    yield chunk
                    break
        finally:
            await asyncio.to_thread(stream.close)

    # --- the admin's rules ------------------------------------------------------------

    def rules(self) -> Query[MediaRules]:
        settings = self._ctx.settings
        return self._query(lambda session: media.rules(session, settings))

    async def set_rules(self, max_attachments: int, alt_text_required: bool) -> MediaRules:
        return await self._db.write(media.set_rules, max_attachments, alt_text_required)

    # --- job unit ---------------------------------------------------------------------

    def sweep(self, session: Session, _payload: dict[str, Any]) -> None:
        """The `media.sweep` job: uploads never posted within UNATTACHED_TTL are forgotten,
        and their files removed when no other row uses them (nor was stored since)."""
        before = now() - media.UNATTACHED_TTL
        keys, _count = media.sweep_unattached(session, before)
        stored_before = before.timestamp()
        for key in keys:
            self._storage.remove(key, stored_before)


async def stored_in(storage: MediaStore, key: str) -> StoredFile | None:
    """What the file under `key` in `storage` is served as; None when it holds no such file
    (one look at the store, off the event loop)."""
    size = await asyncio.to_thread(storage.size, key)
    if size is None:
        return None
    return serving.stored_file(key, size, storage.public_url(key))


def _open_and_read(
    storage: MediaStore, key: str, start: int, stop: int
) -> tuple[StoredRange, bytes, int] | None:
    """The open range, its first chunk, and how many bytes are left after it (none: the
    range is closed already)."""
    stream = storage.open(key, start, stop)
    if stream is None:
        return None
    try:
        chunk = stream.read(min(READ_CHUNK, stop - start))
    except BaseException:
        stream.close()
        raise
    left = stop - start - len(chunk) if chunk else 0
    if not left:
        stream.close()
    return stream, chunk, left


def _record(session: Session, uploader_id: int, stored: StoredUpload) -> MediaFile:
    me = session.get(Account, uploader_id)
    assert me is not None
    row = media.record_upload(session, me, stored)
    session.flush()
    return row


def _describe(
    session: Session, owner_id: int, media_id: int, description: str | None, focus: str | None
) -> MediaFile:
    me = session.get(Account, owner_id)
    assert me is not None
    return media.update(session, me, media_id, description, focus)


def _describe_with_thumbnail(
    session: Session,
    owner_id: int,
    media_id: int,
    description: str | None,
    focus: str | None,
    derived: Derived,
    preview_key: str,
) -> tuple[MediaFile, str | None]:
    me = session.get(Account, owner_id)
    assert me is not None
    row = media.update(session, me, media_id, description, focus)
    unused = media.replace_preview(session, row, derived, preview_key)
    return row, unused


def _label(
    session: Session, owner_id: int, media_id: int, file_name: str, licence: str | None
) -> MediaFile:
    me = session.get(Account, owner_id)
    assert me is not None
    return media.label(session, me, media_id, file_name, licence)
