"""What every admin route shares: the caller must hold the scope and be staff (Mastodon's
`authorize_if_got_token!` then its policies: 403 `This action is not allowed`), and ids and
pages read as Mastodon reads them."""

from __future__ import annotations

from typing import TypedDict

from starlette.requests import Request

from bocage.mastodon_api.auth import ApiError, require
from bocage.mastodon_api.http import count_param, id_param
from bocage.services.admin import staff
from bocage.store.models import Account

NOT_ALLOWED = "This action is not allowed"


async def admin(request: Request, scope: str) -> Account:
    """The caller, if their token carries `scope` (e.g. `admin:read:accounts`, which
    `admin:read` carries too) and they are staff."""
    grant = await require(request, scope)
    if grant.account is None or not staff(grant.user):
        raise ApiError(NOT_ALLOWED, 403)
    return grant.account


def path_id(request: Request) -> int:
    found = id_param(request.path_params["id"], "id")
    if found is None:
        raise ApiError("Record not found", 404)
    return found


class Paging(TypedDict):
    """A page as the admin services take it (`**paging(request)`)."""

    max_id: int | None
    min_id: int | None
    since_id: int | None
    limit: int


def paging(request: Request, default: int = 100, most: int = 200) -> Paging:
    query = request.query_params
    return {
        "max_id": id_param(query.get("max_id"), "max_id"),
        "min_id": id_param(query.get("min_id"), "min_id"),
        "since_id": id_param(query.get("since_id"), "since_id"),
        "limit": count_param(query.get("limit"), "limit", most) or default,
    }
