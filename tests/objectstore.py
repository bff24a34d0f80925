"""A local S3-compatible server for the object-store tests: moto's server (`moto[server]`),
in a thread of the test process, on a loopback address of block 13 (tests/addresses.py).
moto stands in for a real object store (AWS S3, MinIO, Garage): the node talks to it with
boto3 over HTTP exactly as it would to those."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

from tests.addresses import free_port, loopback

HOST = loopback(13, 1)
ACCESS_KEY, SECRET_KEY, REGION = "bocage-tests", "bocage-tests-secret", "eu-west-3"


@dataclass(frozen=True)
class ObjectStore:
    endpoint_url: str
    bucket: str

    def settings(self) -> dict[str, str]:
        """The node's settings for it, as BOCAGE_* variables."""
        return {
            "BOCAGE_MEDIA_STORAGE": "s3",
            "BOCAGE_S3_ENDPOINT_URL": self.endpoint_url,
            "BOCAGE_S3_BUCKET": self.bucket,
            "BOCAGE_S3_REGION": REGION,
            "BOCAGE_S3_ACCESS_KEY": ACCESS_KEY,
            "BOCAGE_S3_SECRET_KEY": SECRET_KEY,
        }

    def allow_public_reads(self) -> None:
        """Anyone may GET the bucket's objects (a bucket policy, as for a public base URL)."""
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{self.bucket}/*",
                }
            ],
        }
        self.client().put_bucket_policy(Bucket=self.bucket, Policy=json.dumps(policy))

    def client(self):  # type: ignore[no-untyped-def]
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )


@contextmanager
def object_store() -> Iterator[ObjectStore]:
    """A moto server with one new empty bucket, stopped when the block ends. moto keeps its
    buckets in the process, across servers: each server gets a bucket of its own name."""
    bucket = f"bocage-media-{uuid.uuid4().hex[:12]}"
    port = free_port(HOST)
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    try:
        store = ObjectStore(f"http://{HOST}:{port}", bucket)
        store.client().create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield store
    finally:
        server.stop()
