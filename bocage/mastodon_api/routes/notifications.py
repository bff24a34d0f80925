"""Notifications: list (filtered by type, paged), one, dismiss, clear, the unread count; and
grouped, as Mastodon 4.3 serves them (`/api/v2/notifications`): a page of groups, one group,
its senders, dismissing it, the count of unread groups."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.notifications.groups import Group, grouped_types
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import (
    bool_param,
    count_param,
    error,
    id_param,
    json,
    link_header,
    page_of,
    params,
    services_of,
)
from bocage.services.notifications import Browse, GroupPage
from bocage.services.reader import Reader
from bocage.store.models import Account, Notification

COUNT_DEFAULT, COUNT_MAX = 100, 1000  # unread_count's `limit`, as Mastodon's


def _ours(names: list[str]) -> frozenset[str]:
    return frozenset(ours for ours, theirs in views.NOTIFICATION_TYPES.items() if theirs in names)


def _browse(request: Request, *, grouped: bool) -> Browse:
    """`types[]`, `exclude_types[]`, `account_id`, `include_filtered`, `grouped_types[]`."""
    query = request.query_params
    wanted = query.getlist("types[]") + query.getlist("types")
    excluded = query.getlist("exclude_types[]") + query.getlist("exclude_types")
    sender = None if grouped else id_param(query.get("account_id"), "account_id")
    return Browse(
        types=_ours(wanted) if wanted else frozenset(views.NOTIFICATION_TYPES),
        exclude=_ours(excluded),
        include_filtered=bool_param(query, "include_filtered"),
        from_account_id=sender,
        grouping=grouped_types(query.getlist("grouped_types[]") + query.getlist("grouped_types")),
    )


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    services, page = services_of(request), page_of(request, default_limit=40, max_limit=80)
    browse = _browse(request, grouped=False)

    def present(reader: Reader, rows: list[Notification]) -> tuple[list[dict[str, Any]], list[int]]:
        shown = [
            views.notification(reader, services.ctx, caller, row, keep_hidden=False) for row in rows
        ]
        # Paging follows the page as read, filtered or not: a page of hidden ones is not
        # the end of the notifications.
        return [entity for entity in shown if entity], [row.id for row in rows]

    found = services.notifications.page(
        caller,
        max_id=page.max_id,
        min_id=page.min_id,
        limit=page.limit,
        types=browse.types,
        exclude=browse.exclude,
        include_filtered=browse.include_filtered,
        from_account_id=browse.from_account_id,
    )
    answer, page_ids = await found.present(present)
    return json(answer, headers=link_header(request, page_ids))


async def unread_count(request: Request) -> Response:
    """`{"count": n}`: notifications after the notifications marker, up to `limit`."""
    return await _unread(request, grouped=False)


async def unread_groups(request: Request) -> Response:
    """`{"count": n}`: groups of notifications after the notifications marker."""
    return await _unread(request, grouped=True)


async def _unread(request: Request, *, grouped: bool) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    limit = count_param(request.query_params.get("limit"), "limit", COUNT_MAX) or COUNT_DEFAULT
    found = services_of(request).notifications.unread(
        caller, _browse(request, grouped=grouped), limit=limit, grouped=grouped
    )
    return json({"count": await found})


async def show(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    services = services_of(request)

    def present(reader: Reader, row: Notification) -> dict[str, Any]:
        if row.type not in views.NOTIFICATION_TYPES:
            raise NotFound("Record not found")
        entity = views.notification(reader, services.ctx, caller, row, keep_hidden=True)
        assert entity is not None
        return entity

    found = services.notifications.one(caller, request.path_params["id"])
    return json(await found.present(present))


async def dismiss(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    await services_of(request).notifications.dismiss(caller, request.path_params["id"])
    return json({})


async def dismiss_old(request: Request) -> Response:
    """Mastodon 1.3 to 2.9.2's form, the id in the body (`id`), still what an app that does
    not know the server's version sends: the same as `/:id/dismiss`."""
    _grant, caller = await require_user(request, "write:notifications")
    found = id_param((await params(request)).get("id"), "id")
    if found is None:
        raise NotFound("Record not found")
    await services_of(request).notifications.dismiss(caller, found)
    return json({})


async def clear(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    await services_of(request).notifications.clear(caller)
    return json({})


# --- grouped (v2) ---------------------------------------------------------------------------

EXPAND = ("full", "partial_avatars")


async def grouped_index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    services, query = services_of(request), request.query_params
    expand = query.get("expand_accounts") or "full"
    if expand not in EXPAND:
        return error(
            f"Invalid value for 'expand_accounts': '{expand}', allowed values are 'full' and "
            "'partial_avatars'",
            400,
        )
    found = services.notifications.grouped(
        caller,
        _browse(request, grouped=True),
        limit=count_param(query.get("limit"), "limit", 80) or 40,
        max_id=id_param(query.get("max_id"), "max_id"),
        since_id=id_param(query.get("since_id"), "since_id"),
        min_id=id_param(query.get("min_id"), "min_id"),
    )

    def present(reader: Reader, page: GroupPage) -> tuple[dict[str, Any], list[int]]:
        answer = _grouped(reader, services.ctx, caller, page.groups, partial=expand != "full")
        return answer, page.page_ids

    answer, page_ids = await found.present(present)
    return json(answer, headers=link_header(request, page_ids))


async def grouped_show(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    services = services_of(request)
    found = services.notifications.group(caller, request.path_params["group_key"])

    def present(reader: Reader, group: Group) -> dict[str, Any]:
        answer = _grouped(reader, services.ctx, caller, [group], partial=False, keep_hidden=True)
        if not answer["notification_groups"]:
            raise NotFound("Record not found")
        return answer

    return json(await found.present(present))


async def grouped_dismiss(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    await services_of(request).notifications.dismiss_group(caller, request.path_params["group_key"])
    return json({})


async def grouped_accounts(request: Request) -> Response:
    """The accounts of a group's notifications, newest first, paged by notification id."""
    _grant, caller = await require_user(request, "read:notifications")
    services, query = services_of(request), request.query_params
    limit = count_param(query.get("limit"), "limit", 80) or 40
    found = services.notifications.group_senders(
        caller,
        request.path_params["group_key"],
        limit=limit,
        max_id=id_param(query.get("max_id"), "max_id"),
        since_id=id_param(query.get("since_id") or query.get("min_id"), "since_id"),
    )

    def present(reader: Reader, rows: list[Notification]) -> tuple[list[dict[str, Any]], list[int]]:
        senders = [reader.get(Account, row.from_account_id) for row in rows]
        shown = [entities.account(services.ctx, sender) for sender in senders if sender]
        return shown, [row.id for row in rows]

    answer, ids = await found.present(present)
    headers = link_header(request, ids)
    if headers and len(ids) < limit:  # no older page: only the newer one
        headers = {"Link": headers["Link"].split(", ", 1)[1]}
    return json(answer, headers=headers)


def _grouped(
    reader: Reader,
    ctx: Context,
    viewer: Account,
    groups: list[Group],
    *,
    partial: bool,
    keep_hidden: bool = False,
) -> dict[str, Any]:
    """Mastodon's GroupedNotificationsResults: the groups, and once each the accounts and
    statuses they name. A group whose post a `hide` filter leaves out is left out too, as
    the v1 list leaves out such a notification (unless `keep_hidden`: one asked for by key)."""
    shown_groups = [g for g in groups if g.notification.type in views.NOTIFICATION_TYPES]
    post_ids = list(
        dict.fromkeys(g.notification.post_id for g in shown_groups if g.notification.post_id)
    )
    found = reader.hydrate(viewer, post_ids) if post_ids else []
    rendered = views.statuses(reader, ctx, found, viewer, "notifications", keep_hidden=keep_hidden)
    statuses = {int(entity["id"]): entity for entity in rendered}
    readable = {view.post.id for view in found}
    answer_groups, used_statuses = [], {}
    firsts: list[int] = []
    others: list[int] = []
    for group in shown_groups:
        post_id = group.notification.post_id
        if post_id in readable and post_id not in statuses:
            continue  # hidden by a filter
        kind = views.NOTIFICATION_TYPES[group.notification.type]
        status_id = post_id if post_id in statuses else None
        if status_id is not None:
            used_statuses[status_id] = statuses[status_id]
        answer_groups.append(entities.notification_group(group, kind, status_id))
        firsts.extend(group.sample_account_ids[:1])
        others.extend(group.sample_account_ids[1:])
    full_ids = list(dict.fromkeys(firsts + others)) if not partial else list(dict.fromkeys(firsts))
    accounts = _accounts(reader, ctx, full_ids)
    answer: dict[str, Any] = {"accounts": accounts}
    if partial:
        kept = set(full_ids)
        rest = [i for i in dict.fromkeys(others) if i not in kept]
        answer["partial_accounts"] = [
            entities.partial_account(entity) for entity in _accounts(reader, ctx, rest)
        ]
    answer["statuses"] = list(used_statuses.values())
    answer["notification_groups"] = answer_groups
    return answer


def _accounts(reader: Reader, ctx: Context, ids: list[int]) -> list[dict[str, Any]]:
    rows = [reader.get(Account, account_id) for account_id in ids]
    return [entities.account(ctx, row) for row in rows if row is not None]


routes = [
    Route("/api/v1/notifications", index, methods=["GET"]),
    Route("/api/v1/notifications/clear", clear, methods=["POST"]),
    Route("/api/v1/notifications/dismiss", dismiss_old, methods=["POST"]),
    Route("/api/v1/notifications/unread_count", unread_count, methods=["GET"]),
    Route("/api/v1/notifications/{id:id}", show, methods=["GET"]),
    Route("/api/v1/notifications/{id:id}/dismiss", dismiss, methods=["POST"]),
    Route("/api/v2/notifications", grouped_index, methods=["GET"]),
    Route("/api/v2/notifications/unread_count", unread_groups, methods=["GET"]),
    Route("/api/v2/notifications/{group_key}", grouped_show, methods=["GET"]),
    Route("/api/v2/notifications/{group_key}/dismiss", grouped_dismiss, methods=["POST"]),
    Route("/api/v2/notifications/{group_key}/accounts", grouped_accounts, methods=["GET"]),
]
