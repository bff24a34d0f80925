"""Uploads (issue 18's targets): a 12-megapixel camera JPEG made ready to store, p50 of
sniff + lossless metadata strip + preview + blurhash + sha-256 + the files written
(`adapters/images.prepare`, then content-addressed storage), target < 300 ms; and the
resident memory a 50-megapixel image adds while it is processed, target < +200 MB, for a
camera JPEG and for a PNG (no draft decoding: every pixel is decoded), measured in a fresh
process (its peak resident set, VmHWM, over its resident set before).

Run alone: `python -m bench.media`.
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from bocage.adapters import images
from bocage.adapters.storage import LocalStorage
from tests import media_files

SAMPLES = 15
TWELVE_MP = (4000, 3000)
FIFTY_MP = (8660, 5773)


def measure_upload() -> tuple[float, int]:
    """p50 (ms) of a 12-MP JPEG's upload pipeline, and the file's size."""
    data = media_files.photo(TWELVE_MP, orientation=6)
    with tempfile.TemporaryDirectory(prefix="bocage-bench-media-") as root:
        storage = LocalStorage(Path(root))
        samples = []
        for n in range(SAMPLES + 1):
            # A different file each time (nothing already stored), same pixels.
            sample = data[:2] + _comment(n) + data[2:]
            started = time.perf_counter()
            upload = images.prepare(sample)
            storage.put(upload.data, upload.extension)
            if upload.derived:
                storage.put(upload.derived.preview, "webp")
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[1:]), len(data)  # the first warms Pillow up


def _comment(n: int) -> bytes:
    body = f"sample {n}".encode()
    return b"\xff\xfe" + (len(body) + 2).to_bytes(2, "big") + body


def fifty_mp_png() -> bytes:
    """A 50-MP PNG as a scan or a drawing is (smooth: it fits within the 16 MiB a remote image
    may have). Pillow has no reduced decoding for PNG, as it has for JPEG: every pixel is
    decoded."""
    ramp = Image.linear_gradient("L").resize(FIFTY_MP)
    picture = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ramp))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def measure_rss(data: bytes) -> float:
    """MB added to the resident set while `data` is processed (a fresh process)."""
    with tempfile.NamedTemporaryFile() as handle:
        handle.write(data)
        handle.flush()
        found = subprocess.run(
            [sys.executable, "-m", "bench.media", "--rss", handle.name],
            check=True,
            capture_output=True,
            text=True,
        )
    return float(found.stdout.strip())


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _rss_child(path: str) -> None:
    images.prepare(media_files.png())  # Pillow, pillow-heif and blurhash loaded
    data = Path(path).read_bytes()
    before = _status_kb("VmRSS")
    images.prepare(data)
    print((_status_kb("VmHWM") - before) / 1024)


def report() -> list[tuple[str, str, str]]:
    """(measure, target, value) rows for `make bench`."""
    p50, size = measure_upload()
    jpeg = measure_rss(media_files.photo(FIFTY_MP))
    png = measure_rss(fifty_mp_png())
    return [
        (f"upload of a 12-MP JPEG ({size / 1e6:.1f} MB): strip+preview+blurhash+store, p50",
         "< 300 ms", f"{p50:.0f} ms"),
        ("resident memory added processing a 50-MP JPEG", "< +200 MB", f"+{jpeg:.0f} MB"),
        ("resident memory added processing a 50-MP PNG", "< +200 MB", f"+{png:.0f} MB"),
    ]  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rss":
        _rss_child(sys.argv[2])
    else:
        for name, target, value in report():
            print(f"{name}: {value} (target {target})")
