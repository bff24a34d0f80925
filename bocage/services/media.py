"""Media: the one pipeline for every image a person sends, whichever face it came through
(an API upload, a web or API avatar or header): processed as the core's policy for its kind
says (core/media/media.py), stored once by content, then recorded. Files are served through
`file`, from the same storage object."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from bocage.core.media import media
from bocage.core.media.media import ImagePolicy, ProcessedImage, ProfileImage
from bocage.kernel.context import Context
from bocage.services.ports import ImageProcessor, MediaStore
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

    async def _stored(self, data: bytes, policy: ImagePolicy) -> tuple[ProcessedImage, str]:
        processed = await self._images.process(data, policy)
        return processed, self._storage.put(processed.data, processed.extension)

    async def upload(
        self, uploader: Account, data: bytes, description: str = "", focus: str | None = None
    ) -> MediaFile:
        """An attachment for a post to come: processed and stored first (no transaction
        waits on the image), then recorded as the uploader's."""
        processed, key = await self._stored(data, media.ATTACHMENT)
        return await self._db.write(
            _record, uploader.id, processed.stored_as(key), description, focus
        )

    async def describe(
        self, owner: Account, media_id: int, description: str | None, focus: str | None
    ) -> MediaFile:
        return await self._db.write(_describe, owner.id, media_id, description, focus)

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

    async def profile_image(self, data: bytes | None, kind: ProfileImage) -> str | None:
        """An avatar or a header, resized and cropped as its policy says, stored; its storage
        key (None when nothing was sent)."""
        if not data:
            return None
        _processed, key = await self._stored(data, media.PROFILE_IMAGES[kind])
        return key

    def file(self, key: str) -> Path | None:
        """The stored file for `key` (None if the key is malformed or unknown)."""
        return self._storage.path(key)


def _record(
    session: Session,
    uploader_id: int,
    stored: tuple[str, str, int, int, int],
    description: str,
    focus: str | None,
) -> MediaFile:
    me = session.get(Account, uploader_id)
    assert me is not None
    row = media.record_upload(session, me, stored, description, focus)
    session.flush()
    return row


def _describe(
    session: Session, owner_id: int, media_id: int, description: str | None, focus: str | None
) -> MediaFile:
    me = session.get(Account, owner_id)
    assert me is not None
    return media.update(session, me, media_id, description, focus)


def _label(
    session: Session, owner_id: int, media_id: int, file_name: str, licence: str | None
) -> MediaFile:
    me = session.get(Account, owner_id)
    assert me is not None
    return media.label(session, me, media_id, file_name, licence)
