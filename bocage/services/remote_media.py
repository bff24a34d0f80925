"""Remote media: other servers' files (post attachments, avatars, headers) fetched, checked and
cached here, so that people are shown this node's copy and not the origin's (which would
learn who reads what, and may be gone tomorrow).

A received post or actor leaves rows naming the files (core/media/remote.py) and a
`media.fetch` job each; the job, and a request for a file that is not cached (never fetched
yet, or evicted), come here: downloaded through the SSRF-safe client within the size its kind
may have, its type read from its bytes, its `digestMultibase` checked, the author's exact
bytes stored as the original beside a preview and a blurhash, then the cache's budget
enforced (least recently used remote files evicted, never an upload). When its server fails
and the author signed its digest, the file is asked of the nodes that may hold it by digest
(the author's gateways, then the peers: core/media/shared.py, docs/protocol.md §3.5), and a
node that sends other bytes is scored down.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import Any

from sqlalchemy.orm import Session

from bocage.core.media import remote, shared
from bocage.core.media.remote import Cached, Refused
from bocage.core.media.serving import StoredFile
from bocage.core.replication import peers
from bocage.federation.client import FetchError, TooLarge
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import InvalidInput
from bocage.services.media import stored_in
from bocage.services.ports import Downloads, ImageProcessor, MediaStore
from bocage.services.unit import Service
from bocage.store.db import Database
from bocage.store.models import MediaFile
from bocage.store.queue import PermanentJobError

log = logging.getLogger("bocage.media")
REFUSED_SECONDS = 600.0  # a file refused is not asked of its server again for this long
FETCH_SECONDS = 120.0  # the longest a download may take (a 99 MiB video on a slow link)
GONE = (401, 403, 404, 410)  # answers that trying again will not change


class RemoteMediaService(Service):
    def __init__(
        self,
        db: Database,
        ctx: Context,
        images: ImageProcessor,
        storage: MediaStore,
        downloads: Downloads,
    ) -> None:
        super().__init__(db, ctx)
        self._images = images
        self._storage = storage
        self._downloads = downloads
        self._refused: dict[int, float] = {}  # media id → when (time.monotonic) refused
        self._fetching: dict[int, asyncio.Task[MediaFile | None]] = {}  # one per file at once

    async def fetch_job(self, _db: Database, payload: dict[str, Any]) -> None:
        """The `media.fetch` job: a failure that may pass (a timeout, a 5xx) is raised, and
        the job tried again later with backoff; a refusal ends it, logged."""
        media_id = int(payload["media_id"])
        try:
            await self.fetch(media_id)
        except (Refused, TooLarge) as refusal:
            raise PermanentJobError(f"remote media {media_id} refused: {refusal}") from refusal
        except FetchError as failed:
            if failed.status in GONE:
                raise PermanentJobError(f"remote media {media_id}: {failed}") from failed
            raise

    async def fetch(self, media_id: int) -> MediaFile | None:
        """The file cached (fetched unless it is already): its row, or None if it is no
        remote file. `Refused` or `FetchError` when it cannot be had."""
        running = self._fetching.get(media_id)
        if running is None:
            running = asyncio.ensure_future(self._fetch(media_id))
            self._fetching[media_id] = running
            running.add_done_callback(lambda _done: self._fetching.pop(media_id, None))
        return await asyncio.shield(running)

    async def _fetch(self, media_id: int) -> MediaFile | None:
        row = await self._db.read(_row, media_id)
        if row is None or row.remote_url is None:
            return None
        if await self._cached(row, preview=False) is not None:
            return row
        settings = self._ctx.settings
        limit = remote.fetch_limit(row.kind, row.purpose, settings.max_upload_bytes)
        started = time.monotonic()
        try:
            data = await self._downloads.get_file(row.remote_url, limit, FETCH_SECONDS)
            stored = await self._store(row, data)
        except TooLarge as refusal:
            log.warning("remote media %d (%s) refused: %s", media_id, row.remote_url, refusal)
            raise
        except (Refused, FetchError) as failed:
            # Its server is down, or no longer gives the bytes its author signed: a peer
            # that holds them may (only when the digest is known, to check them).
            from_peer = await self._from_peers(row, limit)
            if from_peer is None:
                if isinstance(failed, Refused):
                    log.warning("remote media %d (%s) refused: %s", media_id, row.remote_url,
                                failed)  # fmt: skip
                raise
            stored = from_peer
        cached = await self._db.write(remote.cached, media_id, stored)
        log.info("remote media %d cached (%d bytes, %.2f s)", media_id, stored.size,
                 time.monotonic() - started)  # fmt: skip
        await self.evict()
        return cached

    async def _from_peers(self, row: MediaFile, limit: int) -> Cached | None:
        """The file fetched by its digest from the nodes that may hold it (the author's
        gateways, then the peers, best first), its bytes checked against the digest its
        author signed; a node that sends other bytes is scored down. None when none had it."""
        sha256 = remote.sha256_of(row.digest_multibase)
        if sha256 is None:
            return None
        holders = await self._db.read(peers.holders, row.account_id, row.remote_url)
        for node in holders:
            url = f"{node}{shared.GATEWAY_PATH}/{sha256}"
            try:
                data = await self._downloads.get_file(url, limit, FETCH_SECONDS)
            except FetchError as failed:
                log.info("remote media %d not at %s: %s", row.id, node, failed)
                continue
            if hashlib.sha256(data).hexdigest() != sha256:
                log.warning("peer %s served other bytes than %s: scored down", node, sha256)
                await self._db.write(peers.blame, node, f"served other bytes than {sha256}")
                continue
            log.info("remote media %d fetched from peer %s", row.id, node)
            return await self._store(row, data)
        return None

    async def _store(self, row: MediaFile, data: bytes) -> Cached:
        """Checked, then the author's exact bytes stored, and for an image its preview."""
        sniffed = remote.sniff(data)
        if row.digest_multibase and not remote.digest_matches(row.digest_multibase, data):
            raise Refused("its bytes are not those its author signed (digestMultibase)")
        if row.purpose != "attachment" and sniffed.kind != "image":
            raise Refused(f"a profile picture must be an image, not {sniffed.content_type}")
        preview_key = blurhash = None
        width = height = None
        if sniffed.kind == "image":
            try:
                derived = await self._images.derive(data)
            except InvalidInput as unreadable:
                raise Refused(unreadable.message) from unreadable
            preview_key = await asyncio.to_thread(self._storage.put, derived.preview, "webp")
            width, height, blurhash = derived.width, derived.height, derived.blurhash
        key = await asyncio.to_thread(self._storage.put, data, sniffed.extension)
        kind = row.kind if (row.kind, sniffed.kind) == ("gifv", "video") else sniffed.kind
        digest = hashlib.sha256(data).hexdigest()
        return Cached(
            key, preview_key, sniffed.content_type, kind, len(data), digest, width, height, blurhash
        )

    async def evict(self) -> int:
        """The cache brought within `media_cache_bytes`: the least recently used remote files
        forgotten and their files removed. How many files were removed."""
        keys = await self._db.write(remote.evict, self._ctx.settings.media_cache_bytes)
        for key in keys:
            await asyncio.to_thread(self._storage.delete, key)
        if keys:
            log.info("remote media cache: %d files evicted", len(keys))
        return len(keys)

    async def serve(self, media_id: int, *, preview: bool = False) -> StoredFile | None:
        """The cached file (or its preview) of a remote file anyone may be shown, fetched
        first when it is not cached (Mastodon's media proxy); None when there is none (no
        such file, not an image's preview, or its server will not give it). Faces serve it
        as any stored file (MediaService `read`)."""
        row = await self._db.read(remote.servable, media_id)
        if row is None:
            return None
        found = await self._cached(row, preview)
        if found is not None or (preview and await self._cached(row, preview=False)):
            seen = now()
            if remote.needs_touch(row.last_used_at, seen):
                await self._db.write(remote.touch, media_id, seen)
            return found
        refused_at = self._refused.get(media_id)
        if refused_at is not None and time.monotonic() - refused_at < REFUSED_SECONDS:
            return None
        try:
            fetched = await self.fetch(media_id)
        except (Refused, FetchError) as failed:
            log.info("remote media %d not served: %s", media_id, failed)
            self._refused[media_id] = time.monotonic()
            return None
        return await self._cached(fetched, preview) if fetched is not None else None

    async def _cached(self, row: MediaFile, preview: bool) -> StoredFile | None:
        key = row.preview_key if preview else row.storage_key
        return await stored_in(self._storage, key) if key else None


def _row(session: Session, media_id: int) -> MediaFile | None:
    return session.get(MediaFile, media_id)
