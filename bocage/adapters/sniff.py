"""What a file is, told by its first bytes (never by the name or type a client sends: a
script renamed `photo.jpg` must not be served as anything but what it is).

Only the types the core accepts (core/media/media.py `IMAGE_TYPES`, `DOCUMENT_TYPES`,
core/media/audiovisual.py `VIDEO_TYPES`, `AUDIO_TYPES`) are recognised; SVG is recognised
only to be refused by name. A container says what it may hold, not what it does: ffprobe
tells a video from a sound later (core/media/audiovisual.py `judge`).
"""

from __future__ import annotations

SVG = "image/svg+xml"
# ISO base media files (HEIC, HEIF, AVIF): the `ftyp` box's major and compatible brands.
_HEIF_BRANDS = {
    b"avif": "image/avif",
    b"avis": "image/avif",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"mif1": "image/heif",
    b"msf1": "image/heif",
}


def sniff(data: bytes) -> str | None:
    """The content type of `data` by its magic bytes, or None if it is none we take."""
    head = data[:64]
    found = _image(head) or _document(data) or _audiovisual(data)
    if found is None and _looks_like_svg(head):
        return SVG
    return found


def _image(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return _heif(head)
    return None


def _heif(head: bytes) -> str | None:
    """AVIF before HEIC before plain HEIF, whichever brand names it first."""
    size = int.from_bytes(head[:4], "big")
    brands = [head[8:12]] + [head[n : n + 4] for n in range(16, min(size, len(head)), 4)]
    kinds = {_HEIF_BRANDS[brand] for brand in brands if brand in _HEIF_BRANDS}
    for kind in ("image/avif", "image/heic", "image/heif"):
        if kind in kinds:
            return kind
    return None


def _document(data: bytes) -> str | None:
    head = data[:64]
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        # EPUB: a ZIP whose first entry is the uncompressed `mimetype` file.
        if head[30:38] == b"mimetype" and head[38:58] == b"application/epub+zip":
            return "application/epub+zip"
        return "application/zip"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"OggS"):
        return "audio/opus" if b"OpusHead" in head else "audio/ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


# ISO base media files that are no image: by their major brand (QuickTime's `qt  `, audio's
# `M4A `/`M4B `), any other brand an MP4 (isom, mp41, mp42, avc1, iso2…, 3gp…).
_QUICKTIME = b"qt  "
_AUDIO_BRANDS = (b"M4A ", b"M4B ")
_EBML = b"\x1a\x45\xdf\xa3"  # Matroska and WebM


def _audiovisual(data: bytes) -> str | None:
    head = data[:64]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == _QUICKTIME:
            return "video/quicktime"
        return "audio/mp4" if brand in _AUDIO_BRANDS else "video/mp4"
    if head.startswith(_EBML):
        # Only WebM (the DocType in the EBML header): a Matroska file is not taken yet.
        return "video/webm" if b"webm" in data[:64] else None
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    return None


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<svg", b"<?xml", b"<!doctype svg"))
