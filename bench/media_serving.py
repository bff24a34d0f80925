"""Media serving: a cached preview (a 640 px WebP, as every image shown gets one) fetched
from a real `bocage serve` by 10 connections at once, as a timeline full of pictures makes
browsers and apps fetch them. The server is pinned to one core and the clients run on the
other(s), so the figure is the node's, not the load generator's."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import time

import aiohttp
from PIL import Image

from bench.federation import CLI, free_port, init_node, percentile, wait_until_serving
from bocage.adapters import images
from bocage.adapters.storage import LocalStorage

CONNECTIONS = 10
REQUESTS = 20_000
WARM_UP = 1_000


def measure_media() -> tuple[float, float, int]:
    """(previews served per second, p99 in ms, the preview's size in bytes)."""
    port = free_port()
    settings = init_node(port)
    key, size = _cached_preview(LocalStorage(settings.media_dir))
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    serve = [*CLI, "serve", "--data", str(settings.data_dir), "--host", "127.0.0.2"]
    process = subprocess.Popen(
        [*pin, *serve, "--port", str(port), "--no-worker"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    affinity = os.sched_getaffinity(0)
    if pin and len(affinity) > 1:
        os.sched_setaffinity(0, affinity - {0})
    try:
        rate, p99 = asyncio.run(_load(f"{settings.base_url}/media/{key}", settings.base_url, size))
    finally:
        os.sched_setaffinity(0, affinity)
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(settings.data_dir.parent, ignore_errors=True)
    return rate, p99, size


def _cached_preview(storage: LocalStorage) -> tuple[str, int]:
    """A photo's preview, stored as the pipeline stores one."""
    # Grain over gradients, at a preview's size: about a photo's preview in weight (tens of
    # kilobytes; a flat image would compress to almost nothing).
    size = (640, 480)
    channels = [
        Image.blend(Image.linear_gradient("L").resize(size).rotate(angle),
                    Image.effect_noise(size, 30), 0.3)
        for angle in (0, 90, 180)
    ]  # fmt: skip
    photo = Image.merge("RGB", channels)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=90)
    preview = images.derive(out.getvalue()).preview
    return storage.put(preview, "webp"), len(preview)


async def _load(url: str, base: str, size: int) -> tuple[float, float]:
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as client:
        await wait_until_serving(client, base)
        await _run(client, url, size, WARM_UP)
        started = time.perf_counter()
        latencies = await _run(client, url, size, REQUESTS)
        rate = REQUESTS / (time.perf_counter() - started)
    return rate, percentile(latencies, 0.99) * 1000


async def _run(client: aiohttp.ClientSession, url: str, size: int, total: int) -> list[float]:
    latencies: list[float] = []
    left = [total]

    async def connection() -> None:
        while left[0] > 0:
            left[0] -= 1
            started = time.perf_counter()
            async with client.get(url) as answer:
                body = await answer.read()
                assert answer.status == 200 and len(body) == size, answer.status
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    return latencies


if __name__ == "__main__":
    rate, p99, size = measure_media()
    print(f"cached preview ({size:,} bytes), {CONNECTIONS} connections: {rate:,.0f}/s, "
          f"p99 {p99:.1f} ms")  # fmt: skip
