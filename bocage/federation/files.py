"""Stored files as HTTP answers, for every face that serves them (the web's /media, the
gateway's media by digest): below the faces, so that none imports another.

Keys are content-addressed (core/media/serving.py): the sha-256 in the key is a strong ETag
(`If-None-Match` → 304) and a response may be cached for a year, `immutable`. Byte ranges
(`Range`, what video and audio players and resumed downloads ask) get 206 with
`Content-Range`, or 416 when none is satisfiable; several ranges are served as the one span
that covers them (RFC 9110 lets a server coalesce them), and a range the node cannot read
(another unit, bad syntax) is ignored: the whole file. The type comes from the key's
extension, never from the bytes; `nosniff` keeps browsers from guessing otherwise
(SecurityHeaders adds it to every answer, app.py), and documents are downloads. The bytes
are streamed in chunks as the media service reads them, never read whole. With an object
store's public base URL, the client is sent there instead.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from bocage.core.media.serving import READ_CHUNK, StoredFile
from bocage.federation.responses import services_of
from bocage.kernel.errors import NotFound

IMMUTABLE = "public, max-age=31536000, immutable"
PROXIED = "public, max-age=86400"
RANGE_RE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")
UNSATISFIABLE = (-1, -1)


async def served(request: Request, stored: StoredFile | None, caching: str) -> Response:
    media = services_of(request).media
    if stored is None:
        raise NotFound("No such file.")
    if stored.redirect:
        return RedirectResponse(stored.redirect, status_code=302)
    headers = {"etag": stored.etag, "cache-control": caching, "accept-ranges": "bytes"}
    if _matches(request.headers.get("if-none-match"), stored.etag):
        return Response(status_code=304, headers=headers)
    headers["content-type"] = stored.content_type
    if stored.download:
        headers["content-disposition"] = f'attachment; filename="{stored.file_name}"'
    start, stop, status = 0, stored.size, 200
    wanted = _wanted_range(request, stored)
    if wanted == UNSATISFIABLE:
        headers["content-range"] = f"bytes */{stored.size}"
        return Response(status_code=416, headers=headers)
    if wanted is not None:
        (start, stop), status = wanted, 206
        headers["content-range"] = f"bytes {start}-{stop - 1}/{stored.size}"
    headers["content-length"] = str(stop - start)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    return Streamed(media.read(stored.key, start, stop), status, headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _wanted_range(request: Request, stored: StoredFile) -> tuple[int, int] | None:
    """The [start, stop) asked by `Range` (UNSATISFIABLE for 416); None for the whole file
    (no Range, one the node does not read, or an `If-Range` for other bytes)."""
    header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if not header or (if_range is not None and if_range.strip() != stored.etag):
        return None
    return byte_range(header, stored.size)


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """`Range: bytes=…` against a file of `size` bytes: the span [start, stop) covering every
    satisfiable range, UNSATISFIABLE when none is, None when the header cannot be read."""
    unit, _, ranges = header.partition("=")
    if unit.strip().lower() != "bytes" or not ranges:
        return None
    spans = []
    for part in ranges.split(","):
        match = RANGE_RE.match(part)
        if match is None or match.groups() == ("", ""):
            return None
        first, last = match.groups()
        if not first:  # the last `last` bytes
            if int(last) > 0 and size > 0:
                spans.append((max(size - int(last), 0), size))
            continue
        if last and int(last) < int(first):
            return None
        if int(first) < size:
            spans.append((int(first), min(int(last) + 1 if last else size, size)))
    if not spans:
        return UNSATISFIABLE
    return min(start for start, _ in spans), max(stop for _, stop in spans)


class Streamed(Response):
    """A response whose body is the chunks of an async iterator, sent as they come. uvicorn
    drops what is sent to a client that went away without saying so: a body of several
    chunks is sent while a task watches for the disconnect (as StreamingResponse does), and
    stops there, closing the file or the object store's stream; a one-chunk body (a
    preview, an avatar) is sent without that task."""

    def __init__(
        self, chunks: AsyncGenerator[bytes, None], status: int, headers: dict[str, str]
    ) -> None:
        super().__init__(status_code=status, headers=headers)
        self._chunks = chunks
        self._watch = int(headers["content-length"]) > READ_CHUNK

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = asyncio.ensure_future(_disconnect(receive)) if self._watch else None
        try:
            await send(
                {"type": "http.response.start", "status": self.status_code,
                 "headers": self.raw_headers}
            )  # fmt: skip
            async for chunk in self._chunks:
                if gone is not None and gone.done():
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            if gone is not None:
                gone.cancel()
            await self._chunks.aclose()


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
