"""What a person sees in a real browser, against a real `bocage serve` process.

One node serves the whole module; every test makes its own people (fresh browser contexts),
so the tests only share the admin set-up, which `ready` performs if the first test did not.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import PASSWORD, Site, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

NewPage = Callable[..., Page]
PHONE = {"width": 375, "height": 740}


# --- helpers: what a person does --------------------------------------------------------------


def create_admin(page: Page, site: Site) -> None:
    response = page.goto(site.setup_url())
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to your Bocage node")
    page.get_by_label("Username").fill(site.admin)
    page.get_by_label("E-mail").fill(f"{site.admin}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create admin account").click()
    expect(page).to_have_url(re.compile(r"/admin/instance$"))
    expect(page.get_by_role("status")).to_have_text("Your admin account is ready.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Admin: instance settings")

    page.get_by_label("Name", exact=True).fill(site.instance_name)
    page.get_by_label("Rules (one per line").fill("Be kind.\nNo spam.")
    page.get_by_label("Anyone can sign up").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Instance settings saved.")
    site.setup_done = True


def sign_up(page: Page, username: str) -> None:
    page.goto("/register")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign up")
    page.get_by_label("Username").fill(username)
    page.get_by_label("E-mail").fill(f"{username}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    expect(page.get_by_role("group", name="Rules of this server")).to_contain_text("Be kind.")
    page.get_by_label("I agree to the rules of this server").check()
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("status")).to_have_text(f"Welcome, @{username}!")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def publish(page: Page, text: str, warning: str = "") -> None:
    page.goto("/home")
    if warning:
        page.get_by_label("Content warning (optional)").fill(warning)
    page.get_by_label("What's on your mind?").fill(text)
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Posted.")


def post_card(page: Page, text: str) -> Locator:
    return page.locator("article.post").filter(has_text=text)


def submit(page: Page, button: Locator) -> int:
    """Click a submit button and return the HTTP status of the page it leads to."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response.status


@pytest.fixture
def ready(site: Site, new_page: NewPage) -> Site:
    """The node has its admin and is open for sign-ups."""
    if not site.setup_done:
        create_admin(new_page(), site)
    return site


# --- 1. the first admin ----------------------------------------------------------------------


def test_first_admin_through_the_setup_link(site: Site, new_page: NewPage) -> None:
    page = new_page()
    create_admin(page, site)
    expect(page.locator("header.top .brand")).to_have_text(site.instance_name)
    expect(page).to_have_title(re.compile(re.escape(site.instance_name)))
    expect(page.get_by_role("link", name="Admin")).to_be_visible()
    expect(page.get_by_label("Anyone can sign up")).to_be_checked()

    # A visitor sees the name too, and may sign up.
    visitor = new_page()
    visitor.goto("/")
    expect(visitor.locator("header.top .brand")).to_have_text(site.instance_name)
    expect(visitor.get_by_role("link", name="Sign up").first).to_be_visible()

    # The link worked once.
    response = visitor.goto(site.setup_url())
    assert response is not None and response.status == 404
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Sorry")
    expect(visitor.locator("main .error")).to_have_text(
        "This setup link has already been used or is not valid."
    )
    expect(visitor.get_by_role("button", name="Create admin account")).to_have_count(0)


# --- 2. sign up, post, follow, reply, like, notifications -------------------------------------


def test_sign_up_post_follow_reply_like_and_notifications(ready: Site, new_page: NewPage) -> None:
    alice_name, bob_name = ready.new_name("alice"), ready.new_name("bob")
    alice, bob = new_page(), new_page()
    sign_up(alice, alice_name)
    sign_up(bob, bob_name)
    expect(alice.locator("section.timeline")).to_contain_text("Nothing here yet.")

    text = "First light over the hedgerows this morning."
    publish(alice, text)
    expect(post_card(alice, text)).to_be_visible()

    # Bob does not follow Alice yet: her post is not on his home timeline.
    bob.goto("/home")
    expect(post_card(bob, text)).to_have_count(0)

    bob.goto(f"/@{alice_name}")
    expect(bob.get_by_role("heading", level=1)).to_have_text(alice_name)
    bob.get_by_role("button", name="Follow", exact=True).click()
    expect(bob.get_by_role("status")).to_have_text(f"Following @{alice_name}.")
    expect(bob.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(bob.locator(".counts")).to_contain_text("1 follower ")

    bob.goto("/home")
    card = post_card(bob, text)
    expect(card).to_have_count(1)
    expect(card.locator(".name").first).to_contain_text(f"@{alice_name}")

    # Reply through the Reply link and the compose page.
    card.get_by_role("link", name="Reply").click()
    expect(bob).to_have_url(re.compile(r"/compose\?reply_to=\d+$"))
    expect(bob.get_by_role("heading", level=1)).to_have_text("Reply")
    expect(post_card(bob, text)).to_be_visible()
    box = bob.get_by_label("Your reply")
    expect(box).to_have_value(f"@{alice_name} ")
    reply = "Lovely! The blackthorn is out here too."
    box.press("End")
    box.type(reply)
    bob.get_by_role("button", name="Post", exact=True).click()
    expect(bob.get_by_role("status")).to_have_text("Reply posted.")
    expect(bob.locator("article.post.focus")).to_contain_text(reply)

    # The thread of Alice's post shows the reply nested under it.
    bob.get_by_role("link", name="in reply to an earlier post").click()
    expect(bob).to_have_url(re.compile(rf"/@{alice_name}/\d+$"))
    focus = bob.locator("article.post.focus")
    expect(focus).to_contain_text(text)
    expect(bob.get_by_role("heading", name="Replies")).to_be_visible()
    nested = bob.locator("ul.replies > li > article.post")
    expect(nested).to_have_count(1)
    expect(nested).to_contain_text(reply)
    expect(focus.locator("p.meta").last).to_contain_text("1 reply")

    # Like: the button becomes "Unlike" (pressed) and the count shows 1 like.
    like = focus.get_by_role("button", name="Like", exact=True)
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(bob.get_by_role("status")).to_have_text("Liked.")
    focus = bob.locator("article.post.focus")
    unlike = focus.get_by_role("button", name="Unlike")
    expect(unlike).to_be_visible()
    expect(unlike).to_have_attribute("aria-pressed", "true")
    expect(focus.get_by_role("button", name="Like", exact=True)).to_have_count(0)
    expect(focus.locator("p.meta").last).to_contain_text("1 like ·")

    # Alice is told: a background job writes the notifications, so reload for a moment.
    alice.goto("/notifications")
    items = alice.locator("ul.notifications > li.notification")

    # A reply that names its parent's author (the compose page fills in "@alice") is
    # reported as a mention, as on Mastodon; one that does not is reported as a reply.
    replied = re.compile(r"(replied to your post|mentioned you)")

    def all_three() -> bool:
        alice.reload()
        texts = items.all_inner_texts()
        return (
            any("followed you" in t for t in texts)
            and any("liked your post" in t for t in texts)
            and any(replied.search(t) and reply in t for t in texts)
        )

    assert wait_for(all_three), items.all_inner_texts()
    expect(alice.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(items).to_have_count(3)
    followed = items.filter(has_text="followed you")
    expect(followed).to_contain_text(f"@{bob_name}")
    liked = items.filter(has_text="liked your post")
    expect(liked).to_contain_text(f"@{bob_name}")
    expect(liked.locator("blockquote")).to_have_text(text)
    answered = items.filter(has_text=reply)
    expect(answered).to_contain_text(f"@{bob_name}")
    expect(answered).to_contain_text(replied)
    badge = alice.locator("header.top .badge")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("3")

    alice.get_by_role("button", name="Mark all as read").click()
    expect(alice.locator("header.top .badge")).to_have_count(0)
    expect(alice.locator("li.notification.unread")).to_have_count(0)


# --- 3. content warnings ---------------------------------------------------------------------


def test_content_warning_hides_the_text_until_opened(ready: Site, new_page: NewPage) -> None:
    page = new_page()
    sign_up(page, ready.new_name("carla"))
    secret = "The gardener planted the oak in 1902."
    publish(page, secret, warning="Spoilers: garden history")

    card = post_card(page, "Spoilers: garden history")
    summary = card.locator("details.cw > summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Spoilers: garden history")
    expect(summary).to_contain_text("(show more)")
    body = card.locator("details.cw .content")
    expect(body).to_be_hidden()
    expect(card.locator("details.cw")).not_to_have_attribute("open", "")

    summary.click()
    expect(body).to_be_visible()
    expect(body).to_have_text(secret)


# --- 4. bad input ----------------------------------------------------------------------------


def test_bad_input_shows_clear_errors(ready: Site, new_page: NewPage) -> None:
    page = new_page()
    name = ready.new_name("dora")
    sign_up(page, name)

    # A post over 500 characters: the error, and the text is still there to shorten.
    page.goto("/home")
    long_text = " ".join(["Hawthorn"] * 60)  # 539 characters
    page.get_by_label("What's on your mind?").fill(long_text)
    status = submit(page, page.get_by_role("button", name="Post", exact=True))
    assert status == 422
    expect(page.get_by_role("alert")).to_have_text(
        f"A post can be at most 500 characters long; this one has {len(long_text)}."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("New post")
    expect(page.get_by_label("What's on your mind?")).to_have_value(long_text)

    # A wrong password.
    stranger = new_page()
    stranger.goto("/login")
    stranger.get_by_label("Username or e-mail").fill(name)
    stranger.get_by_label("Password").fill("not the password")
    status = submit(stranger, stranger.get_by_role("button", name="Log in"))
    assert status == 401
    expect(stranger.get_by_role("alert")).to_have_text(
        "Wrong username, e-mail address or password."
    )
    expect(stranger.get_by_label("Password")).to_have_value("")
    expect(stranger.get_by_label("Username or e-mail")).to_have_value(name)
    expect(stranger.get_by_role("button", name="Log out")).to_have_count(0)

    # A form without its CSRF token.
    page.goto("/home")
    page.evaluate("document.querySelector('form.compose input[name=csrf]').remove()")
    page.get_by_label("What's on your mind?").fill("This should not be posted.")
    status = submit(page, page.get_by_role("button", name="Post", exact=True))
    assert status == 403
    expect(page.locator("main .error")).to_have_text(
        "This form expired or did not come from this site. Reload the page and try again."
    )
    page.goto("/home")
    expect(post_card(page, "This should not be posted.")).to_have_count(0)


# --- 5. locked accounts ----------------------------------------------------------------------


def test_locked_account_approves_a_follow_request(ready: Site, new_page: NewPage) -> None:
    owner_name, fan_name = ready.new_name("erin"), ready.new_name("finn")
    owner, fan = new_page(), new_page()
    sign_up(owner, owner_name)
    sign_up(fan, fan_name)

    owner.goto("/settings/profile")
    locked = owner.get_by_label("Approve followers by hand (locked account)")
    expect(locked).not_to_be_checked()
    locked.check()
    owner.get_by_role("button", name="Save profile").click()
    expect(owner.get_by_role("status")).to_have_text("Profile saved.")
    expect(owner.get_by_label("Approve followers by hand (locked account)")).to_be_checked()

    fan.goto(f"/@{owner_name}")
    expect(fan.get_by_label("locked account")).to_be_visible()
    expect(fan.get_by_role("button", name="Follow", exact=True)).to_have_count(0)
    fan.get_by_role("button", name="Request to follow").click()
    expect(fan.get_by_role("status")).to_have_text(f"Follow request sent to @{owner_name}.")
    expect(fan.get_by_role("button", name="Cancel follow request")).to_be_visible()
    expect(fan.get_by_role("button", name="Unfollow")).to_have_count(0)
    expect(fan.locator(".counts")).to_contain_text("0 followers")

    owner.goto("/follow-requests")
    expect(owner.get_by_role("heading", level=1)).to_have_text("Follow requests")
    request = owner.locator("ul.people > li").filter(has_text=f"@{fan_name}")
    expect(request).to_have_count(1)
    request.get_by_role("button", name="Accept").click()
    expect(owner.get_by_role("status")).to_have_text("Request accepted.")
    expect(owner.locator("ul.people")).to_contain_text("No pending requests.")

    fan.reload()
    expect(fan.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(fan.get_by_role("button", name="Cancel follow request")).to_have_count(0)
    expect(fan.locator(".counts")).to_contain_text("1 follower ")


# --- 6 and 7. a phone screen -----------------------------------------------------------------

UNLABELLED_CONTROLS = """
() => [...document.querySelectorAll('input, textarea, select')]
  .filter((el) => el.type !== 'hidden')
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map((el) => el.outerHTML)
"""
TOO_WIDE = """
(limit) => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > limit)
  .slice(-3)
  .map((el) => el.outerHTML.slice(0, 160))
"""
SQUASHED_AVATARS = """
() => [...document.querySelectorAll('.avatar')]
  .filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width < 32 || Math.abs(box.width - box.height) > 1;
  })
  .map((el) => el.outerHTML)
"""
WRAPPED_TIMES = """
() => [...document.querySelectorAll('.post header .time')]
  .filter((el) => el.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(el).fontSize))
  .map((el) => el.outerHTML)
"""
IMAGES_WITHOUT_ALT = """
() => [...document.images].filter((img) => !img.hasAttribute('alt')).map((img) => img.outerHTML)
"""


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (47, 111, 78)).save(out, format="PNG")
    return out.getvalue()


def phone_user(ready: Site, new_page: NewPage) -> tuple[Page, str]:
    """Someone on a phone, with an avatar and posts that are hard to fit on a narrow screen."""
    page = new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    name = ready.new_name("gwen_hedgewood_smith_")
    sign_up(page, name)
    page.goto("/settings/profile")
    page.get_by_label("Avatar (JPEG, PNG, GIF or WebP; shown at 400×400)").set_input_files(
        {"name": "avatar.png", "mimeType": "image/png", "buffer": png(64, 64)}
    )
    page.get_by_label("Display name").fill("Gwendolyn Hedgewood-Smith")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_have_text("Profile saved.")
    publish(page, "A long link: https://example.org/" + "very-long-path-segment-" * 8)
    publish(page, "Hidden words", warning="A warning " + "that goes on " * 10)
    page.goto("/home")
    return page, name


def test_phone_screen_fits_and_is_labelled(ready: Site, new_page: NewPage) -> None:
    page, name = phone_user(ready, new_page)
    expect(page.locator("article.post")).to_have_count(2)
    expect(page.locator("article.post img.avatar").first).to_be_visible()

    # Someone without an avatar (a lettered placeholder) follows and posts.
    friend = new_page(viewport=PHONE)
    sign_up(friend, ready.new_name("hal"))
    friend.goto(f"/@{name}")
    friend.get_by_role("button", name="Follow", exact=True).click()
    publish(friend, "Hello from a small screen.")
    expect(friend.locator("article.post .avatar.placeholder").first).to_be_visible()
    page.goto("/notifications")

    def notified() -> bool:
        page.reload()
        return page.locator("li.notification").count() > 0

    assert wait_for(notified)

    for path in ("/home", "/local", f"/@{name}", "/notifications", "/settings/profile"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (
            f"{path} scrolls sideways: {width}px wide",
            page.evaluate(TOO_WIDE, PHONE["width"]),
        )
        assert page.evaluate(IMAGES_WITHOUT_ALT) == [], path
        assert page.evaluate(UNLABELLED_CONTROLS) == [], path
        assert page.evaluate(SQUASHED_AVATARS) == [], path
        assert page.evaluate(WRAPPED_TIMES) == [], path

    page.goto("/home")
    assert page.locator("img").count() >= 1
    assert page.locator("textarea, input:not([type=hidden]), select").count() >= 3


def test_phone_screenshot_of_the_home_timeline(
    ready: Site, new_page: NewPage, tmp_path: Path
) -> None:
    page, _ = phone_user(ready, new_page)
    shot = tmp_path / "home-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    with Image.open(shot) as image:
        assert image.width == PHONE["width"] * 2
