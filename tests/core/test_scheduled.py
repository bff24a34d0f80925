"""Scheduled statuses: checked when written, published once at their time by a job, through
the same core path as any post. Time is moved forward with `Clock`, never waited for."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bocage.core.media import media
from bocage.core.polls import polls
from bocage.core.posts import posts, scheduled
from bocage.core.timelines.timelines import Page
from bocage.kernel import clock
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.node import Node
from bocage.store.models import Account, Job, MediaFile, Poll, Post, ScheduledStatus
from tests.core.helpers import follow, post, user


class Clock:
    """The node's clock, moved forward: every `bocage` module that reads the time through
    `bocage.kernel.clock.now` (the one place that says what time it is) sees it moved."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = timedelta()
        real = clock.now
        for name, module in list(sys.modules.items()):
            if name.startswith("bocage") and getattr(module, "now", None) is real:
                monkeypatch.setattr(module, "now", lambda: real() + self.offset)

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def moved(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    yield Clock(monkeypatch)


def schedule(node: Node, author: Account, text: str, at: datetime, **draft: object) -> int:
    with node.db.transaction() as session:
        me = session.get(Account, author.id)
        assert me is not None
        draft_ = posts.PostDraft(text, **draft)  # type: ignore[arg-type]
        return scheduled.schedule(session, node.ctx, me, draft_, at).id


def reschedule(node: Node, author: Account, scheduled_id: int, at: datetime) -> None:
    with node.db.transaction() as session:
        scheduled.reschedule(session, author, scheduled_id, at)


def texts_of(node: Node, author: Account) -> list[str]:
    with node.db.snapshot() as session:
        rows = session.execute(
            select(Post.source).where(Post.account_id == author.id).order_by(Post.id)
        )
        return list(rows.scalars())


def pending(node: Node, author: Account) -> list[int]:
    with node.db.snapshot() as session:
        rows = session.execute(
            select(ScheduledStatus.id).where(ScheduledStatus.account_id == author.id)
        )
        return list(rows.scalars())


def job_states(node: Node) -> list[str]:
    with node.db.snapshot() as session:
        rows = session.execute(select(Job.state).where(Job.kind == scheduled.JOB))
        return sorted(rows.scalars())


def run_again(node: Node) -> None:
    """Every scheduled.publish job runs once more, as after a crash that lost its completion."""
    with node.db.transaction() as session:
        session.execute(
            update(Job)
            .where(Job.kind == scheduled.JOB)
            .values(state="queued", run_after=clock.now() - timedelta(days=1))
        )


def upload(node: Node, owner: Account) -> int:
    with node.db.transaction() as session:
        image = media.Upload(b"0" * 10, "image/png", "image", "0" * 64, 1, 1)
        row = media.record_upload(session, owner, media.StoredUpload(image, "k.png", None, None))
        session.flush()
        return row.id


async def test_published_once_at_its_time(node: Node, moved: Clock) -> None:
    alice = user(node, "alice")
    follow(node, user(node, "bob"), alice)  # someone here to fan the post out to
    at = clock.now() + timedelta(hours=1)
    scheduled_id = schedule(node, alice, "later #news", at, visibility="unlisted", language="en")
    with node.db.snapshot() as session:
        row = session.get(ScheduledStatus, scheduled_id)
        assert row is not None and row.scheduled_at == at
        assert row.params["text"] == "later #news" and row.params["visibility"] == "unlisted"
        job = session.execute(select(Job).where(Job.kind == scheduled.JOB)).scalar_one()
        assert abs((job.run_after - at).total_seconds()) < 0.01

    await node.worker.run_until_idle()
    assert texts_of(node, alice) == []  # not due yet
    moved.advance(timedelta(minutes=59))
    await node.worker.run_until_idle()
    assert texts_of(node, alice) == [] and pending(node, alice) == [scheduled_id]

    moved.advance(timedelta(minutes=2))
    await node.worker.run_until_idle()
    assert texts_of(node, alice) == ["later #news"]
    assert pending(node, alice) == []
    with node.db.snapshot() as session:
        published = session.execute(select(Post).where(Post.account_id == alice.id)).scalar_one()
        assert (published.visibility, published.language) == ("unlisted", "en")
        assert published.created_at > at  # published then, not when it was written
        counted = session.get(Account, alice.id)
        assert counted is not None and counted.statuses_count == 1
    # Published through posts.publish: its own post.created job ran (fan-out, tags).
    with node.db.snapshot() as session:
        kinds = session.execute(select(Job.kind, Job.state).where(Job.kind == "post.created"))
        assert kinds.all() == [("post.created", "done")]

    run_again(node)
    await node.worker.run_until_idle()
    assert texts_of(node, alice) == ["later #news"]  # the second run found nothing to do
    assert job_states(node) == ["done"]


async def test_rescheduling_publishes_at_the_new_time_only(node: Node, moved: Clock) -> None:
    alice = user(node, "alice")
    start = clock.now()
    later = schedule(node, alice, "moved later", start + timedelta(hours=1))
    sooner = schedule(node, alice, "moved sooner", start + timedelta(hours=3))
    reschedule(node, alice, later, start + timedelta(hours=2))
    reschedule(node, alice, sooner, start + timedelta(minutes=30))

    moved.advance(timedelta(minutes=31))
    await node.worker.run_until_idle()
    assert texts_of(node, alice) == ["moved sooner"]
    moved.advance(timedelta(minutes=31))  # the first time of "moved later": nothing
    await node.worker.run_until_idle()
    assert texts_of(node, alice) == ["moved sooner"]
    assert pending(node, alice) == [later]
    moved.advance(timedelta(hours=3))  # past every time, old and new
    await node.worker.run_until_idle()
    assert texts_of(node, alice) == ["moved sooner", "moved later"]
    assert pending(node, alice) == []
    assert job_states(node) == ["done"] * 4


async def test_checked_when_written(node: Node) -> None:
    alice = user(node, "alice")
    soon = clock.now() + timedelta(minutes=4)
    with pytest.raises(InvalidInput) as refused:
        schedule(node, alice, "too soon", soon)
    assert refused.value.message == (
        "Validation failed: Scheduled at The scheduled date must be in the future"
    )
    later = clock.now() + timedelta(hours=1)
    with pytest.raises(InvalidInput):
        schedule(node, alice, "x" * 501, later)  # what publishing would refuse
    with pytest.raises(InvalidInput):
        schedule(node, alice, "", later)
    with pytest.raises(NotFound):
        schedule(node, alice, "a reply to nothing", later, in_reply_to_id=new_id())
    assert pending(node, alice) == []

    scheduled_id = schedule(node, alice, "fine", later)
    with pytest.raises(InvalidInput):
        reschedule(node, alice, scheduled_id, clock.now() + timedelta(minutes=2))
    with pytest.raises(NotFound):
        reschedule(node, user(node, "bob"), scheduled_id, later)  # not bob's
    # A time already past means "now"; less than five minutes ahead is refused.
    assert scheduled.requested_time((clock.now() - timedelta(minutes=1)).isoformat()) is None
    assert scheduled.requested_time("2001-01-01") is None
    ahead = scheduled.requested_time("2999-12-31T23:00:00+01:00")
    assert ahead is not None and ahead.isoformat() == "2999-12-31T22:00:00+00:00"
    assert scheduled.parse_time("2999-01-02T03:04:05Z").tzinfo is not None
    with pytest.raises(InvalidInput):
        scheduled.parse_time("next tuesday")


async def test_limits_per_day_and_in_all(node: Node) -> None:
    alice = user(node, "alice")
    day = (clock.now() + timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)
    for n in range(scheduled.DAILY_LIMIT):
        schedule(node, alice, f"day one {n}", day + timedelta(minutes=n))
    with pytest.raises(InvalidInput) as refused:
        schedule(node, alice, "one too many", day + timedelta(hours=15))  # same UTC day
    assert refused.value.message == (
        "Validation failed: You have exceeded the limit of 25 scheduled posts for today"
    )
    schedule(node, alice, "the next day", day + timedelta(hours=16, minutes=1))
    # Moving one within its own day does not count it twice.
    first = pending(node, alice)[0]
    reschedule(node, alice, first, day + timedelta(hours=1))

    with node.db.transaction() as session:  # fill up to the total limit, on later days
        for n in range(scheduled.TOTAL_LIMIT - scheduled.DAILY_LIMIT - 1):
            at = day + timedelta(days=3 + n // 20, minutes=n)
            session.add(
                ScheduledStatus(id=new_id(), account_id=alice.id, scheduled_at=at, params={})
            )
    with pytest.raises(InvalidInput) as refused:
        schedule(node, alice, "too many in all", day + timedelta(days=200))
    assert refused.value.message == (
        "Validation failed: You have exceeded the limit of 300 scheduled posts"
    )
    with node.db.transaction() as session:
        scheduled.cancel(session, alice, first)
    schedule(node, alice, "room again", day + timedelta(days=200))


async def test_uploads_are_reserved_until_published(node: Node, moved: Clock) -> None:
    alice = user(node, "alice")
    photo, other = upload(node, alice), upload(node, alice)
    at = clock.now() + timedelta(hours=1)
    scheduled_id = schedule(node, alice, "with photos", at, media_ids=(other, photo))
    with pytest.raises(InvalidInput):
        post(node, alice, "steal it", media_ids=(photo,))
    with pytest.raises(InvalidInput):
        schedule(node, alice, "steal it later", at, media_ids=(photo,))
    with node.db.snapshot() as session:
        row = session.get(ScheduledStatus, scheduled_id)
        assert row is not None
        shown = scheduled.attachments(session, [row])[scheduled_id]
        assert [m.id for m in shown] == [other, photo]  # in the order given

    # Cancelled: the uploads are free again.
    with node.db.transaction() as session:
        scheduled.cancel(session, alice, scheduled_id)
    scheduled_id = schedule(node, alice, "with photos", at, media_ids=(photo, other))
    moved.advance(timedelta(hours=2))
    await node.worker.run_until_idle()
    with node.db.snapshot() as session:
        published = session.execute(select(Post).where(Post.account_id == alice.id)).scalar_one()
        attached = media.of_posts(session, [published.id])[published.id]
        assert [m.id for m in attached] == [photo, other]
        assert published.media_count == 2
        files = session.execute(select(func.count()).select_from(MediaFile)).scalar_one()
        assert files == 2


async def test_what_can_no_longer_be_posted_is_dropped(node: Node, moved: Clock) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    parent = post(node, bob, "answer me later")
    schedule(
        node, alice, "my late answer", clock.now() + timedelta(hours=1), in_reply_to_id=parent.id
    )
    with node.db.transaction() as session:
        me = session.get(Account, bob.id)
        assert me is not None
        posts.delete_post(session, node.ctx, me, parent.id)
    moved.advance(timedelta(hours=2))
    await node.worker.run_until_idle()
    assert texts_of(node, alice) == []
    assert pending(node, alice) == []
    assert job_states(node) == ["done"]  # dropped, as Mastodon does, not retried


async def test_paging(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    base = clock.now() + timedelta(days=1)
    ids = [schedule(node, alice, f"n{n}", base + timedelta(hours=n)) for n in range(5)]
    schedule(node, bob, "not alice's", base)
    with node.db.snapshot() as session:
        assert [r.id for r in scheduled.page(session, alice, Page(limit=2))] == ids[:-3:-1]
        older = scheduled.page(session, alice, Page(max_id=ids[3], limit=2))
        assert [r.id for r in older] == [ids[2], ids[1]]
        newer = scheduled.page(session, alice, Page(min_id=ids[2]))
        assert [r.id for r in newer] == [ids[4], ids[3]]


async def test_a_scheduled_poll_is_published_with_its_poll(node: Node, moved: Clock) -> None:
    alice = user(node, "alice")
    at = clock.now() + timedelta(hours=1)
    question = polls.PollDraft(("hazel", "holly"), 3600, multiple=True)
    scheduled_id = schedule(node, alice, "which hedge?", at, poll=question)
    with node.db.snapshot() as session:
        row = session.get(ScheduledStatus, scheduled_id)
        assert row is not None and row.params["poll"] == {
            "options": ["hazel", "holly"], "expires_in": 3600, "multiple": True,
            "hide_totals": False,
        }  # fmt: skip
    moved.advance(timedelta(hours=1, minutes=1))
    await node.worker.run_until_idle()
    with node.db.snapshot() as session:
        published = session.execute(select(Post).where(Post.account_id == alice.id)).scalar_one()
        assert published.poll_id is not None
        poll = session.get(Poll, published.poll_id)
        assert poll is not None and poll.multiple
