"""libvips (pyvips, with the libvips the `pyvips-binary` wheel bundles), for the one thing
Pillow cannot do within a bounded memory: shrink a very large PNG or WebP. Pillow decodes an
image whole before resizing it (4 bytes a pixel: 200 MB for 50 megapixels), and has reduced
decoding (`draft`) for JPEG only; libvips reads the file a strip at a time, shrinking as it
reads, so a 50-megapixel PNG costs tens of MB. It reads every row, so a truncated or broken
file still fails (`fail_on="error"`).

The rules (which images, what size) are the caller's: adapters/images.py."""

from __future__ import annotations

from bocage.kernel.errors import InvalidInput


def shrunk_png(data: bytes, width: int, height: int, unreadable: str) -> bytes:
    """`data` (an image libvips reads) decoded and shrunk to `width` × `height`, as a
    lossless PNG (small: a preview's size); not turned by its EXIF orientation, its colours
    as stored. `InvalidInput(unreadable)` when libvips cannot read all of it."""
    import pyvips

    try:
        image = pyvips.Image.thumbnail_buffer(
            data, width, height=height, size="force", no_rotate=True, option_string="fail_on=error"
        )
        return bytes(image.pngsave_buffer(compression=1))
    except pyvips.Error as exc:
        raise InvalidInput(unreadable) from exc
