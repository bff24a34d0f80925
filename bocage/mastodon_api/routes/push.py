"""Web Push subscriptions (docs.joinmastodon.org/methods/push): one per access token, scope
`push`. The node pushes the token's person's notifications to the subscription's endpoint
(services/push.py), as Mastodon does: encrypted for the app's keys, signed with the node's
VAPID key (`server_key`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.push import push
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import ApiError, require_user
from bocage.mastodon_api.http import bool_param, json, params, services_of, validation

SCOPE = "push"


def _field(values: dict[str, Any], *path: str) -> Any:
    """`subscription[keys][auth]` as a form names it, or nested in a JSON body."""
    flat = path[0] + "".join(f"[{part}]" for part in path[1:])
    if flat in values:
        return values[flat]
    node: Any = values
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _text(values: dict[str, Any], *path: str) -> str:
    found = _field(values, *path)
    if found is None or isinstance(found, dict | list):
        return ""
    return str(found)


def _alerts(values: dict[str, Any]) -> dict[str, bool]:
    """`data[alerts][mention]=true`…: the alerts given (those not given are off)."""
    found = {}
    for name in push.ALERTS:
        value = _field(values, "data", "alerts", name)
        if value is not None:
            found[name] = bool_param({name: value}, name)
    return found


def _policy(values: dict[str, Any]) -> str:
    """`data[policy]`, as Mastodon reads it; a top-level `policy` too (Mastodon.py sends
    it there)."""
    return _text(values, "data", "policy") or _text(values, "policy") or "all"


def _bearer(request: Request) -> str:
    return request.headers.get("authorization", "").partition(" ")[2].strip()


async def show(request: Request) -> Response:
    grant, _caller = await require_user(request, SCOPE)
    service = services_of(request).push
    row = await service.current(grant.token.id)
    return json(entities.web_push_subscription(row, await service.server_key()))


async def create(request: Request) -> Response:
    """A new subscription for the token, replacing the one it had."""
    grant, caller = await require_user(request, SCOPE)
    values = await params(request)
    if _field(values, "subscription") is None and "subscription[endpoint]" not in values:
        raise ApiError("param is missing or the value is empty: subscription", 400)
    asked = push.Request(
        endpoint=_text(values, "subscription", "endpoint"),
        p256dh=_text(values, "subscription", "keys", "p256dh"),
        auth=_text(values, "subscription", "keys", "auth"),
        standard=bool_param({"standard": _field(values, "subscription", "standard")}, "standard"),
        alerts=_alerts(values),
        policy=_policy(values),
    )
    service = services_of(request).push
    with validation():
        row = await service.subscribe(grant.token.id, caller, _bearer(request), asked)
    return json(entities.web_push_subscription(row, await service.server_key()))


async def update(request: Request) -> Response:
    """New alerts and policy for the token's subscription (its endpoint and keys stay)."""
    grant, _caller = await require_user(request, SCOPE)
    values = await params(request)
    service = services_of(request).push
    with validation():
        row = await service.change(grant.token.id, _alerts(values), _policy(values))
    return json(entities.web_push_subscription(row, await service.server_key()))


async def delete(request: Request) -> Response:
    grant, _caller = await require_user(request, SCOPE)
    await services_of(request).push.unsubscribe(grant.token.id)
    return json({})


routes = [
    Route("/api/v1/push/subscription", show, methods=["GET"]),
    Route("/api/v1/push/subscription", create, methods=["POST"]),
    Route("/api/v1/push/subscription", update, methods=["PUT"]),
    Route("/api/v1/push/subscription", delete, methods=["DELETE"]),
]
