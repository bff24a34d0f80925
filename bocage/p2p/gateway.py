"""Gateway endpoints (docs/protocol.md): any node serves the logs and the public objects it
holds of any author, by the author's did, and the public files it holds, by digest. Log and
clock requests come from other nodes: signed by their instance actor, and limited per node."""

from __future__ import annotations

import orjson
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bocage.core.media import shared
from bocage.core.replication import peers, replica
from bocage.core.replication.serving import ForkedLog
from bocage.crypto import httpsig
from bocage.edge import BodyTooLarge, read_body
from bocage.federation import signatures
from bocage.federation.files import IMMUTABLE, served
from bocage.federation.responses import activity_response, error, json_response, services_of
from bocage.kernel import numbers
from bocage.kernel.errors import NotFound, RateLimited
from bocage.p2p import pubs
from bocage.p2p.host import PeerServing, host_of
from bocage.p2p.sync import contactable

PREFIX = "/.well-known/apgateway"
NDJSON = "application/x-ndjson"
MAX_CLOCK_BYTES = 1024 * 1024


async def clock(request: Request) -> Response:
    """Exchange clocks: what the asker holds in, what this node holds out (with peers)."""
    try:
        body = await read_body(request, MAX_CLOCK_BYTES)
    except BodyTooLarge:
        return error(f"A clock can be at most {MAX_CLOCK_BYTES} bytes.", 413)
    asker = await _signed_peer(request, body)
    if isinstance(asker, Response):
        return asker
    try:
        asked = _clock_request(body)
    except ValueError as bad:
        return error(str(bad), 400)
    node = host_of(request)
    dids, their_peers = asked
    # The asker signed as a node: a peer; the nodes it names are only candidates.
    taught = contactable(their_peers, node.federation.client.policy)
    held, known = await node.services.replication.exchange(asker, list(dids), taught)
    return json_response({"clock": held, "peers": known, "node": node.ctx.urls.base})


def _clock_request(body: bytes) -> tuple[dict[str, int], list[str]]:
    if len(body) > MAX_CLOCK_BYTES:
        raise ValueError(f"A clock can be at most {MAX_CLOCK_BYTES} bytes.")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ValueError("The body is not JSON.") from None
    given = document.get("clock") if isinstance(document, dict) else None
    listed = document.get("peers", []) if isinstance(document, dict) else None
    if not isinstance(given, dict) or not all(
        isinstance(did, str) and isinstance(seq, int) for did, seq in given.items()
    ):
        raise ValueError('The body must be {"clock": {"did:key:…": seq, …}, "peers": […]}.')
    if not isinstance(listed, list):
        raise ValueError('"peers" must be a list of node URLs.')
    return given, [url for url in listed if isinstance(url, str)]


async def log_page(request: Request) -> Response:
    """Entries after `after`, as NDJSON, at most `limit`; a `next` link when more follow."""
    asker = await _signed_peer(request, b"")
    if isinstance(asker, Response):
        return asker
    did = request.path_params["did"]
    query = request.query_params
    after = numbers.parse_id(query.get("after", "0"))
    limit = numbers.parse_count(query.get("limit", str(replica.PAGE_DEFAULT)), replica.PAGE_MAX)
    if after is None or not limit:
        return error("after must be a sequence number (0 up to 2^63), limit 1 or more.", 400)
    try:
        page = await host_of(request).services.replication.log_page(did, after, limit)
    except (NotFound, ForkedLog) as refused:  # no log of that author here, or it forked
        return error(refused.message, refused.status)
    headers = {}
    if page.more:
        base = str(request.url.replace(query=""))
        headers["Link"] = f'<{base}?after={page.last}&limit={limit}>; rel="next"'
    lines = b"".join(line + b"\n" for line in page.lines)
    return Response(lines, media_type=NDJSON, headers=headers)


async def portable_object(request: Request) -> Response:
    """`ap://{did}/{path}` (FEP-ef61): the public object at that path of the author's home,
    with its proof, from whichever node holds it."""
    did, path = request.path_params["did"], request.path_params["path"]
    answer = await host_of(request).services.replication.portable_object(did, path)
    if answer is None:
        return error("This node holds no such object.", 404)
    if answer == "gone":
        return activity_response({"id": f"ap://{did}/{path}", "type": "Tombstone"}, 410)
    return activity_response(answer)


async def media(request: Request) -> Response:
    """A public file by the sha-256 of its bytes (docs/protocol.md, "Media"), whoever
    authored it, for any node whose copy is gone with its author's node: unsigned, as the
    file is public and checks itself."""
    sha256 = request.path_params["sha256"]
    if not shared.is_digest(sha256):
        return error("A file is asked by the sha-256 of its bytes: 64 lowercase hex digits.", 400)
    stored = await services_of(request).media.by_digest(sha256)
    if stored is None:
        return error("This node holds no public file with that digest.", 404)
    return await served(request, stored, IMMUTABLE)


async def signed_peer(node: PeerServing, connection: HTTPConnection, body: bytes) -> str:
    """The base URL of the peer node that signed a request (its instance actor), counted
    against its limit. `SignatureError` (401, 403) or `RateLimited` (429) otherwise."""
    account = await signatures.signing_server(
        node,
        connection,
        body,
        unsigned="Peers must sign their requests (HTTP signatures).",
        refused="This node does not replicate with your server.",
    )
    assert account.domain is not None  # signing_server answers only for remote servers
    node.replication.count_request(account.domain)
    return peers.base_url(account.uri)


async def _signed_peer(request: Request, body: bytes) -> str | Response:
    """The base URL of the node that signed the request, or the error to answer."""
    try:
        return await signed_peer(host_of(request), request, body)
    except httpsig.SignatureError as failed:
        return error(str(failed), failed.status)
    except RateLimited as limited:
        refused = error(limited.message, 429)
        refused.headers["Retry-After"] = limited.retry_after_header
        return refused


routes: list[BaseRoute] = [
    Route(f"{PREFIX}/clock", clock, methods=["POST"]),
    Route(f"{PREFIX}/consent", pubs.consent, methods=["POST"]),
    Route(PREFIX + "/media/{sha256}", media, methods=["GET"]),
    Route(PREFIX + "/{did}/log", log_page, methods=["GET"]),
    Route(PREFIX + "/{did}/{path:path}", portable_object, methods=["GET"]),
]
