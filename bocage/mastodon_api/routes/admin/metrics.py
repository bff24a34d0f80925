"""The admin dashboard (docs.joinmastodon.org/methods/admin/measures, /dimensions,
/retention): numbers computed from this node's rows (core/moderation/metrics.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api.entities import timestamp
from bocage.mastodon_api.http import count_param, json, params, services_of, text_param
from bocage.mastodon_api.routes.admin.common import admin

SCOPE = "admin:read"


def _moment(values: dict[str, Any], name: str) -> datetime:
    given = text_param(values, name)
    try:
        found = datetime.fromisoformat(given.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} must be a date or a time (ISO 8601).") from None
    if found.tzinfo is None:
        found = found.replace(tzinfo=UTC)
    return found


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} TB"


def _keys(values: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    keys = values.get("keys", [])
    keys = [str(key) for key in (keys if isinstance(keys, list) else [keys])]
    options = {key: values[key] for key in keys if isinstance(values.get(key), dict)}
    for key in keys:  # form-encoded: `tag_uses[id]=1`
        for part in ("id", "domain"):
            if f"{key}[{part}]" in values:
                options.setdefault(key, {})[part] = values[f"{key}[{part}]"]
    return keys, options


async def measures(request: Request) -> Response:
    await admin(request, SCOPE)
    values = await params(request)
    keys, options = _keys(values)
    found = await services_of(request).admin.measures(
        keys, options, _moment(values, "start_at"), _moment(values, "end_at")
    )
    return json(
        [
            {
                "key": one.key,
                "unit": one.unit,
                "total": str(one.total),
                "human_value": _human(one.total) if one.unit == "bytes" else str(one.total),
                "previous_total": str(one.previous_total)
                if one.previous_total is not None
                else None,
                "data": [{"date": timestamp(day), "value": str(value)} for day, value in one.data],
            }
            for one in found
        ]
    )


async def dimensions(request: Request) -> Response:
    await admin(request, SCOPE)
    values = await params(request)
    keys, options = _keys(values)
    limit = count_param(values.get("limit"), "limit", 100) or 10
    found = await services_of(request).admin.dimensions(
        keys, options, _moment(values, "start_at"), _moment(values, "end_at"), limit
    )
    return json([{"key": one.key, "data": one.data} for one in found])


async def retention(request: Request) -> Response:
    await admin(request, SCOPE)
    values = await params(request)
    frequency = text_param(values, "frequency", "day") or "day"
    found = await services_of(request).admin.retention(
        _moment(values, "start_at"), _moment(values, "end_at"), frequency
    )
    return json(
        [
            {
                "period": timestamp(one.period),
                "frequency": one.frequency,
                "data": [
                    {"date": timestamp(day), "rate": rate, "value": str(value)}
                    for day, rate, value in one.data
                ],
            }
            for one in found
        ]
    )


routes = [
    Route("/api/v1/admin/measures", measures, methods=["POST"]),
    Route("/api/v1/admin/dimensions", dimensions, methods=["POST"]),
    Route("/api/v1/admin/retention", retention, methods=["POST"]),
]
