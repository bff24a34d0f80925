"""Reports: someone tells this node's moderators about an account (and some of its posts).

A report made here about a remote account can be forwarded to that account's server, as
Mastodon does: the Flag goes out as the node itself, not as the person who reported, so the
other server's moderators see what was reported but not by whom. A Flag received from
another server becomes a report here like any other. Every open report tells the admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bocage.core.instance import instance
from bocage.core.notifications.notifications import enqueue_notification
from bocage.core.posts import posts
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import Account, Post, Report, User
from bocage.store.queue import enqueue

MAX_COMMENT = 1000
MAX_POSTS = 20
CATEGORIES = ("spam", "legal", "violation", "other")  # Mastodon's


@dataclass(frozen=True)
class ReportView:
    report: Report
    reporter: Account
    target: Account
    posts: list[Post]


def report(
    session: Session,
    ctx: Context,
    reporter: Account,
    target: Account,
    post_ids: list[int],
    comment: str,
    *,
    forward: bool = False,
    category: str | None = None,
    rule_ids: list[int] | None = None,
) -> Report:
    """A local person's report; `forward` sends a copy to a remote target's server. As on
    Mastodon, naming rules makes it a `violation` report, and one without a category is
    `other`; the rules are the node's, by number (`instance.Rule`)."""
    rule_ids = list(dict.fromkeys(rule_ids or []))
    category = "violation" if rule_ids else (category or "other")
    if category not in CATEGORIES:
        raise InvalidInput(f"Validation failed: Category must be one of {', '.join(CATEGORIES)}")
    known = range(1, len(instance.info(session).rules) + 1)
    if any(rule_id not in known for rule_id in rule_ids):
        raise InvalidInput("Validation failed: Rule ids does not reference valid rules")
    if target.id == reporter.id:
        raise InvalidInput("You cannot report yourself.")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"A report's comment can be at most {MAX_COMMENT} characters long.")
    if len(post_ids) > MAX_POSTS:
        raise InvalidInput(f"A report can include at most {MAX_POSTS} posts.")
    reported = [posts.get_visible(session, reporter.id, post_id) for post_id in set(post_ids)]
    if any(post.account_id != target.id for post in reported):
        raise InvalidInput("A report can only include posts by the reported account.")
    row = _file(session, reporter, target, [post.id for post in reported], comment, None)
    row.category, row.rule_ids = category, rule_ids
    if forward and target.domain is not None:
        row.forwarded = True
        enqueue(session, "report.forward", {"report_id": row.id})
    return row


def received(
    session: Session,
    reporter: Account,
    target: Account,
    post_uris: list[str],
    comment: str,
    uri: str,
) -> Report | None:
    """A Flag from another server about one of ours (None when it was already received)."""
    if target.domain is not None:
        return None  # a report about someone elsewhere is for their own server's moderators
    found = session.execute(
        select(Post.id).where(Post.uri.in_(post_uris[:MAX_POSTS]), Post.account_id == target.id)
    ).scalars()
    try:
        with session.begin_nested():  # a Flag delivered twice at once is one report
            return _file(session, reporter, target, list(found), comment[:MAX_COMMENT], uri)
    except IntegrityError:
        return None


def _file(
    session: Session,
    reporter: Account,
    target: Account,
    post_ids: list[int],
    comment: str,
    uri: str | None,
) -> Report:
    row = Report(
        id=new_id(),
        account_id=reporter.id,
        target_id=target.id,
        post_ids=post_ids,
        comment=comment,
        uri=uri,
        forwarded=False,
        created_at=now(),
    )
    session.add(row)
    session.flush()
    for admin_account in _admin_accounts(session):
        enqueue_notification(session, admin_account, "admin.report", reporter.id)
    return row


def _admin_accounts(session: Session) -> list[int]:
    return list(session.execute(select(User.account_id).where(User.is_admin)).scalars())


def open_reports(session: Session, limit: int = 100) -> list[ReportView]:
    rows = session.execute(
        select(Report).where(Report.resolved_at.is_(None)).order_by(Report.id.desc()).limit(limit)
    ).scalars()
    return [_view(session, row) for row in rows]


def _view(session: Session, row: Report) -> ReportView:
    reporter, target = session.get(Account, row.account_id), session.get(Account, row.target_id)
    assert reporter is not None and target is not None  # both cascade-delete their reports
    found = session.execute(select(Post).where(Post.id.in_(row.post_ids or []))).scalars()
    return ReportView(row, reporter, target, list(found))


def resolve(session: Session, report_id: int) -> None:
    row = session.get(Report, report_id)
    if row is None:
        raise NotFound("There is no such report.")
    row.resolved_at = row.resolved_at or now()


def flag_document(
    session: Session, ctx: Context, report_id: int
) -> tuple[dict[str, Any], Account] | None:
    """The Flag that forwards a report, as the node itself (who reported stays here), and
    the reported account, whose server receives it."""
    row = session.get(Report, report_id)
    target = session.get(Account, row.target_id) if row else None
    if row is None or target is None:
        return None
    uris = session.execute(select(Post.uri).where(Post.id.in_(row.post_ids or []))).scalars()
    flag = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ctx.urls.base}/reports/{row.id}",
        "type": "Flag",
        "actor": ctx.urls.instance_actor,
        "object": [target.uri, *uris],
        "content": row.comment,
        "to": [target.uri],
    }
    return flag, target
