"""Sparse fetch (docs/protocol.md, "What a node replicates"): one object by its id, from
any peer that holds it, when its home node does not answer. Whoever serves it, it is taken
only with a valid proof by its author's key: a gateway is a courier, not a witness."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import orjson

from bocage.crypto.keys import KeyFormatError, public_key_from_did
from bocage.crypto.proofs import verify_object
from bocage.federation import normalize
from bocage.federation.client import FetchError
from bocage.p2p.host import Peering

log = logging.getLogger("bocage.p2p")
PEERS_ASKED = 5  # at most, best scored first: a missing object must not cost a crawl


async def fetch_object(node: Peering, uri: str) -> dict[str, Any] | None:
    """The object `uri` from a peer, verified; None if no peer has it."""
    replication = node.services.replication
    author = await replication.author_of(uri)
    if author is None:
        return None  # nobody known here could have signed it
    did, actor = author
    path = urlsplit(uri).path.lstrip("/")
    signer = await node.federation.resolver.instance_signer()
    for peer in (await replication.peers_to_ask())[:PEERS_ASKED]:
        url = f"{peer}/.well-known/apgateway/{did}/{path}"
        try:
            answer = await node.federation.client.signed_request(
                "GET", url, signer, accept="application/activity+json"
            )
        except FetchError as failed:
            log.debug("sparse fetch of %s from %s: %s", uri, peer, failed)
            continue
        document = _verified(answer.body, uri, did, actor) if answer.status == 200 else None
        if document is not None:
            return document
    return None


def _verified(body: bytes, uri: str, did: str, actor: str) -> dict[str, Any] | None:
    try:
        document = orjson.loads(body)
        key = public_key_from_did(did)
    except (orjson.JSONDecodeError, KeyFormatError):
        return None
    if not isinstance(document, dict) or document.get("id") != uri:
        return None
    if normalize.id_of(document.get("attributedTo")) not in (actor, None):
        return None
    verdict = verify_object(document, key, proof_purpose="assertionMethod")
    return document if verdict.valid else None
