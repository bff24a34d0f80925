"""The admin API's operations (Mastodon's `/api/v1/admin/*`, `/api/v2/admin/accounts`): who
may use them (`staff`), accounts and what moderators do to them, reports as moderators handle
them, domain blocks and allows (the node's one set of domain rules, applied in this process
at once), e-mail domain, canonical e-mail and IP blocks (sign-ups refused or held for
approval, and every request from a `no_access` address refused: `denies`), trend reviews,
and the dashboard's measures, dimensions and retention. Each action is recorded in the
moderation log in the same unit of work (`core/moderation/log.py`)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bocage.core.cards import cards
from bocage.core.cards.cards import CardView
from bocage.core.moderation import (
    accounts,
    admin_domains,
    admin_reports,
    metrics,
    signup_blocks,
    trend_reviews,
)
from bocage.core.moderation.accounts import AccountFilter, AdminAccountView
from bocage.core.moderation.admin_reports import AdminReportView
from bocage.core.moderation.signup_blocks import EmailDomainBlockView, IpRules
from bocage.core.timelines import timelines, trends
from bocage.core.timelines.timelines import PostView
from bocage.core.timelines.trends import LinkTrend, TagTrend
from bocage.kernel.context import Context
from bocage.kernel.errors import Forbidden, NotFound
from bocage.services.ports import DomainRulesCache
from bocage.services.unit import Query, Service
from bocage.store.db import Database
from bocage.store.models import (
    Account,
    CanonicalEmailBlock,
    DomainAllow,
    DomainBlock,
    IpBlock,
    Post,
    PreviewCard,
    User,
)

T = TypeVar("T")
IP_RULES_SECONDS = 30.0  # other processes' IP block changes are seen within this
TREND_WINDOW = 200  # how many trending tags or posts the moderators' lists hold


def staff(user: User | None) -> bool:
    """Whether this user may use the admin API: this node's staff are its admins."""
    return user is not None and user.is_admin


@dataclass(frozen=True)
class ReportPage:
    reports: list[AdminReportView]
    posts: dict[int, list[PostView]] = field(default_factory=dict)  # by report id


@dataclass(frozen=True)
class TrendingTag:
    trend: TagTrend
    trendable: bool
    requires_review: bool


@dataclass(frozen=True)
class TrendingLink:
    trend: LinkTrend
    shown: CardView
    trendable: bool
    requires_review: bool


class AdminService(Service):
    def __init__(self, db: Database, ctx: Context, rules_cache: DomainRulesCache) -> None:
        super().__init__(db, ctx)
        self._rules_cache = rules_cache
        self._ip_rules: tuple[float, IpRules] | None = None

    def _act(self, actor: Account, work: Callable[[Session, Account], T]) -> Any:
        def unit(session: Session) -> T:
            me = session.get(Account, actor.id)
            if me is None:
                raise Forbidden("This action is not allowed")
            return work(session, me)

        return self._db.write(unit)

    # --- accounts ---------------------------------------------------------------------

    def accounts(
        self,
        wanted: AccountFilter,
        *,
        max_id: int | None,
        min_id: int | None,
        since_id: int | None,
        limit: int,
    ) -> Query[list[AdminAccountView]]:
        return self._query(
            lambda session: accounts.search(
                session, wanted, max_id=max_id, min_id=min_id, since_id=since_id, limit=limit
            )
        )

    def account(self, account_id: int) -> Query[AdminAccountView]:
        return self._query(lambda session: accounts.view(session, account_id))

    async def act_on_account(
        self,
        actor: Account,
        account_id: int,
        action: str,
        *,
        report_id: int | None,
        text: str,
        warning_preset_id: str | None,
    ) -> None:
        def work(session: Session, me: Account) -> None:
            accounts.act(
                session,
                me,
                account_id,
                action,
                report_id=report_id,
                text=text,
                warning_preset_id=warning_preset_id,
            )
            admin_reports.resolve_for_action(session, me, account_id, report_id, action)

        await self._act(actor, work)

    async def enable(self, actor: Account, account_id: int) -> AdminAccountView:
        view: AdminAccountView = await self._act(
            actor, lambda session, me: accounts.enable(session, me, account_id)
        )
        return view

    async def approve(self, actor: Account, account_id: int) -> AdminAccountView:
        view: AdminAccountView = await self._act(
            actor, lambda session, me: accounts.approve(session, me, account_id)
        )
        return view

    async def reject(self, actor: Account, account_id: int) -> None:
        await self._act(actor, lambda session, me: accounts.reject(session, me, account_id))

    async def undo(self, actor: Account, account_id: int, what: str) -> AdminAccountView:
        view: AdminAccountView = await self._act(
            actor, lambda session, me: accounts.undo(session, me, account_id, what)
        )
        return view

    async def delete_account(self, actor: Account, account_id: int) -> None:
        await self._act(actor, lambda session, me: accounts.delete_data(session, me, account_id))

    # --- reports ----------------------------------------------------------------------

    def reports(
        self,
        viewer: Account,
        *,
        resolved: bool,
        unresolved: bool,
        account_id: int | None,
        target_account_id: int | None,
        max_id: int | None,
        min_id: int | None,
        since_id: int | None,
        limit: int,
    ) -> Query[ReportPage]:
        def load(session: Session) -> ReportPage:
            found = admin_reports.search(
                session,
                resolved=resolved,
                unresolved=unresolved,
                account_id=account_id,
                target_account_id=target_account_id,
                max_id=max_id,
                min_id=min_id,
                since_id=since_id,
                limit=limit,
            )
            return _with_posts(session, viewer, found)

        return self._query(load)

    def report(self, viewer: Account, report_id: int) -> Query[ReportPage]:
        return self._query(
            lambda session: _with_posts(session, viewer, [admin_reports.get(session, report_id)])
        )

    async def handle_report(self, actor: Account, report_id: int, what: str) -> None:
        """`assign_to_self`, `unassign`, `resolve` or `reopen`."""
        change = {
            "assign_to_self": admin_reports.assign,
            "unassign": admin_reports.unassign,
            "resolve": admin_reports.resolve,
            "reopen": admin_reports.reopen,
        }[what]

        def work(session: Session, me: Account) -> None:
            change(session, me, report_id)

        await self._act(actor, work)

    # --- domain blocks and allows -------------------------------------------------------

    def domain_blocks(
        self, *, max_id: int | None, min_id: int | None, since_id: int | None, limit: int
    ) -> Query[list[DomainBlock]]:
        return self._query(
            lambda session: admin_domains.blocks(
                session, max_id=max_id, min_id=min_id, since_id=since_id, limit=limit
            )
        )

    def domain_block(self, block_id: int) -> Query[DomainBlock]:
        return self._query(lambda session: admin_domains.block(session, block_id))

    async def create_domain_block(self, actor: Account, domain: str, **options: Any) -> DomainBlock:
        row: DomainBlock = await self._act(
            actor, lambda session, me: admin_domains.create_block(session, me, domain, **options)
        )
        self._rules_cache.forget_domain_rules()
        return row

    async def update_domain_block(
        self, actor: Account, block_id: int, **options: Any
    ) -> DomainBlock:
        row: DomainBlock = await self._act(
            actor, lambda session, me: admin_domains.update_block(session, me, block_id, **options)
        )
        self._rules_cache.forget_domain_rules()
        return row

    async def delete_domain_block(self, actor: Account, block_id: int) -> None:
        await self._act(
            actor, lambda session, me: admin_domains.delete_block(session, me, block_id)
        )
        self._rules_cache.forget_domain_rules()

    def domain_allows(
        self, *, max_id: int | None, min_id: int | None, since_id: int | None, limit: int
    ) -> Query[list[DomainAllow]]:
        return self._query(
            lambda session: admin_domains.allows(
                session, max_id=max_id, min_id=min_id, since_id=since_id, limit=limit
            )
        )

    def domain_allow(self, allow_id: int) -> Query[DomainAllow]:
        return self._query(lambda session: admin_domains.allow(session, allow_id))

    async def create_domain_allow(self, actor: Account, domain: str) -> DomainAllow:
        row: DomainAllow = await self._act(
            actor, lambda session, me: admin_domains.create_allow(session, me, domain)
        )
        self._rules_cache.forget_domain_rules()
        return row

    async def delete_domain_allow(self, actor: Account, allow_id: int) -> None:
        await self._act(
            actor, lambda session, me: admin_domains.delete_allow(session, me, allow_id)
        )
        self._rules_cache.forget_domain_rules()

    # --- e-mail and IP blocks -----------------------------------------------------------

    def email_domain_blocks(
        self, *, max_id: int | None, min_id: int | None, since_id: int | None, limit: int
    ) -> Query[list[EmailDomainBlockView]]:
        return self._query(
            lambda session: signup_blocks.email_domain_blocks(
                session, max_id=max_id, min_id=min_id, since_id=since_id, limit=limit
            )
        )

    def email_domain_block(self, block_id: int) -> Query[EmailDomainBlockView]:
        return self._query(lambda session: signup_blocks.email_domain_block(session, block_id))

    async def create_email_domain_block(self, actor: Account, domain: str) -> EmailDomainBlockView:
        row: EmailDomainBlockView = await self._act(
            actor, lambda session, me: signup_blocks.block_email_domain(session, me, domain)
        )
        return row

    async def delete_email_domain_block(self, actor: Account, block_id: int) -> None:
        await self._act(
            actor, lambda session, me: signup_blocks.unblock_email_domain(session, me, block_id)
        )

    def canonical_email_blocks(
        self, *, max_id: int | None, min_id: int | None, since_id: int | None, limit: int
    ) -> Query[list[CanonicalEmailBlock]]:
        return self._query(
            lambda session: signup_blocks.canonical_email_blocks(
                session, max_id=max_id, min_id=min_id, since_id=since_id, limit=limit
            )
        )

    def canonical_email_block(self, block_id: int) -> Query[CanonicalEmailBlock]:
        return self._query(lambda session: signup_blocks.canonical_email_block(session, block_id))

    def test_canonical_email(self, email: str) -> Query[list[CanonicalEmailBlock]]:
        return self._query(lambda session: signup_blocks.matching_canonical_blocks(session, email))

    async def create_canonical_email_block(
        self, actor: Account, email: str | None, digest: str | None
    ) -> CanonicalEmailBlock:
        row: CanonicalEmailBlock = await self._act(
            actor,
            lambda session, me: signup_blocks.block_canonical_email(session, me, email, digest),
        )
        return row

    async def delete_canonical_email_block(self, actor: Account, block_id: int) -> None:
        await self._act(
            actor,
            lambda session, me: signup_blocks.unblock_canonical_email(session, me, block_id),
        )

    def ip_blocks(
        self, *, max_id: int | None, min_id: int | None, since_id: int | None, limit: int
    ) -> Query[list[IpBlock]]:
        return self._query(
            lambda session: signup_blocks.ip_blocks(
                session, max_id=max_id, min_id=min_id, since_id=since_id, limit=limit
            )
        )

    def ip_block(self, block_id: int) -> Query[IpBlock]:
        return self._query(lambda session: signup_blocks.ip_block(session, block_id))

    async def create_ip_block(
        self, actor: Account, ip: str, severity: str, comment: str, expires_in: int | None
    ) -> IpBlock:
        row: IpBlock = await self._act(
            actor,
            lambda session, me: signup_blocks.block_ip(
                session, me, ip, severity, comment, expires_in
            ),
        )
        self._ip_rules = None
        return row

    async def update_ip_block(self, actor: Account, block_id: int, **changes: Any) -> IpBlock:
        row: IpBlock = await self._act(
            actor,
            lambda session, me: signup_blocks.update_ip_block(session, me, block_id, **changes),
        )
        self._ip_rules = None
        return row

    async def delete_ip_block(self, actor: Account, block_id: int) -> None:
        await self._act(actor, lambda session, me: signup_blocks.unblock_ip(session, me, block_id))
        self._ip_rules = None

    async def denies(self, address: str | None) -> bool:
        """Whether every request from `address` is refused (an IP block `no_access`)."""
        if not address:
            return False
        kept = self._ip_rules
        if kept is None or kept[0] < time.monotonic():
            rules = await self._db.read(signup_blocks.ip_rules)
            kept = self._ip_rules = (time.monotonic() + IP_RULES_SECONDS, rules)
        return kept[1].denies(address)

    # --- trends ---------------------------------------------------------------------------

    def trending_tags(self, limit: int) -> Query[list[TrendingTag]]:
        def load(session: Session) -> list[TrendingTag]:
            verdicts = trend_reviews.verdicts(session, "tag")
            found = trends.tags(session, limit, 0, with_rejected=True)
            return [
                TrendingTag(
                    trend,
                    verdicts.get(trend.name.lower(), True),
                    trend.name.lower() not in verdicts,
                )
                for trend in found
            ]

        return self._query(load, off_loop=True)

    def trending_posts(self, viewer: Account, limit: int) -> Query[list[PostView]]:
        def load(session: Session) -> list[PostView]:
            ids = trends.statuses(session, viewer.id, limit, 0, with_rejected=True)
            return timelines.hydrate(session, viewer, ids)

        return self._query(load, off_loop=True)

    def trending_links(self, limit: int) -> Query[list[TrendingLink]]:
        def load(session: Session) -> list[TrendingLink]:
            verdicts = trend_reviews.verdicts(session, "link")
            found = trends.links(session, limit, 0, with_rejected=True)
            views = cards.views_of(session, [trend.card for trend in found])
            return [
                TrendingLink(
                    trend,
                    shown,
                    verdicts.get(str(trend.card.id), True),
                    str(trend.card.id) not in verdicts,
                )
                for trend, shown in zip(found, views, strict=True)
            ]

        return self._query(load, off_loop=True)

    async def review_link(self, actor: Account, card_id: int, trendable: bool) -> TrendingLink:
        def work(session: Session, me: Account) -> TrendingLink:
            card = session.get(PreviewCard, card_id)
            if card is None:
                raise NotFound("Record not found")
            trend_reviews.review(session, me, "link", str(card_id), trendable)
            trend = trends.LinkTrend(card, trends.link_history(session, card_id))
            return TrendingLink(trend, cards.views_of(session, [card])[0], trendable, False)

        found: TrendingLink = await self._act(actor, work)
        return found

    async def review_tag(self, actor: Account, tag_id: str, trendable: bool) -> TrendingTag:
        def work(session: Session, me: Account) -> TrendingTag:
            for trend in trends.tags(session, TREND_WINDOW, 0, with_rejected=True):
                if _tag_id(trend.name) == tag_id:
                    trend_reviews.review(session, me, "tag", trend.name.lower(), trendable)
                    return TrendingTag(trend, trendable, False)
            raise NotFound("Record not found")

        found: TrendingTag = await self._act(actor, work)
        return found

    async def review_post(self, actor: Account, post_id: int, trendable: bool) -> None:
        def work(session: Session, me: Account) -> None:
            if session.get(Post, post_id) is None:
                raise NotFound("Record not found")
            trend_reviews.review(session, me, "status", str(post_id), trendable)

        await self._act(actor, work)

    def post(self, viewer: Account, post_id: int) -> Query[list[PostView]]:
        """One post as a moderator sees it (whatever its audience)."""
        return self._query(lambda session: timelines.hydrate(session, viewer, [post_id]))

    # --- the dashboard --------------------------------------------------------------------

    def measures(
        self, keys: list[str], options: dict[str, Any], start: datetime, end: datetime
    ) -> Query[list[metrics.Measure]]:
        return self._query(
            lambda session: metrics.measures(session, keys, options, start, end), off_loop=True
        )

    def dimensions(
        self,
        keys: list[str],
        options: dict[str, Any],
        start: datetime,
        end: datetime,
        limit: int,
    ) -> Query[list[metrics.Dimension]]:
        database = "PostgreSQL" if self._db.dialect.startswith("postgres") else "SQLite"
        return self._query(
            lambda session: metrics.dimensions(session, keys, options, start, end, limit, database),
            off_loop=True,
        )

    def retention(
        self, start: datetime, end: datetime, frequency: str
    ) -> Query[list[metrics.Cohort]]:
        return self._query(
            lambda session: metrics.retention(session, start, end, frequency), off_loop=True
        )


def _tag_id(name: str) -> str:
    return str(int.from_bytes(hashlib.sha256(name.lower().encode()).digest()[:7], "big"))


def _with_posts(session: Session, viewer: Account, found: list[AdminReportView]) -> ReportPage:
    posts = {
        view.report.id: timelines.hydrate(session, viewer, list(view.report.post_ids or []))
        for view in found
    }
    return ReportPage(found, posts)
