"""Delivering to this node's inbox as a remote actor it already knows (its key cached)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bocage.core.inbound import remote
from bocage.crypto import httpsig
from bocage.crypto.keys import RsaKey
from bocage.federation import normalize
from bocage.node import Node
from bocage.store.models import Account
from tests.conftest import shared_secrets
from tests.web.conftest import Browser

BASE = "http://127.0.0.1:8000"
REMOTE = "http://127.0.0.9:9/users/mallory"
PAYLOADS = Path(__file__).parent.parent / "data" / "payloads"


def know_remote_actor(
    node: Node, uri: str = REMOTE, did: str | None = None, *, proven: bool = True
) -> Account:
    """A remote actor whose actor document this node has fetched: its RSA key is the shared
    test key; `did` is its Ed25519 key (`assertionMethod`), if it publishes one, `proven`
    by an identity proof (FEP-c390) or only claimed."""
    profile = remote.ActorProfile(
        did=did,
        did_proven=proven,
        uri=uri,
        username=uri.rsplit("/", 1)[-1],
        domain=normalize.host(uri),
        inbox=f"{uri}/inbox",
        key_id=f"{uri}#main-key",
        public_key_pem=shared_secrets().rsa.public_pem,
        followers_url=f"{uri}/followers",
    )
    with node.db.transaction() as session:
        return remote.upsert_actor(session, profile)


def signed_headers(
    body: bytes,
    *,
    path: str = "/users/alice/inbox",
    key: RsaKey | None = None,
    key_id: str = f"{REMOTE}#main-key",
    scheme: httpsig.Scheme = "cavage",
    now: datetime | None = None,
) -> dict[str, str]:
    request = httpsig.Request("POST", BASE + path, {}, body)
    private = httpsig.load_private_key((key or shared_secrets().rsa).private_pem)
    headers = httpsig.sign(request, key_id, private, scheme=scheme, now=now)
    return {**headers, "content-type": "application/activity+json"}


async def deliver(browser: Browser, body: bytes, headers: dict[str, str], path: str = "") -> Any:
    return await browser.client.post(path or "/users/alice/inbox", content=body, headers=headers)


def payload(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / name).read_text())
