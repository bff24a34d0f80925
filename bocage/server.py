"""How `bocage serve` runs uvicorn, bounded against clients that would hold it up
(docs/federation.md, "Limits").

uvicorn waits for a request's headers as long as a client likes: a connection that sends
nothing, or its headers a byte at a time (slowloris), stays open forever, and with it a file
descriptor; a request line or a header that never ends grows in memory without limit. Each
connection here must complete its headers within HEADER_SECONDS of being opened (or of its
previous answer) and in at most MAX_HEADER_BYTES, or it is closed (431 for too much). Bodies
are bounded in the app (bocage/edge.py). The process raises its own open-files limit to
the hard limit, so that thousands of idle connections cannot exhaust it. What the node
does not bound, a reverse proxy in front of it may: connections per address, TLS, rates.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("bocage.server")

HEADER_SECONDS = 10.0  # from a connection's start (or its last answer) to complete headers
MAX_HEADER_BYTES = 64 * 1024  # request line and headers together
KEEP_ALIVE_SECONDS = 5  # an idle connection between requests (uvicorn's default)
BACKLOG = 2048  # connections the kernel queues before they are accepted
# On SIGTERM, requests in flight get this long to finish; then what is still open is cancelled
# and the node stops. Streams end first, at once (`Server`); without a bound, a node with one
# client still holding a connection would wait for ever (systemd then kills it, uncleanly).
GRACEFUL_SHUTDOWN_SECONDS = 3


class BoundedProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools), with a deadline and a size cap on headers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_bytes = 0
        self._tail = b""  # the last bytes of headers read, where their end may begin
        self._in_headers = True
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's HttpToolsProtocol narrows it
        super().connection_made(transport)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            window = self._tail + data
            end = window.find(b"\r\n\r\n")  # the headers end here (a body may follow)
            self._header_bytes += len(data) if end < 0 else max(end + 4 - len(self._tail), 0)
            self._tail = window[-3:]
            if self._header_bytes > MAX_HEADER_BYTES:
                self._refuse(431, "Request Header Fields Too Large")
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._stop_waiting()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        idle = self.cycle is None or self.cycle.response_complete  # none pipelined behind it
        if idle and not self.transport.is_closing():
            self._await_headers()  # of the next request on this connection

    def _await_headers(self) -> None:
        self._stop_waiting()
        self._in_headers, self._header_bytes, self._tail = True, 0, b""
        self._header_deadline = self.loop.call_later(HEADER_SECONDS, self._headers_too_slow)

    def _stop_waiting(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self._in_headers and not self.transport.is_closing():
            if self._header_bytes:
                self._refuse(408, "Request Timeout")
            else:
                self.transport.close()  # a connection that never asked anything

    def _refuse(self, status: int, reason: str) -> None:
        self._stop_waiting()
        body = f"{status} {reason}: the request's headers must come whole, and soon.\n"
        self.transport.write(
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n{body}".encode()
        )
        self.transport.close()


class Server(uvicorn.Server):
    """uvicorn's server, which first ends the streams it serves when asked to stop: a
    streaming response (Mastodon's server-sent events) never completes by itself, and uvicorn
    waits for every response in flight. Clients see their stream end, and reconnect to
    wherever the node comes back."""

    def __init__(self, config: uvicorn.Config, end_streams: Callable[[], None]) -> None:
        super().__init__(config)
        self.end_streams = end_streams

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.end_streams()
        await super().shutdown(sockets)


def config(
    app: Any, host: str, port: int, trusted_proxies: list[str] | None = None
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=BoundedProtocol,
        log_level="warning",
        # A client's address is the connection's, unless it comes through a proxy the
        # settings trust (limits count by address: core/auth/logins.py, core/auth/signups.py).
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies or None,
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        backlog=BACKLOG,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def raise_open_files_limit() -> int:
    """The soft limit on open files raised to the hard one; returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as refused:
            log.warning("could not raise the open-files limit from %d: %s", soft, refused)
    return soft
