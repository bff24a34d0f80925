"""Moderation: reports (a person's, and the admins' reading and resolving them), sign-up
approval and suspensions, which servers this node federates with (domain blocks, the
allow-list mode: applied in this process at once), and the peers it replicates with. The
admins' actions are recorded in the moderation log (`core/moderation/log.py`), as the admin
API's are (`services/admin.py`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bocage.core.accounts import accounts
from bocage.core.instance import domains
from bocage.core.instance.domains import DomainRules
from bocage.core.moderation import admin_reports, domain_blocks, log, reports
from bocage.core.moderation.reports import ReportView
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.services.ports import DomainRulesCache, PeerBook
from bocage.services.unit import Query, Service
from bocage.store.db import Database
from bocage.store.models import Account, AdminAction, Peer, Report, User


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

    async def resolve_report(self, report_id: int, *, actor: Account | None = None) -> None:
        def resolve(session: Session) -> None:
            admin_reports.resolve(session, actor, report_id)

        await self._db.write(resolve)

    # --- local accounts -------------------------------------------------------------------

    def pending_signups(self) -> Query[list[tuple[User, Account]]]:
        return self._query(accounts.pending_signups)

    async def approve(self, username: str, approved: bool, *, actor: Account | None = None) -> None:
        """Approve a sign-up, or reject it (which removes it)."""

        def decide(session: Session) -> None:
            user = accounts.set_approved(session, username, approved)
            action = "approve" if approved else "reject"
            log.record(session, _id(actor), action, "user", user.account_id, username=username)

        await self._db.write(decide)

    async def suspend(
        self, username: str, suspended: bool, *, actor: Account | None = None
    ) -> None:
        def decide(session: Session) -> None:
            account = accounts.set_suspended(session, username, suspended)
            action = "suspend" if suspended else "unsuspend"
            log.record(session, _id(actor), action, "account", account.id, username=username)

        await self._db.write(decide)

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
        actor: Account | None = None,
    ) -> None:
        def block(session: Session) -> None:
            row = domain_blocks.block(
                session,
                domain,
                severity,
                reject_media=reject_media,
                reject_reports=reject_reports,
                comment=comment,
                public_comment=public_comment,
            )
            log.record(session, _id(actor), "create", "domain_block", row.domain, severity=severity)

        await self._change_rules(block)

    async def set_domain_block_disclosure(
        self, blocks: str, reasons: str, *, actor: Account | None = None
    ) -> None:
        """Who sees the blocked servers, and who their public reasons: "disabled", "users"
        (people signed in here) or "all"."""

        def change(session: Session) -> None:
            domains.set_disclosure(session, blocks, reasons)
            log.record(session, _id(actor), "update", "domain_block_disclosure", blocks)

        await self._db.write(change)

    def domain_block_disclosure(self) -> Query[tuple[str, str]]:
        return self._query(domains.disclosure)

    async def unblock_domain(self, domain: str, *, actor: Account | None = None) -> None:
        def unblock(session: Session) -> None:
            domain_blocks.unblock(session, domain)
            log.record(session, _id(actor), "destroy", "domain_block", domain)

        await self._change_rules(unblock)

    async def set_federation_mode(self, mode: str, *, actor: Account | None = None) -> None:
        def change(session: Session) -> None:
            domains.set_mode(session, mode)
            log.record(session, _id(actor), "update", "federation_mode", mode)

        await self._change_rules(change)

    async def allow_domain(self, domain: str, *, actor: Account | None = None) -> None:
        def allow(session: Session) -> None:
            domains.allow(session, domain)
            log.record(session, _id(actor), "create", "domain_allow", domain)

        await self._change_rules(allow)

    async def disallow_domain(self, domain: str, *, actor: Account | None = None) -> None:
        def disallow(session: Session) -> None:
            domains.disallow(session, domain)
            log.record(session, _id(actor), "destroy", "domain_allow", domain)

        await self._change_rules(disallow)

    async def _change_rules(self, change: Callable[[Session], None]) -> None:
        await self._db.write(change)
        self._rules_cache.forget_domain_rules()

    # --- the moderation log -----------------------------------------------------------

    def action_log(self, limit: int = 100) -> Query[list[AdminAction]]:
        """The newest moderation actions first, whichever face they came through."""
        return self._query(lambda session: log.recent(session, limit))

    # --- peers ------------------------------------------------------------------------

    async def peers(self) -> tuple[list[Peer], list[Any]]:
        """The peers this node replicates with, and the forked logs it saw."""
        return await self._peers.listing()

    async def add_peer(self, url: str) -> Peer | None:
        """None: that is this node's own address."""
        return await self._peers.add(url)

    async def remove_peer(self, url: str) -> bool:
        return await self._peers.remove(url)


def _id(actor: Account | None) -> int | None:
    return actor.id if actor is not None else None


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
