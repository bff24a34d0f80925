"""Acceptance: a `bocage serve` process whose settings put media in an S3-compatible object
store (moto's server on loopback, standing in for a real one: tests/objectstore.py). A photo
uploaded through the client API lands in the bucket, not on the node's disk, and the node
serves it from there, ranges and validators included; with a public base URL, clients are
sent to the store for it instead."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.addresses import loopback
from tests.integration.helpers import api_token
from tests.objectstore import ObjectStore, object_store
from tests.processes import NodeProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def store() -> Iterator[ObjectStore]:
    with object_store() as started:
        yield started


def photo() -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((900, 600)).convert("RGB").save(out, "JPEG")
    return out.getvalue()


async def test_an_upload_stored_in_s3_is_served_by_the_node(
    store: ObjectStore, tmp_path: Path
) -> None:
    node = NodeProcess(tmp_path / "data", host=loopback(13, 2), env=store.settings())
    node.prepare(["alice"])
    node.start()
    try:
        async with httpx.AsyncClient(base_url=node.url, timeout=30) as http:
            token = await api_token(http, "alice")
            upload = await http.post(
                "/api/v2/media",
                files={"file": ("photo.jpg", photo(), "image/jpeg")},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert upload.status_code in (200, 202), upload.text
            url = upload.json()["url"]
            key = url.split("/media/", 1)[1]
            held = store.client().get_object(Bucket=store.bucket, Key=key)["Body"].read()
            assert not list((node.data / "media").rglob("*.*")), "nothing on the node's disk"

            served = await http.get(url)
            assert served.status_code == 200
            assert served.content == held
            assert served.headers["content-type"] == "image/jpeg"
            assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
            etag = served.headers["etag"]
            again = await http.get(url, headers={"if-none-match": etag})
            assert again.status_code == 304
            part = await http.get(url, headers={"range": "bytes=100-1099"})
            assert part.status_code == 206
            assert part.content == held[100:1100]
            assert part.headers["content-range"] == f"bytes 100-1099/{len(held)}"
            head = await http.head(url)
            assert head.status_code == 200 and head.content == b""
            assert head.headers["content-length"] == str(len(held))

        node.stop()
        store.allow_public_reads()  # as an admin does for a bucket behind a public URL
        node.env["BOCAGE_S3_PUBLIC_BASE_URL"] = f"{store.endpoint_url}/{store.bucket}"
        node.start()
        async with httpx.AsyncClient(timeout=30) as http:
            sent = await http.get(url)
            assert sent.status_code == 302
            assert sent.headers["location"] == f"{store.endpoint_url}/{store.bucket}/{key}"
            fetched = await http.get(url, follow_redirects=True)
            assert fetched.status_code == 200 and fetched.content == held
    finally:
        node.stop()
