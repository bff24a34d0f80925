"""Images through Pillow: decode, apply the camera's rotation, resize as an `ImagePolicy`
says, and re-encode (which drops EXIF and GPS). The adapter behind `MediaService`.

Which formats, sizes and limits apply is the core's to say (core/media/media.py); this module only
does the work, off the event loop. Pillow is imported on first use: an idle node does not
need it.
"""

from __future__ import annotations

import asyncio
import io

from bocage.core.media import media
from bocage.core.media.media import ImagePolicy, ProcessedImage
from bocage.kernel.errors import InvalidInput


def process(data: bytes, policy: ImagePolicy) -> ProcessedImage:
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = media.MAX_IMAGE_PIXELS
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InvalidInput(media.UNREADABLE) from exc
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
