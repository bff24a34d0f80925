"""Filters: keeping them (v2 and the v1 view of them), matching posts (whole words or not,
any case, boosts, posts by id, expiry) and applying them per context (hide, warn)."""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import event

from bocage.core.filters import filters, matching, pages, process_cache, v1
from bocage.core.filters.filters import FilterChange, KeywordChange
from bocage.core.media import media
from bocage.core.timelines import timelines
from bocage.core.timelines.timelines import Page, PostView
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.node import Node
from bocage.store.models import Account
from tests.core.helpers import boost, post, user

EVERYWHERE = list(filters.CONTEXTS)


def create(node: Node, owner: Account, title: str, *words: str, **change: Any) -> int:
    """A filter of `words` (a leading "=" makes a whole-word keyword); its id."""
    keywords = [
        KeywordChange(keyword=w.removeprefix("="), whole_word=w.startswith("=")) for w in words
    ]
    change.setdefault("context", EVERYWHERE)
    with node.db.transaction() as session:
        made = filters.create(session, owner.id, FilterChange(title, keywords=keywords, **change))
        return made.filter.id


def add_status(node: Node, owner: Account, filter_id: int, post_id: int) -> None:
    with node.db.transaction() as session:
        filters.add_status(session, owner.id, filter_id, post_id)


def shown(
    node: Node, viewer: Account, views: list[PostView], context: str, **options: Any
) -> pages.Filtered:
    with node.db.snapshot() as session:
        return pages.apply(session, viewer.id, views, context, **options)


def page(node: Node, viewer: Account | None, *post_ids: int) -> list[PostView]:
    with node.db.snapshot() as session:
        return timelines.hydrate(session, viewer, list(post_ids))


def matched(result: pages.Filtered) -> dict[int, list[tuple[str, tuple[str, ...] | None]]]:
    return {
        post_id: [(m.filter.title, m.keyword_matches) for m in found]
        for post_id, found in result.matches.items()
    }


# --- matching rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "whole_word", "text", "found"),
    [
        ("cat", False, "Concatenate", "cat"),
        ("cat", True, "Concatenate", None),
        ("cat", True, "A CAT, again", "CAT"),
        ("cat", True, "cats", None),
        ("Cat", False, "wildcats", "cat"),
        ("new york", True, "I love New York!", "New York"),
        ("new york", True, "I love newyork", None),
        ("#tag", True, "so #tag it", "#tag"),  # no boundary before "#": it is no word character
        ("#tag", True, "so#tag", "#tag"),
        ("#tag", True, "#tags", None),
        ("c++", True, "I write c++ code", "c++"),
        ("c++", True, "abc++", None),
        ("café", True, "Un CAFÉ noir", "CAFÉ"),  # word characters are Unicode's
        ("café", True, "des cafés", None),
        ("a.b", False, "axb a.b", "a.b"),  # a keyword is text, never an expression
        ("straße", True, "STRASSE 1", "STRASSE"),  # Unicode's case folding
        ("ſun", False, "SUN", "SUN"),
        ("İstanbul", True, "İSTANBUL!", "i̇stanbul"),  # folding made the text longer
        ("(", True, "smile :(", "("),
    ],
)
def test_keywords_match_as_mastodon_does(
    keyword: str, whole_word: bool, text: str, found: str | None
) -> None:
    compiled = matching.Keywords.of([(keyword, whole_word)])
    assert compiled is not None
    assert compiled.search(text) == found


def test_the_first_keyword_in_the_text_is_the_one_reported() -> None:
    compiled = matching.Keywords.of([("zebra", False), ("apple", True)])
    assert compiled is not None
    assert compiled.search("an apple and a zebra") == "apple"
    assert compiled.search("an apples and a ZEBRA") == "ZEBRA"
    assert matching.Keywords.of([]) is None


def _view(text: str, content: str, domain: str | None, **post: Any) -> PostView:
    row = SimpleNamespace(id=1, source=text, content=content, spoiler_text="", **post)
    return PostView(post=row, author=SimpleNamespace(domain=domain))


def test_searchable_text() -> None:
    # A local post is matched as it was written, a remote one without its markup.
    local = _view("see https://example.com/x", '<p>see <a href="…">example.com/x</a></p>', None)
    assert matching.searchable_text(local) == "\n\nsee https://example.com/x"
    remote = _view("", "<p>one<br>two &amp; <span>three</span></p>", "remote.example")
    assert matching.searchable_text(remote) == "\n\none\ntwo & three"
    described = _view("body", "", None)
    described.post.spoiler_text = "cw"
    described.media = [SimpleNamespace(description="a cat"), SimpleNamespace(description="")]
    assert matching.searchable_text(described) == "cw\n\nbody\n\na cat"
    # A boost is matched by the post it boosts.
    boosting = _view("", "", None)
    boosting.reblog = remote
    assert matching.searchable_text(boosting) == matching.searchable_text(remote)


# --- keeping filters ---------------------------------------------------------------------


def test_create_validates_as_mastodon(node: Node) -> None:
    alice = user(node, "alice")
    with node.db.transaction() as session:
        cases = {
            "Validation failed: Title can't be blank, Context can't be blank, "
            "Context None or invalid context supplied": FilterChange(" ", []),
            "Validation failed: Context None or invalid context supplied": FilterChange(
                "t", ["home", "timeline"]
            ),
            "Validation failed: Filter action is not included in the list": FilterChange(
                "t", ["home"], "delete"
            ),
            "Validation failed: Keywords keyword can't be blank": FilterChange(
                "t", ["home"], keywords=[KeywordChange(keyword=" ", whole_word=False)]
            ),
        }
        for message, change in cases.items():
            with pytest.raises(InvalidInput) as refused:
                filters.create(session, alice.id, change)
            assert refused.value.message == message
        with pytest.raises(NotFound):  # a keyword id, on a filter that has none yet
            filters.create(session, alice.id, FilterChange("t", ["home"], keywords=[_id(1)]))
        assert filters.all_of(session, alice.id) == []


def _id(keyword_id: int, **change: Any) -> KeywordChange:
    return KeywordChange(id=keyword_id, **change)


def test_create_read_update_delete(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    with node.db.transaction() as session:
        made = filters.create(
            session,
            alice.id,
            FilterChange(
                "Spoilers",
                [" home ", "", "thread", "home"],  # trimmed, blanks and repeats dropped
                expires_in=3600,
                keywords=[
                    KeywordChange(keyword="finale"),  # whole word unless told otherwise
                    KeywordChange(keyword="ending", whole_word=False),
                    KeywordChange(keyword="", whole_word=None),  # all blank: skipped
                    KeywordChange(keyword="dropped", destroy=True),  # skipped
                ],
            ),
        )
        assert made.filter.context == ["home", "thread"]
        assert made.filter.action == "warn"
        assert made.filter.expires_at is not None
        assert made.filter.expires_at - now() > timedelta(minutes=59)
        assert [(k.keyword, k.whole_word) for k in made.keywords] == [
            ("finale", True),
            ("ending", False),
        ]
        assert [e.data for e in session.info[events.PENDING]] == [{"account_id": alice.id}]
    finale, ending = made.keywords
    with node.db.transaction() as session:
        changed = filters.update(
            session,
            alice.id,
            made.filter.id,
            FilterChange(
                action="hide",
                expires_in=None,
                keywords=[
                    _id(finale.id, destroy=True),
                    _id(ending.id, keyword="the end"),
                    KeywordChange(keyword="twist", whole_word=False),
                ],
            ),
        )
        assert (changed.filter.title, changed.filter.action) == ("Spoilers", "hide")
        assert changed.filter.expires_at is None
        assert [(k.keyword, k.whole_word) for k in changed.keywords] == [
            ("the end", False),
            ("twist", False),
        ]
        assert changed.keywords[0].id == ending.id
    other = create(node, bob, "other", "x")
    with node.db.transaction() as session:
        kw = filters.keywords(session, bob.id, other)[0]
        with pytest.raises(NotFound):  # a keyword of another filter is not this one's
            filters.update(session, alice.id, made.filter.id, FilterChange(keywords=[_id(kw.id)]))
        with pytest.raises(InvalidInput, match="Title can't be blank"):
            filters.update(session, alice.id, made.filter.id, FilterChange(title=""))
    with node.db.snapshot() as session:
        for attempt in (
            lambda: filters.one(session, bob.id, made.filter.id),
            lambda: filters.keywords(session, bob.id, made.filter.id),
            lambda: filters.keyword(session, bob.id, ending.id),
            lambda: filters.statuses(session, bob.id, made.filter.id),
        ):
            with pytest.raises(NotFound, match="Record not found"):
                attempt()
        assert [v.filter.id for v in filters.all_of(session, alice.id)] == [made.filter.id]
    with node.db.transaction() as session:
        filters.delete_filter(session, alice.id, made.filter.id)
    with node.db.snapshot() as session:
        assert filters.all_of(session, alice.id) == []
        with pytest.raises(NotFound):
            filters.keyword(session, alice.id, ending.id)


def test_keywords_and_statuses_one_by_one(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    filter_id = create(node, alice, "f")
    visible = post(node, bob, "hello")
    secret = post(node, bob, "secret", visibility="direct")
    with node.db.transaction() as session:
        kw = filters.add_keyword(session, alice.id, filter_id, "Hello", None)
        assert kw.whole_word is True
        with pytest.raises(InvalidInput, match=r"^Validation failed: Keyword can't be blank$"):
            filters.add_keyword(session, alice.id, filter_id, "  ", True)
        with pytest.raises(NotFound):
            filters.add_keyword(session, bob.id, filter_id, "x", True)
    with node.db.transaction() as session:
        changed = filters.update_keyword(session, alice.id, kw.id, None, False)
    with node.db.transaction() as session:
        found = filters.keyword(session, alice.id, kw.id)
        assert (
            (found.keyword, found.whole_word)
            == ("Hello", False)
            == (
                changed.keyword,
                changed.whole_word,
            )
        )
        with pytest.raises(InvalidInput, match="Keyword can't be blank"):
            filters.update_keyword(session, alice.id, kw.id, "", None)
    with node.db.transaction() as session:
        listed = filters.add_status(session, alice.id, filter_id, visible.id)
        for post_id, message in [
            (visible.id, "Status has already been taken"),
            (secret.id, "Status must exist"),  # not hers to see: as if it did not exist
            (999, "Status must exist"),
            (None, "Status must exist"),
        ]:
            with pytest.raises(InvalidInput, match=message):
                filters.add_status(session, alice.id, filter_id, post_id)
    with node.db.transaction() as session:
        assert filters.status(session, alice.id, listed.id).post_id == visible.id
        with pytest.raises(NotFound):
            filters.status(session, bob.id, listed.id)
        filters.delete_status(session, alice.id, listed.id)
        filters.delete_keyword(session, alice.id, kw.id)
    with node.db.snapshot() as session:
        assert filters.statuses(session, alice.id, filter_id) == []
        assert filters.keywords(session, alice.id, filter_id) == []


def test_the_v1_api_sees_one_filter_per_keyword(node: Node) -> None:
    alice = user(node, "alice")
    with node.db.transaction() as session:
        keyword, row = v1.v1_create(
            session,
            alice.id,
            phrase="politics",
            context=["home", "notifications"],
            irreversible=True,
            whole_word=None,
            expires_in=None,
        )
        assert (row.title, row.action, keyword.keyword, keyword.whole_word) == (
            "politics",
            "hide",
            "politics",
            True,
        )
        with pytest.raises(InvalidInput, match=r"^Validation failed: Phrase can't be blank$"):
            v1.v1_create(
                session,
                alice.id,
                phrase=" ",
                context=["home"],
                irreversible=False,
                whole_word=None,
                expires_in=None,
            )
    with node.db.transaction() as session:
        keyword, row = v1.v1_update(
            session,
            alice.id,
            keyword.id,
            phrase="elections",
            context=None,
            irreversible=False,
            whole_word=False,
            expires_in=60,
        )
        # Alone in its filter, the keyword carries the filter with it.
        assert (row.title, row.action, keyword.keyword, keyword.whole_word) == (
            "elections",
            "warn",
            "elections",
            False,
        )
        assert row.expires_at is not None
        second = filters.add_keyword(session, alice.id, row.id, "votes", False)
    both = {"phrase": None, "irreversible": None, "whole_word": None, "context": None}
    with node.db.transaction() as session:
        with pytest.raises(InvalidInput, match="apply to more than one filter keyword"):
            v1.v1_update(
                session, alice.id, keyword.id, **{**both, "context": ["public"]}, expires_in=None
            )
        # The keyword itself may change; the filter's title stays, it names both.
        keyword, row = v1.v1_update(
            session,
            alice.id,
            keyword.id,
            **{**both, "phrase": "ballot", "context": ["home", "notifications"]},
            expires_in=filters.UNSET,
        )
        assert (row.title, keyword.keyword) == ("elections", "ballot")
    with node.db.transaction() as session:
        assert [(k.keyword, r.id) for k, r in v1.v1_all(session, alice.id)] == [
            ("ballot", row.id),
            ("votes", row.id),
        ]
        v1.v1_delete(session, alice.id, keyword.id)
    with node.db.snapshot() as session:
        # Only the keyword went: the filter stays, with its other keyword.
        assert [k.id for k, _ in v1.v1_all(session, alice.id)] == [second.id]
        assert len(filters.all_of(session, alice.id)) == 1


# --- applying filters --------------------------------------------------------------------


def test_warn_hide_contexts_and_boosts(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    create(node, alice, "Food", "pizza", context=["home", "thread"])
    create(node, alice, "Spoilers", "=finale", action="hide", context=["home"])
    pizza = post(node, bob, "Pizza tonight?")
    finale = post(node, bob, "The FINALE was great")
    finales = post(node, bob, "finales are overrated")  # not the whole word
    boosted = boost(node, carol, finale.id)
    own = post(node, alice, "no finale spoilers from me")
    views = page(node, alice, boosted.id, own.id, finales.id, finale.id, pizza.id)

    home = shown(node, alice, views, "home")
    assert [v.post.id for v in home.views] == [own.id, finales.id, pizza.id]
    assert matched(home) == {own.id: [("Spoilers", ("finale",))], pizza.id: [("Food", ("Pizza",))]}

    # Elsewhere the hide filter leaves them in, and still names itself: the client decides.
    public = shown(node, alice, views, "public")
    assert [v.post.id for v in public.views] == [v.post.id for v in views]
    assert matched(public)[boosted.id] == [("Spoilers", ("FINALE",))]
    assert matched(public)[finale.id] == [("Spoilers", ("FINALE",))]
    assert finales.id not in matched(public)
    # One post asked for by id is never left out.
    alone = shown(node, alice, page(node, alice, finale.id), "home", keep_hidden=True)
    assert [v.post.id for v in alone.views] == [finale.id]
    # Bob has no filters: nothing matches for him.
    assert shown(node, bob, views, "home").matches == {}


def test_posts_filtered_by_id_and_their_boosts(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    filter_id = create(node, alice, "This thread", "whatever", context=["public"])
    chosen = post(node, bob, "a post")
    other = post(node, bob, "another post")
    boosted = boost(node, carol, chosen.id)
    add_status(node, alice, filter_id, chosen.id)
    result = shown(node, alice, page(node, alice, boosted.id, other.id, chosen.id), "public")
    assert other.id not in result.matches
    [on_boost] = result.matches[boosted.id]
    [on_post] = result.matches[chosen.id]
    assert (on_post.keyword_matches, on_post.status_matches) == (None, (chosen.id,))
    assert (on_boost.keyword_matches, on_boost.status_matches) == (None, (chosen.id,))
    # A filter listing only a boost matches that boost, not the post it boosts.
    only_boost = create(node, alice, "That boost", context=["home"], action="hide")
    add_status(node, alice, only_boost, boosted.id)
    result = shown(node, alice, page(node, alice, boosted.id, chosen.id), "home")
    assert [v.post.id for v in result.views] == [chosen.id]


def test_keywords_match_spoilers_and_media_descriptions(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    create(node, alice, "Spiders", "spider", action="hide")
    warned = post(node, bob, "look at this", spoiler_text="Spider inside")
    with node.db.transaction() as session:
        author = session.get(Account, bob.id)
        assert author is not None
        image = media.Upload(b"", "image/png", "image", "0" * 64, 1, 1)
        stored = media.StoredUpload(image, "k.png", None, None, "a big spider")
        upload = media.record_upload(session, author, stored)
    pictured = post(node, bob, "look at this too", media_ids=(upload.id,))
    clean = post(node, bob, "look, a cat")
    views = page(node, alice, clean.id, pictured.id, warned.id)
    assert [v.post.id for v in shown(node, alice, views, "public").views] == [clean.id]


def test_expired_filters_no_longer_apply(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    soon = create(node, alice, "Soon over", "news", expires_in=3600)
    create(node, alice, "Already over", "news", expires_in=-1, action="hide")
    news = post(node, bob, "news!")
    views = page(node, alice, news.id)
    assert matched(shown(node, alice, views, "home")) == {news.id: [("Soon over", ("news",))]}
    # A process's copy of the filters may outlive their expiry: it is checked at each page.
    with node.db.snapshot() as session:
        rules = process_cache.active(session, alice.id)
    assert [rule.filter.id for rule in rules.rules] == [soon]
    assert matching.matches_of(rules, views[0], now() + timedelta(hours=2)) == []


def test_a_change_reaches_the_next_page_at_once(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    news = post(node, bob, "breaking news")
    views = page(node, alice, news.id)
    assert shown(node, alice, views, "home").matches == {}  # cached: alice has no filters
    filter_id = create(node, alice, "News", "news", action="hide")
    assert shown(node, alice, views, "home").views == []
    with node.db.transaction() as session:
        filters.update(session, alice.id, filter_id, FilterChange(context=["public"]))
    assert [v.post.id for v in shown(node, alice, views, "home").views] == [news.id]
    with node.db.transaction() as session:
        filters.delete_filter(session, alice.id, filter_id)
    assert shown(node, alice, views, "public").matches == {}


def test_a_change_that_rolls_back_leaves_the_cache_alone(node: Node) -> None:
    alice = user(node, "alice")
    with node.db.snapshot() as session:
        before = process_cache.active(session, alice.id)
    with pytest.raises(RuntimeError), node.db.transaction() as session:
        filters.create(session, alice.id, FilterChange("t", ["home"]))
        raise RuntimeError("rolled back")
    with node.db.snapshot() as session:
        assert process_cache.active(session, alice.id) is before


def test_a_page_costs_no_query_to_a_viewer_without_filters(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    views = timelines_page(node, alice, [post(node, bob, f"post {n}").id for n in range(20)])
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    with node.db.snapshot() as session:
        pages.apply(session, alice.id, views, "home")  # loads (and caches) her filters
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            started = time.perf_counter()
            for _ in range(1000):
                result = pages.apply(session, alice.id, views, "home")
            elapsed = (time.perf_counter() - started) / 1000
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert statements == []
    assert result.views == views and result.matches == {}
    assert elapsed < 0.0001, f"{elapsed * 1e6:.1f} µs per page"


def timelines_page(node: Node, viewer: Account, ids: list[int]) -> list[PostView]:
    with node.db.snapshot() as session:
        return timelines.local(session, viewer, Page(limit=len(ids)))
