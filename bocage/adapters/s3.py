"""Media in an S3-compatible object store (AWS S3, MinIO, Garage, Ceph, …): the scale-out
`MediaStore` (services/ports.py), chosen by `media_storage = "s3"`, so that several nodes or
worker machines share one set of files and the disk of none fills up.

The keys are those of the local store (adapters/storage.py: the sha-256 of the bytes and an
extension, checked before any request), so a node can move from one store to the other by
copying files. An object is written in one PUT (whole or not at all, as S3 does), with the
type, the download disposition of documents and the year-long cache the node would serve
it with (core/media/serving.py), so that a public base URL in front of the bucket serves it
alike. Reads are ranged GETs whose body is streamed through the node, chunk by chunk.

boto3 is synchronous: every method blocks, and the services call them off the event loop.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from bocage.adapters.storage import key_for, valid
from bocage.core.media.serving import stored_file

IMMUTABLE = "public, max-age=31536000, immutable"
MISSING = ("404", "NoSuchKey", "NotFound")


class S3Storage:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        public_base_url: str | None = None,
    ) -> None:
        self.bucket = bucket
        self._public = public_base_url.rstrip("/") if public_base_url else None
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or "us-east-1",
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            config=Config(
                # Self-hosted stores (MinIO, Garage) answer at one host: bucket in the path.
                s3={"addressing_style": "path" if endpoint_url else "auto"},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def put(self, data: bytes, extension: str) -> str:
        key = key_for(data, extension)
        served = stored_file(key, len(data))
        extra = {"ContentDisposition": "attachment"} if served.download else {}
        self._client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=served.content_type,
            CacheControl=IMMUTABLE,
            **extra,
        )
        return key

    def size(self, key: str) -> int | None:
        if not valid(key):
            return None
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return int(head["ContentLength"])

    def open(self, key: str, start: int, stop: int) -> Any:
        """A ranged GET's body (botocore's StreamingBody: `read(n)`, `close()`)."""
        if not valid(key):
            return None
        if stop <= start:  # S3 has no empty range: an empty file, or nothing asked
            return _Empty() if self.size(key) is not None else None
        try:
            answer = self._client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes={start}-{stop - 1}"
            )
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return answer["Body"]

    def delete(self, key: str) -> bool:
        if self.size(key) is None:  # S3's DELETE says nothing about what was there
            return False
        self._client.delete_object(Bucket=self.bucket, Key=key)
        return True

    def remove(self, key: str, stored_before: float) -> bool:
        """As on the disk: not if it was stored (again: every `put` writes the object, so its
        LastModified moves) at or after `stored_before` (a POSIX time)."""
        if not valid(key):
            return False
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        if head["LastModified"].timestamp() >= stored_before:
            return False
        self._client.delete_object(Bucket=self.bucket, Key=key)
        return True

    def public_url(self, key: str) -> str | None:
        return f"{self._public}/{key}" if self._public and valid(key) else None


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in MISSING


class _Empty:
    def read(self, size: int, /) -> bytes:
        return b""

    def close(self) -> None:
        pass
