"""The federation services of one node, made and closed together: the outbound HTTP
client, the resolver (dereferencing), the delivery bookkeeping, and the job handlers that
use them. `Node` owns one."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.orm import Session

from bocage.activitypub import delivery, receive
from bocage.core.instance import domains
from bocage.federation.client import AddressPolicy, FederationClient
from bocage.federation.resolver import Resolver
from bocage.kernel.context import Context
from bocage.store.db import Database
from bocage.store.queue import Handler

DOMAIN_RULES_SECONDS = 5.0  # how soon another process's admin change applies here


class Federation:
    def __init__(self, db: Database, ctx: Context) -> None:
        self.db = db
        self.ctx = ctx
        policy = AddressPolicy(allow_loopback=ctx.settings.insecure_loopback)
        self.client = FederationClient(policy)
        self.resolver = Resolver(db, ctx, self.client, self.domain_rules)
        self._rules: tuple[domains.DomainRules, float] | None = None
        self.bodies = delivery.SignedBodies(db, ctx)
        self.hosts = delivery.HostBook(db)

    async def close(self) -> None:
        await self.client.close()

    async def domain_rules(self) -> domains.DomainRules:
        """The admin's domain blocks and allow-list, read at most every few seconds: every
        inbox request consults them."""
        if self._rules is None or time.monotonic() - self._rules[1] > DOMAIN_RULES_SECONDS:
            self._rules = (await self.db.read(domains.rules), time.monotonic())
        return self._rules[0]

    def forget_domain_rules(self) -> None:
        """After an admin's change in this process: read the rules again at once."""
        self._rules = None

    def job_handlers(self) -> dict[str, Handler]:
        async def process(_db: Database, payload: dict[str, Any]) -> None:
            await receive.process(self, payload)

        async def deliver(_db: Database, payload: dict[str, Any]) -> None:
            await delivery.deliver(self, payload)

        def federate(session: Session, payload: dict[str, Any]) -> None:
            delivery.federate(session, self.ctx, payload)

        async def fetch_replies(_db: Database, payload: dict[str, Any]) -> None:
            await self.resolver.fetch_replies(payload["replies"])

        def forward_report(session: Session, payload: dict[str, Any]) -> None:
            delivery.forward_report(session, self.ctx, payload)

        return {
            "inbox.process": process,
            "deliver": deliver,
            "federate": federate,
            "report.forward": forward_report,
            "thread.replies": fetch_replies,
        }
