"""The two media stores keep one contract (services/ports.py `MediaStore`): the local disk and
an S3-compatible object store (moto's server on loopback, standing in for a real one) alike
store bytes under their sha-256, say a file's size, read any byte range of it, delete it, and
treat a malformed key as an unknown one."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from bocage.adapters.s3 import S3Storage
from bocage.adapters.storage import LocalStorage
from bocage.config import Settings
from bocage.node import media_store
from bocage.services.ports import MediaStore
from tests.objectstore import ACCESS_KEY, REGION, SECRET_KEY, ObjectStore, object_store

DATA = bytes(range(256)) * 4096  # 1 MiB, every byte value at a known place
BAD_KEYS = ("../../etc/passwd", "ab/cd/xyz.png", "", "ab/cd/" + "0" * 64 + ".PNG/..")


@pytest.fixture(scope="module")
def s3_server() -> Iterator[ObjectStore]:
    with object_store() as store:
        yield store


def s3(server: ObjectStore, public_base_url: str | None = None) -> S3Storage:
    return S3Storage(
        server.bucket,
        endpoint_url=server.endpoint_url,
        region=REGION,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        public_base_url=public_base_url,
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> MediaStore:
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    return s3(request.getfixturevalue("s3_server"))


def read_all(store: MediaStore, key: str, start: int, stop: int, chunk: int = 100_000) -> bytes:
    opened = store.open(key, start, stop)
    assert opened is not None
    parts = []
    try:
        while part := opened.read(chunk):
            parts.append(part)
    finally:
        opened.close()
    return b"".join(parts)


def test_bytes_are_stored_under_their_sha256_once(store: MediaStore) -> None:
    key = store.put(DATA, "bin")
    digest = hashlib.sha256(DATA).hexdigest()
    assert key == f"{digest[:2]}/{digest[2:4]}/{digest}.bin"
    assert store.put(DATA, "bin") == key
    assert store.size(key) == len(DATA)


def test_any_range_reads_exactly_its_bytes(store: MediaStore) -> None:
    key = store.put(DATA, "bin")
    assert read_all(store, key, 0, len(DATA)) == DATA
    for start, stop in ((0, 1), (255, 257), (1000, 500_000), (len(DATA) - 7, len(DATA))):
        assert read_all(store, key, start, stop) == DATA[start:stop], (start, stop)


def test_a_deleted_file_is_gone(store: MediaStore) -> None:
    key = store.put(b"short-lived", "txt")
    assert store.delete(key) is True
    assert store.size(key) is None
    assert store.open(key, 0, 1) is None
    assert store.delete(key) is False


def test_remove_spares_a_file_stored_again_since(store: MediaStore) -> None:
    """The sweep of uploads never posted removes a file only if nobody stored the same bytes
    after the sweep's moment: another upload of them keeps it (on disk and in S3 alike)."""
    key = store.put(b"posted twice, swept once", "txt")
    moment = time.time()
    time.sleep(1.1)  # S3's LastModified has a one-second grain
    store.put(b"posted twice, swept once", "txt")
    assert store.remove(key, stored_before=moment) is False
    assert store.size(key) is not None
    assert store.remove(key, stored_before=time.time() + 2) is True
    assert store.size(key) is None
    assert store.remove(key, stored_before=time.time() + 2) is False


def test_a_malformed_or_unknown_key_is_no_file(store: MediaStore) -> None:
    unknown = "00/00/" + "0" * 64 + ".png"
    for key in (*BAD_KEYS, unknown):
        assert store.size(key) is None
        assert store.open(key, 0, 1) is None
        assert store.delete(key) is False
        assert store.public_url(key) is None


def test_an_empty_file_is_stored_and_read(store: MediaStore) -> None:
    key = store.put(b"", "txt")
    assert store.size(key) == 0
    assert read_all(store, key, 0, 0) == b""


def test_an_extension_that_is_no_extension_is_refused(store: MediaStore) -> None:
    with pytest.raises(ValueError):
        store.put(b"x", "../x")


def test_the_object_store_keeps_the_type_and_caching_it_is_served_with(
    s3_server: ObjectStore,
) -> None:
    """So that a public base URL in front of the bucket serves files as the node would."""
    store = s3(s3_server)
    image, document = store.put(b"\x89PNG fake", "png"), store.put(b"%PDF-1.7 fake", "pdf")
    client = s3_server.client()
    head = client.head_object(Bucket=s3_server.bucket, Key=image)
    assert head["ContentType"] == "image/png"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert "ContentDisposition" not in head
    head = client.head_object(Bucket=s3_server.bucket, Key=document)
    assert head["ContentType"] == "application/pdf"
    assert head["ContentDisposition"] == "attachment"


def test_with_a_public_base_url_files_are_fetched_there(s3_server: ObjectStore) -> None:
    store = s3(s3_server, public_base_url="https://media.example.org/bucket/")
    key = store.put(b"public", "txt")
    assert store.public_url(key) == f"https://media.example.org/bucket/{key}"
    assert s3(s3_server).public_url(key) is None


def test_the_settings_choose_the_store(tmp_path: Path, s3_server: ObjectStore) -> None:
    assert isinstance(media_store(Settings(data_dir=tmp_path)), LocalStorage)
    chosen = Settings(
        data_dir=tmp_path,
        media_storage="s3",
        s3_bucket=s3_server.bucket,
        s3_endpoint_url=s3_server.endpoint_url,
        s3_region=REGION,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
    )
    store = media_store(chosen)
    assert isinstance(store, S3Storage)
    assert store.size(store.put(b"chosen", "txt")) == 6
    assert SECRET_KEY not in repr(chosen)
    with pytest.raises(ValidationError, match="needs s3_bucket"):
        Settings(data_dir=tmp_path, media_storage="s3")
