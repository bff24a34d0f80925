"""A running node: settings, database, core context, the job worker and the services, made,
started and stopped together. The composition root: the one place that builds the services
(with one storage object for the node's media) and hands them to the faces; the faces
receive what they use, never the node itself (the p2p face takes it as a small Protocol of
the collaborators it uses; the ActivityPub face's background work, receive and delivery,
takes the `Federation`)."""

from __future__ import annotations

import asyncio
import logging

from bocage.activitypub.federation import Federation
from bocage.adapters.html_meta import LxmlHtml
from bocage.adapters.images import PillowImages
from bocage.adapters.storage import LocalStorage
from bocage.adapters.webpush import WebPush
from bocage.config import Settings
from bocage.core.auth.logins import Logins
from bocage.core.auth.signups import SignUps
from bocage.datadir import DIRECTORY_MODE
from bocage.federation.signatures import Checks
from bocage.jobs import handlers
from bocage.jobs.worker import Worker
from bocage.kernel.context import Context
from bocage.kernel.events import Event
from bocage.p2p.service import Replication
from bocage.services import Services
from bocage.services.ports import MediaStore
from bocage.store import migrate
from bocage.store.db import Database
from bocage.store.queue import JOBS_QUEUED

log = logging.getLogger("bocage")


def media_store(settings: Settings) -> MediaStore:
    """The media storage the settings choose: the data directory (default) or an
    S3-compatible object store (boto3 is imported only then)."""
    if settings.media_storage == "local":
        return LocalStorage(settings.media_dir)
    from bocage.adapters.s3 import S3Storage

    return S3Storage(
        settings.s3_bucket,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        public_base_url=settings.s3_public_base_url,
    )


class Node:
    def __init__(self, settings: Settings, *, run_worker: bool = True) -> None:
        self.settings = settings
        self.ctx = Context.from_settings(settings)
        self.db = Database(settings.effective_database_url)
        self.federation = Federation(self.db, self.ctx)
        self.run_worker = run_worker
        self.logins = Logins(settings)  # password checks and their limits, for every face
        self.sign_ups = SignUps(settings.signups_per_address)
        self.storage = media_store(settings)  # the node's one media storage
        self.services = Services.build(
            self.db,
            self.ctx,
            lookups=self.federation.resolver,
            images=PillowImages(),
            storage=self.storage,
            downloads=self.federation.client,
            logins=self.logins,
            sign_ups=self.sign_ups,
            rules_cache=self.federation,
            checks=Checks(self.ctx, self.federation),
            push_crypto=WebPush(),
            push_sender=self.federation.client,
            pages=self.federation.client,
            html=LxmlHtml(),
        )
        self.worker = Worker(
            self.db,
            {**handlers.of(self.services), **self.federation.job_handlers()},
            concurrency=settings.job_concurrency,
            lease_seconds=settings.job_lease_seconds,
            poll_seconds=settings.job_poll_seconds,
        )
        self.replication = Replication(self)  # the p2p face's running part: syncs, LAN, live

    async def start(self) -> None:
        self.settings.data_dir.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        self.settings.media_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(migrate.upgrade, self.settings.effective_database_url)
        # Its slot of the database's ids now: a process that could not write fails at start.
        await asyncio.to_thread(self.db.id_slot)
        # Keys from before sealing are sealed, those of an unfinished rotation re-sealed; a
        # wrong secret_key stops the start here (SealingError), not at the first signature.
        await self.services.accounts.seal_keys(self.ctx.keyring)
        # Committed events reach this process's listeners (streaming, caches) on this loop.
        self.db.events.attach(asyncio.get_running_loop())
        await asyncio.to_thread(self.db.listen)
        if self.run_worker:
            self.db.events.subscribe(self._wake_worker)
            self.worker.start()
            self.replication.start()  # background work goes where the worker runs

    async def stop(self) -> None:
        if self.run_worker:
            await self.replication.stop()
            await self.worker.stop()
        await self.federation.close()
        await asyncio.to_thread(self.db.close)

    def _wake_worker(self, committed: list[Event]) -> None:
        """Jobs were committed (here, or by another process on PostgreSQL): run them now."""
        if any(event.kind == JOBS_QUEUED for event in committed):
            self.worker.wake()
