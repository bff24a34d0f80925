"""Metadata removed from an image without touching its pixels: the container is rewritten,
the compressed image data copied byte for byte (Pixelfed's promise: photos "without
aggressive compression"; here, without any).

- JPEG: the segments before the image data are kept only if they describe how to decode or
  show it (JFIF APP0, the ICC profile in APP2, Adobe's APP14 colour transform, tables and
  frame headers); EXIF (with GPS and maker notes) and XMP in APP1, IPTC in APP13, other
  application segments and comments go.
- PNG: text chunks (tEXt, zTXt, iTXt), EXIF (eXIf) and the time stamp go.
- WebP: the EXIF and XMP chunks go (and their flags in VP8X).
- GIF: comments go, and application blocks but the looping one (NETSCAPE2.0, ANIMEXTS1.0).

The camera's rotation is kept, alone: where it said to turn the picture, a new EXIF block
holding only that Orientation tag replaces the old one, so that browsers still show the
photo upright (Pillow's `exif_transpose` reads it the same way for the preview).

Everything after the image's end (a JPEG's EOI, PNG's IEND, the RIFF length, GIF's trailer)
is dropped: an image with an HTML page appended (a polyglot) is served as the image alone.
A container that ends early, or whose structure is broken, is refused (`InvalidInput`).
"""

from __future__ import annotations

import struct
import zlib

from bocage.core.media import media
from bocage.kernel.errors import InvalidInput

ORIENTATION_TAG = 0x0112
_PNG_DROPPED = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}
_GIF_LOOPING = (b"NETSCAPE2.0", b"ANIMEXTS1.0")


def strip(data: bytes, content_type: str, orientation: int) -> bytes:
    """`data` (of `content_type`, as sniffed) without its metadata; `orientation` (1-8, the
    EXIF value read before) kept as the only EXIF tag when it is not 1."""
    try:
        if content_type == "image/jpeg":
            return _jpeg(data, orientation)
        if content_type == "image/png":
            return _png(data, orientation)
        if content_type == "image/webp":
            return _webp(data, orientation)
        if content_type == "image/gif":
            return _gif(data)
    except (IndexError, struct.error, ValueError) as exc:
        raise InvalidInput(media.UNREADABLE) from exc
    return data


def orientation_exif(orientation: int) -> bytes:
    """A TIFF-structured EXIF block with one tag, Orientation (big-endian, one IFD)."""
    entry = struct.pack(">HHIHH", ORIENTATION_TAG, 3, 1, orientation, 0)
    return b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + b"\0\0\0\0"


def _broken() -> InvalidInput:
    return InvalidInput(media.UNREADABLE)


# --- JPEG ---------------------------------------------------------------------------------


def _jpeg(data: bytes, orientation: int) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise _broken()
    out = bytearray(b"\xff\xd8")
    if orientation != 1:
        exif = b"Exif\0\0" + orientation_exif(orientation)
        out += b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    pos = 2
    while True:
        marker, pos = _next_marker(data, pos)
        if marker == 0xD9:  # EOI: the end; whatever follows is not the image
            out += b"\xff\xd9"
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # standalone markers
            out += bytes((0xFF, marker))
            continue
        length = struct.unpack(">H", data[pos : pos + 2])[0]
        end = pos + length
        if length < 2 or end > len(data):
            raise _broken()
        if marker == 0xDA:  # SOS: the header, then entropy-coded data up to the next marker
            scan_end = _scan_end(data, end)
            out += b"\xff\xda" + data[pos:scan_end]
            pos = scan_end
            continue
        if _keep_jpeg_segment(marker):
            out += bytes((0xFF, marker)) + data[pos:end]
        pos = end


def _keep_jpeg_segment(marker: int) -> bool:
    """APP0 (JFIF), APP2 (ICC), APP14 (Adobe) and every non-application segment (tables,
    frame headers, restart interval) but comments."""
    if 0xE0 <= marker <= 0xEF:
        return marker in (0xE0, 0xE2, 0xEE)
    return marker != 0xFE  # COM: comments go


def _next_marker(data: bytes, pos: int) -> tuple[int, int]:
    """The marker at `pos` (fill bytes 0xFF skipped) and the position after it."""
    if data[pos] != 0xFF:
        raise _broken()
    while data[pos] == 0xFF:
        pos += 1
    return data[pos], pos + 1


def _scan_end(data: bytes, pos: int) -> int:
    """Where entropy-coded data starting at `pos` ends: at the first 0xFF that is neither a
    stuffed byte (0xFF00) nor a restart marker (0xFFD0-D7)."""
    while True:
        pos = data.index(b"\xff", pos)  # ValueError: no end (a truncated file)
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos += 1 if following == 0xFF else 2
            continue
        return pos


# --- PNG ----------------------------------------------------------------------------------


def _png(data: bytes, orientation: int) -> bytes:
    out = bytearray(data[:8])
    pos = 8
    while True:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise _broken()
        if kind == b"IDAT" and orientation != 1 and b"eXIf" not in out[8:]:
            out += _png_chunk(b"eXIf", orientation_exif(orientation))
        if kind not in _PNG_DROPPED:
            out += data[pos:end]
        if kind == b"IEND":
            return bytes(out)
        pos = end


def png_exif(data: bytes) -> bytes | None:
    """The EXIF block of a PNG (its `eXIf` chunk, before or after the pixels), read from the
    chunks without decoding an image: Pillow decodes the whole image to look for one."""
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"eXIf":
            return data[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            return None
        pos += 12 + length
    return None


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


# --- WebP ---------------------------------------------------------------------------------

_WEBP_EXIF_FLAG, _WEBP_XMP_FLAG = 0x08, 0x04


def _webp(data: bytes, orientation: int) -> bytes:
    size = struct.unpack("<I", data[4:8])[0]
    if data[8:12] != b"WEBP" or size + 8 > len(data):
        raise _broken()
    chunks: list[tuple[bytes, bytes]] = []
    pos = 12
    while pos < size + 8:
        kind, length = struct.unpack("<4sI", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise _broken()
        if kind not in (b"EXIF", b"XMP "):
            chunks.append((kind, body))
        pos += 8 + length + (length & 1)
    if chunks and chunks[0][0] == b"VP8X":
        flags = chunks[0][1][0] & ~(_WEBP_EXIF_FLAG | _WEBP_XMP_FLAG)
        if orientation != 1:
            flags |= _WEBP_EXIF_FLAG
            chunks.append((b"EXIF", orientation_exif(orientation)))
        chunks[0] = (b"VP8X", bytes((flags,)) + chunks[0][1][1:])
    body = b"".join(
        kind + struct.pack("<I", len(chunk)) + chunk + (b"\0" if len(chunk) & 1 else b"")
        for kind, chunk in chunks
    )
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


# --- GIF ----------------------------------------------------------------------------------


def _gif(data: bytes) -> bytes:
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    out = bytearray(data[:pos])
    while True:
        block = data[pos]
        if block == 0x3B:  # trailer
            out += b"\x3b"
            return bytes(out)
        if block == 0x2C:  # image: descriptor, local colour table, LZW code size, data
            local = data[pos + 9]
            start = pos
            pos += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0) + 1
            pos = _sub_blocks_end(data, pos)
            out += data[start:pos]
        elif block == 0x21:  # extension: label, then sub-blocks
            label, start = data[pos + 1], pos
            pos = _sub_blocks_end(data, pos + 2)
            if _keep_gif_extension(label, data[start + 3 : start + 14]):
                out += data[start:pos]
        else:
            raise _broken()


def _keep_gif_extension(label: int, application: bytes) -> bool:
    if label == 0xFE:  # comment
        return False
    if label == 0xFF:  # application: only the looping ones
        return application in _GIF_LOOPING
    return True  # graphic control, plain text


def _sub_blocks_end(data: bytes, pos: int) -> int:
    while (size := data[pos]) != 0:
        pos += size + 1
    return pos + 1
