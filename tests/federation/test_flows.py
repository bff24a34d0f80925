"""Three real nodes federating over HTTP: what one person does on one node, the others see.

alice, amy, olga and ivy live on the first node (SQLite), bob, bea, nora, rui and sam on the second
(PostgreSQL when it is available, and in authorized-fetch mode), carol on the third (SQLite);
bea and carol are their nodes' admins.
Each test uses its own people or its own posts, so the tests can share the nodes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from tests.federation.helpers import PASSWORD, Person, eventually
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("federation/test_flows")]


@pytest.fixture
async def people(nodes: list[NodeProcess]) -> AsyncIterator[dict[str, Person]]:
    homes = {
        "alice": 0, "amy": 0, "olga": 0, "ivy": 0, "bob": 1, "bea": 1, "nora": 1, "rui": 1,
        "sam": 1, "carol": 2,
    }  # fmt: skip
    found = {name: await Person(nodes[i], name).login() for name, i in homes.items()}
    yield found
    for person in found.values():
        await person.close()


async def page_has(person: Person, path: str, *texts: str) -> bool:
    page = await person.get(path)
    return page.status_code == 200 and all(text in page.text for text in texts)


async def follow(follower: Person, target: Person) -> None:
    await follower.post(f"/@{target.handle}/follow")
    await eventually(
        lambda: page_has(target, f"/@{target.username}/followers", follower.handle),
        what=f"{follower.handle} in {target.handle}'s followers",
    )
    await eventually(
        lambda: page_has(follower, f"/@{target.handle}", ">Unfollow<"),
        what=f"{target.handle} accepted {follower.handle}",
    )


def remote_post_id(html: str, author: Person) -> str:
    match = re.search(rf'href="/@{re.escape(author.handle)}/(\d+)"', html)
    assert match, f"no post by {author.handle} on the page"
    return match.group(1)


async def test_follow_then_posts_replies_likes_boosts_edits_and_deletes_cross(
    people: dict[str, Person],
) -> None:
    alice, bob = people["alice"], people["bob"]
    await follow(alice, bob)

    original = await bob.publish("Hello from the second node")
    home = await eventually(
        lambda: _page_if(alice, "/home", "Hello from the second node"), what="post on A"
    )
    copy_id = remote_post_id(home, bob)

    # A reply on A reaches B, threaded under the original, and tells bob.
    await alice.publish(f"@{bob.handle} welcome!", in_reply_to_id=copy_id)
    await eventually(
        lambda: page_has(bob, f"/@bob/{original}", "welcome!", alice.handle),
        what="reply in B's thread",
    )
    await eventually(lambda: page_has(bob, "/notifications", alice.handle), what="B notified")

    # Like and boost on A are counted on B.
    await alice.post(f"/posts/{copy_id}/like")
    await alice.post(f"/posts/{copy_id}/boost")
    await eventually(
        lambda: page_has(bob, f"/@bob/{original}", "1 like", "1 boost"),
        what="like and boost counted on B",
    )
    # Taking them back is heard too (each Undo is addressed as what it undoes).
    await alice.post(f"/posts/{copy_id}/unlike")
    await alice.post(f"/posts/{copy_id}/unboost")
    await eventually(
        lambda: page_has(bob, f"/@bob/{original}", "0 likes", "0 boosts"),
        what="like and boost withdrawn on B",
    )

    # An edit on B shows on A, and a delete on B removes the post from A.
    await bob.post(f"/posts/{original}/edit", {"text": "Hello again, edited", "spoiler_text": ""})
    await eventually(
        lambda: page_has(alice, f"/@{bob.handle}/{copy_id}", "Hello again, edited"),
        what="edit on A",
    )
    await bob.post(f"/posts/{original}/delete")

    async def gone() -> bool:
        return (await alice.get(f"/@{bob.handle}/{copy_id}")).status_code == 404

    await eventually(gone, what="delete on A")
    assert "Hello again" not in (await alice.get("/home")).text


async def _page_if(person: Person, path: str, text: str) -> str | None:
    page = await person.get(path)
    return page.text if text in page.text else None


async def test_follow_request_waits_for_approval(people: dict[str, Person]) -> None:
    amy, bea = people["amy"], people["bea"]
    await bea.post("/settings/profile", {"display_name": "Bea", "note": "", "locked": "on"})
    await amy.post(f"/@{bea.handle}/follow")
    await eventually(lambda: page_has(bea, "/follow-requests", amy.handle), what="request on B")
    assert ">Unfollow<" not in (await amy.get(f"/@{bea.handle}")).text
    assert "Cancel follow request" in (await amy.get(f"/@{bea.handle}")).text

    requests = await bea.get("/follow-requests")
    account_id = re.search(r"/follow-requests/(\d+)/accept", requests.text)
    assert account_id
    await bea.post(f"/follow-requests/{account_id.group(1)}/accept")
    await eventually(lambda: page_has(amy, f"/@{bea.handle}", ">Unfollow<"), what="accepted on A")


async def test_visibility_decides_who_receives_a_post(people: dict[str, Person]) -> None:
    bob, alice, carol = people["bob"], people["alice"], people["carol"]
    await follow(alice, bob)  # already following: stays so
    await bob.publish("only for my followers", visibility="private")
    await bob.publish(f"@{carol.handle} just between us", visibility="direct")
    await eventually(
        lambda: _page_if(alice, "/home", "only for my followers"), what="followers-only on A"
    )
    # It reaches carol's node; bob is a stranger to her, so its notification waits among her
    # requests (Mastodon 4.3's default policy for private mentions), and the post shows
    # where she reads bob.
    await eventually(
        lambda: page_has(carol, f"/@{bob.handle}", "just between us"), what="direct on C"
    )
    # carol follows no one on B: the followers-only post never reached her node, and
    # alice was not addressed by the direct one.
    assert "only for my followers" not in (await carol.get(f"/@{bob.handle}")).text
    assert "just between us" not in (await alice.get("/home")).text
    assert "just between us" not in (await alice.get(f"/@{bob.handle}")).text


async def test_reply_thread_across_three_nodes(people: dict[str, Person]) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    await follow(alice, bob)
    await follow(carol, bob)
    await follow(carol, alice)
    root = await bob.publish("A thread starts on B")
    on_a = remote_post_id(
        await eventually(lambda: _page_if(alice, "/home", "A thread starts on B")), bob
    )
    await alice.publish(f"@{bob.handle} A answers", in_reply_to_id=on_a)
    reply_on_c = remote_post_id(
        await eventually(lambda: _page_if(carol, "/home", "A answers"), what="reply on C"),
        alice,
    )
    await carol.publish(f"@{alice.handle} @{bob.handle} and C answers A", in_reply_to_id=reply_on_c)
    await eventually(
        lambda: page_has(
            bob, f"/@bob/{root}", "A thread starts on B", "A answers", "and C answers A"
        ),
        what="the whole thread on B",
    )
    await eventually(
        lambda: page_has(alice, f"/@{bob.handle}/{on_a}", "A answers", "and C answers A"),
        what="the whole thread on A",
    )


async def test_block_ends_the_follow_on_both_nodes(people: dict[str, Person]) -> None:
    amy, carol = people["amy"], people["carol"]
    await follow(amy, carol)
    await carol.post(f"/@{amy.handle}/block")

    async def follow_ended() -> bool:
        page = (await amy.get(f"/@{carol.handle}")).text
        return ">Unfollow<" not in page and ">Follow<" not in page  # blocked: no button

    await eventually(follow_ended, what="follow ended on A")
    followers = (await carol.get("/@carol/followers")).text
    assert f'href="/@{amy.handle}"' not in followers


async def test_move_takes_followers_to_the_new_account(people: dict[str, Person]) -> None:
    """olga (A) moves to nora (B): carol (C, remote) and amy (A, local) follow nora instead."""
    olga, nora, amy, carol, bea = (people[n] for n in ("olga", "nora", "amy", "carol", "bea"))
    await follow(carol, olga)
    await amy.post("/@olga/follow")  # a local follower: amy and olga share node A
    assert await page_has(olga, "/@olga/followers", 'href="/@amy"')

    # Refused, and nothing changes: a wrong password, and a target that names no alias.
    wrong = await olga.submit(
        "/settings/migration/move", {"handle": f"@{nora.handle}", "password": "not it"}
    )
    assert wrong.status_code == 401 and "password is wrong" in wrong.text
    refused = await olga.submit(
        "/settings/migration/move", {"handle": f"@{bea.handle}", "password": PASSWORD}
    )
    assert refused.status_code == 422 and "alias" in refused.text
    assert await page_has(olga, "/settings/migration", "Move followers")

    await nora.post("/settings/migration/aliases", {"handle": f"@{olga.handle}"})
    assert await page_has(nora, "/settings/migration", "/users/olga")
    await olga.post("/settings/migration/move", {"handle": f"@{nora.handle}", "password": PASSWORD})

    await eventually(
        lambda: page_has(nora, "/@nora/followers", carol.handle, amy.handle),
        what="carol and amy follow nora on B",
    )
    await eventually(
        lambda: page_has(carol, f"/@{olga.handle}", "has moved to", f"@{nora.handle}"),
        what="C shows olga as moved",
    )
    await eventually(
        lambda: page_has(carol, f"/@{nora.handle}", ">Unfollow<"), what="nora accepted carol"
    )
    await eventually(
        lambda: _page_lacks(olga, "/@olga/followers", carol.handle, 'href="/@amy"'),
        what="carol and amy no longer follow olga",
    )
    assert await page_has(olga, "/settings/migration", "This account has moved")
    refused = await olga.submit("/posts", {"text": "still here?", "visibility": "public"})
    assert refused.status_code == 403 and "post from your new account" in refused.text


async def _page_lacks(person: Person, path: str, *texts: str) -> bool:
    page = await person.get(path)
    return page.status_code == 200 and not any(text in page.text for text in texts)


async def test_report_reaches_the_moderators_of_both_servers(people: dict[str, Person]) -> None:
    """carol (C) reports bob's post (B) and forwards it: B's admin sees it, not who sent it."""
    carol, bob, bea = people["carol"], people["bob"], people["bea"]
    await follow(carol, bob)
    await bob.publish("Buy cheap watches here")
    home = await eventually(
        lambda: _page_if(carol, "/home", "Buy cheap watches here"), what="post on C"
    )
    copy_id = remote_post_id(home, bob)

    # Refused: reporting oneself, and posts by someone else than the reported account.
    itself = await carol.submit("/@carol/report", {"comment": "me"})
    assert itself.status_code == 422 and "cannot report yourself" in itself.text
    own = await carol.publish("my own post")
    mixed = await carol.submit(f"/@{bob.handle}/report", {"post_ids": own})
    assert mixed.status_code == 422 and "only include posts by" in mixed.text

    await carol.post(
        f"/@{bob.handle}/report",
        {"post_ids": copy_id, "comment": "spam, clearly", "forward": "on"},
    )
    assert await page_has(carol, "/admin/reports", "spam, clearly", "Buy cheap watches here")
    await eventually(
        lambda: page_has(bea, "/admin/reports", "spam, clearly", "Buy cheap watches here"),
        what="the forwarded report on B",
    )
    assert carol.handle not in (await bea.get("/admin/reports")).text
    await eventually(lambda: page_has(bea, "/notifications", "filed a report"), what="B told")


async def test_pinned_posts_show_first_on_the_other_node(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    await follow(alice, bob)
    pinned = await bob.publish("Read this first: house rules")
    await bob.publish("An ordinary later post")
    await bob.post(f"/posts/{pinned}/pin")
    featured = await bob.client.get(
        "/users/bob/collections/featured", headers={"accept": "application/activity+json"}
    )
    assert featured.status_code == 401  # bob's node is in authorized-fetch mode
    await eventually(
        lambda: page_has(alice, f"/@{bob.handle}", "📌 Pinned", "Read this first"),
        what="the pin shown on A",
    )
    await bob.post(f"/posts/{pinned}/unpin")
    await eventually(
        lambda: _page_lacks(alice, f"/@{bob.handle}", "📌 Pinned"), what="the unpin on A"
    )


async def test_a_boosted_post_arrives_with_its_replies(people: dict[str, Person]) -> None:
    """ivy (A) follows carol (C), who boosts rui's post (B). A fetches the post, then walks
    its `replies` collection: sam's reply, which nobody on A follows, is there too."""
    ivy, carol, rui, sam = people["ivy"], people["carol"], people["rui"], people["sam"]
    await follow(ivy, carol)
    await follow(carol, rui)
    original = await rui.publish("Root of a walked thread")
    await sam.publish("A reply only B had", in_reply_to_id=original)
    home = await eventually(
        lambda: _page_if(carol, "/home", "Root of a walked thread"), what="post on C"
    )
    await carol.post(f"/posts/{remote_post_id(home, rui)}/boost")
    home = await eventually(
        lambda: _page_if(ivy, "/home", "Root of a walked thread"), what="boost on A"
    )
    copy_id = remote_post_id(home, rui)
    await eventually(
        lambda: page_has(ivy, f"/@{rui.handle}/{copy_id}", "A reply only B had", sam.handle),
        what="the reply fetched on A",
    )
