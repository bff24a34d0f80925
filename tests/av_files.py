"""Real video and audio for the upload tests, made by ffmpeg as the test runs (its test
sources: a colour pattern and a tone), and the bad ones: cut short, a header and nothing
else, a polyglot that is also a web page. Tests that use these skip where ffmpeg is not
installed (`make test` installs it as root: scripts/ensure-ffmpeg), except under CI."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

HAVE_FFMPEG = shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None
needs_ffmpeg = pytest.mark.skipif(
    not HAVE_FFMPEG and os.environ.get("CI") != "true", reason="ffmpeg is not installed"
)

PATTERN = "testsrc=size={w}x{h}:rate={fps}:duration={seconds}"
TONE = "sine=frequency=440:duration={seconds}"


def _made(suffix: str, *arguments: str) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / f"made{suffix}"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", *arguments, str(out)],
            check=True,
            timeout=60,
        )
        return out.read_bytes()


def mp4(
    w: int = 320, h: int = 240, fps: int = 25, seconds: float = 2, sound: bool = True,
    faststart: bool = True, metadata: tuple[str, ...] = (),
) -> bytes:  # fmt: skip
    """An H.264 MP4 (with AAC sound unless `sound` is false); `metadata` as key=value."""
    sources = ["-f", "lavfi", "-i", PATTERN.format(w=w, h=h, fps=fps, seconds=seconds)]
    if sound:
        sources += ["-f", "lavfi", "-i", TONE.format(seconds=seconds), "-c:a", "aac"]
    tags = [part for pair in metadata for part in ("-metadata", pair)]
    fast = ["-movflags", "+faststart"] if faststart else []
    return _made(".mp4", *sources, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-shortest",
                 *tags, *fast)  # fmt: skip


def rotated_mov(w: int = 320, h: int = 240) -> bytes:
    """A phone's portrait clip: a landscape H.264 picture in a MOV that says turn it 90°."""
    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "source.mp4"
        source.write_bytes(mp4(w, h))
        return _made(".mov", "-i", str(source), "-c", "copy", "-metadata:s:v:0", "rotate=90",
                     "-metadata", "location=+48.8566+002.3522/")  # fmt: skip


def webm(seconds: float = 2) -> bytes:
    """A VP9 WebM with Opus sound."""
    return _made(".webm", "-f", "lavfi", "-i", PATTERN.format(w=320, h=240, fps=25,
                 seconds=seconds), "-f", "lavfi", "-i", TONE.format(seconds=seconds),
                 "-c:v", "libvpx-vp9", "-b:v", "200k", "-c:a", "libopus", "-shortest")  # fmt: skip


def ogg(seconds: float = 2) -> bytes:
    """Opus sound in an Ogg file."""
    return _made(".ogg", "-f", "lavfi", "-i", TONE.format(seconds=seconds), "-c:a", "libopus")


def animated_gif(frames: int = 6, size: tuple[int, int] = (64, 48)) -> bytes:
    """An animated GIF, as Pillow writes one (looping for ever)."""
    colours = ["red", "orange", "yellow", "green", "blue", "purple"]
    images = [Image.new("RGB", size, colours[n % len(colours)]) for n in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def polyglot(video: bytes) -> bytes:
    """An MP4 that is also a web page: a `free` box of HTML right after `ftyp`, in the first
    bytes a browser sniffs."""
    size = int.from_bytes(video[:4], "big")
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    box = (8 + len(html)).to_bytes(4, "big") + b"free" + html
    return video[:size] + box + video[size:]


def ffprobe(data: bytes) -> dict[str, object]:
    """What ffprobe says of `data` (streams and format, as JSON)."""
    import json

    with tempfile.NamedTemporaryFile() as file:
        file.write(data)
        file.flush()
        ran = subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
             file.name],
            capture_output=True, check=True, timeout=30,
        )  # fmt: skip
    found: dict[str, object] = json.loads(ran.stdout)
    return found
