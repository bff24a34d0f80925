"""Quote posts (Mastodon 4.5, issue 19 item 3) through Mastodon.py against a real node: a
quote of a local post accepted by the quoted post's policy (`quoted_status_id`,
`quote_approval_policy`), the `quote` field and its states (accepted, revoked, deleted,
unauthorized), `quote_approval` and `quotes_count`, who quoted a post (`status_quotes`), a
quote revoked by the quoted author (`status_quote_revoke`), the policy changed afterwards
(`status_update_quote_approval_policy`), the refusals Mastodon answers (404 when the policy
denies the quoter, 403 when someone else revokes, 422 for an unknown policy), and the two
notifications (`quote`, `quoted_update`).

Mastodon.py's version checks are off here: the node still claims Mastodon 4.3 until the slice
that claims a version lands, and these methods belong to 4.5."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from tests.federation.helpers import PASSWORD, Person
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node")]
T = TypeVar("T")
SCOPES = ["read", "write", "follow"]


def client(node: NodeProcess, who: str) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        "Bocage quotes", api_base_url=node.url, scopes=SCOPES
    )
    made = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=node.url,
        version_check_mode="none",
    )
    made.log_in(f"{who}@example.org", PASSWORD, scopes=SCOPES, allow_http=True)
    return made


def until(check: Callable[[], T | None], what: str, within: float = 15.0) -> T:
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within}s: {what}")
        time.sleep(0.1)


def notified(who: Mastodon, kind: str, status_id: Any) -> Any:
    def check() -> Any:
        for note in who.notifications(types=[kind], limit=40):
            if note.status is not None and note.status.id == status_id:
                return note
        return None

    return until(check, f"a {kind} notification about {status_id}")


@pytest.fixture(scope="module")
def people(api_node: NodeProcess) -> dict[str, Mastodon]:
    return {name: client(api_node, name) for name in ("alice", "bob", "root")}


def test_a_quote_of_a_public_post_is_accepted_at_once(people: dict[str, Mastodon]) -> None:
    alice, bob = people["alice"], people["bob"]
    quoted = bob.status_post("Quote me if you like", quote_approval_policy="public")
    assert quoted.quote is None
    assert quoted.quote_approval == {
        "automatic": ["public"], "manual": [], "current_user": "automatic"
    }  # fmt: skip
    seen_by_alice = alice.status(quoted.id)
    assert seen_by_alice.quote_approval.current_user == "automatic"
    assert seen_by_alice.quotes_count == 0

    quoting = alice.status_post("Well said", quoted_status_id=quoted.id)
    assert quoting.quote.state == "accepted"
    assert quoting.quote.quoted_status.id == quoted.id
    assert quoting.quote.quoted_status.content == quoted.content
    # A status shown inside a quote carries a shallow quote of its own (none here).
    assert quoting.quote.quoted_status.quote is None
    assert bob.status(quoted.id).quotes_count == 1
    assert [s.id for s in bob.status_quotes(quoted.id)] == [quoting.id]
    assert [s.id for s in alice.status_quotes(quoted.id)] == [quoting.id]
    note = notified(bob, "quote", quoting.id)
    assert note.account.username == "alice"


def test_nobody_may_quote_but_its_author(people: dict[str, Mastodon]) -> None:
    alice, bob = people["alice"], people["bob"]
    quoted = bob.status_post("Do not quote this", quote_approval_policy="nobody")
    assert quoted.quote_approval == {
        "automatic": [], "manual": [], "current_user": "automatic"
    }  # fmt: skip
    assert alice.status(quoted.id).quote_approval.current_user == "denied"
    with pytest.raises(MastodonNotFoundError) as refused:
        alice.status_post("Quoting anyway", quoted_status_id=quoted.id)
    assert "does not appear to exist" in str(refused.value)
    own = bob.status_post("I may quote myself", quoted_status_id=quoted.id)
    assert own.quote.state == "accepted"


def test_followers_only_policy_waits_for_a_follow(people: dict[str, Mastodon]) -> None:
    bob, root = people["bob"], people["root"]
    bob_account = bob.me()
    root.account_unfollow(bob_account.id)
    quoted = bob.status_post("For my followers to quote", quote_approval_policy="followers")
    assert quoted.quote_approval.automatic == ["followers"]
    assert root.status(quoted.id).quote_approval.current_user == "denied"
    with pytest.raises(MastodonNotFoundError):
        root.status_post("Not yet", quoted_status_id=quoted.id)
    root.account_follow(bob_account.id)
    assert root.status(quoted.id).quote_approval.current_user == "automatic"
    assert root.status_post("Now", quoted_status_id=quoted.id).quote.state == "accepted"


def test_a_post_not_shared_beyond_followers_is_quoted_by_its_author_alone(
    people: dict[str, Mastodon],
) -> None:
    bob = people["bob"]
    private = bob.status_post(
        "Followers only", visibility="private", quote_approval_policy="public"
    )
    assert private.quote_approval.automatic == []  # downgraded, as Mastodon does
    changed = bob.status_update_quote_approval_policy(private.id, "public")
    assert changed.quote_approval.automatic == []


def test_revoked_by_the_quoted_author(people: dict[str, Mastodon]) -> None:
    alice, bob = people["alice"], people["bob"]
    quoted = bob.status_post("Quote, and I may change my mind")
    quoting = alice.status_post("Quoting it", quoted_status_id=quoted.id)
    assert quoting.quote.state == "accepted"
    with pytest.raises(MastodonAPIError) as refused:  # not alice's to revoke
        alice.status_quote_revoke(quoted.id, quoting.id)
    assert "403" in str(refused.value)
    revoked = bob.status_quote_revoke(quoted.id, quoting.id)
    assert revoked.id == quoting.id
    assert revoked.quote.state == "revoked"
    assert revoked.quote.quoted_status is None
    assert bob.status_quote_revoke(quoted.id, quoting.id).quote.state == "revoked"  # again
    assert alice.status(quoting.id).quote.state == "revoked"
    assert bob.status_quotes(quoted.id) == []
    assert bob.status(quoted.id).quotes_count == 0
    with pytest.raises(MastodonNotFoundError):  # a post that does not quote it
        bob.status_quote_revoke(quoted.id, quoted.id)


def test_the_policy_changed_afterwards(people: dict[str, Mastodon]) -> None:
    alice, bob = people["alice"], people["bob"]
    quoted = bob.status_post("Open at first")
    earlier = alice.status_post("Quoted while open", quoted_status_id=quoted.id)
    closed = bob.status_update_quote_approval_policy(quoted.id, "nobody")
    assert closed.id == quoted.id
    assert closed.quote_approval.automatic == []
    with pytest.raises(MastodonNotFoundError):
        alice.status_post("Too late", quoted_status_id=quoted.id)
    # Past quotes stand (revoking them is a separate step, as on Mastodon).
    assert alice.status(earlier.id).quote.state == "accepted"
    with pytest.raises(MastodonAPIError):
        alice.status_update_quote_approval_policy(quoted.id, "public")  # not hers


def test_an_edited_quote_and_its_notification(people: dict[str, Mastodon]) -> None:
    alice, bob = people["alice"], people["bob"]
    quoted = bob.status_post("First words")
    quoting = alice.status_post("I agree with this", quoted_status_id=quoted.id)
    bob.status_update(quoted.id, "Second words")
    note = notified(alice, "quoted_update", quoting.id)
    assert note.account.username == "bob"
    assert "Second words" in alice.status(quoting.id).quote.quoted_status.content
    # The quote's own policy is changed by an edit too.
    edited = alice.status_update(quoting.id, "I still agree", quote_approval_policy="nobody")
    assert edited.quote_approval.automatic == []
    assert edited.quote.state == "accepted"


def test_deleted_and_unauthorized(people: dict[str, Mastodon]) -> None:
    alice, bob = people["alice"], people["bob"]
    quoted = bob.status_post("Soon gone")
    quoting = alice.status_post("Quoting what will go", quoted_status_id=quoted.id)
    bob.status_delete(quoted.id)
    gone = alice.status(quoting.id).quote
    assert (gone.state, gone.quoted_status) == ("deleted", None)
    # Bob quotes his own followers-only post in a public one: alice, who does not follow
    # him, sees the quote but not what it quotes.
    alice.account_unfollow(bob.me().id)
    hidden = bob.status_post("Only my followers see this", visibility="private")
    shown = bob.status_post("Look at my private post", quoted_status_id=hidden.id)
    assert shown.quote.state == "accepted"
    seen = alice.status(shown.id).quote
    assert (seen.state, seen.quoted_status) == ("unauthorized", None)


def test_refusals_of_the_client_api(api_node: NodeProcess, people: dict[str, Mastodon]) -> None:
    bob = people["bob"]
    token = bob.access_token
    headers = {"Authorization": f"Bearer {token}"}
    posted = httpx.post(
        f"{api_node.url}/api/v1/statuses",
        data={"status": "a policy no one has", "quote_approval_policy": "friends"},
        headers=headers,
    )
    assert posted.status_code == 422
    assert "quote_approval_policy" in posted.json()["error"]
    missing = httpx.post(
        f"{api_node.url}/api/v1/statuses",
        data={"status": "quoting nothing", "quoted_status_id": "1234567"},
        headers=headers,
    )
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "The post you are trying to quote does not appear to exist."
    }  # fmt: skip
    mine = bob.status_post("policy please")
    blank = httpx.put(
        f"{api_node.url}/api/v1/statuses/{mine.id}/interaction_policy", headers=headers
    )
    assert blank.status_code == 422
    unknown = httpx.get(f"{api_node.url}/api/v1/statuses/999999999/quotes")
    assert unknown.status_code == 404
    # Anyone may list the quotes of a public post, as on Mastodon.
    assert httpx.get(f"{api_node.url}/api/v1/statuses/{mine.id}/quotes").json() == []


async def test_the_web_pages_show_a_quote_and_offer_to_quote(
    api_node: NodeProcess, people: dict[str, Mastodon]
) -> None:
    """Server-rendered: a quoting post shows the post it quotes inside it; a post offers a
    Quote action, whose form quotes it."""
    alice, bob = people["alice"], people["bob"]
    quoted = bob.status_post("Words worth quoting on the web")
    quoting = alice.status_post("Shown with its quote", quoted_status_id=quoted.id)
    web = await Person(api_node, "alice").login()
    try:
        page = (await web.get(f"/@alice/{quoting.id}")).text
        assert '<blockquote class="quoted">' in page
        assert "Words worth quoting on the web" in page
        bob_page = (await web.get(f"/@bob/{quoted.id}")).text
        assert f'href="/compose?quote={quoted.id}"' in bob_page
        form = (await web.get(f"/compose?quote={quoted.id}")).text
        assert f'name="quoted_post_id" value="{quoted.id}"' in form
        await web.post("/posts", {"text": "Quoted from the web", "quoted_post_id": str(quoted.id)})
    finally:
        await web.close()
    (made,) = [s for s in alice.account_statuses(alice.me().id, limit=5)
               if s.content == "<p>Quoted from the web</p>"]  # fmt: skip
    assert made.quote.state == "accepted"
    assert made.quote.quoted_status.id == quoted.id
