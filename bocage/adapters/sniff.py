"""What a file is, told by its first bytes (never by the name or type a client sends: a
script renamed `photo.jpg` must not be served as anything but what it is).

Only the types the core accepts (core/media/media.py `IMAGE_TYPES`, `DOCUMENT_TYPES`) are
recognised; SVG is recognised only to be refused by name.
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
    found = _image(head) or _document(data)
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


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<svg", b"<?xml", b"<!doctype svg"))
