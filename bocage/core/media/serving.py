"""How a stored file is served: what type it is said to be, whether a browser shows it or
saves it, and the tag a client revalidates it with.

A stored key (`ab/cd/<sha-256>.<ext>`) names its bytes and its extension, and the key never
changes for other bytes: the sha-256 is a strong ETag, and a response may be cached for a
year ("immutable"). The type comes from a fixed table of the extensions this node writes,
never from the bytes at serve time (a polyglot must not become HTML because it looks like
it); an extension outside the table is served as bytes to save. Only images, videos and
audio are shown in place: a document (PDF, EPUB, ZIP, …) is always a download, so that no
stored file runs in this node's origin.
"""

from __future__ import annotations

from dataclasses import dataclass

OCTET_STREAM = "application/octet-stream"
READ_CHUNK = 256 * 1024  # bytes read at once when a file is served
CONTENT_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "heic": "image/heic",
    "heif": "image/heif",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "webm": "video/webm",
    "mov": "video/quicktime",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pdf": "application/pdf",
    "epub": "application/epub+zip",
    "zip": "application/zip",
    "txt": "text/plain; charset=utf-8",
}
SHOWN_IN_PLACE = ("image/", "video/", "audio/")


@dataclass(frozen=True)
class StoredFile:
    """A stored file as it is served: `size` bytes of `content_type`; `download` when a
    browser must save it rather than show it; `redirect` when its bytes are served from
    elsewhere (an object store's public address) rather than through this node."""

    key: str
    size: int
    content_type: str
    download: bool
    redirect: str | None = None

    @property
    def etag(self) -> str:
        """The strong validator: the sha-256 of the bytes, as the key carries it."""
        return f'"{digest(self.key)}"'

    @property
    def file_name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


def extension(key: str) -> str:
    return key.rsplit(".", 1)[-1].lower() if "." in key else ""


def digest(key: str) -> str:
    return key.rsplit("/", 1)[-1].split(".", 1)[0]


def stored_file(key: str, size: int, redirect: str | None = None) -> StoredFile:
    content_type = CONTENT_TYPES.get(extension(key), OCTET_STREAM)
    download = not content_type.startswith(SHOWN_IN_PLACE)
    return StoredFile(key, size, content_type, download, redirect)
