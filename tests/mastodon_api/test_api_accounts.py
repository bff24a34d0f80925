"""The accounts slice of the client API (issue 19), driven by Mastodon.py against a node of
its own (these tests change alice's and bob's settings): mutes and blocks listed and paged,
a mute that ends by itself, every `update_credentials` field applied, stored and used where
it matters (new posts' defaults, the actor document, hidden collections), refused values,
empty default display names and their fallbacks, removing a follower, removing pictures,
a person's own domain blocks, follow suggestions and the profile directory."""

from __future__ import annotations

import re

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError

from tests.mastodon_api.openapi import check
from tests.mastodon_api.test_accounts_extras import api, eventually
from tests.mastodon_api.test_mastodon_py import PNG_1x1, logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow]
OWN_NODE = True
EVERYTHING = ["read", "write", "follow"]
ACTIVITY = "application/activity+json"


def people(node: NodeProcess) -> tuple[Mastodon, Mastodon, Mastodon]:
    return (
        logged_in(node, "alice", EVERYTHING),
        logged_in(node, "bob", EVERYTHING),
        logged_in(node, "root", EVERYTHING),
    )


def test_new_accounts_have_an_empty_name_and_every_face_shows_the_username(
    api_node: NodeProcess,
) -> None:
    """root's name is set by this test only: as on Mastodon, a new account's display name
    is empty."""
    _alice, _bob, root = people(api_node)
    assert root.account_verify_credentials().display_name == ""
    with httpx.Client(base_url=api_node.url) as web:
        actor = web.get("/users/root", headers={"Accept": ACTIVITY}).json()
        assert actor["name"] == "root" and actor["type"] == "Person"
        page = web.get("/@root").text
        assert re.search(r"<title>root \(@root\)", page), page[:400]
        assert re.search(r"<h1>\s*root\s*</h1>", page)
    named = root.account_update_credentials(display_name="Root Admin")
    assert named.display_name == "Root Admin"
    cleared = api(api_node, root).patch(
        "/api/v1/accounts/update_credentials", data={"display_name": ""}
    )
    assert cleared.json()["display_name"] == ""  # not the username copied back


def test_mutes_and_blocks_are_listed_newest_first_and_paged(api_node: NodeProcess) -> None:
    alice, bob, root = people(api_node)
    bob_id, root_id = bob.me().id, root.me().id
    alice.account_mute(root_id)
    alice.account_mute(bob_id, duration=3600)
    muted = alice.mutes()
    assert [a.id for a in muted] == [bob_id, root_id]
    assert muted[0].mute_expires_at is not None and muted[1].mute_expires_at is None
    first = alice.mutes(limit=1)
    assert [a.id for a in first] == [bob_id]
    assert [a.id for a in alice.fetch_next(first) or []] == [root_id]
    raw = api(api_node, alice).get("/api/v1/mutes", params={"limit": 1})
    assert 'rel="next"' in raw.headers["link"] and 'rel="prev"' in raw.headers["link"]
    check("MutedAccount", raw.json()[0])

    alice.account_block(root_id)
    alice.account_block(bob_id)
    first = alice.blocks(limit=1)
    assert [a.id for a in first] == [bob_id]
    assert [a.id for a in alice.fetch_next(first) or []] == [root_id]
    for target in (bob_id, root_id):
        alice.account_unblock(target)
        alice.account_unmute(target)
    assert list(alice.mutes()) == [] and list(alice.blocks()) == []


def test_a_mute_with_a_duration_ends_by_itself(api_node: NodeProcess) -> None:
    alice, bob, _root = people(api_node)
    bob_id = bob.me().id
    assert alice.account_mute(bob_id, duration=1).muting
    ended = eventually(lambda: not alice.account_relationships(bob_id)[0].muting, 15)
    assert ended and list(alice.mutes()) == []


def test_a_mute_may_leave_notifications_on(api_node: NodeProcess) -> None:
    alice, bob, root = people(api_node)
    bob_id = bob.me().id

    def mentions_heard(words: str) -> bool:
        return any(words in n.status.content for n in alice.notifications(types=["mention"]))

    shown = alice.account_mute(bob_id, notifications=False)
    assert shown.muting and not shown.muting_notifications
    bob.status_post("@alice still heard")
    assert eventually(lambda: mentions_heard("still heard"))
    shown = alice.account_mute(bob_id)  # again, with Mastodon's default
    assert shown.muting and shown.muting_notifications
    bob.status_post("@alice not heard")
    root.status_post("@alice from root")  # notified after bob's (the jobs run in turn)
    assert eventually(lambda: mentions_heard("from root"))
    alice.account_unmute(bob_id)
    bob.status_post("@alice heard again")
    assert eventually(lambda: mentions_heard("heard again"))
    assert not mentions_heard("not heard")


def test_update_credentials_applies_and_uses_every_field(api_node: NodeProcess) -> None:
    alice, bob, _root = people(api_node)
    me = alice.account_update_credentials(
        display_name="Alice",
        note="I grow #hedges",
        locked=True,
        bot=True,
        discoverable=True,
        indexable=True,
        hide_collections=True,
        fields=[("garden", "hedges")],
        default_privacy="unlisted",
        default_sensitive=True,
        default_language="fr",
    )
    assert (me.bot, me.discoverable, me.indexable, me.locked) == (True, True, True, True)
    assert me.hide_collections and me.source.hide_collections
    assert (me.source.privacy, me.source.sensitive, me.source.language) == ("unlisted", True, "fr")
    assert [(f.name, f.value) for f in me.source.fields] == [("garden", "hedges")]
    again = alice.account_verify_credentials()
    assert (again.source.privacy, again.source.language, again.bot) == ("unlisted", "fr", True)
    raw = api(api_node, alice).get("/api/v1/accounts/verify_credentials").json()
    check("CredentialAccount", raw)
    preferences = alice.preferences()
    assert preferences["posting:default:visibility"] == "unlisted"
    assert preferences["posting:default:sensitive"] is True
    assert preferences["posting:default:language"] == "fr"

    # A post the app sends no visibility, language or sensitivity for takes the defaults.
    posted = api(api_node, alice).post("/api/v1/statuses", data={"status": "defaults"}).json()
    assert (posted["visibility"], posted["language"], posted["sensitive"]) == (
        "unlisted",
        "fr",
        True,
    )
    chosen = alice.status_post("chosen", visibility="public", language="en", sensitive=False)
    assert (chosen.visibility, chosen.language, chosen.sensitive) == ("public", "en", False)

    # Other servers see a bot (a Service) that is discoverable; its collections hidden.
    with httpx.Client(base_url=api_node.url) as web:
        actor = web.get("/users/alice", headers={"Accept": ACTIVITY}).json()
        assert (actor["type"], actor["discoverable"], actor["indexable"]) == (
            "Service",
            True,
            True,
        )
        assert actor["name"] == "Alice"
    alice_id = me.id
    bob.account_unfollow(alice_id)
    bob.account_follow(alice_id)  # a request: alice is locked
    alice.follow_request_authorize(bob.me().id)
    assert list(bob.account_followers(alice_id)) == []  # hidden from everyone else
    assert [a.id for a in alice.account_followers(alice_id)] == [bob.me().id]  # not from her

    back = alice.account_update_credentials(
        bot=False, hide_collections=False, locked=False, default_privacy="public"
    )
    assert (back.bot, back.hide_collections, back.locked) == (False, False, False)
    assert back.source.privacy == "public" and back.source.language == "fr"  # kept
    with httpx.Client(base_url=api_node.url) as web:
        assert web.get("/users/alice", headers={"Accept": ACTIVITY}).json()["type"] == "Person"
    assert [a.id for a in bob.account_followers(alice_id)] == [bob.me().id]
    cleared = api(api_node, alice).patch(
        "/api/v1/accounts/update_credentials",
        data={"source[language]": "", "source[sensitive]": "false"},
    )
    assert cleared.json()["source"]["language"] is None
    assert cleared.json()["source"]["sensitive"] is False


@pytest.mark.parametrize(
    ("sent", "field", "words"),
    [
        ({"bot": "maybe"}, "bot", "bot must be true or false"),
        ({"discoverable": "sometimes"}, "discoverable", "discoverable must be true or false"),
        ({"source[privacy]": "direct"}, "source[privacy]", "default privacy is one of"),
        ({"source[privacy]": "everyone"}, "source[privacy]", "default privacy is one of"),
        ({"source[language]": "not a language"}, "source[language]", "ISO 639"),
        ({"source[sensitive]": "kinda"}, "source[sensitive]", "must be true or false"),
    ],
)
def test_values_that_cannot_apply_are_refused_and_nothing_changes(
    api_node: NodeProcess, sent: dict[str, str], field: str, words: str
) -> None:
    alice = logged_in(api_node, "alice", EVERYTHING)
    before = api(api_node, alice).get("/api/v1/accounts/verify_credentials").json()
    answer = api(api_node, alice).patch(
        "/api/v1/accounts/update_credentials", data={**sent, "display_name": "Changed?"}
    )
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"].startswith("Validation failed: ") and words in body["error"], body
    assert body["details"][field][0]["error"] == "ERR_INVALID" or field.startswith("source")
    after = api(api_node, alice).get("/api/v1/accounts/verify_credentials").json()
    assert after == before


def test_json_bodies_carry_source_as_an_object(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", EVERYTHING)
    answer = api(api_node, alice).patch(
        "/api/v1/accounts/update_credentials",
        json={"source": {"privacy": "private", "language": "de"}, "discoverable": False},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["source"]["privacy"], body["source"]["language"]) == ("private", "de")
    assert body["discoverable"] is False
    api(api_node, alice).patch(
        "/api/v1/accounts/update_credentials", json={"source": {"privacy": "public"}}
    )


def test_remove_from_followers(api_node: NodeProcess) -> None:
    alice, bob, _root = people(api_node)
    alice_id, bob_id = alice.me().id, bob.me().id
    bob.account_follow(alice_id)
    assert alice.account_relationships(bob_id)[0].followed_by
    shown = alice.account_remove_from_followers(bob_id)
    assert not shown.followed_by
    assert not bob.account_relationships(alice_id)[0].following
    assert bob_id not in [a.id for a in alice.account_followers(alice_id)]
    with pytest.raises(MastodonAPIError):
        alice.account_remove_from_followers("999999999999")


def test_profile_pictures_are_removed(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", EVERYTHING)
    with_pictures = alice.account_update_credentials(
        avatar=PNG_1x1, avatar_mime_type="image/png", header=PNG_1x1, header_mime_type="image/png"
    )
    assert "/media/" in with_pictures.avatar and "/media/" in with_pictures.header
    no_avatar = alice.account_delete_avatar()
    assert no_avatar.avatar.endswith("/static/avatar-missing.png")
    assert "/media/" in no_avatar.header and no_avatar.source is not None
    no_header = api(api_node, alice).delete("/api/v1/profile/header")
    assert no_header.json()["header"].endswith("/static/header-missing.png")
    check("CredentialAccount", no_header.json())
    assert api(api_node, alice).delete("/api/v1/profile/header").status_code == 200  # again


def test_domain_blocks_are_kept_listed_and_refused_when_meaningless(
    api_node: NodeProcess,
) -> None:
    alice = logged_in(api_node, "alice", EVERYTHING)
    alice.domain_block("Spam.Example.")
    alice.domain_block("spam.example")  # once
    alice.domain_block("bücher.example")
    assert list(alice.domain_blocks()) == ["xn--bcher-kva.example", "spam.example"]
    first = alice.domain_blocks(limit=1)
    assert list(first) == ["xn--bcher-kva.example"]
    assert list(alice.fetch_next(first) or []) == ["spam.example"]
    http = api(api_node, alice)
    for bad, words in [
        ("", "Domain can't be blank"),
        ("not a domain!", "is not a server name"),
        (f"{api_node.host}:{api_node.port}", "your own server"),
    ]:
        refused = http.post("/api/v1/domain_blocks", data={"domain": bad})
        assert refused.status_code == 422 and words in refused.json()["error"], refused.text
    alice.domain_unblock("spam.example")
    alice.domain_unblock("xn--bcher-kva.example")
    assert list(alice.domain_blocks()) == []
    assert http.get("/api/v1/domain_blocks").status_code == 200
    read_only = logged_in(api_node, "alice", ["read"])
    with pytest.raises(MastodonAPIError):
        read_only.domain_block("spam.example")  # write:blocks


def test_suggestions_and_the_directory(api_node: NodeProcess) -> None:
    alice, bob, root = people(api_node)
    bob_id, root_id = bob.me().id, root.me().id
    for person in (alice, bob, root):
        person.account_update_credentials(discoverable=True)
    alice.account_follow(bob_id)
    bob.account_follow(root_id)
    http = api(api_node, alice)
    v2 = http.get("/api/v2/suggestions").json()
    ours = {s["account"]["id"]: s for s in v2}
    assert root_id in ours and bob_id not in ours  # bob: already followed
    assert ours[root_id]["sources"][0] == "friends_of_friends"
    assert ours[root_id]["source"] == "past_interactions"
    check("Suggestion", ours[root_id])
    assert root_id in [a.id for a in alice.suggestions()]
    assert root_id in [a["id"] for a in http.get("/api/v1/suggestions").json()]
    alice.suggestion_delete(root_id)
    assert root_id not in [a.id for a in alice.suggestions()]  # remembered

    root.account_update_credentials(discoverable=False)
    listed = [a.id for a in bob.directory(local=True)]
    assert alice.me().id in listed and bob_id in listed and root_id not in listed
    newest_first = [a.id for a in bob.directory(order="new")]
    assert newest_first == sorted(newest_first, key=int, reverse=True)
    with httpx.Client(base_url=api_node.url) as anonymous:
        assert anonymous.get("/api/v1/directory").status_code == 200
        bad = anonymous.get("/api/v1/directory", params={"order": "random"})
        assert bad.status_code == 422 and "order" in bad.json()["error"]
    bob.account_block(alice.me().id)
    assert alice.me().id not in [a.id for a in bob.directory()]  # never who one blocks
    bob.account_unblock(alice.me().id)
