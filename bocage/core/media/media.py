"""Media attached to posts: uploaded first (with a description for those who cannot see
it, and a focal point for cropping), then attached when the post is published; and the
images of profiles (avatar, header).

An upload belongs to its uploader until it is attached; after that it is part of the post
and no longer changes (as on Mastodon, whose clients upload before they post).

The rules of the pipeline live here, whoever uploads (the API, the web settings): which
formats are accepted (told by their first bytes, never by what the client says), how big an
image may be decoded, how each kind of profile image is resized (`ImagePolicy`), how many
attachments a post takes and whether each needs a description (the admin's `MediaRules`),
which licences a file may carry, how large a request carrying a file may be, and when an
upload never attached is forgotten. The work itself (reading and stripping bytes, Pillow,
writing files) is done by adapters below the services (`bocage/adapters/`), which follow
these rules and decide none.

An attachment's pixels are never re-encoded: the original is kept at full resolution with
its metadata (EXIF and its GPS position, XMP, IPTC, comments) removed losslessly; only
HEIC/HEIF, which browsers do not show, get a full-size JPEG rendition beside the original.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

import base58
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from bocage.config import Settings
from bocage.core.media import audiovisual
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.kernel.urls import Urls
from bocage.store.models import Account, InstanceSetting, Job, MediaFile, ScheduledMedia
from bocage.store.queue import enqueue

# Attachments per post: the settings' `max_media_attachments` (Mastodon's 4, Pixelfed's up
# to 20), which the admin may change within these bounds.
ATTACHMENTS_RANGE = (1, 20)
MAX_DESCRIPTION = 1500
# The admin's choices (an instance setting, from the admin instance page), over the
# settings file: {"max_attachments": n, "alt_text_required": bool}.
RULES_SETTING = "media_rules"
ALT_TEXT_MISSING = "Every image needs a description (alt text) on this server: add one first."
# An upload never attached to a post is forgotten after this long (the `media.sweep` job).
UNATTACHED_TTL = timedelta(hours=24)
SWEEP_JOB = "media.sweep"
# A form or multipart body carrying a file: the file (settings.max_upload_bytes) and this
# much for the other fields and the multipart framing.
UPLOAD_OVERHEAD = 65536

# Images: the types an upload may be, the size they are scaled down to fit, and the
# decompression-bomb limit (a small file must not decode into gigabytes).
IMAGE_TYPES = (
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif",
    "image/avif",
)  # fmt: skip
# Browsers show these as they are; HEIC/HEIF get a rendition (RENDITION_QUALITY JPEG).
SHOWN_AS_IS = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/avif")
RENDITION_QUALITY = 92
MAX_DIMENSIONS = (4096, 4096)  # profile images larger than this are scaled down
# Pillow refuses an image of more than twice this many pixels (a decompression bomb: a small
# file that would decode into gigabytes); a 50-megapixel camera's photo is within it.
MAX_IMAGE_PIXELS = 40_000_000
MAX_UPLOAD_PIXELS = 2 * MAX_IMAGE_PIXELS  # what clients are told (`image_matrix_limit`)
UNREADABLE = "That file is not an image we can read (JPEG, PNG, GIF, WebP, HEIC, AVIF)."
NOT_ACCEPTED = "Only JPEG, PNG, GIF, WebP, HEIC and AVIF images are accepted."
NO_SVG = "SVG images are not accepted (they can carry scripts): send a PNG or a JPEG instead."
NOT_A_FILE_WE_TAKE = (
    "That kind of file is not accepted: send an image (JPEG, PNG, GIF, WebP, HEIC, AVIF), "
    "a video (MP4, MOV, WebM), audio (MP3, Ogg, Opus, FLAC, M4A, WAV), a PDF, an EPUB or a "
    "ZIP archive."
)
# Re-encoding a profile image (which also drops EXIF and GPS): transparency kept as PNG, the
# rest as JPEG.
JPEG_QUALITY = 88

# Files under a licence (Newebe): PDF, EPUB, audio and ZIP archives, stored as they are.
DOCUMENT_TYPES = (
    "application/pdf", "application/epub+zip", "application/zip", "audio/mpeg", "audio/ogg",
    "audio/opus", "audio/flac",
)  # fmt: skip
EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
    "image/heic": "heic", "image/heif": "heif", "image/avif": "avif",
    "application/pdf": "pdf", "application/epub+zip": "epub", "application/zip": "zip",
    "audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/opus": "opus", "audio/flac": "flac",
} | audiovisual.EXTENSIONS  # fmt: skip


# The licences a shared file may carry (Newebe): SPDX ids, the words shown for each and its
# page. "All rights reserved" is not an SPDX licence: it has an id of ours and no page, and a
# file without a licence is shown with its words.
@dataclass(frozen=True)
class Licence:
    words: str
    url: str | None


ALL_RIGHTS_RESERVED = "all-rights-reserved"
LICENCES: dict[str, Licence] = {
    "CC0-1.0": Licence(
        "CC0 1.0 (public domain)", "https://creativecommons.org/publicdomain/zero/1.0/"
    ),
    "CC-BY-4.0": Licence("CC BY 4.0 (attribution)", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": Licence(
        "CC BY-SA 4.0 (attribution, share alike)",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ),
    "CC-BY-NC-4.0": Licence(
        "CC BY-NC 4.0 (attribution, non-commercial)",
        "https://creativecommons.org/licenses/by-nc/4.0/",
    ),
    "CC-BY-NC-SA-4.0": Licence(
        "CC BY-NC-SA 4.0 (attribution, non-commercial, share alike)",
        "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    ),
    "CC-BY-ND-4.0": Licence(
        "CC BY-ND 4.0 (attribution, no derivatives)",
        "https://creativecommons.org/licenses/by-nd/4.0/",
    ),
    ALL_RIGHTS_RESERVED: Licence("All rights reserved", None),
}


def licence_words(license_id: str | None) -> str:
    """How a file's licence is shown (none: all rights reserved)."""
    return LICENCES.get(license_id or ALL_RIGHTS_RESERVED, LICENCES[ALL_RIGHTS_RESERVED]).words


# ActivityStreams object types (a Note's attachment: an image an `Image`, a video, a gifv or
# a sound a `Document` as Mastodon sends them, anything else a `Document`) and Mastodon API
# types of each kind.
AS_TYPES = {"image": "Image"}
API_TYPES = {"image": "image", "gifv": "gifv", "video": "video", "audio": "audio"}


# Every image shown (uploaded here or cached from another server) gets a preview that
# timelines load instead of the original (Mastodon's `small`), and a blurhash that apps paint
# while it loads.
PREVIEW_LONG_SIDE = 640
PREVIEW_QUALITY = 80  # WebP
BLURHASH_COMPONENTS = (4, 4)  # as Mastodon computes it (x, y)

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
class Upload:
    """An upload made ready to store by the adapters: the bytes to serve (the original with
    its metadata stripped, or a HEIC's rendition, or a video in a new container), with their
    type, kind, size and sha-256; for an image or a video its preview and blurhash; the
    original when what is served is a rendition; a video's or a sound's duration and what
    else a probe said of it (`audiovisual.facts`)."""

    data: bytes
    content_type: str
    kind: str  # image | gifv | video | audio | document
    sha256: str
    width: int | None = None
    height: int | None = None
    derived: Derived | None = None
    original: bytes | None = None  # e.g. the HEIC a phone sent
    original_type: str | None = None
    duration: float | None = None
    av: dict[str, Any] | None = None

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


@dataclass(frozen=True)
class StoredUpload:
    """Where an `Upload`'s files went (storage keys), and what its uploader said of it."""

    upload: Upload
    key: str
    preview_key: str | None
    original_key: str | None
    description: str = ""
    focus: str | None = None
    license: str | None = None
    file_name: str | None = None


@dataclass(frozen=True)
class MediaRules:
    """What the admin decides of attachments (instance settings over the settings file)."""

    max_attachments: int
    alt_text_required: bool


def rules(session: Session, settings: Settings) -> MediaRules:
    row = session.get(InstanceSetting, RULES_SETTING)
    chosen: dict[str, Any] = row.value if row is not None and row.value else {}
    return MediaRules(
        int(chosen.get("max_attachments") or settings.max_media_attachments),
        bool(chosen.get("alt_text_required", False)),
    )


def set_rules(session: Session, max_attachments: int, alt_text_required: bool) -> MediaRules:
    low, high = ATTACHMENTS_RANGE
    if not low <= max_attachments <= high:
        raise InvalidInput(f"A post can take {low} to {high} attachments, not {max_attachments}.")
    value = {"max_attachments": max_attachments, "alt_text_required": alt_text_required}
    row = session.get(InstanceSetting, RULES_SETTING)
    if row is None:
        session.add(InstanceSetting(key=RULES_SETTING, value=value))
    else:
        row.value = value
    return MediaRules(max_attachments, alt_text_required)


def kind_of(content_type: str) -> str | None:
    """The kind of an accepted type (None: not accepted)."""
    if content_type in IMAGE_TYPES:
        return "image"
    if content_type in audiovisual.VIDEO_TYPES:
        return "video"
    if content_type in DOCUMENT_TYPES or content_type in audiovisual.AUDIO_TYPES:
        return "audio" if content_type.startswith("audio/") else "document"
    return None


def preview_size(width: int, height: int) -> tuple[int, int]:
    """The preview's size for an image shown at `width` × `height`: at most
    PREVIEW_LONG_SIDE on its long side, never larger than the image."""
    long_side = PREVIEW_LONG_SIDE
    if max(width, height) <= long_side:
        return width, height
    if width >= height:
        return long_side, max(1, round(height * long_side / width))
    return max(1, round(width * long_side / height)), long_side


def digest_multibase(sha256_hex: str) -> str:
    """FEP-ef61's `digestMultibase`: base58btc ('z') of the sha2-256 multihash (0x12, 32)."""
    return "z" + base58.b58encode(b"\x12\x20" + bytes.fromhex(sha256_hex)).decode()


def type_of_key(key: str) -> str:
    """The content type of a stored file, by its key's extension."""
    extension = key.rsplit(".", 1)[-1]
    found = [kind for kind, known in EXTENSIONS.items() if known == extension]
    return found[0] if found else "application/octet-stream"


def check_license(license_id: str | None) -> str | None:
    if not license_id:
        return None
    if license_id not in LICENCES:
        raise InvalidInput(f"Unknown licence {license_id!r}; choose one of {', '.join(LICENCES)}.")
    return license_id


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


# Kinds shown in place: a photo or a video is offered by its own address, never under the name
# it was sent with (a phone's names may say where and when it was taken).
VISUAL = ("image", "gifv", "video")


def offered_name(kind: str, file_name: str | None) -> str | None:
    """The name a shared file is downloaded under: what it was sent as, made safe for a
    path, for documents and audio; none for what is shown in place."""
    if kind in VISUAL or not file_name:
        return None
    return file_name.replace("/", "_").replace("\\", "_").strip()[:MAX_FILE_NAME] or None


def record_upload(session: Session, account: Account, stored: StoredUpload) -> MediaFile:
    """The uploader's new attachment, not yet on any post; forgotten after UNATTACHED_TTL
    unless posted (the `media.sweep` job, queued here)."""
    upload = stored.upload
    derived = upload.derived
    row = MediaFile(
        id=new_id(),
        account_id=account.id,
        storage_key=stored.key,
        content_type=upload.content_type,
        size=len(upload.data),
        width=upload.width,
        height=upload.height,
        description=_description(stored.description),
        created_at=now(),
        kind=upload.kind,
        purpose="attachment",
        blurhash=derived.blurhash if derived else None,
        sha256=upload.sha256,
        preview_key=stored.preview_key,
        original_key=stored.original_key,
        license=check_license(stored.license),
        file_name=offered_name(upload.kind, stored.file_name),
        duration=upload.duration,
        av=_av_of(upload),
    )
    row.focus_x, row.focus_y = _focus(stored.focus)
    session.add(row)
    queued = select(Job.id).where(Job.kind == SWEEP_JOB, Job.state == "queued").limit(1)
    if session.execute(queued).first() is None:  # one sweep waits at a time
        _sweep_later(session, row.created_at)
    return row


def _av_of(upload: Upload) -> dict[str, Any] | None:
    """A video's or a sound's facts (`audiovisual.facts`), and its preview's size."""
    if upload.av is None:
        return None
    kept = dict(upload.av)
    if upload.derived is not None:
        kept["small"] = [upload.derived.preview_width, upload.derived.preview_height]
    return kept


def _sweep_later(session: Session, oldest: datetime) -> None:
    """The next sweep, when the oldest unattached upload (made at `oldest`) is due."""
    due = oldest + UNATTACHED_TTL + timedelta(minutes=1)
    enqueue(session, SWEEP_JOB, {}, delay=max(0.0, (due - now()).total_seconds()))


def sweep_unattached(session: Session, before: datetime) -> tuple[list[str], int]:
    """Forget the uploads made before `before` and never attached (nor reserved by a
    scheduled post); the storage keys no remaining row uses, for their files to be removed,
    and how many uploads were forgotten. The next sweep is queued for the oldest upload
    still waiting (the job runs as long as there are uploads to watch)."""
    unattached = (
        MediaFile.post_id.is_(None),
        MediaFile.purpose == "attachment",
        MediaFile.remote_url.is_(None),
        MediaFile.id.not_in(select(ScheduledMedia.media_id)),
    )
    stale = session.scalars(
        select(MediaFile).where(*unattached, MediaFile.created_at < before)
    ).all()
    waiting = session.execute(
        select(func.min(MediaFile.created_at)).where(*unattached, MediaFile.created_at >= before)
    ).scalar_one()
    if waiting is not None:
        _sweep_later(session, waiting)
    if not stale:
        return [], 0
    keys = {
        key
        for row in stale
        for key in (row.storage_key, row.preview_key, row.original_key)
        if key is not None
    }
    session.execute(delete(MediaFile).where(MediaFile.id.in_([row.id for row in stale])))
    still_used: set[str | None] = set()
    for column in (MediaFile.storage_key, MediaFile.preview_key, MediaFile.original_key):
        still_used.update(session.scalars(select(column).where(column.in_(keys))))
    return sorted(keys - still_used), len(stale)


def check_changeable(row: MediaFile) -> None:
    if row.post_id is not None:
        raise InvalidInput("This media is already attached to a post and cannot change.")


# A video's or a sound's preview may be an image of the uploader's choosing (Mastodon's
# `thumbnail`); an image is its own preview.
THUMBNAILED_KINDS = ("video", "gifv", "audio")


def check_thumbnail(kind: str) -> None:
    if kind not in THUMBNAILED_KINDS:
        raise InvalidInput(audiovisual.THUMBNAIL_FOR_AV)


def with_thumbnail(upload: Upload, thumbnail: Derived) -> Upload:
    """An upload whose preview and blurhash are those of the `thumbnail` its uploader sent."""
    check_thumbnail(upload.kind)
    return replace(upload, derived=_as_preview_of(upload.width, upload.height, thumbnail))


def _as_preview_of(width: int | None, height: int | None, thumbnail: Derived) -> Derived:
    """A thumbnail's preview and blurhash, for a file shown at `width` × `height` (a sound:
    none, the thumbnail's own)."""
    return replace(thumbnail, width=width or thumbnail.width, height=height or thumbnail.height)


def replace_preview(
    session: Session, row: MediaFile, thumbnail: Derived, preview_key: str
) -> str | None:
    """A video's or a sound's preview replaced by a thumbnail (stored under `preview_key`):
    its blurhash and preview size too. The key of the preview it had when no other row uses
    it, for its file to be removed."""
    check_changeable(row)
    check_thumbnail(row.kind)
    old = row.preview_key
    row.preview_key, row.blurhash = preview_key, thumbnail.blurhash
    row.av = {**(row.av or {}), "small": [thumbnail.preview_width, thumbnail.preview_height]}
    if old is None or old == preview_key:
        return None
    session.flush()
    used = select(MediaFile.id).where(
        or_(MediaFile.storage_key == old, MediaFile.preview_key == old,
            MediaFile.original_key == old)
    )  # fmt: skip
    return None if session.execute(used.limit(1)).first() is not None else old


def update(
    session: Session, account: Account, media_id: int, description: str | None, focus: str | None
) -> MediaFile:
    row = own_upload(session, account, media_id)
    check_changeable(row)
    if description is not None:
        row.description = _description(description)
    if focus is not None:
        row.focus_x, row.focus_y = _focus(focus)
    return row


def label(
    session: Session, account: Account, media_id: int, file_name: str, licence: str | None
) -> MediaFile:
    """The name a shared file is offered under and its licence (an id of LICENCES, None:
    all rights reserved), set on an upload before it is attached."""
    check_license(licence)
    row = own_upload(session, account, media_id)
    if row.post_id is not None:
        raise InvalidInput("This media is already attached to a post and cannot change.")
    row.file_name = offered_name(row.kind, file_name)
    row.license = licence
    return row


def own_upload(session: Session, account: Account, media_id: int) -> MediaFile:
    row = session.get(MediaFile, media_id)
    if row is None or row.account_id != account.id:
        raise NotFound("Record not found")
    return row


def check_attachable(
    session: Session, settings: Settings, account: Account, media_ids: tuple[int, ...]
) -> None:
    """A post may take these uploads: the author's, not posted yet, within the admin's
    number, each described if the admin requires it."""
    if not media_ids:
        return
    admin = rules(session, settings)
    if len(media_ids) > admin.max_attachments:
        raise InvalidInput(f"A post can have at most {admin.max_attachments} attachments.")
    for media_id in media_ids:
        row = own_upload(session, account, media_id)
        if row.post_id is not None:
            raise InvalidInput("That media is already attached to another post.")
        if admin.alt_text_required and not row.description.strip():
            raise InvalidInput(ALT_TEXT_MISSING)
    if media_ids:
        reserved = select(ScheduledMedia.media_id).where(ScheduledMedia.media_id.in_(media_ids))
        if session.execute(reserved.limit(1)).first() is not None:
            raise InvalidInput("That media is already attached to a scheduled post.")


@dataclass(frozen=True)
class MediaChange:
    """What an edit of a post changes of one of its attachments (Mastodon's
    `media_attributes[]`): None leaves a field as it is; an empty focus clears it."""

    id: int
    description: str | None = None
    focus: str | None = None


def reattach(
    session: Session,
    settings: Settings,
    account: Account,
    post_id: int,
    media_ids: tuple[int, ...] | None,
    changes: tuple[MediaChange, ...] = (),
) -> list[MediaFile]:
    """An edited post's attachments, as Mastodon's UpdateStatusService sets them: those of
    `media_ids` (None: the ones it has), new uploads of the author's attached, the others
    let go (forgotten by the next sweep, as uploads never posted); `changes` applied to
    those it keeps (one naming no attachment of the post is ignored, as on Mastodon). The
    rules of a new post hold: the number, the uploads' owner, alt text when required."""
    current = of_posts(session, [post_id]).get(post_id, [])
    held = {row.id: row for row in current}
    wanted = list(dict.fromkeys(media_ids)) if media_ids is not None else list(held)
    admin = rules(session, settings)
    if len(wanted) > admin.max_attachments:
        raise InvalidInput(f"A post can have at most {admin.max_attachments} attachments.")
    added = tuple(media_id for media_id in wanted if media_id not in held)
    rows = {media_id: held.get(media_id) or own_upload(session, account, media_id)
            for media_id in wanted}  # fmt: skip
    for change in changes:
        row = rows.get(change.id)
        if row is None:
            continue
        if change.description is not None:
            row.description = _description(change.description)
        if change.focus is not None:
            row.focus_x, row.focus_y = _focus(change.focus)
    check_attachable(session, settings, account, added)
    changed = {change.id for change in changes}
    if admin.alt_text_required and any(
        not rows[media_id].description.strip() for media_id in changed if media_id in rows
    ):
        raise InvalidInput(ALT_TEXT_MISSING)
    let_go = [row for row in current if row.id not in rows]
    for row in let_go:
        row.post_id = None
    if let_go:
        queued = select(Job.id).where(Job.kind == SWEEP_JOB, Job.state == "queued").limit(1)
        if session.execute(queued).first() is None:
            _sweep_later(session, now() - UNATTACHED_TTL)
    attach(session, post_id, added)
    return sorted(rows.values(), key=lambda row: row.id)  # in the order `of_posts` reads


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
    """The ActivityStreams form in a Note's `attachment` (of a file uploaded here: stored,
    so it has a key), as Mastodon and Pixelfed write it, with FEP-ef61's `digestMultibase`
    of the served bytes (peers check a copy against it) and a document's licence. A video,
    a gifv or a sound is a `Document` with its `mediaType`, as Mastodon and Loops send them,
    with its `duration` and its preview (the poster frame, or the uploader's thumbnail) as
    the `icon` Mastodon reads a thumbnail from."""
    assert row.storage_key is not None
    audiovisual_kind = row.kind in THUMBNAILED_KINDS
    document: dict[str, Any] = {
        "type": AS_TYPES.get(row.kind, "Document"),
        "mediaType": row.content_type,
        "url": urls.media(row.storage_key),
        "name": row.description or None,
    }
    if row.width is not None:
        document["width"], document["height"] = row.width, row.height
    if row.blurhash:
        document["blurhash"] = row.blurhash
    if row.focus_x is not None:
        document["focalPoint"] = [row.focus_x, row.focus_y]
    if row.sha256:
        document["digestMultibase"] = digest_multibase(row.sha256)
    if row.license:
        document["license"] = license_link(row.license)
    if audiovisual_kind and row.duration is not None:
        document["duration"] = audiovisual.iso_duration(row.duration)
    if audiovisual_kind and row.preview_key:
        icon: dict[str, Any] = {"type": "Image", "mediaType": type_of_key(row.preview_key),
                                "url": urls.media(row.preview_key)}  # fmt: skip
        small = (row.av or {}).get("small")
        if small:
            icon["width"], icon["height"] = small[0], small[1]
        document["icon"] = icon
    return document


def license_link(license_id: str) -> dict[str, str]:
    """A licence as an ActivityStreams Link (its page, and its SPDX id as the name)."""
    link = {"type": "Link", "name": license_id}
    if (known := LICENCES.get(license_id)) and known.url:
        link["href"] = known.url
    return link


def check_fields(description: str, focus: str | None, license_id: str | None) -> None:
    """What the uploader says of a file, checked before any work is done on it."""
    _description(description)
    _focus(focus)
    check_license(license_id)


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
