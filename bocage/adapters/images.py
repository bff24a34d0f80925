"""Images through Pillow: an attachment made ready to store (`prepare`: told by its first
bytes, checked whole, its metadata stripped losslessly by `metadata.py`, a HEIC given a
full-size JPEG rendition, and its preview and blurhash derived); a profile image decoded,
turned as the camera said, resized as an `ImagePolicy` says, and re-encoded (`process`,
which drops EXIF and GPS); a preview and a blurhash of any image (`derive`). The adapter
behind `MediaService`. HEIC/HEIF (phones) decode through pillow-heif; AVIF and WebP through
Pillow itself.

Which formats, sizes and limits apply is the core's to say (core/media/media.py); this module only
does the work, off the event loop. Pillow is imported on first use: an idle node does not
need it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from typing import TYPE_CHECKING

from bocage.adapters import ffmpeg, metadata, vips
from bocage.adapters.sniff import SVG, sniff
from bocage.core.media import audiovisual, media
from bocage.core.media.audiovisual import UploadLimits
from bocage.core.media.media import Derived, ImagePolicy, ProcessedImage, Upload
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


def _open(data: bytes) -> PILImage.Image:
    """`data` opened (not decoded yet), within the decompression-bomb limit."""
    from PIL import Image, UnidentifiedImageError

    _register_formats()
    Image.MAX_IMAGE_PIXELS = media.MAX_IMAGE_PIXELS
    try:
        return Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput(media.UNREADABLE) from exc


def _load(image: PILImage.Image) -> None:
    """Decode it whole: a truncated or broken file fails here."""
    try:
        image.load()
    except (OSError, ValueError, SyntaxError) as exc:
        raise InvalidInput(media.UNREADABLE) from exc


def decode(data: bytes) -> PILImage.Image:
    """`data` decoded whole, within the decompression-bomb limit; `InvalidInput` (a message a
    person understands) for anything Pillow cannot read, or a truncated file."""
    image = _open(data)
    _load(image)
    return image


def derive(data: bytes) -> Derived:
    """The preview and blurhash of an image (the first frame of an animated one), as shown:
    turned as the camera said."""
    return _derive(_open(data), data)


# Formats without reduced decoding in Pillow, and the size from which libvips makes their
# preview instead (Pillow would hold 64 MB of pixels and more).
SHRUNK_AS_READ = ("PNG", "WEBP")
SHRUNK_FROM_PIXELS = 16_000_000

# Pillow's own `exif_transpose` steps, applied to the preview only (a 50-megapixel photo is
# never turned whole: only what is shown of it is).
_TURNS = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
          6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}  # fmt: skip


def _orientation(image: PILImage.Image, data: bytes) -> int:
    if image.format == "PNG":  # read from the chunks: Pillow's getexif decodes a PNG whole
        from PIL import Image

        block = metadata.png_exif(data)
        exif = Image.Exif()
        if block:
            exif.load(block)
    else:
        exif = image.getexif()
    found = exif.get(metadata.ORIENTATION_TAG, 1)
    return found if isinstance(found, int) and 1 <= found <= 8 else 1


def _derive(image: PILImage.Image, data: bytes) -> Derived:
    """Decoded at the smallest size a preview needs (a JPEG's DCT scaling reads every byte of
    the file, so a truncated one is still refused, in a quarter of the time; a very large PNG
    or WebP is shrunk by libvips as it is read, adapters/vips.py)."""
    import blurhash
    from PIL import Image

    orientation = _orientation(image, data)
    width, height = image.size
    long_side = media.PREVIEW_LONG_SIDE
    size = media.preview_size(width, height)
    if image.format in SHRUNK_AS_READ and width * height > SHRUNK_FROM_PIXELS:
        image = _open(vips.shrunk_png(data, *size, media.UNREADABLE))
    elif image.format == "JPEG":
        image.draft("RGB", (long_side, long_side))
    _load(image)
    shown = image if image.mode in ("RGB", "RGBA") else image.convert(_shown_mode(image))
    preview = shown if shown.size == size else shown.resize(size, reducing_gap=2.0)
    if orientation in _TURNS:
        preview = preview.transpose(getattr(Image.Transpose, _TURNS[orientation]))
        if orientation >= 5:
            width, height = height, width
    out = io.BytesIO()
    preview.save(out, "WEBP", quality=media.PREVIEW_QUALITY, method=4)
    tiny = preview.convert("RGB")
    tiny.thumbnail((64, 64))
    x, y = media.BLURHASH_COMPONENTS
    return Derived(
        out.getvalue(), preview.width, preview.height, width, height, blurhash.encode(tiny, x, y)
    )


def _shown_mode(image: PILImage.Image) -> str:
    return "RGBA" if _has_alpha(image) else "RGB"


def prepare(data: bytes, limits: UploadLimits | None = None) -> Upload:
    """An upload made ready to store: what it is (by its first bytes), within its kind's
    size (`limits`), checked whole, with its metadata stripped and its pixels untouched (a
    HEIC: a full-size JPEG rendition served, the original kept), its preview and blurhash;
    a video, an audio file or an animated GIF through ffmpeg (`_audiovisual`); a document as
    it is (and audio too where ffmpeg is not installed). `InvalidInput` for what is not
    accepted, in words a person understands."""
    content_type = sniff(data)
    if content_type == SVG:
        raise InvalidInput(media.NO_SVG)
    kind = media.kind_of(content_type) if content_type else None
    if content_type is None or kind is None:
        raise InvalidInput(media.NOT_A_FILE_WE_TAKE)
    if limits is not None:
        audiovisual.check_size(kind, len(data), limits)
    if audiovisual.is_audiovisual(content_type) and (kind == "video" or ffmpeg.available()):
        return _audiovisual(data, content_type)
    if kind != "image":
        return Upload(data, content_type, kind, hashlib.sha256(data).hexdigest())
    image = _open(data)
    if content_type == "image/gif" and getattr(image, "is_animated", False) and ffmpeg.available():
        return _audiovisual(data, content_type)  # a looping MP4, as Mastodon's gifv
    orientation = _orientation(image, data)
    if content_type in media.SHOWN_AS_IS:
        derived = _derive(image, data)
        served, served_type, original = (
            _stripped(data, content_type, orientation),
            content_type,
            None,
        )
    else:  # HEIC/HEIF: browsers cannot show it
        served, served_type, original = _rendition(image), "image/jpeg", data
        derived = derive(served)
    return Upload(
        served, served_type, "image", hashlib.sha256(served).hexdigest(), derived.width,
        derived.height, derived, original, content_type if original else None,
    )  # fmt: skip


def _audiovisual(data: bytes, content_type: str) -> Upload:
    """A video, a sound or an animated GIF as ffmpeg made it ready (adapters/ffmpeg.py),
    with the preview and blurhash of its poster frame (or an audio file's cover art)."""
    prepared = ffmpeg.prepare(data, content_type, media.PREVIEW_LONG_SIDE)
    verdict, probe = prepared.verdict, prepared.probe
    size = probe.shown_size if verdict.kind != "audio" else None
    if prepared.poster is None and verdict.kind != "audio":
        raise InvalidInput(audiovisual.NOT_A_VIDEO)  # not one frame decodes
    derived = None
    if prepared.poster is not None:
        poster = derive(prepared.poster)
        width, height = size or (poster.width, poster.height)
        derived = Derived(poster.preview, poster.preview_width, poster.preview_height, width,
                          height, poster.blurhash)  # fmt: skip
    return Upload(
        prepared.data, verdict.content_type, verdict.kind,
        hashlib.sha256(prepared.data).hexdigest(), size[0] if size else None,
        size[1] if size else None, derived, duration=probe.duration,
        av=audiovisual.facts(probe),
    )  # fmt: skip


def thumbnail(data: bytes, limits: UploadLimits | None = None) -> Derived:
    """The preview and blurhash of an image sent as a video's or a sound's `thumbnail`."""
    content_type = sniff(data)
    if content_type not in media.IMAGE_TYPES:
        raise InvalidInput(audiovisual.THUMBNAIL_NOT_AN_IMAGE)
    if limits is not None:
        audiovisual.check_size("image", len(data), limits)
    return derive(data)


def _stripped(data: bytes, content_type: str, orientation: int) -> bytes:
    if content_type == "image/avif":
        return data  # served as it came (ISO boxes: no lossless stripping here yet)
    return metadata.strip(data, content_type, orientation)


def _rendition(image: PILImage.Image) -> bytes:
    """A HEIC's full-size JPEG, upright, with its colour profile and no other metadata."""
    from PIL import ImageOps

    _load(image)
    icc = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image).convert("RGB")
    out = io.BytesIO()
    options = {"icc_profile": icc} if icc else {}
    upright.save(out, "JPEG", quality=media.RENDITION_QUALITY, **options)
    return out.getvalue()


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
    """`ImageProcessor` (services/ports.py) on Pillow, and ffmpeg for video and sound, in a
    worker thread."""

    async def process(self, data: bytes, policy: ImagePolicy) -> ProcessedImage:
        return await asyncio.to_thread(process, data, policy)

    async def derive(self, data: bytes) -> Derived:
        return await asyncio.to_thread(derive, data)

    async def prepare(self, data: bytes, limits: UploadLimits | None = None) -> Upload:
        return await asyncio.to_thread(prepare, data, limits)

    async def thumbnail(self, data: bytes, limits: UploadLimits | None = None) -> Derived:
        return await asyncio.to_thread(thumbnail, data, limits)
