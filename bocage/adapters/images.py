"""Images through Pillow: decode, apply the camera's rotation, resize as an `ImagePolicy`
says, and re-encode (which drops EXIF and GPS); derive a preview and a blurhash
(`derive`). The adapter behind `MediaService`. HEIC/HEIF (phones) decode through
pillow-heif; AVIF and WebP through Pillow itself.

Which formats, sizes and limits apply is the core's to say (core/media/media.py); this module only
does the work, off the event loop. Pillow is imported on first use: an idle node does not
need it.
"""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

from bocage.core.media import media
from bocage.core.media.media import Derived, ImagePolicy, ProcessedImage
from bocage.kernel.errors import InvalidInput

if TYPE_CHECKING:
    from PIL import Image as PILImage

_registered = False


def _register_formats() -> None:
    """pillow-heif as a Pillow opener, once per process."""
    global _registered
    if not _registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _registered = True


def decode(data: bytes) -> PILImage.Image:
    """`data` decoded whole, within the decompression-bomb limit; `InvalidInput` (a message a
    person understands) for anything Pillow cannot read, or a truncated file."""
    from PIL import Image, UnidentifiedImageError

    _register_formats()
    Image.MAX_IMAGE_PIXELS = media.MAX_IMAGE_PIXELS
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput(media.UNREADABLE) from exc
    return image


def derive(data: bytes) -> Derived:
    """The preview and blurhash of an image (the first frame of an animated one), as shown:
    turned as the camera said."""
    import blurhash
    from PIL import ImageOps

    image = ImageOps.exif_transpose(decode(data))
    width, height = image.size
    shown = image.convert("RGBA" if _has_alpha(image) else "RGB")
    preview = shown.copy()
    long_side = media.PREVIEW_LONG_SIDE
    preview.thumbnail((long_side, long_side))
    out = io.BytesIO()
    preview.save(out, "WEBP", quality=media.PREVIEW_QUALITY, method=4)
    tiny = shown.convert("RGB")
    tiny.thumbnail((64, 64))
    x, y = media.BLURHASH_COMPONENTS
    return Derived(
        out.getvalue(), preview.width, preview.height, width, height, blurhash.encode(tiny, x, y)
    )


def _has_alpha(image: PILImage.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def process(data: bytes, policy: ImagePolicy) -> ProcessedImage:
    from PIL import Image, ImageOps

    image = decode(data)
    if Image.MIME.get(image.format or "") not in media.IMAGE_TYPES:
        raise InvalidInput(media.NOT_ACCEPTED)
    image = ImageOps.exif_transpose(image)  # apply the camera's rotation before EXIF is dropped
    if policy.crop:
        image = ImageOps.fit(image, policy.max_size)
    else:
        image.thumbnail(policy.max_size)
    keep_alpha = image.mode in ("RGBA", "LA", "P")
    out = io.BytesIO()
    if keep_alpha:
        image.convert("RGBA").save(out, "PNG", optimize=True)
        extension, content_type = "png", "image/png"
    else:
        image.convert("RGB").save(out, "JPEG", quality=media.JPEG_QUALITY, optimize=True)
        extension, content_type = "jpg", "image/jpeg"
    return ProcessedImage(out.getvalue(), extension, content_type, image.width, image.height)


class PillowImages:
    """`ImageProcessor` (services/ports.py) on Pillow, in a worker thread."""

    async def process(self, data: bytes, policy: ImagePolicy) -> ProcessedImage:
        return await asyncio.to_thread(process, data, policy)

    async def derive(self, data: bytes) -> Derived:
        return await asyncio.to_thread(derive, data)
