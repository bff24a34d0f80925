"""`POST /api/v1/emails/confirmations` (Mastodon 3.4): resend the e-mail that confirms an
address. Bocage sends no e-mail and asks no confirmation yet, so every account is one whose
address is confirmed, and Mastodon refuses the request for such an account with this 403."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import error


async def resend_confirmation(request: Request) -> Response:
    await require_user(request, "write:accounts")
    return error("This method is only available while the e-mail is awaiting confirmation", 403)


routes = [Route("/api/v1/emails/confirmations", resend_confirmation, methods=["POST"])]
