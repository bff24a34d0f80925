"""Image uploads: verify, strip metadata (EXIF, GPS) by re-encoding, bound the size.

Pillow does the decoding; a decompression-bomb limit keeps a small file from eating memory.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from pathlib import Path

from bocage.adapters.storage import LocalStorage
from bocage.core.media import media
from bocage.kernel.errors import InvalidInput

MAX_IMAGE_PIXELS = 40_000_000  # decompression-bomb limit


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int


def process(data: bytes, max_size: tuple[int, int], crop: bool) -> ProcessedImage:
    # Pillow is imported on first upload, not at start-up: an idle node does not need it.
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InvalidInput("That file is not an image we can read (JPEG, PNG, GIF, WebP).") from exc
    if Image.MIME.get(image.format or "") not in media.IMAGE_TYPES:
        raise InvalidInput("Only JPEG, PNG, GIF and WebP images are accepted.")
    image = ImageOps.exif_transpose(image)  # apply the camera's rotation before EXIF is dropped
    if crop:
        image = ImageOps.fit(image, max_size)
    else:
        image.thumbnail(max_size)
    keep_alpha = image.mode in ("RGBA", "LA", "P")
    out = io.BytesIO()
    if keep_alpha:
        image.convert("RGBA").save(out, "PNG", optimize=True)
        extension, content_type = "png", "image/png"
    else:
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
        extension, content_type = "jpg", "image/jpeg"
    return ProcessedImage(out.getvalue(), extension, content_type, image.width, image.height)


async def process_async(data: bytes, max_size: tuple[int, int], crop: bool) -> ProcessedImage:
    return await asyncio.to_thread(process, data, max_size, crop)


AVATAR_SIZE = (400, 400)
HEADER_SIZE = (1500, 500)


async def store_profile_image(media_dir: Path, data: bytes | None, kind: str) -> str | None:
    """An uploaded avatar or header, resized and cropped, stored; its storage key (None
    when nothing was uploaded)."""
    if not data:
        return None
    size = AVATAR_SIZE if kind == "avatar" else HEADER_SIZE
    processed = await process_async(data, size, crop=True)
    return LocalStorage(media_dir).put(processed.data, processed.extension)
