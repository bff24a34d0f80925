"""Polls: Mastodon's rules for making and voting, counts, closing at the end (driven by moving
the clock's marks back: the poll's end and its queued jobs), and remote Questions."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import event, select

from bocage.activitypub import delivery
from bocage.core.inbound import remote
from bocage.core.polls import polls
from bocage.core.polls.polls import PollDraft
from bocage.core.posts import posts
from bocage.core.timelines import timelines
from bocage.federation import normalize
from bocage.kernel import events
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.node import Node
from bocage.store.models import Account, Job, LogEntry, MediaFile, Poll, PollVote, Post
from tests.conftest import make_settings
from tests.core.helpers import fresh, notifications_of, post, remote_user, user
from tests.core.test_posts import count, log_of

PAYLOADS = Path(__file__).parent.parent / "data" / "payloads"
SETTINGS = make_settings(Path("/nonexistent"), "sqlite://")
# Jobs that stay in the database (deliveries would try to reach far.example).
LOCAL_JOBS = ("poll.close", "poll.update", "notify", "post.created")


def poll_post(node: Node, author: Account, *options: str, **draft: Any) -> Post:
    expires_in = draft.pop("expires_in", 3600)
    multiple = draft.pop("multiple", False)
    hide_totals = draft.pop("hide_totals", False)
    return post(
        node,
        author,
        draft.pop("text", "Which one?"),
        poll=PollDraft(tuple(options), expires_in, multiple, hide_totals),
        **draft,
    )


def vote(node: Node, voter: Account, poll_id: int | None, *choices: int) -> list[events.Event]:
    """Vote; returns the events the vote's transaction emitted."""
    assert poll_id is not None
    with node.db.transaction() as session:
        polls.vote(session, voter, poll_id, list(choices))
        return events.take_pending(session)


def stored_poll(node: Node, poll_id: int | None) -> Poll:
    with node.db.snapshot() as session:
        found = session.get(Poll, poll_id)
        assert found is not None
        return found


def time_passes(node: Node, seconds: float) -> None:
    """As if `seconds` had gone by: polls end that much sooner, queued jobs are due sooner."""
    gone = timedelta(seconds=seconds)
    with node.db.transaction() as session:
        for poll in session.execute(select(Poll)).scalars():
            if poll.expires_at is not None:
                poll.expires_at -= gone
        for job in session.execute(select(Job).where(Job.state == "queued")).scalars():
            job.run_after -= gone


def run_due_jobs(node: Node) -> None:
    """Run the due jobs of LOCAL_JOBS, as the worker would, until none is left."""
    handlers = node.worker.handlers
    while True:
        with node.db.transaction() as session:
            due = session.execute(
                select(Job).where(
                    Job.state == "queued",
                    Job.run_after <= datetime.now(UTC),
                    Job.kind.in_(LOCAL_JOBS),
                )
            ).scalars()
            ran = 0
            for job in due.all():
                handlers[job.kind](session, job.payload)  # type: ignore[call-arg,arg-type]
                job.state = "done"
                ran += 1
        if not ran:
            return


def queued(node: Node, kind: str) -> list[Job]:
    with node.db.snapshot() as session:
        rows = session.execute(select(Job).where(Job.kind == kind, Job.state == "queued"))
        return list(rows.scalars())


def last_object(node: Node, account: Account, uri: str) -> dict[str, Any]:
    """The object of the author's latest Create or Update of `uri`, as signed."""
    entries = [e for e in log_of(node, account.id) if e.object_id == uri]
    assert entries, f"nothing in the log about {uri}"
    return orjson.loads(entries[-1].activity or "{}")["object"]  # type: ignore[no-any-return]


# --- making ------------------------------------------------------------------------------------


def test_options_and_durations_follow_mastodons_limits() -> None:
    ok = polls.validate(PollDraft((" a ", "", "b"), 300), SETTINGS, with_media=False)
    assert ok.options == ("a", "b")  # trimmed, blank ones dropped
    refusals = {
        "more than one item": PollDraft(("only",), 3600),
        "more than 4 items": PollDraft(tuple("abcde"), 3600),
        "longer than 50 characters": PollDraft(("a", "b" * 51), 3600),
        "duplicate items": PollDraft(("same", "same"), 3600),
        "too soon": PollDraft(("a", "b"), 299),
        "too far into the future": PollDraft(("a", "b"), 2_629_747),
    }
    for words, draft in refusals.items():
        with pytest.raises(InvalidInput, match=words):
            polls.validate(draft, SETTINGS, with_media=False)
    polls.validate(PollDraft(("a", "b" * 50), 2_629_746), SETTINGS, with_media=False)
    with pytest.raises(InvalidInput, match="both a poll and attachments"):
        polls.validate(PollDraft(("a", "b"), 3600), SETTINGS, with_media=True)
    # The limits that are settings.
    wider = SETTINGS.model_copy(update={"max_poll_options": 5, "poll_min_expiry_seconds": 5})
    assert len(polls.validate(PollDraft(tuple("abcde"), 5), wider, with_media=False).options) == 5


def test_a_poll_is_published_as_a_signed_question(node: Node) -> None:
    alice = user(node, "alice")
    before = count(node, Job, Job.kind == "poll.close")
    published = poll_post(node, alice, "yes", "no", expires_in=600, multiple=True)
    poll = stored_poll(node, published.poll_id)
    assert (poll.post_id, poll.options, poll.tallies, poll.multiple) == (
        published.id, ["yes", "no"], [0, 0], True,
    )  # fmt: skip
    assert (poll.votes_count, poll.voters_count, poll.closed_at) == (0, 0, None)
    assert abs((poll.expires_at - published.created_at).total_seconds() - 600) < 1
    assert count(node, Job, Job.kind == "poll.close") == before + 1

    question = last_object(node, alice, published.uri)
    assert question["type"] == "Question" and "oneOf" not in question
    assert question["anyOf"] == [
        {"type": "Note", "name": "yes", "replies": {"type": "Collection", "totalItems": 0}},
        {"type": "Note", "name": "no", "replies": {"type": "Collection", "totalItems": 0}},
    ]
    assert question["endTime"] == poll.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert question["votersCount"] == 0 and "closed" not in question
    assert polls.CONTEXT_EXTENSION in question["@context"]
    assert question["proof"]["cryptosuite"] == "eddsa-jcs-2022"

    # A post without a poll is a Note, and its row says it has none.
    plain = post(node, alice, "no poll here")
    assert plain.poll_id is None and last_object(node, alice, plain.uri)["type"] == "Note"


def test_an_edit_keeps_the_poll_and_its_votes(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    published = poll_post(node, alice, "a", "b")
    vote(node, bob, published.poll_id, 1)
    with node.db.transaction() as session:
        posts.edit(session, node.ctx, fresh(node, alice), published.id, posts.PostDraft("Which?"))
    edited = last_object(node, alice, published.uri)
    assert edited["type"] == "Question" and "Which?" in edited["content"]
    assert [o["replies"]["totalItems"] for o in edited["oneOf"]] == [0, 1]
    assert stored_poll(node, published.poll_id).tallies == [0, 1]


def test_a_poll_cannot_come_with_attachments(node: Node) -> None:
    alice = user(node, "alice")
    with node.db.transaction() as session:
        upload = MediaFile(
            id=1, account_id=alice.id, storage_key="k", content_type="image/png", size=1,
            width=1, height=1, description="", created_at=datetime.now(UTC),
        )  # fmt: skip
        session.add(upload)
    with pytest.raises(InvalidInput, match="both a poll and attachments"):
        poll_post(node, alice, "a", "b", media_ids=(1,))
    assert count(node, Poll) == 0


# --- voting ------------------------------------------------------------------------------------


def test_single_choice_voting_rules(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    published = poll_post(node, alice, "tea", "coffee", "water")
    poll_id = published.poll_id

    emitted = vote(node, bob, poll_id, 1)
    assert events.Event("post.updated", {"post_id": published.id}) in emitted
    with pytest.raises(InvalidInput, match=r"^Validation failed: You have already voted"):
        vote(node, bob, poll_id, 0)
    with pytest.raises(InvalidInput, match="already voted"):
        vote(node, carol, poll_id, 0, 2)  # one choice only
    with pytest.raises(InvalidInput, match=r"^Validation failed: The chosen vote option"):
        vote(node, carol, poll_id, 3)
    with pytest.raises(InvalidInput, match=r"^Validation failed: You cannot vote in your own"):
        vote(node, alice, poll_id, 0)
    with pytest.raises(InvalidInput, match="at least one"):
        vote(node, carol, poll_id)
    with pytest.raises(NotFound):
        vote(node, carol, 123456789, 0)
    vote(node, carol, poll_id, 1)

    poll = stored_poll(node, poll_id)
    assert (poll.tallies, poll.votes_count, poll.voters_count) == ([0, 2, 0], 2, 2)


def test_multiple_choice_counts_votes_and_voters(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    poll_id = poll_post(node, alice, "a", "b", "c", multiple=True).poll_id
    vote(node, bob, poll_id, 0, 2)
    vote(node, carol, poll_id, 2)
    with pytest.raises(InvalidInput, match="already voted"):
        vote(node, bob, poll_id, 2)  # each choice once
    with pytest.raises(InvalidInput, match="already voted"):
        vote(node, carol, poll_id, 1, 1)
    vote(node, carol, poll_id, 1)  # another choice later, as Mastodon allows
    poll = stored_poll(node, poll_id)
    assert (poll.tallies, poll.votes_count, poll.voters_count) == ([1, 1, 2], 4, 2)


def test_who_may_vote_is_who_may_see(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    private = poll_post(node, alice, "a", "b", visibility="private")
    with pytest.raises(NotFound):
        vote(node, bob, private.poll_id, 0)
    with node.db.transaction() as session:
        with pytest.raises(NotFound):
            polls.get_visible(session, None, private.poll_id or 0)
        with pytest.raises(NotFound):
            polls.get_visible(session, carol.id, private.poll_id or 0)
        assert polls.get_visible(session, alice.id, private.poll_id or 0).voted is True


def test_no_vote_after_the_end(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    poll_id = poll_post(node, alice, "a", "b", expires_in=300).poll_id
    time_passes(node, 301)
    with pytest.raises(InvalidInput, match=r"^Validation failed: The poll has already ended$"):
        vote(node, bob, poll_id, 0)


def test_what_each_viewer_sees(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    poll_id = poll_post(node, alice, "a", "b", "c", multiple=True, hide_totals=True).poll_id
    assert poll_id is not None
    vote(node, bob, poll_id, 0, 2)
    with node.db.snapshot() as session:
        seen = polls.of_polls(session, [poll_id], bob.id)[poll_id]
        assert (seen.voted, seen.own_votes, seen.expired) == (True, (0, 2), False)
        assert seen.counts == [None, None, None]  # hidden until the end, from everyone
        assert polls.of_polls(session, [poll_id], carol.id)[poll_id].voted is False
        assert polls.of_polls(session, [poll_id], alice.id)[poll_id].own_votes == ()
        anonymous = polls.of_polls(session, [poll_id], None)[poll_id]
        assert (anonymous.voted, anonymous.own_votes) == (None, None)
    time_passes(node, 3601)
    with node.db.snapshot() as session:
        seen = polls.of_polls(session, [poll_id], None)[poll_id]
        assert seen.expired and seen.counts == [1, 0, 1]


@contextmanager
def poll_queries(node: Node) -> Iterator[list[str]]:
    """The statements that read the polls table while the block runs."""
    seen: list[str] = []
    engines = {node.db.write_engine, node.db.read_engine}

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM polls" in statement:
            seen.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", listen)


def test_pages_load_polls_in_one_query_and_only_when_they_have_some(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    for n in range(3):
        post(node, alice, f"plain {n}")
    with poll_queries(node) as seen, node.db.snapshot() as session:
        page = timelines.profile(session, bob, alice, timelines.Page())
        assert all(view.poll is None for view in page)
    assert seen == []

    first = poll_post(node, alice, "a", "b")
    second = poll_post(node, alice, "c", "d", multiple=True)
    vote(node, bob, second.poll_id, 0, 1)
    with poll_queries(node) as seen, node.db.snapshot() as session:
        page = timelines.profile(session, bob, alice, timelines.Page())
    assert len(seen) == 1
    by_id = {view.post.id: view for view in page}
    assert by_id[first.id].poll is not None and by_id[first.id].poll.own_votes == ()
    assert by_id[second.id].poll is not None and by_id[second.id].poll.own_votes == (0, 1)
    assert by_id[second.id].poll.counts == [1, 1]


# --- counts going out, and closing -------------------------------------------------------------


def test_counts_go_out_as_one_update_per_batch_of_votes(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    published = poll_post(node, alice, "a", "b")
    vote(node, bob, published.poll_id, 0)
    vote(node, carol, published.poll_id, 1)
    assert len(queued(node, "poll.update")) == 1  # one Update for both votes
    assert stored_poll(node, published.poll_id).update_queued

    time_passes(node, polls.UPDATE_DELAY + 1)
    run_due_jobs(node)
    updates = [e for e in log_of(node, alice.id) if e.activity_type == "Update"]
    assert len(updates) == 1
    question = orjson.loads(updates[0].activity or "{}")["object"]
    assert [o["replies"]["totalItems"] for o in question["oneOf"]] == [1, 1]
    assert question["votersCount"] == 2 and "updated" not in question  # counts, not an edit
    assert question["content"] == last_object(node, alice, published.uri)["content"]
    assert not stored_poll(node, published.poll_id).update_queued


def test_hidden_totals_go_out_only_at_the_end(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    published = poll_post(node, alice, "a", "b", hide_totals=True, expires_in=300)
    question = last_object(node, alice, published.uri)
    assert [o["replies"]["totalItems"] for o in question["oneOf"]] == [None, None]
    vote(node, bob, published.poll_id, 1)
    assert queued(node, "poll.update") == []
    time_passes(node, 301)
    run_due_jobs(node)
    final = last_object(node, alice, published.uri)
    assert [o["replies"]["totalItems"] for o in final["oneOf"]] == [0, 1]


def test_closing_tells_the_author_and_the_voters_and_sends_final_counts(node: Node) -> None:
    alice, bob, carol, dan = (user(node, name) for name in ("alice", "bob", "carol", "dan"))
    published = poll_post(node, alice, "a", "b", expires_in=300)
    far = remote_user(node, "https://far.example/users/zed")
    vote(node, bob, published.poll_id, 0)
    vote(node, carol, published.poll_id, 1)
    with node.db.transaction() as session:
        assert polls.receive_vote(session, far, published.uri, "a", f"{far.uri}#votes/1")

    run_due_jobs(node)
    assert notifications_of(node, alice) == []  # not before the end
    time_passes(node, 301)
    run_due_jobs(node)
    for person in (alice, bob, carol):
        assert notifications_of(node, person) == [("poll", alice.id, published.id)]
    assert notifications_of(node, dan) == []
    poll = stored_poll(node, published.poll_id)
    assert poll.closed_at is not None and not poll.update_queued

    final = last_object(node, alice, published.uri)
    assert final["closed"] == final["endTime"]
    assert [o["replies"]["totalItems"] for o in final["oneOf"]] == [2, 1]
    assert final["votersCount"] == 3
    # The remote voter gets the final counts without being named in them.
    assert far.uri not in str(final)
    with node.db.snapshot() as session:
        federate = session.execute(
            select(Job).where(Job.kind == "federate").order_by(Job.id.desc()).limit(1)
        ).scalar_one()
        assert federate.payload["also_to"] == [far.uri]
        entry = session.get(LogEntry, (alice.id, federate.payload["seq"]))
        assert entry is not None and entry.activity_type == "Update"
        author = session.get(Account, alice.id)
        inboxes = delivery.inboxes_for(
            session, node.ctx, author, orjson.loads(entry.activity or "{}"), [far.uri]
        )
        assert inboxes == {f"{far.uri}/inbox"}

    # Closing is done once, however often its job runs.
    with node.db.transaction() as session:
        polls.handle_close(session, {"poll_id": poll.id})
    assert notifications_of(node, bob) == [("poll", alice.id, published.id)]


def test_a_deleted_poll_post_takes_its_poll_and_votes_along(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    published = poll_post(node, alice, "a", "b", expires_in=300)
    vote(node, bob, published.poll_id, 0)
    with node.db.transaction() as session:
        posts.delete_post(session, node.ctx, fresh(node, alice), published.id)
    assert count(node, Poll) == 0 and count(node, PollVote) == 0
    time_passes(node, 301)
    run_due_jobs(node)  # the closing job finds nothing to close
    assert notifications_of(node, bob) == []


# --- remote polls ------------------------------------------------------------------------------


def captured(name: str) -> dict[str, Any]:
    return orjson.loads((PAYLOADS / name).read_bytes())  # type: ignore[no-any-return]


def test_captured_questions_normalize_to_polls() -> None:
    mastodon = normalize.post(captured("mastodon/create_question.json")["object"])
    assert mastodon.poll == polls.RemotePoll(
        options=(
            "Dunno", "Everyone knows that!", "25 char limit is dumb", "I can't even fit a funny",
        ),
        tallies=(0, 1, 0, 1),
        multiple=False,
        expires_at=datetime(2019, 5, 11, 9, 3, 36, tzinfo=UTC),
        closed=False,
        voters_count=None,
    )  # fmt: skip
    assert "<li>" not in mastodon.content  # the options are the poll, not text
    misskey = normalize.post(captured("misskey/question_no_end_date.json"))
    assert misskey.poll is not None
    assert (misskey.poll.options, misskey.poll.tallies) == (("Working", "Broken af"), (0, 1))
    assert misskey.poll.expires_at is None
    vote_note = captured("mastodon/create_poll_vote.json")["object"]
    assert normalize.vote(vote_note) == (vote_note["inReplyTo"], "suya..")
    assert normalize.vote(captured("mastodon/create_question.json")["object"]) is None


def open_question(author: str, *, hours: float = 1) -> dict[str, Any]:
    """Mastodon's captured Question, moved to `author` and still open."""
    document = copy.deepcopy(captured("mastodon/create_question.json")["object"])
    document["id"] = f"{author}/statuses/1"
    document["attributedTo"] = author
    document["cc"] = [f"{author}/followers"]
    end = datetime.now(UTC) + timedelta(hours=hours)
    document["endTime"] = end.strftime("%Y-%m-%dT%H:%M:%SZ")
    return document


def test_a_remote_poll_is_stored_updated_voted_on_and_closed(node: Node) -> None:
    bob = user(node, "bob")
    author = remote_user(node, "https://far.example/users/rin")
    document = open_question(author.uri)
    with node.db.transaction() as session:
        stored = remote.receive_post(session, author, normalize.post(document))
        assert stored is not None
        post_id, poll_id = stored.id, stored.poll_id
    poll = stored_poll(node, poll_id)
    assert (poll.tallies, poll.votes_count, poll.voters_count) == ([0, 1, 0, 1], 2, None)

    # bob votes: counted here at once, and sent to the author's server as Mastodon does.
    vote(node, bob, poll_id, 1)
    assert stored_poll(node, poll_id).tallies == [0, 2, 0, 1]
    create = orjson.loads(log_of(node, bob.id)[-1].activity or "{}")
    note = create["object"]
    assert create["type"] == "Create" and create["to"] == [author.uri]
    assert (note["type"], note["name"], note["inReplyTo"]) == (
        "Note", "Everyone knows that!", document["id"],
    )  # fmt: skip
    assert note["id"].startswith(f"{bob.uri}#votes/") and note["to"] == [author.uri]
    with node.db.snapshot() as session:
        checks = session.execute(select(Job).where(Job.kind == "poll.close")).scalars().all()
        assert [job.payload for job in checks] == [{"poll_id": poll_id}]

    # An Update with new counts: the counts change, the post is not edited.
    document["oneOf"][2]["replies"]["totalItems"] = 5
    document["votersCount"] = 7
    with node.db.transaction() as session:
        remote.update_post(session, author, normalize.post(document))
        assert events.Event("post.updated", {"post_id": post_id}) in events.take_pending(session)
    poll = stored_poll(node, poll_id)
    assert (poll.tallies, poll.votes_count, poll.voters_count) == ([0, 1, 5, 1], 7, 7)
    with node.db.snapshot() as session:
        assert session.get(Post, post_id).edited_at is None  # type: ignore[union-attr]

    # The closing Update: the local voter is told.
    document["closed"] = document["endTime"]
    with node.db.transaction() as session:
        remote.update_post(session, author, normalize.post(document))
    assert notifications_of(node, bob) == [("poll", author.id, post_id)]
    assert stored_poll(node, poll_id).closed_at is not None


def test_local_voters_of_a_remote_poll_are_told_even_without_its_final_update(
    node: Node,
) -> None:
    bob = user(node, "bob")
    author = remote_user(node, "https://far.example/users/rin")
    with node.db.transaction() as session:
        stored = remote.receive_post(session, author, normalize.post(open_question(author.uri)))
        assert stored is not None
        post_id, poll_id = stored.id, stored.poll_id
    vote(node, bob, poll_id, 0)
    time_passes(node, 3600 + 1)
    run_due_jobs(node)
    assert notifications_of(node, bob) == []  # its server may still send the final counts
    time_passes(node, polls.REMOTE_CLOSE_GRACE)
    run_due_jobs(node)
    assert notifications_of(node, bob) == [("poll", author.id, post_id)]


def test_remote_votes_on_a_local_poll(node: Node) -> None:
    alice = user(node, "alice")
    far = remote_user(node, "https://far.example/users/zed")
    single = poll_post(node, alice, "a", "b", expires_in=300)
    several = poll_post(node, alice, "a", "b", multiple=True, expires_in=300)

    def receive(target: Post, name: str, n: int) -> bool:
        with node.db.transaction() as session:
            return polls.receive_vote(session, far, target.uri, name, f"{far.uri}#votes/{n}")

    assert receive(single, "b", 1)
    assert receive(single, "b", 1)  # delivered twice: counted once
    assert receive(single, "a", 2)  # a second choice on a single-choice poll: ignored
    assert not receive(single, "c", 3)  # not one of its options: not a vote
    assert receive(several, "a", 4) and receive(several, "b", 5)  # one Create per choice
    assert stored_poll(node, single.poll_id).tallies == [0, 1]
    poll = stored_poll(node, several.poll_id)
    assert (poll.tallies, poll.votes_count, poll.voters_count) == ([1, 1], 2, 1)
    other = post(node, alice, "no poll")
    assert not receive(other, "a", 6)  # a reply with a title, not a vote
    time_passes(node, 301)
    assert receive(single, "a", 7) and stored_poll(node, single.poll_id).tallies == [0, 1]
