"""Peer replication as a node runs it: syncs now and then (and on demand), the per-peer
request limits of the gateway, and discovery on the local network. The node owns one; it
uses of the node only what `p2p/host.py`'s `Peering` names. Its reads and writes are the
replication service's (services/replication.py), the peer book included."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import urlsplit

from bocage.kernel.events import Event
from bocage.kernel.ratelimit import SlidingWindow
from bocage.p2p import pubs, sparse
from bocage.p2p.host import Peering
from bocage.p2p.live import LiveHub, LiveLinks
from bocage.p2p.sync import Progress, Sync, SyncReport

log = logging.getLogger("bocage.p2p")
FIRST_SYNC_SECONDS = 2.0  # after start: a node back online catches up at once


class Replication:
    def __init__(self, node: Peering) -> None:
        self.node = node
        self.limits = SlidingWindow(max(1, node.settings.p2p_requests_per_minute), 60.0)
        self._running = asyncio.Lock()
        self._loop: asyncio.Task[None] | None = None
        self._lan: Any = None  # a LanDiscovery once started
        self.live_hub = LiveHub()  # peers subscribed to the logs held here
        node.services.replication.subscribe(self.live_hub.on_events)
        node.services.replication.subscribe(self._on_events)
        self._soon = asyncio.Event()  # set: sync now rather than at the next interval
        node.federation.resolver.elsewhere = self.fetch_object
        self.live_links = LiveLinks(node)  # our subscriptions to peers' logs

    def count_request(self, domain: str) -> None:
        """A gateway request from `domain`'s node; RateLimited when it asked too often."""
        if self.node.settings.p2p_requests_per_minute == 0:
            return
        self.limits.take(domain)

    async def sync(self, progress: Progress | None = None) -> SyncReport:
        """Catch up with every known peer now (one run at a time)."""
        async with self._running:
            signer = await self.node.federation.resolver.instance_signer()
            report = await Sync(self.node, signer, progress).run()
        if self._loop is not None:  # a running node stays subscribed to what it synced
            self.live_links.follow(report.holders)
        return report

    async def register_pub(self, username: str, pub_url: str) -> str:
        """Register the pub at `pub_url` as a gateway of `username` (p2p/pubs.py); its base
        URL. `PubRefused` when it did not take the consent."""
        return await pubs.register(self.node, username, pub_url)

    async def fetch_object(self, uri: str) -> dict[str, Any] | None:
        """An object from a peer, verified (when its home node does not answer)."""
        return await sparse.fetch_object(self.node, uri)

    def _on_events(self, events: list[Event]) -> None:
        if any(event.kind == "replica.wanted" for event in events):
            self._soon.set()

    def start(self) -> None:
        self._loop = asyncio.create_task(self._every_interval(), name="p2p-sync")
        settings = self.node.settings
        if settings.lan_discovery:
            base = self.node.ctx.urls.base
            parts = urlsplit(base)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            interfaces = settings.lan_interfaces or None
            from bocage.p2p.lan import LanDiscovery  # zeroconf only where it is used

            self._lan = LanDiscovery(base, port, self._heard_on_lan, interfaces=interfaces)
            # Announcing waits for mDNS probes (~1 s): the node does not wait for it.
            self._lan_start = asyncio.create_task(self._lan.start(), name="p2p-lan")

    async def _heard_on_lan(self, url: str) -> None:
        await self.node.services.replication.add(url, "lan")

    async def stop(self) -> None:
        if self._loop is not None:  # first: a sync ending now would open live links again
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        await self.live_links.stop()
        if self._lan is not None:
            await self._lan_start
            await self._lan.stop()
            self._lan = None

    async def _every_interval(self) -> None:
        await asyncio.sleep(FIRST_SYNC_SECONDS)
        while True:
            try:
                report = await self.sync()
                if report.entries or report.rejected or report.forks:
                    log.info("sync: %s", report)
            except Exception:  # a sync that failed must not stop the next ones
                log.exception("sync failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._soon.wait(), self.node.settings.sync_interval_seconds)
            self._soon.clear()
