"""Moderation: reports (a person's, and the admins' reading and resolving them), sign-up
approval and suspensions, which servers this node federates with (domain blocks, the
allow-list mode: applied in this process at once), and the peers it replicates with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bocage.core.accounts import accounts
from bocage.core.instance import domains
from bocage.core.instance.domains import DomainRules
from bocage.core.moderation import domain_blocks, reports
from bocage.core.moderation.reports import ReportView
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.services.ports import DomainRulesCache, PeerBook
from bocage.services.unit import Query, Service
from bocage.store.db import Database
from bocage.store.models import Account, Peer, Report, User


class ModerationService(Service):
    def __init__(
        self, db: Database, ctx: Context, rules_cache: DomainRulesCache, peers: PeerBook
    ) -> None:
        super().__init__(db, ctx)
        self._rules_cache = rules_cache
        self._peers = peers

    # --- reports ----------------------------------------------------------------------

    async def report(
        self,
        reporter: Account,
        target_name: str,
        post_ids: list[int],
        comment: str,
        *,
        forward: bool = False,
    ) -> None:
        """A person's report about the account `target_name` (`forward`: a copy goes to a
        remote account's server)."""
        await self._db.write(
            _report, self._ctx, reporter.id, target_name, post_ids, comment, forward
        )

    async def report_account(
        self,
        reporter: Account,
        target_id: int,
        post_ids: list[int],
        comment: str,
        *,
        forward: bool = False,
        category: str | None = None,
        rule_ids: list[int] | None = None,
    ) -> tuple[Report, Account]:
        """A report through the client API (Mastodon's `POST /api/v1/reports`): the account
        by id, a category, the node's rules it breaks. The report and its target."""

        def file(session: Session) -> tuple[Report, Account]:
            me = session.get(Account, reporter.id)
            target = session.get(Account, target_id)
            if me is None or target is None:
                raise NotFound("Record not found")
            row = reports.report(
                session,
                self._ctx,
                me,
                target,
                post_ids,
                comment,
                forward=forward,
                category=category,
                rule_ids=rule_ids,
            )
            return row, target

        return await self._db.write(file)

    def open_reports(self) -> Query[list[ReportView]]:
        return self._query(reports.open_reports)

    async def resolve_report(self, report_id: int) -> None:
        await self._db.write(reports.resolve, report_id)

    # --- local accounts -------------------------------------------------------------------

    def pending_signups(self) -> Query[list[tuple[User, Account]]]:
        return self._query(accounts.pending_signups)

    async def approve(self, username: str, approved: bool) -> None:
        """Approve a sign-up, or reject it (which removes it)."""
        await self._db.write(accounts.set_approved, username, approved)

    async def suspend(self, username: str, suspended: bool) -> None:
        await self._db.write(accounts.set_suspended, username, suspended)

    def local_accounts(self, name_contains: str = "") -> Query[list[tuple[Account, User | None]]]:
        return self._query(lambda session: accounts.local_accounts(session, name_contains))

    # --- servers ----------------------------------------------------------------------------

    def domain_rules(self) -> Query[DomainRules]:
        return self._query(domains.rules)

    async def block_domain(
        self,
        domain: str,
        severity: str,
        *,
        reject_media: bool = False,
        reject_reports: bool = False,
        comment: str = "",
        public_comment: str = "",
    ) -> None:
        def block(session: Session) -> None:
            domain_blocks.block(
                session,
                domain,
                severity,
                reject_media=reject_media,
                reject_reports=reject_reports,
                comment=comment,
                public_comment=public_comment,
            )

        await self._change_rules(block)

    async def set_domain_block_disclosure(self, blocks: str, reasons: str) -> None:
        """Who sees the blocked servers, and who their public reasons: "disabled", "users"
        (people signed in here) or "all"."""
        await self._db.write(domains.set_disclosure, blocks, reasons)

    def domain_block_disclosure(self) -> Query[tuple[str, str]]:
        return self._query(domains.disclosure)

    async def unblock_domain(self, domain: str) -> None:
        await self._change_rules(lambda session: domain_blocks.unblock(session, domain))

    async def set_federation_mode(self, mode: str) -> None:
        await self._change_rules(lambda session: domains.set_mode(session, mode))

    async def allow_domain(self, domain: str) -> None:
        await self._change_rules(lambda session: domains.allow(session, domain))

    async def disallow_domain(self, domain: str) -> None:
        await self._change_rules(lambda session: domains.disallow(session, domain))

    async def _change_rules(self, change: Callable[[Session], None]) -> None:
        await self._db.write(change)
        self._rules_cache.forget_domain_rules()

    # --- peers ------------------------------------------------------------------------

    async def peers(self) -> tuple[list[Peer], list[Any]]:
        """The peers this node replicates with, and the forked logs it saw."""
        return await self._peers.listing()

    async def add_peer(self, url: str) -> Peer | None:
        """None: that is this node's own address."""
        return await self._peers.add(url)

    async def remove_peer(self, url: str) -> bool:
        return await self._peers.remove(url)


def _report(
    session: Session,
    ctx: Context,
    reporter_id: int,
    name: str,
    post_ids: list[int],
    comment: str,
    forward: bool,
) -> None:
    reporter = session.get(Account, reporter_id)
    assert reporter is not None
    target = accounts.by_name(session, ctx.settings.domain, name)
    reports.report(session, ctx, reporter, target, post_ids, comment, forward=forward)
