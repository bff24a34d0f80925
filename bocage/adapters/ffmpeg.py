"""Video and audio through Debian's ffmpeg and ffprobe, run as subprocesses: probing a file
(its container, duration, bitrate, picture and sound), rewriting a video's container without
its metadata (a phone's MOV says where it was filmed) and with its streams copied as they
are, turning an animated GIF into a silent looping MP4 (Mastodon's `gifv`), and taking a
poster frame. The rules (which files, how large, what kind each becomes) are
core/media/audiovisual.py's; this module only does the work.

Every run is bounded: never through a shell, input from a temporary file in a directory of
its own (removed whatever happens, so nothing half-written stays on disk), the demuxer named
(never guessed from the bytes) and only the `file` protocol allowed (a playlist inside an
upload cannot make ffmpeg fetch anything), a wall-clock timeout, a CPU-time and an
address-space limit, and a lower CPU priority than the node's own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bocage.core.media import audiovisual as av
from bocage.core.media.audiovisual import Probe, Verdict
from bocage.kernel.errors import InvalidInput

# ffmpeg's demuxer for each type a file was sniffed as.
DEMUXERS = {
    "video/mp4": "mov", "video/quicktime": "mov", "video/webm": "matroska",
    "audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/opus": "ogg", "audio/flac": "flac",
    "audio/mp4": "mov", "audio/wav": "wav", "image/gif": "gif",
}  # fmt: skip
NICENESS = 10
POSTER_CANDIDATES = 30  # frames the `thumbnail` filter picks the most typical of
GIFV_CRF = 23


def available() -> bool:
    """Whether ffmpeg and ffprobe are installed (scripts/ensure-ffmpeg installs them)."""
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


@dataclass(frozen=True)
class Prepared:
    """An upload as ffmpeg left it: the bytes to serve, their type and kind, the probe of
    those bytes, and a poster frame (PNG, at most the preview's size) if it has a picture."""

    data: bytes
    verdict: Verdict
    probe: Probe
    poster: bytes | None


def _limits() -> None:  # pragma: no cover - runs in the child, between fork and exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (av.MEMORY_BYTES, av.MEMORY_BYTES))
    cpu = max(1, int(av.WORK_SECONDS * 2))  # seconds of CPU over every thread
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    os.nice(NICENESS)


def _run(arguments: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    """One bounded run (killed past `timeout`: `InvalidInput`, the upload refused)."""
    try:
        return subprocess.run(
            arguments,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
            preexec_fn=_limits,  # only setrlimit and nice between fork and exec: no lock taken
        )
    except subprocess.TimeoutExpired:
        raise InvalidInput(av.TOO_LONG_TO_READ) from None


def _input(path: Path, content_type: str) -> list[str]:
    return ["-protocol_whitelist", "file", "-f", DEMUXERS[content_type], "-i", f"file:{path}"]


def probe(path: Path, content_type: str) -> Probe | None:
    """What ffprobe says of the file at `path`, read as `content_type`; None if it cannot read it
    (or says it is damaged)."""
    arguments = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                 "-show_streams", *_input(path, content_type)]  # fmt: skip
    ran = _run(arguments, av.PROBE_SECONDS)
    if ran.returncode != 0 or av.damaged(ran.stderr.decode("utf-8", "replace")):
        return None
    try:
        document = json.loads(ran.stdout)
    except ValueError:
        return None
    return av.parse_probe(document) if isinstance(document, dict) else None


def _ffmpeg(arguments: list[str]) -> None:
    """ffmpeg run on an upload; `InvalidInput` if it fails or says the file is damaged."""
    ran = _run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-xerror", *arguments],
               av.WORK_SECONDS)  # fmt: skip
    if ran.returncode != 0 or av.damaged(ran.stderr.decode("utf-8", "replace")):
        raise InvalidInput(av.NOT_A_VIDEO)


def _remux(source: Path, content_type: str, target: Path, muxer: str) -> None:
    """The first picture and sound copied as they are into a new container, without the
    file's metadata, chapters, subtitles or data tracks (a camera's GPS track)."""
    fast_start = ["-movflags", "+faststart"] if muxer in ("mp4", "mov") else []
    _ffmpeg([
        *_input(source, content_type), "-map", "0:V:0?", "-map", "0:a:0?", "-c", "copy",
        "-map_metadata", "-1", "-map_chapters", "-1", "-dn", "-sn", *fast_start,
        "-f", muxer, "-y", f"file:{target}",
    ])  # fmt: skip


def _gifv(source: Path, target: Path) -> None:
    """An animated GIF as Mastodon makes it a `gifv`: H.264 in MP4, even sides, no sound."""
    _ffmpeg([
        *_input(source, "image/gif"), "-an", "-c:v", "libx264", "-preset", "veryfast",
        "-crf", str(GIFV_CRF), "-pix_fmt", "yuv420p", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2",
        "-frames:v", str(av.GIFV_FRAMES_LIMIT), "-map_metadata", "-1", "-movflags", "+faststart",
        "-threads", "2", "-f", "mp4", "-y", f"file:{target}",
    ])  # fmt: skip


def _poster(source: Path, content_type: str, stream: str, long_side: int) -> bytes | None:
    """A typical frame of the first seconds (ffmpeg's `thumbnail` filter), upright, at most
    `long_side` on its long side, as PNG; an audio file's cover art; None if none decodes."""
    scale = (
        f"scale=w='min({long_side}\\,iw)':h='min({long_side}\\,ih)'"
        ":force_original_aspect_ratio=decrease,"
        f"thumbnail={POSTER_CANDIDATES}"
    )
    arguments = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error",
                 "-threads", "2", *_input(source, content_type), "-map", stream, "-vf", scale,
                 "-frames:v", "1",
                 "-f", "image2pipe", "-c:v", "png", "pipe:1"]  # fmt: skip
    ran = _run(arguments, av.WORK_SECONDS)
    return ran.stdout if ran.returncode == 0 and ran.stdout else None


def prepare(data: bytes, content_type: str, poster_side: int) -> Prepared:
    """A video, an audio file or an animated GIF (`content_type`, as sniffed) made ready to
    store: probed, judged by the core, a video's container rewritten without its metadata
    (a MOV into an MP4 when its streams fit one), a GIF made a gifv, a poster taken.
    `InvalidInput` (words a person understands) for what cannot be kept."""
    if not available():
        raise InvalidInput(av.NO_FFMPEG)
    av.check_no_markup(data)
    with tempfile.TemporaryDirectory(prefix="bocage-av-") as directory:
        source = Path(directory) / "upload"
        source.write_bytes(data)
        if content_type == "image/gif":
            served_path, served_type = Path(directory) / "gifv.mp4", "video/mp4"
            _gifv(source, served_path)
        else:
            av.judge(content_type, probe(source, content_type))
            served_path, served_type = _served(source, content_type, Path(directory))
        served = probe(served_path, served_type)
        verdict = av.judge(served_type, served)
        assert served is not None  # judged
        if content_type == "image/gif":
            verdict = Verdict("gifv", "video/mp4")
        picture = (
            "0:V:0" if verdict.kind in ("video", "gifv") else "0:v:0" if served.cover else None
        )
        poster = _poster(served_path, served_type, picture, poster_side) if picture else None
        return Prepared(served_path.read_bytes(), verdict, served, poster)


def _served(source: Path, content_type: str, directory: Path) -> tuple[Path, str]:
    """What is served of a probed upload: audio as it came; a video in a new container."""
    if content_type in av.AUDIO_TYPES:
        return source, content_type
    wanted = av.REMUXED_AS.get(content_type, content_type)
    target = directory / f"served.{av.EXTENSIONS[wanted]}"
    try:
        _remux(source, content_type, target, av.MUXERS[wanted])
    except InvalidInput:
        if wanted == content_type:
            raise
        # A MOV whose streams no MP4 takes (PCM sound): kept a MOV.
        wanted = content_type
        target = directory / f"served.{av.EXTENSIONS[wanted]}"
        _remux(source, content_type, target, av.MUXERS[wanted])
    return target, wanted
