"""The rules of video and audio uploads (core/media/audiovisual.py), on probes as ffprobe
writes them: the kind each becomes (a silent video a gifv, a video container of sound alone
audio), Mastodon's limits, the damaged file that exits 0, and Mastodon's `meta`."""

from __future__ import annotations

from typing import Any

import pytest

from bocage.adapters.sniff import sniff
from bocage.core.media import audiovisual
from bocage.core.media.audiovisual import Probe, Verdict
from bocage.kernel.errors import InvalidInput


def probe(**fields: Any) -> Probe:
    return Probe(format_name="mov,mp4", duration=2.0, bitrate=100_000, **fields)


PICTURE = {"video_codec": "h264", "width": 1920, "height": 1080, "frame_rate": "30000/1001"}
SOUND = {"audio_codec": "aac", "sample_rate": 44100, "channels": 2, "channel_layout": "stereo"}


def test_the_kind_each_probe_becomes() -> None:
    assert audiovisual.judge("video/mp4", probe(**PICTURE, **SOUND)) == Verdict(
        "video", "video/mp4"
    )
    assert audiovisual.judge("video/webm", probe(**PICTURE)) == Verdict("gifv", "video/webm")
    assert audiovisual.judge("video/mp4", probe(**SOUND)) == Verdict("audio", "audio/mp4")
    assert audiovisual.judge("audio/mpeg", probe(**SOUND)) == Verdict("audio", "audio/mpeg")
    for refused in (None, probe()):
        with pytest.raises(InvalidInput):
            audiovisual.judge("video/mp4", refused)


def test_mastodons_limits_on_pictures() -> None:
    with pytest.raises(InvalidInput, match="3840×2160"):
        audiovisual.judge("video/mp4", probe(**PICTURE | {"width": 7680, "height": 4320}))
    with pytest.raises(InvalidInput, match="240 frames a second"):
        audiovisual.judge("video/mp4", probe(**PICTURE | {"frame_rate": "240/1"}))
    turned = probe(**PICTURE | {"width": 2160, "height": 3840, "rotation": 90})
    assert turned.shown_size == (3840, 2160) and audiovisual.judge("video/mp4", turned)


def test_a_damaged_file_is_told_by_its_log() -> None:
    assert audiovisual.damaged("[matroska,webm @ 0x1] File ended prematurely")
    assert not audiovisual.damaged("")


def test_mastodons_meta_of_a_video_and_a_sound() -> None:
    facts = audiovisual.facts(probe(**PICTURE, **SOUND, audio_profile="LC",
                                    audio_tag="mp4a / 0x6134706d"))  # fmt: skip
    meta = audiovisual.api_meta("video", (1920, 1080), 88.65, facts, (640, 360))
    assert meta["length"] == "0:01:28.65" and meta["duration"] == 88.65 and meta["fps"] == 30
    assert (meta["size"], meta["width"], meta["height"]) == ("1920x1080", 1920, 1080)
    assert meta["audio_encode"] == "aac (LC) (mp4a / 0x6134706d)"
    assert (meta["audio_bitrate"], meta["audio_channels"]) == ("44100 Hz", "stereo")
    assert meta["original"] == {"width": 1920, "height": 1080, "frame_rate": "30000/1001",
                                "duration": 88.65, "bitrate": 100_000}  # fmt: skip
    assert meta["small"] == {"width": 640, "height": 360, "size": "640x360", "aspect": 640 / 360}
    sound = audiovisual.api_meta("audio", None, 402.86, audiovisual.facts(probe(**SOUND)), None)
    assert sound["original"] == {"duration": 402.86, "bitrate": 100_000}
    assert "small" not in sound and "width" not in sound and sound["length"] == "0:06:42.86"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2", "video/mp4"),
        (b"\0\0\0\x14ftypqt  \0\0\x02\0qt  ", "video/quicktime"),
        (b"\0\0\0\x18ftypM4A \0\0\x02\0M4A isom", "audio/mp4"),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "image/heic"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", None),
        (b"RIFF\x24\0\0\0WAVEfmt ", "audio/wav"),
    ],
)
def test_containers_are_told_by_their_first_bytes(head: bytes, kind: str | None) -> None:
    assert sniff(head + b"\0" * 64) == kind
