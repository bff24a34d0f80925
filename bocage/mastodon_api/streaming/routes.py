"""Mastodon's streaming API, served by the node itself (instance `urls.streaming_api`):

- Server-sent events: `GET /api/v1/streaming/user`, `…/public/local`, `…/hashtag?tag=x`…
  one stream per response, `event:`/`data:` lines, a `:thump` comment every 15 s.
- WebSocket: `/api/v1/streaming`, several streams on one socket with
  `{"type": "subscribe", "stream": "hashtag", "tag": "x"}` / `unsubscribe`; each message is
  `{"stream": ["hashtag", "x"], "event": "update", "payload": "<Status as a JSON string>"}`.

The token comes as Mastodon accepts it: `Authorization: Bearer`, `access_token` in the query,
or (WebSocket) the `Sec-WebSocket-Protocol` header. Mastodon.py sends SSE parameters such as
`tag` in the body of its GET, so the body is read too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bocage.core.auth import oauth
from bocage.edge import read_body
from bocage.kernel.errors import DomainError, NotFound
from bocage.mastodon_api.auth import ApiError
from bocage.mastodon_api.http import bool_param, services_of
from bocage.mastodon_api.streaming import channels
from bocage.mastodon_api.streaming.hub import Connection, Message, StreamHub

HEARTBEAT_SECONDS = 15.0
MAX_MESSAGE = 4096  # a subscribe message is a few dozen bytes


def hub_of(request: Request | WebSocket) -> StreamHub:
    return request.app.state.streams


async def health(_request: Request) -> Response:
    return PlainTextResponse("OK")


async def _grant(scope_holder: Request | WebSocket, token: str) -> oauth.Grant:
    if not token:
        raise ApiError("Missing access token", 401)
    grant = await services_of(scope_holder).auth.grant(token)
    if grant is None:
        raise ApiError("Invalid access token", 401)
    return grant


def _bearer(headers: Any) -> str:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


# --- server-sent events ----------------------------------------------------------------


async def sse(request: Request) -> Response:
    stream = channels.PATHS.get(request.path_params["path"].strip("/"))
    if stream is None:
        raise NotFound("Not found")
    values = dict(request.query_params)
    body = await read_body(request, MAX_MESSAGE)
    if body:
        values.update(parse_qsl(body.decode("utf-8", "replace")))
    grant = await _grant(request, _bearer(request.headers) or values.get("access_token", ""))
    channel = await _channel(request, grant, stream, values)
    assert grant.account is not None
    connection = Connection(grant.account.id, grant.token.id, channels.notifications_allowed(grant))
    hub_of(request).subscribe(connection, channel)
    return StreamingResponse(
        _event_lines(hub_of(request), connection),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


async def _event_lines(hub: StreamHub, connection: Connection) -> AsyncIterator[str]:
    try:
        yield ":)\n"
        while True:
            try:
                message = await asyncio.wait_for(connection.outbox.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ":thump\n"
                continue
            if message is None:
                return
            data = "" if message.payload is None else f"data: {message.payload}\n"
            yield f"event: {message.event}\n{data}\n"
    finally:
        hub.drop(connection)


async def _channel(
    request: Request | WebSocket, grant: oauth.Grant, stream: str, values: dict[str, Any]
) -> channels.Channel:
    channel = channels.channel(
        grant,
        stream,
        tag=str(values.get("tag") or ""),
        list_id=str(values.get("list") or ""),
        only_media=bool_param(values, "only_media"),
    )
    await hub_of(request).authorize(grant, channel)
    return channel


# --- WebSocket -------------------------------------------------------------------------


async def websocket(socket: WebSocket) -> None:
    offered = socket.headers.get("sec-websocket-protocol", "").strip()
    token = _bearer(socket.headers) or socket.query_params.get("access_token", "") or offered
    try:
        grant = await _grant(socket, token)
    except ApiError as refusal:
        await socket.send_denial_response(
            Response(orjson.dumps({"error": refusal.message}), 401, media_type="application/json")
        )
        return
    assert grant.account is not None
    await socket.accept(subprotocol=offered or None)
    hub = hub_of(socket)
    connection = Connection(grant.account.id, grant.token.id, channels.notifications_allowed(grant))
    hub.connect(connection)
    first = socket.query_params.get("stream")
    if first:
        await _subscribe(socket, grant, connection, {"stream": first, **socket.query_params})
    sender = asyncio.create_task(_send_messages(socket, connection))
    try:
        await _read_requests(socket, grant, connection)
    finally:
        hub.drop(connection)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


async def _read_requests(socket: WebSocket, grant: oauth.Grant, connection: Connection) -> None:
    while not connection.closed:
        try:
            text = await socket.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            return
        try:
            request = orjson.loads(text[:MAX_MESSAGE])
        except orjson.JSONDecodeError:
            await _error(socket, "Invalid JSON", 400)
            continue
        if not isinstance(request, dict):
            await _error(socket, "Invalid message", 400)
            continue
        kind = request.get("type")
        if kind == "subscribe":
            await _subscribe(socket, grant, connection, request)
        elif kind == "unsubscribe":
            await _subscribe(socket, grant, connection, request, stop=True)
        else:
            await _error(socket, f"Unknown message type: {kind}", 400)


async def _subscribe(
    socket: WebSocket,
    grant: oauth.Grant,
    connection: Connection,
    request: dict[str, Any],
    *,
    stop: bool = False,
) -> None:
    """`subscribe` (or, with `stop`, `unsubscribe`) message: a refusal is told as a message,
    the socket stays open."""
    try:
        channel = await _channel(socket, grant, _first(request.get("stream")), request)
    except DomainError as refusal:
        await _error(socket, refusal.message, refusal.status)
        return
    if stop:
        hub_of(socket).unsubscribe(connection, channel.key)
    else:
        hub_of(socket).subscribe(connection, channel)


async def _send_messages(socket: WebSocket, connection: Connection) -> None:
    while True:
        message: Message | None = await connection.outbox.get()
        if message is None:
            with contextlib.suppress(Exception):
                await socket.close(code=1000)
            return
        document: dict[str, Any] = {"stream": list(message.stream), "event": message.event}
        if message.payload is not None:
            document["payload"] = message.payload
        await socket.send_text(orjson.dumps(document).decode())


async def _error(socket: WebSocket, message: str, status: int) -> None:
    with contextlib.suppress(Exception):
        await socket.send_text(orjson.dumps({"error": message, "status": status}).decode())


def _first(value: Any) -> str:
    """Mastodon accepts `stream` as a string or a one-element array."""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "")


routes: list[BaseRoute] = [
    Route("/api/v1/streaming/health", health, methods=["GET", "HEAD"]),
    WebSocketRoute("/api/v1/streaming", websocket),
    Route("/api/v1/streaming/{path:path}", sse, methods=["GET"]),
]
