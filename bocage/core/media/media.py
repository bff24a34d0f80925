"""Media attached to posts: uploaded first (with a description for those who cannot see
it, and a focal point for cropping), then attached when the post is published; and the
images of profiles (avatar, header).

An upload belongs to its uploader until it is attached; after that it is part of the post
and no longer changes (as on Mastodon, whose clients upload before they post).

The rules of the pipeline live here, whoever uploads (the API, the web settings): which
formats are accepted, how big an image may be decoded, how each kind of image is resized
(`ImagePolicy`), how many attachments a post takes, how large a request carrying a file may
be. The work itself (decoding with Pillow, writing files) is done by adapters below the
services (`bocage/media/`), which follow these rules and decide none.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.kernel.urls import Urls
from bocage.store.models import Account, MediaFile, ScheduledMedia

MAX_ATTACHMENTS = 4
MAX_DESCRIPTION = 1500
# A form or multipart body carrying a file: the file (settings.max_upload_bytes) and this
# much for the other fields and the multipart framing.
UPLOAD_OVERHEAD = 65536

# Images: the types an upload may be, the size they are scaled down to fit, and the
# decompression-bomb limit (a small file must not decode into gigabytes).
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")  # what an upload may be
MAX_DIMENSIONS = (4096, 4096)  # larger images are scaled down, never cropped
MAX_IMAGE_PIXELS = 40_000_000
UNREADABLE = "That file is not an image we can read (JPEG, PNG, GIF, WebP)."
NOT_ACCEPTED = "Only JPEG, PNG, GIF and WebP images are accepted."
# Re-encoding (which also drops EXIF and GPS): transparency kept as PNG, the rest as JPEG.
JPEG_QUALITY = 88


# Every image shown (uploaded here or cached from another server) gets a preview that
# timelines load instead of the original (Mastodon's `small`), and a blurhash that apps paint
# while it loads.
PREVIEW_LONG_SIDE = 640
PREVIEW_QUALITY = 80  # WebP
BLURHASH_COMPONENTS = (4, 4)  # as Mastodon computes it (x, y)

# The licences a shared file may carry (Newebe): SPDX ids and the words shown for them. No
# licence (None) is "all rights reserved", which SPDX has no id for.
LICENCES: dict[str, str] = {
    "CC0-1.0": "CC0 1.0 (public domain)",
    "CC-BY-4.0": "CC BY 4.0 (attribution)",
    "CC-BY-SA-4.0": "CC BY-SA 4.0 (attribution, share alike)",
    "CC-BY-NC-4.0": "CC BY-NC 4.0 (attribution, non-commercial)",
    "CC-BY-NC-SA-4.0": "CC BY-NC-SA 4.0 (attribution, non-commercial, share alike)",
    "CC-BY-ND-4.0": "CC BY-ND 4.0 (attribution, no derivatives)",
}
ALL_RIGHTS_RESERVED = "All rights reserved"
MAX_FILE_NAME = 255


@dataclass(frozen=True)
class Derived:
    """What is made of an image besides itself: its preview (WebP, at most
    PREVIEW_LONG_SIDE on its long side, never larger than the image), the image's own size
    as shown (after the camera's rotation), and its blurhash."""

    preview: bytes
    preview_width: int
    preview_height: int
    width: int
    height: int
    blurhash: str


@dataclass(frozen=True)
class ImagePolicy:
    """How one kind of image is made ready to store: at most `max_size` (width, height),
    cropped to fill it exactly (`crop`) or scaled down to fit, never up."""

    max_size: tuple[int, int]
    crop: bool


ATTACHMENT = ImagePolicy(MAX_DIMENSIONS, crop=False)
AVATAR = ImagePolicy((400, 400), crop=True)
HEADER = ImagePolicy((1500, 500), crop=True)
ProfileImage = Literal["avatar", "header"]
PROFILE_IMAGES: dict[str, ImagePolicy] = {"avatar": AVATAR, "header": HEADER}


@dataclass(frozen=True)
class ProcessedImage:
    """An image as it is stored: re-encoded bytes, their extension, type and size."""

    data: bytes
    extension: str
    content_type: str
    width: int
    height: int

    def stored_as(self, key: str) -> tuple[str, str, int, int, int]:
        """What `record_upload` records of it once stored under `key`."""
        return key, self.content_type, len(self.data), self.width, self.height


def upload_body_limit(max_upload_bytes: int) -> int:
    """The largest request body that carries one file of at most `max_upload_bytes`."""
    return max_upload_bytes + UPLOAD_OVERHEAD


def record_upload(
    session: Session,
    account: Account,
    stored: tuple[str, str, int, int, int],
    description: str = "",
    focus: str | None = None,
) -> MediaFile:
    """`stored`: (storage key, content type, size, width, height) of the processed file."""
    key, content_type, size, width, height = stored
    row = MediaFile(
        id=new_id(),
        account_id=account.id,
        storage_key=key,
        content_type=content_type,
        size=size,
        width=width,
        height=height,
        description=_description(description),
        created_at=now(),
    )
    row.focus_x, row.focus_y = _focus(focus)
    session.add(row)
    return row


def update(
    session: Session, account: Account, media_id: int, description: str | None, focus: str | None
) -> MediaFile:
    row = own_upload(session, account, media_id)
    if row.post_id is not None:
        raise InvalidInput("This media is already attached to a post and cannot change.")
    if description is not None:
        row.description = _description(description)
    if focus is not None:
        row.focus_x, row.focus_y = _focus(focus)
    return row


def label(
    session: Session, account: Account, media_id: int, file_name: str, licence: str | None
) -> MediaFile:
    """The name a shared file is offered under and its licence (an SPDX id of LICENCES, None:
    all rights reserved), set on an upload before it is attached."""
    if licence is not None and licence not in LICENCES:
        raise InvalidInput(f"{licence!r} is not a licence offered here.")
    row = own_upload(session, account, media_id)
    if row.post_id is not None:
        raise InvalidInput("This media is already attached to a post and cannot change.")
    row.file_name = file_name.replace("/", "_").replace("\\", "_").strip()[:MAX_FILE_NAME] or None
    row.license = licence
    return row


def own_upload(session: Session, account: Account, media_id: int) -> MediaFile:
    row = session.get(MediaFile, media_id)
    if row is None or row.account_id != account.id:
        raise NotFound("Record not found")
    return row


def check_attachable(session: Session, account: Account, media_ids: tuple[int, ...]) -> None:
    if len(media_ids) > MAX_ATTACHMENTS:
        raise InvalidInput(f"A post can have at most {MAX_ATTACHMENTS} attachments.")
    for media_id in media_ids:
        if own_upload(session, account, media_id).post_id is not None:
            raise InvalidInput("That media is already attached to another post.")
    if media_ids:
        reserved = select(ScheduledMedia.media_id).where(ScheduledMedia.media_id.in_(media_ids))
        if session.execute(reserved.limit(1)).first() is not None:
            raise InvalidInput("That media is already attached to a scheduled post.")


def attach(session: Session, post_id: int, media_ids: tuple[int, ...]) -> list[MediaFile]:
    rows = [session.get(MediaFile, media_id) for media_id in media_ids]
    for row in rows:
        assert row is not None  # checked by check_attachable in the same transaction
        row.post_id = post_id
    return [row for row in rows if row is not None]


def of_posts(session: Session, post_ids: list[int]) -> dict[int, list[MediaFile]]:
    found: dict[int, list[MediaFile]] = defaultdict(list)
    if post_ids:
        rows = session.execute(
            select(MediaFile).where(MediaFile.post_id.in_(post_ids)).order_by(MediaFile.id)
        )
        for row in rows.scalars():
            found[row.post_id or 0].append(row)
    return found


def as_attachment(urls: Urls, row: MediaFile) -> dict[str, Any]:
    """The ActivityStreams form, as Mastodon writes it in a Note's `attachment` (of a file
    uploaded here: stored, so it has a key)."""
    assert row.storage_key is not None
    document: dict[str, Any] = {
        "type": "Document",
        "mediaType": row.content_type,
        "url": urls.media(row.storage_key),
        "name": row.description or None,
        "width": row.width,
        "height": row.height,
    }
    if row.focus_x is not None:
        document["focalPoint"] = [row.focus_x, row.focus_y]
    return document


def _description(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(f"A description can be at most {MAX_DESCRIPTION} characters long.")
    return text


def _focus(focus: str | None) -> tuple[float | None, float | None]:
    if not focus:
        return None, None
    try:
        x, y = (float(part) for part in focus.split(","))
    except ValueError:
        raise InvalidInput("focus must be two numbers, like 0.5,-0.2") from None
    if not (-1 <= x <= 1 and -1 <= y <= 1):
        raise InvalidInput("focus coordinates must be between -1 and 1")
    return x, y
