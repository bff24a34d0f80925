"""Real files for the upload tests: a camera's JPEG with its GPS position, a phone's HEIC, a
PDF, an MP3, and the bad ones (a polyglot, an SVG, a decompression bomb, a truncated
photo). Made with Pillow and pillow-heif, as a camera or a phone would write them."""

from __future__ import annotations

import base64
import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo(size: tuple[int, int] = (4000, 3000), orientation: int = 1) -> bytes:
    """A camera's JPEG (12 MP by default): a noisy picture (it compresses like a photo),
    EXIF with the make, an orientation and the GPS position, XMP and a comment."""
    grain = Image.effect_noise(size, 40)
    ramp = Image.linear_gradient("L").resize(size)
    picture = Image.merge("RGB", (ramp, grain, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[0x010F] = "HedgeCam"  # Make
    exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90, exif=exif, comment=b"taken at home", xmp=b"<x:xmpmeta/>")
    return out.getvalue()


def heic(size: tuple[int, int] = (1200, 900)) -> bytes:
    import pillow_heif

    out = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", size, "green")).save(out, quality=80)
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48), color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def png_bomb(side: int = 50_000) -> bytes:
    """A PNG that says it is `side` × `side` (2.5 gigapixels): a few hundred bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * 100_000, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# A real MP3 (a fifth of a second of a 440 Hz tone, 8 kbit/s, made by ffmpeg and libmp3lame):
# audio uploads are probed with ffprobe, which refuses a file of frame headers alone.
MP3 = base64.b64decode(
    "SUQzBAAAAAAAI1RTU0UAAAAPAAADTGF2ZjU5LjI3LjEwMAAAAAAAAAAAAAAA/+M4wAAAAAAAAAAAAEluZm8AAAAP"
    "AAAABQAAAkAAgICAgICAgICAgICAgICAgICAgKCgoKCgoKCgoKCgoKCgoKCgoKCgwMDAwMDAwMDAwMDAwMDAwMDA"
    "wMDg4ODg4ODg4ODg4ODg4ODg4ODg4P//////////////////////////AAAAAExhdmM1OS4zNwAAAAAAAAAAAAAA"
    "ACQCwAAAAAAAAAJA1YmZSwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/+MY"
    "xAAK8AbVuUEAAv9HcNtgBg+D4PvUCAIHIPg+fxOD4PoggcRB8H34IOu/wxwG/SGOXfznT7ulJoc4WcQ3/GVEJRyh"
    "C3+D/+MYxA8QmUKQAZRQAG8H6ge5ABlxEnAPiYDmR1gd6mHvgGgCQCorCKC6//IR6KpEPh8ab//5CgNCUJA1/4lO"
    "g0r//9f4GADA/+MYxAcM8Mo4AZcQAGgBjH5QwBgcwD9AwAoD3AwwItzAwHMB/gYByCAAYSsXHAYBKA3TfG+P////"
    "rv//33mozHo3Gv//5nXy/+MYxA4QWSacAZo4AIBfR/W5fAJnZcVsOgbJk2deZc4tcwv9GPPdgCgBQgIiMK/8y7+c"
    "NSgCJnf+os0JJb/+MTXEJ8+jeCrV/+MYxAcOSMpQAc8AAWxsvXsWj5PIc9wxJ5XTqUgouKibUNUMXwU6hsdOnSoY"
    "sJ8+jeE+jbiguIK4KOhHdFdFKkxBTUUzLjEw"
)


def pixels(data: bytes) -> bytes:
    """The decoded pixels, as stored (not turned as the camera said)."""
    with Image.open(io.BytesIO(data)) as image:
        return image.tobytes()


def exif_of(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as image:
        return image.getexif()
