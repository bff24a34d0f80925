"""ffmpeg as a bounded subprocess: a run past its time is killed and the upload refused in
words; the memory bound is applied to every run (with too little, ffmpeg cannot even start,
and the upload is refused rather than the node harmed); the demuxer is the sniffed type's,
never guessed (a WebM's bytes read as an MP4 are no video)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bocage.adapters import ffmpeg
from bocage.core.media import audiovisual
from bocage.kernel.errors import InvalidInput
from tests import av_files

pytestmark = av_files.needs_ffmpeg


def test_a_run_past_its_time_is_killed_and_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    clip = av_files.mp4()
    monkeypatch.setattr(audiovisual, "PROBE_SECONDS", 0.001)
    with pytest.raises(InvalidInput) as refused:
        ffmpeg.prepare(clip, "video/mp4", 640)
    assert refused.value.message == audiovisual.TOO_LONG_TO_READ


def test_every_run_is_held_to_the_memory_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    clip = av_files.mp4()
    assert ffmpeg.prepare(clip, "video/mp4", 640).verdict.kind == "video"
    monkeypatch.setattr(audiovisual, "MEMORY_BYTES", 8 * 1024 * 1024)
    with pytest.raises(InvalidInput) as refused:
        ffmpeg.prepare(clip, "video/mp4", 640)
    assert refused.value.message == audiovisual.NOT_A_VIDEO


def test_the_demuxer_is_the_sniffed_types(tmp_path: Path) -> None:
    path = tmp_path / "clip"
    path.write_bytes(av_files.webm())
    assert ffmpeg.probe(path, "video/webm") is not None
    assert ffmpeg.probe(path, "video/mp4") is None


def test_the_scratch_directory_goes_even_when_ffmpeg_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(InvalidInput):
        ffmpeg.prepare(av_files.webm()[:20000], "video/webm", 640)
    assert list(tmp_path.iterdir()) == []
