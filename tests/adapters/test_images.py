"""The Pillow adapter's derivations: every image shown gets a WebP preview no larger than
PREVIEW_LONG_SIDE and a blurhash; phones' HEIC decodes; what is not an image is refused with
words a person understands."""

from __future__ import annotations

import io
import zlib

import blurhash
import pytest
from PIL import Image

from bocage.adapters import images
from bocage.core.media import media
from bocage.kernel.errors import InvalidInput


def encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def test_a_large_photo_gets_a_small_preview_and_a_blurhash() -> None:
    photo = Image.linear_gradient("L").resize((3000, 2000)).convert("RGB")
    derived = images.derive(encoded(photo, "JPEG", quality=90))
    assert (derived.width, derived.height) == (3000, 2000)
    assert max(derived.preview_width, derived.preview_height) == media.PREVIEW_LONG_SIDE
    preview = Image.open(io.BytesIO(derived.preview))
    assert preview.format == "WEBP"
    assert preview.size == (derived.preview_width, derived.preview_height) == (640, 427)
    assert blurhash.is_valid_blurhash(derived.blurhash)
    x, y = media.BLURHASH_COMPONENTS
    assert len(derived.blurhash) == 4 + 2 * x * y  # size flag, maximum, DC, then AC pairs


def test_a_small_image_is_not_enlarged_and_keeps_its_transparency() -> None:
    icon = Image.new("RGBA", (100, 50), (255, 0, 0, 0))
    derived = images.derive(encoded(icon, "PNG"))
    preview = Image.open(io.BytesIO(derived.preview))
    assert preview.size == (100, 50)
    assert preview.mode == "RGBA"


def test_the_size_shown_is_after_the_cameras_rotation() -> None:
    photo = Image.new("RGB", (400, 300), "blue")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    derived = images.derive(encoded(photo, "JPEG", exif=exif))
    assert (derived.width, derived.height) == (300, 400)
    assert (derived.preview_width, derived.preview_height) == (300, 400)


def test_a_heic_from_a_phone_decodes() -> None:
    import pillow_heif

    heif = pillow_heif.from_pillow(Image.new("RGB", (1200, 900), "green"))
    out = io.BytesIO()
    heif.save(out, quality=80)
    derived = images.derive(out.getvalue())
    assert (derived.width, derived.height) == (1200, 900)
    assert (derived.preview_width, derived.preview_height) == (640, 480)


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b"",
        encoded(Image.new("RGB", (800, 600), "red"), "JPEG")[:300],  # truncated
    ],
    ids=["html", "empty", "truncated-jpeg"],
)
def test_what_is_not_a_whole_image_is_refused_clearly(data: bytes) -> None:
    with pytest.raises(InvalidInput, match="not an image we can read"):
        images.derive(data)


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    # A 10,000 × 10,000 PNG of one colour: a few kilobytes that would decode into 300 MB.
    bomb = encoded(Image.new("L", (10_000, 10_000)), "PNG", optimize=True)
    assert len(bomb) < 200_000
    with pytest.raises(InvalidInput):
        images.derive(bomb)


def huge(kind: str) -> bytes:
    """An image over SHRUNK_FROM_PIXELS (its preview made by libvips as it is read): dark on
    the left, light on the right."""
    side = (5200, 3250)
    assert side[0] * side[1] > images.SHRUNK_FROM_PIXELS
    ramp = Image.linear_gradient("L").rotate(90).resize(side)  # 0 on the left, 255 right
    return encoded(
        Image.merge("RGB", (ramp, ramp, ramp)),
        kind,
        **({"lossless": True} if kind == "WEBP" else {}),
    )


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_a_huge_png_or_webp_gets_its_preview_shrunk_as_it_is_read(kind: str) -> None:
    derived = images.derive(huge(kind))
    assert (derived.width, derived.height) == (5200, 3250)
    assert (derived.preview_width, derived.preview_height) == (640, 400)
    preview = Image.open(io.BytesIO(derived.preview)).convert("L")
    assert preview.size == (640, 400)
    assert preview.getpixel((5, 200)) < 40 < 215 < preview.getpixel((634, 200))
    assert len(derived.blurhash) > 6


def test_a_huge_truncated_png_is_refused() -> None:
    data = huge("PNG")
    with pytest.raises(InvalidInput):
        images.derive(data[: len(data) // 2])


def test_a_pngs_orientation_is_read_even_after_its_pixels() -> None:
    """A PNG's eXIf chunk may follow its pixels (Pillow decodes the whole image to find it):
    read from the chunks, the preview of a camera's sideways PNG stands upright."""
    data = huge("PNG")
    iend = data.rindex(b"IEND") - 4
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90° clockwise to show
    body = exif.tobytes()
    chunk = len(body).to_bytes(4, "big") + b"eXIf" + body
    chunk += zlib.crc32(b"eXIf" + body).to_bytes(4, "big")
    derived = images.derive(data[:iend] + chunk + data[iend:])
    assert (derived.width, derived.height) == (3250, 5200)
    assert (derived.preview_width, derived.preview_height) == (400, 640)
    preview = Image.open(io.BytesIO(derived.preview)).convert("L")
    assert preview.getpixel((200, 5)) < 40 < 215 < preview.getpixel((200, 634))  # dark on top
