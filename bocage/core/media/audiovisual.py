"""Video and audio uploads: which are taken, how large, what a probe of them must say for them
to be kept, the kind each becomes, and what Mastodon's API shows of them (`meta`).

The work is ffmpeg's (adapters/ffmpeg.py: probing, a poster frame, stripping the container's
metadata, an animated GIF made a looping MP4): it follows these rules and decides none.

As on Mastodon: a video without sound is a `gifv` (apps loop it silently, as a GIF); an
animated GIF becomes one (an MP4, H.264, no sound); audio is `audio`. Processing is done
before the upload is answered (a clip of Mastodon's sizes takes well under a second to probe
and remux), so the API answers 200 with the file's `url`, never 202 with `url: null`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from bocage.config import Settings
from bocage.kernel.errors import DomainError, InvalidInput

# What is taken, told by the first bytes (adapters/sniff.py): the container's type.
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")
AUDIO_TYPES = (
    "audio/mpeg", "audio/ogg", "audio/opus", "audio/flac", "audio/mp4", "audio/wav",
)  # fmt: skip
EXTENSIONS = {
    "video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm",
    "audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/opus": "opus", "audio/flac": "flac",
    "audio/mp4": "m4a", "audio/wav": "wav",
}  # fmt: skip
# ffmpeg's muxer for each container a video is rewritten into (its metadata dropped, the
# streams copied as they are): a MOV becomes an MP4 when its streams fit one.
MUXERS = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"}
REMUXED_AS = {"video/quicktime": "video/mp4"}

# Mastodon's limits (`/api/v2/instance` configuration.media_attachments): 4K at 120 frames a
# second at most; the size is the settings' `video_max_upload_bytes` (99 MB, Mastodon's).
VIDEO_MATRIX_LIMIT = 8_294_400  # 3840 × 2160
VIDEO_FRAME_RATE_LIMIT = 120
GIFV_FRAMES_LIMIT = 3 * 60 * 60  # Mastodon's `frames:v` cap on a converted GIF
# How long ffmpeg may work on one file, and how much memory it may take (then it is killed
# and the upload refused): a decoder that runs away never takes the node down.
PROBE_SECONDS = 20
WORK_SECONDS = 120
MEMORY_BYTES = 1024 * 1024 * 1024
# ffmpeg's logs that say a file is damaged even when it exits 0 (a truncated WebM).
DAMAGE_MARKERS = ("ended prematurely", "corrupt", "invalid data", "truncat", "partial file")

NOT_A_VIDEO = (
    "That file is not a video or an audio file we can read: it may be damaged or cut short "
    "(MP4, MOV and WebM videos; MP3, Ogg, Opus, FLAC, M4A and WAV audio are accepted)."
)
NO_STREAMS = "That file holds neither a picture nor sound that we can play."
MARKUP = "That file holds web page markup as well as media, which is never served from here."
NO_FFMPEG = (
    "This server cannot take video yet: ffmpeg is not installed on it (its admin can install "
    "Debian's ffmpeg package)."
)
TOO_LONG_TO_READ = "That file took too long to read; it may be damaged."
THUMBNAIL_FOR_AV = "A thumbnail is for a video or an audio file; an image is its own preview."
THUMBNAIL_NOT_AN_IMAGE = "A thumbnail must be an image (JPEG, PNG, GIF, WebP, HEIC or AVIF)."
# Markup a polyglot carries near its start (a file that is a video and also a web page);
# not `<?xml`, which a camera's XMP packet may hold.
MARKUP_MARKERS = (b"<svg", b"<html", b"<!doctype html", b"<script", b"<body", b"<head")
MARKUP_HEAD = 4096


class TooLarge(DomainError):
    """A file past its kind's size limit (413, as Mastodon answers)."""

    status = 413


@dataclass(frozen=True)
class UploadLimits:
    """The largest upload of each kind, in bytes (the settings': images and documents
    `max_upload_bytes`, video and audio `video_max_upload_bytes`)."""

    image_bytes: int
    audiovisual_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> UploadLimits:
        return cls(settings.max_upload_bytes, settings.video_max_upload_bytes)

    @property
    def largest(self) -> int:
        return max(self.image_bytes, self.audiovisual_bytes)


def check_size(kind: str, size: int, limits: UploadLimits) -> None:
    """`TooLarge` when a file of `kind` (image, video, audio, document) is past its limit."""
    audiovisual = kind in ("video", "audio", "gifv")
    limit = limits.audiovisual_bytes if audiovisual else limits.image_bytes
    if size > limit:
        what = "A video or audio file" if audiovisual else "A file of that kind"
        raise TooLarge(f"{what} can be at most {_megabytes(limit)} here; that one is larger.")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size // 1024} kB"


def is_audiovisual(content_type: str) -> bool:
    return content_type in VIDEO_TYPES or content_type in AUDIO_TYPES


def check_no_markup(data: bytes) -> None:
    """A polyglot (media that is also a web page or an SVG) is refused outright."""
    head = data[:MARKUP_HEAD].lower()
    if any(marker in head for marker in MARKUP_MARKERS):
        raise InvalidInput(MARKUP)


@dataclass(frozen=True)
class Probe:
    """What ffprobe says of a file: its container, and its first picture and sound."""

    format_name: str
    duration: float | None
    bitrate: int | None
    video_codec: str | None = None
    width: int | None = None  # as coded; `shown_size` turns it as players do
    height: int | None = None
    frame_rate: str | None = None  # a fraction, "30/1"
    rotation: int = 0
    audio_codec: str | None = None
    audio_profile: str | None = None
    audio_tag: str | None = None  # "mp4a / 0x6134706D"
    sample_rate: int | None = None
    channels: int | None = None
    channel_layout: str | None = None
    cover: bool = False  # a still picture beside the sound (an MP3's cover art)

    @property
    def has_picture(self) -> bool:
        return self.video_codec is not None and bool(self.width and self.height)

    @property
    def has_sound(self) -> bool:
        return self.audio_codec is not None

    @property
    def shown_size(self) -> tuple[int, int] | None:
        """Width and height as a player shows it (a phone's portrait clip is turned)."""
        if not self.width or not self.height:
            return None
        if self.rotation % 180 == 90:
            return self.height, self.width
        return self.width, self.height

    @property
    def fps(self) -> float | None:
        rate = _fraction(self.frame_rate)
        return float(rate) if rate else None


def parse_probe(document: dict[str, Any]) -> Probe | None:
    """ffprobe's JSON (`-show_format -show_streams`) read into a `Probe`; None when it names
    no container (not a file ffmpeg can read)."""
    found = document.get("format")
    if not isinstance(found, dict) or not found.get("format_name"):
        return None
    streams = [s for s in document.get("streams") or [] if isinstance(s, dict)]
    picture = next((s for s in streams if _is_picture(s)), None)
    sound = next((s for s in streams if s.get("codec_type") == "audio"), None)
    fields: dict[str, Any] = {
        "cover": any(s.get("codec_type") == "video" and not _is_picture(s) for s in streams),
        "format_name": str(found["format_name"]),
        "duration": _number(found.get("duration"), float),
        "bitrate": _number(found.get("bit_rate"), int),
    }
    if picture is not None:
        rate = picture.get("avg_frame_rate")
        if not _fraction(rate):
            rate = picture.get("r_frame_rate")
        fields |= {
            "video_codec": str(picture.get("codec_name") or "unknown"),
            "width": _number(picture.get("width"), int),
            "height": _number(picture.get("height"), int),
            "frame_rate": str(rate) if _fraction(rate) else None,
            "rotation": _rotation(picture),
        }
    if sound is not None:
        tag = str(sound.get("codec_tag_string") or "")
        tag_number = str(sound.get("codec_tag") or "") if tag.isalnum() else ""
        fields |= {
            "audio_codec": str(sound.get("codec_name") or "unknown"),
            "audio_profile": str(sound["profile"]) if sound.get("profile") else None,
            "audio_tag": f"{tag} / {tag_number}" if tag_number not in ("", "0x0000") else None,
            "sample_rate": _number(sound.get("sample_rate"), int),
            "channels": _number(sound.get("channels"), int),
            "channel_layout": str(sound["channel_layout"]) if sound.get("channel_layout") else None,
        }
    return Probe(**fields)


def _is_picture(stream: dict[str, Any]) -> bool:
    """A video stream that moves (an MP3's cover art is a still `attached_pic`)."""
    disposition = stream.get("disposition") or {}
    return stream.get("codec_type") == "video" and not disposition.get("attached_pic")


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or []:
        if isinstance(side, dict) and "rotation" in side:
            value = _number(side.get("rotation"), int)
            return value % 360 if value is not None else 0
    value = _number((stream.get("tags") or {}).get("rotate"), int)
    return value % 360 if value is not None else 0


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    try:
        number = kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and number >= -(2**62) else None  # not NaN


def _fraction(value: Any) -> Fraction | None:
    try:
        rate = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None
    return rate if rate > 0 else None


@dataclass(frozen=True)
class Verdict:
    """What an upload becomes: its kind (video, gifv, audio) and served type."""

    kind: str
    content_type: str


def judge(sniffed: str, probe: Probe | None) -> Verdict:
    """The kind a probed upload becomes, or `InvalidInput` in words a person understands: a
    file ffmpeg cannot read, one with nothing to play, a picture past Mastodon's limits. A
    container sniffed as video that holds only sound is audio; a video without sound is a
    gifv, as on Mastodon."""
    if probe is None:
        raise InvalidInput(NOT_A_VIDEO)
    if probe.has_picture and sniffed in VIDEO_TYPES:
        width, height = probe.shown_size or (0, 0)
        if width * height > VIDEO_MATRIX_LIMIT:
            raise InvalidInput(
                f"That video is {width}×{height}: the largest taken here is 3840×2160 (4K)."
            )
        if (probe.fps or 0) > VIDEO_FRAME_RATE_LIMIT:
            raise InvalidInput(
                f"That video has {probe.fps:g} frames a second: at most "
                f"{VIDEO_FRAME_RATE_LIMIT} are taken here."
            )
        return Verdict("video" if probe.has_sound else "gifv", sniffed)
    if probe.has_sound:
        # A WebM of sound alone stays `video/webm` (its extension's type when served).
        audio_type = "audio/mp4" if sniffed in ("video/mp4", "video/quicktime") else sniffed
        return Verdict("audio", audio_type)
    raise InvalidInput(NO_STREAMS)


def damaged(log: str) -> bool:
    """Whether ffmpeg's error log says the file is damaged (it may exit 0 on a cut WebM)."""
    text = log.lower()
    return any(marker in text for marker in DAMAGE_MARKERS)


CHANNELS = {1: "mono", 2: "stereo"}


# What is kept of a probe, beside the row's width, height and duration (the `av` column):
# Mastodon's names.
def facts(probe: Probe) -> dict[str, Any]:
    kept: dict[str, Any] = {"bitrate": probe.bitrate}
    if probe.has_picture:
        kept["frame_rate"] = probe.frame_rate
    if probe.has_sound:
        encode = probe.audio_codec or "unknown"
        if probe.audio_profile:
            encode += f" ({probe.audio_profile})"
        if probe.audio_tag:
            encode += f" ({probe.audio_tag})"
        kept["audio_encode"] = encode
        kept["audio_bitrate"] = f"{probe.sample_rate} Hz" if probe.sample_rate else None
        kept["audio_channels"] = (
            probe.channel_layout
            or CHANNELS.get(probe.channels or 0)
            or (f"{probe.channels} channels" if probe.channels else None)
        )
    return {key: value for key, value in kept.items() if value is not None}


def length(duration: float) -> str:
    """Mastodon's `length`: H:MM:SS.ss."""
    hours, rest = divmod(duration, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{int(hours)}:{int(minutes):02d}:{seconds:05.2f}"


def iso_duration(duration: float) -> str:
    """An ActivityStreams `duration` (xsd:duration), as PeerTube writes it: PT12.5S."""
    return f"PT{round(duration, 3):g}S"


def api_meta(
    kind: str,
    size: tuple[int, int] | None,
    duration: float | None,
    av: dict[str, Any],
    small: tuple[int, int] | None,
) -> dict[str, Any]:
    """Mastodon's MediaAttachment `meta` of a video, gifv or audio file: the top-level fields
    Mastodon's docs show (`length`, `duration`, `fps`, `size`, `width`, `height`, `aspect`,
    `audio_encode`, `audio_bitrate`, `audio_channels`), `original` (width, height,
    `frame_rate`, duration, bitrate; duration and bitrate of audio) and `small` (the
    preview's size, when there is a preview)."""
    meta: dict[str, Any] = {}
    original: dict[str, Any] = {}
    if duration is not None:
        meta["length"] = length(duration)
        meta["duration"] = round(duration, 2)
    if size is not None and kind != "audio":
        width, height = size
        rate = _fraction(av.get("frame_rate"))
        if rate:
            meta["fps"] = round(float(rate))
        meta |= {"size": f"{width}x{height}", "width": width, "height": height,
                 "aspect": width / height}  # fmt: skip
        original |= {"width": width, "height": height}
        if rate:
            original["frame_rate"] = av["frame_rate"]
    for key in ("audio_encode", "audio_bitrate", "audio_channels"):
        if key in av:
            meta[key] = av[key]
    if duration is not None:
        original["duration"] = duration
    if av.get("bitrate") is not None:
        original["bitrate"] = av["bitrate"]
    if original:
        meta["original"] = original
    if small is not None:
        width, height = small
        meta["small"] = {"width": width, "height": height, "size": f"{width}x{height}",
                         "aspect": width / height}  # fmt: skip
    return meta
