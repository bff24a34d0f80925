"""Bad input gets a clear message and the right status, and loses nothing already accepted."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from bocage.store.models import Post
from tests.conftest import make_user
from tests.web.conftest import Browser


async def _post_count(browser: Browser) -> int:
    with browser.node.db.snapshot() as session:
        return int(session.execute(select(func.count()).select_from(Post)).scalar_one())


async def test_over_long_post_is_refused_and_the_text_is_kept(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    text = "x" * 501
    response = await browser.post("/posts", {"text": text, "visibility": "public"})
    assert response.status_code == 422
    assert "at most 500 characters" in response.text
    assert f">{text}</textarea>" in response.text
    assert await _post_count(browser) == 0


async def test_exactly_the_limit_is_accepted(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    response = await browser.post("/posts", {"text": "y" * 500, "visibility": "public"})
    assert response.status_code == 303
    assert await _post_count(browser) == 1


async def test_empty_post_is_refused(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    response = await browser.post("/posts", {"text": "   \n ", "visibility": "public"})
    assert response.status_code == 422
    assert "needs some text" in response.text


async def test_invalid_visibility_is_refused(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    response = await browser.post("/posts", {"text": "hello", "visibility": "everyone"})
    assert response.status_code == 422
    assert "Unknown visibility" in response.text


async def test_duplicate_username_is_refused(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await _open_registrations(browser)
    response = await browser.post(
        "/register",
        {
            "username": "ALICE",
            "email": "other@example.org",
            "password": "long enough",
            "agree": "on",
        },
    )
    assert response.status_code == 409
    assert "username is taken" in response.text


async def test_wrong_password_is_refused(browser: Browser) -> None:
    make_user(browser.node, "alice")
    response = await browser.login("alice", "wrong password")
    assert response.status_code == 401
    assert "Wrong username, e-mail address or password" in response.text
    assert "bocage_session" not in response.cookies


async def test_missing_csrf_token_is_refused_and_nothing_is_written(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    response = await browser.post("/posts", {"text": "hello", "visibility": "public"}, csrf=False)
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    assert await _post_count(browser) == 0


async def test_forged_csrf_token_is_refused(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    response = await browser.client.post(
        "/posts", data={"text": "hello", "visibility": "public", "csrf": "forged"}
    )
    assert response.status_code == 403


async def test_oversized_upload_is_refused_with_413(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    big = b"\0" * 300_000  # the test node allows 200 kB
    response = await browser.post(
        "/settings/profile", {"display_name": "A"}, files={"avatar": ("big.png", big, "image/png")}
    )
    assert response.status_code == 413
    assert "too much data" in response.text


async def test_a_file_that_is_not_an_image_is_refused(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    response = await browser.post(
        "/settings/profile",
        {"display_name": "A"},
        files={"avatar": ("evil.png", b"<script>alert(1)</script>", "image/png")},
    )
    assert response.status_code == 422
    assert "not an image" in response.text


async def test_avatar_upload_strips_metadata_and_is_served(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    image = Image.new("RGB", (800, 600), "green")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    raw = io.BytesIO()
    image.save(raw, "JPEG", exif=exif)
    assert b"SecretCam" in raw.getvalue()
    response = await browser.post(
        "/settings/profile",
        {"display_name": "Alice A."},
        files={"avatar": ("me.jpg", raw.getvalue(), "image/jpeg")},
    )
    assert response.status_code == 303
    profile = await browser.get("/@alice")
    assert "Alice A." in profile.text
    src = profile.text.split('class="avatar" src="')[1].split('"')[0]
    served = await browser.get(src)
    assert served.status_code == 200
    assert b"SecretCam" not in served.content
    assert Image.open(io.BytesIO(served.content)).size == (400, 400)


async def test_non_numeric_pagination_is_a_clear_error(browser: Browser) -> None:
    response = await browser.get("/local?max_id=abc")
    assert response.status_code == 422
    assert "must be a number" in response.text


async def test_unknown_pages_give_404_without_a_traceback(browser: Browser) -> None:
    for path in ("/nope", "/@nobody", "/@nobody/123", "/posts/999/edit", "/media/../../etc/passwd"):
        response = await browser.get(path)
        assert response.status_code in (303, 404), path
        assert "Traceback" not in response.text


async def test_login_is_rate_limited(browser: Browser) -> None:
    make_user(browser.node, "alice")
    statuses = [(await browser.login("alice", "wrong")).status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # Even the right password waits until the window passes.
    blocked = await browser.login("alice")
    assert blocked.status_code == 429
    assert "Too many failed log-ins" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0


async def _open_registrations(browser: Browser) -> None:
    from bocage.core.instance import instance

    with browser.node.db.transaction() as session:
        instance.update_info(
            session, name="Test", description="", rules=[], registration_mode="open"
        )
