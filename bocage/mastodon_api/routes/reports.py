"""Reports to the moderators (`POST /api/v1/reports`), as Mastodon takes them: an account, some
of its posts, a comment, a category and the node's rules they break; `forward` sends a copy
of a report about a remote account to its server (a Flag from the node itself). The
moderators read them on the web (Admin → Reports). There is no `GET`, as on Mastodon."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.entities import timestamp
from bocage.mastodon_api.http import (
    bool_param,
    id_list,
    id_param,
    json,
    params,
    services_of,
    text_param,
)
from bocage.store.models import Account, Report


def report(request: Request, row: Report, target: Account) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "action_taken": row.resolved_at is not None,
        "action_taken_at": timestamp(row.resolved_at) if row.resolved_at else None,
        "category": row.category,
        "comment": row.comment,
        "forwarded": row.forwarded,
        "created_at": timestamp(row.created_at),
        "status_ids": [str(post_id) for post_id in row.post_ids or []],
        "rule_ids": [str(rule_id) for rule_id in row.rule_ids or []],
        "target_account": entities.account(services_of(request).ctx, target),
    }


async def create(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:reports")
    values = await params(request)
    target_id = id_param(values.get("account_id"), "account_id")
    if target_id is None:
        raise InvalidInput("Validation failed: account_id is missing")
    comment = text_param(values, "comment")
    row, target = await services_of(request).moderation.report_account(
        caller,
        target_id,
        id_list(values, "status_ids"),
        comment,
        forward=bool_param(values, "forward"),
        category=text_param(values, "category") or None,
        rule_ids=id_list(values, "rule_ids"),
    )
    return json(report(request, row, target))


async def no_listing(_request: Request) -> Response:
    """Mastodon routes no `GET /api/v1/reports`: a person cannot list their reports."""
    raise HTTPException(404)


routes = [
    Route("/api/v1/reports", create, methods=["POST"]),
    Route("/api/v1/reports", no_listing, methods=["GET"]),
]
