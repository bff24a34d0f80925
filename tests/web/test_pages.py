"""The web face end to end over HTTP: every page renders, every button does what it says."""

from __future__ import annotations

from bocage.core.instance import domains, instance
from bocage.node import Node
from tests.conftest import make_user
from tests.web.conftest import Browser, post_id_in


async def _mode(node: Node, mode: str) -> None:
    with node.db.transaction() as session:
        instance.update_info(
            session,
            name="Hedge",
            description="A test node",
            rules=["Be kind"],
            registration_mode=mode,
        )


def _signup(username: str, **extra: str) -> dict[str, str]:
    return {
        "username": username,
        "email": f"{username}@example.org",
        "password": "long enough",
        "agree": "on",
        **extra,
    }


async def test_first_admin_through_the_one_time_link(browser: Browser) -> None:
    with browser.node.db.transaction() as session:
        token = instance.new_setup_token(session)
    form = await browser.get(f"/setup/{token}")
    assert form.status_code == 200
    created = await browser.post(
        f"/setup/{token}",
        {"username": "root_admin", "email": "r@example.org", "password": "long enough"},
    )
    assert created.status_code == 303
    assert (await browser.get("/admin/instance")).status_code == 200
    again = await browser.get(f"/setup/{token}")
    assert again.status_code == 404
    assert "already been used" in again.text


async def test_open_registration_logs_in_at_once(browser: Browser) -> None:
    await _mode(browser.node, "open")
    response = await browser.post("/register", _signup("newbie"))
    assert response.status_code == 303
    home = await browser.get("/home")
    assert home.status_code == 200
    assert "@newbie" in home.text


async def test_approval_mode_waits_for_an_admin(browser: Browser, other_browser: Browser) -> None:
    await _mode(browser.node, "approval")
    without_reason = await browser.post("/register", _signup("hopeful"))
    assert without_reason.status_code == 422
    waiting = await browser.post("/register", _signup("hopeful", reason="I garden"))
    assert waiting.status_code == 200
    assert "waiting for an admin" in waiting.text
    refused = await browser.login("hopeful", "long enough")
    assert refused.status_code == 403
    make_user(browser.node, "boss", admin=True)
    await other_browser.login("boss")
    queue = await other_browser.get("/admin/signups")
    assert "I garden" in queue.text
    approved = await other_browser.post("/admin/signups/hopeful/approve")
    assert approved.status_code == 303
    assert (await browser.login("hopeful", "long enough")).status_code == 303


async def test_invite_only_mode(browser: Browser, other_browser: Browser) -> None:
    await _mode(browser.node, "invite")
    assert (await browser.post("/register", _signup("nobody"))).status_code == 403
    make_user(browser.node, "boss", admin=True)
    await other_browser.login("boss")
    created = await other_browser.post("/admin/invites", {"max_uses": "1"})
    code = created.headers["location"]  # redirect back to the list, which shows the link
    listing = await other_browser.get("/admin/invites")
    code = listing.text.split("/register?invite=")[1].split("<")[0]
    assert (await browser.post("/register", _signup("friend", invite=code))).status_code == 303
    used_up = await other_browser.post("/register", _signup("second", invite=code))
    assert used_up.status_code == 422
    assert "not valid" in used_up.text


async def test_closed_mode_refuses_sign_ups(browser: Browser) -> None:
    await _mode(browser.node, "closed")
    response = await browser.post("/register", _signup("late"))
    assert response.status_code == 403
    assert "closed" in response.text


async def test_non_admins_cannot_open_admin_pages(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    for path in (
        "/admin/signups", "/admin/accounts", "/admin/instance", "/admin/jobs", "/admin/reports",
        "/admin/federation", "/admin/peers",
    ):  # fmt: skip
        response = await browser.get(path)
        assert response.status_code == 403, path
    assert (await browser.post("/admin/accounts/alice/suspend")).status_code == 403
    blocked = await browser.post("/admin/federation/blocks", {"domain": "x.example"})
    assert blocked.status_code == 403


async def test_anonymous_visitors_are_sent_to_log_in(browser: Browser) -> None:
    response = await browser.get("/home")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert (await browser.post("/posts", {"text": "hi"})).status_code == 401


async def test_admin_sets_the_instance_and_suspends_an_account(
    browser: Browser, other_browser: Browser
) -> None:
    make_user(browser.node, "boss", admin=True)
    make_user(browser.node, "troll")
    await browser.login("boss")
    saved = await browser.post(
        "/admin/instance",
        {
            "name": "Green Hedge",
            "description": "Gardeners",
            "rules": "Be kind\nNo spam",
            "registration_mode": "open",
        },
    )
    assert saved.status_code == 303
    about = await other_browser.get("/about")
    assert "Green Hedge" in about.text and "No spam" in about.text
    bad = await browser.post(
        "/admin/instance",
        {"name": "X", "description": "", "rules": "", "registration_mode": "maybe"},
    )
    assert bad.status_code == 422
    await other_browser.login("troll")
    assert (await browser.post("/admin/accounts/troll/suspend")).status_code == 303
    assert (await other_browser.get("/home")).status_code == 303  # session ended
    assert (await other_browser.login("troll")).status_code == 403
    assert (await browser.get("/@troll")).status_code == 200  # admins still see it
    assert (await other_browser.get("/@troll")).status_code == 410


async def test_admin_blocks_a_domain_and_switches_to_an_allow_list(browser: Browser) -> None:
    make_user(browser.node, "boss", admin=True)
    await browser.login("boss")
    block = {"domain": "https://Spam.Example/", "severity": "silence", "reject_media": "on"}
    assert (await browser.post("/admin/federation/blocks", block)).status_code == 303
    listing = await browser.get("/admin/federation")
    assert "spam.example" in listing.text and "silence" in listing.text
    bad = await browser.post("/admin/federation/blocks", {"domain": "nope", "severity": "suspend"})
    assert bad.status_code == 422 and "is not a domain name" in bad.text
    assert (
        await browser.post("/admin/federation/allow", {"domain": "friends.example"})
    ).status_code == 303
    assert (await browser.post("/admin/federation/mode", {"mode": "allowlist"})).status_code == 303
    rules = await browser.node.db.read(domains.rules)
    assert rules.refuses("strangers.example") and not rules.refuses("friends.example")
    assert rules.silences("spam.example") and rules.rejects_media("spam.example")
    lifted = await browser.post("/admin/federation/unblock", {"domain": "spam.example"})
    assert lifted.status_code == 303
    assert "spam.example" not in (await browser.get("/admin/federation")).text


async def test_posting_replying_liking_and_the_thread(
    browser: Browser, other_browser: Browser
) -> None:
    make_user(browser.node, "alice")
    make_user(browser.node, "bob")
    await browser.login("alice")
    await other_browser.login("bob")
    await other_browser.post("/@alice/follow")
    await browser.post("/posts", {"text": "Hello #garden friends", "visibility": "public"})
    await browser.node.worker.run_until_idle()  # fan-out to followers' home feeds
    home = await other_browser.get("/home")
    post_id = post_id_in(home.text, "alice")
    assert "garden" in home.text
    reply = await other_browser.post(
        "/posts", {"text": "@alice lovely", "visibility": "public", "in_reply_to_id": post_id}
    )
    assert reply.status_code == 303
    await other_browser.post(f"/posts/{post_id}/like")
    thread = await other_browser.get(f"/@alice/{post_id}")
    assert "lovely" in thread.text
    assert 'class="replies"' in thread.text
    assert "1 like" in thread.text and "Unlike" in thread.text
    tag = await browser.get("/tags/garden")
    assert "Hello" in tag.text
    await browser.node.worker.run_until_idle()
    notes = await browser.get("/notifications")
    for phrase in ("followed you", "mentioned you", "liked your post"):
        assert phrase in notes.text


async def test_edit_keeps_history(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    await browser.post("/posts", {"text": "first words", "visibility": "public"})
    profile = await browser.get("/@alice")
    post_id = post_id_in(profile.text, "alice")
    edited = await browser.post(f"/posts/{post_id}/edit", {"text": "second words"})
    assert edited.status_code == 303
    history = await browser.get(f"/posts/{post_id}/history")
    assert "first words" in history.text and "second words" in history.text


async def test_someone_elses_post_cannot_be_edited_or_deleted(
    browser: Browser, other_browser: Browser
) -> None:
    make_user(browser.node, "alice")
    make_user(browser.node, "mallory")
    await browser.login("alice")
    await other_browser.login("mallory")
    await browser.post("/posts", {"text": "mine", "visibility": "public"})
    post_id = post_id_in((await browser.get("/@alice")).text, "alice")
    assert (
        await other_browser.post(f"/posts/{post_id}/edit", {"text": "yours"})
    ).status_code == 403
    assert (await other_browser.post(f"/posts/{post_id}/delete")).status_code == 403
    assert "mine" in (await browser.get(f"/@alice/{post_id}")).text


async def test_user_html_is_escaped(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    await browser.post("/posts", {"text": payload, "visibility": "public"})
    await browser.post("/settings/profile", {"display_name": "<b>bold</b>", "note": payload})
    for path in ("/@alice", "/local"):
        page = await browser.get(path)
        assert "<script>alert" not in page.text
        assert "<img src=x" not in page.text
        assert "&lt;script&gt;" in page.text


async def test_security_headers_and_cookie_flags(browser: Browser) -> None:
    make_user(browser.node, "alice")
    response = await browser.login("alice")
    cookie = response.headers.get_list("set-cookie")
    session = next(c for c in cookie if c.startswith("bocage_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session
    page = await browser.get("/home")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_login_never_redirects_off_site(browser: Browser) -> None:
    make_user(browser.node, "alice")
    response = await browser.post(
        "/login",
        {"login": "alice", "password": "correct horse battery", "next": "https://evil.example/x"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/x"
    again = await browser.post(
        "/login", {"login": "alice", "password": "correct horse battery", "next": "//evil.example"}
    )
    assert not again.headers["location"].startswith("//")


async def test_logout_ends_the_session(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    stolen = browser.client.cookies.get("bocage_session")
    await browser.post("/logout")
    assert (await browser.get("/home")).status_code == 303
    browser.client.cookies.set("bocage_session", stolen)
    assert (await browser.get("/home")).status_code == 303  # the server forgot it


async def test_locked_account_and_follow_requests(browser: Browser, other_browser: Browser) -> None:
    make_user(browser.node, "alice")
    make_user(browser.node, "bob")
    await browser.login("alice")
    await other_browser.login("bob")
    await browser.post("/settings/profile", {"display_name": "Alice", "locked": "on"})
    await other_browser.post("/posts", {"text": "x", "visibility": "public"})
    await browser.post("/posts", {"text": "secret garden", "visibility": "private"})
    await other_browser.post("/@alice/follow")
    profile = await other_browser.get("/@alice")
    assert "Cancel follow request" in profile.text
    assert "secret garden" not in profile.text
    requests = await browser.get("/follow-requests")
    bob_id = requests.text.split("/follow-requests/")[1].split("/")[0]
    await browser.post(f"/follow-requests/{bob_id}/accept")
    profile = await other_browser.get("/@alice")
    assert "Unfollow" in profile.text
    assert "secret garden" in profile.text


async def test_block_and_mute_buttons(browser: Browser, other_browser: Browser) -> None:
    make_user(browser.node, "alice")
    make_user(browser.node, "bob")
    await browser.login("alice")
    await other_browser.login("bob")
    await browser.post("/@bob/follow")
    await other_browser.post("/posts", {"text": "noisy words", "visibility": "public"})
    await browser.node.worker.run_until_idle()
    assert "noisy words" in (await browser.get("/home")).text
    await browser.post("/@bob/mute")
    assert "noisy words" not in (await browser.get("/home")).text
    await browser.post("/@bob/unmute")
    await other_browser.post("/@alice/block")
    assert "noisy words" not in (await browser.get("/@bob")).text
    assert (await browser.post("/@bob/follow")).status_code == 403
