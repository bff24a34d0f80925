"""Inboxes (per user and shared): accept signed activities, store them, answer 202.

The order is the contract (docs/federation.md): size cap → JSON → whose signature (HTTP
signature, or an FEP-8b32 proof by the actor when the request is relayed) → the raw activity
stored with its id (a duplicate is a no-op) → 202 (507 if the disk is full: not stored, so
the sender retries). The size cap is this module's; the rest is the inbox service's
(services/inbox.py), which stores through `federation/intake.py`, shared with peer
replication. Processing happens later, in the `inbox.process` job (`receive.py`), so a slow
or failing handler never loses an activity and never keeps a remote server waiting.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.activitypub.objects import local_account
from bocage.crypto import httpsig
from bocage.edge import BodyTooLarge, read_body
from bocage.federation import normalize, signatures
from bocage.federation.responses import error, services_of
from bocage.kernel.errors import StorageFull

MAX_ACTIVITY_BYTES = 1024 * 1024  # Mastodon's limit too; a bigger activity is not a post


async def shared_inbox(request: Request) -> Response:
    return await _receive(request)


async def user_inbox(request: Request) -> Response:
    account = await local_account(request)
    if isinstance(account, Response):
        return account
    return await _receive(request)


async def _receive(request: Request) -> Response:
    try:
        return await _accept(request)
    except StorageFull as full:
        # Not stored, so not accepted: the sender keeps the activity and tries again later.
        refused = error(full.message, full.status)
        refused.headers["retry-after"] = full.retry_after_header
        return refused


async def _accept(request: Request) -> Response:
    try:
        body = await read_body(request, MAX_ACTIVITY_BYTES)
    except BodyTooLarge:
        return error(f"An activity can be at most {MAX_ACTIVITY_BYTES} bytes.", 413)
    services = services_of(request)
    try:
        await services.inbox.accept(signatures.as_signed(services, request, body))
    except normalize.Malformed as bad:
        return error(f"This is not an activity we can read: {bad}.", 400)
    except httpsig.SignatureError as refused:
        return error(str(refused), refused.status)
    return Response(status_code=202)


routes = [
    Route("/inbox", shared_inbox, methods=["POST"]),
    Route("/users/{username}/inbox", user_inbox, methods=["POST"]),
]
