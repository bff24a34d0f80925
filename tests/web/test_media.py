"""Photos and files in the web pages, as a browser without JavaScript gets them: the compose
form posts real images, albums load previews (srcset, sizes, blurhash), sensitive media wait
behind <details>, the Photos tab is a grid of focal-point crops, shared files show their
name and licence, and only the owner is offered the originals."""

from __future__ import annotations

import io
import re

from PIL import Image

from bocage.store.models import MediaFile
from tests.conftest import make_user
from tests.web.conftest import Browser


def png(width: int = 32, height: int = 24, colour: tuple[int, int, int] = (47, 111, 78)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


async def _post_photo(browser: Browser, text: str, **fields: str) -> None:
    posted = await browser.post(
        "/posts",
        {"text": text, "description_0": "A green field", **fields},
        files={"media_0": ("field.png", png(), "image/png")},
    )
    assert posted.status_code == 303, posted.text


def _rows(browser: Browser) -> list[MediaFile]:
    with browser.node.db.transaction() as session:
        rows = session.query(MediaFile).order_by(MediaFile.id).all()
        session.expunge_all()
        return rows


def _update(browser: Browser, media_id: int, **values: object) -> None:
    with browser.node.db.transaction() as session:
        row = session.get(MediaFile, media_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


async def test_the_form_posts_a_real_image_without_javascript(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    form = (await browser.get("/home")).text
    assert 'enctype="multipart/form-data"' in form
    assert 'name="media_0"' in form and 'name="description_0"' in form
    await _post_photo(browser, "Hay is in")
    (row,) = _rows(browser)
    assert row.post_id is not None and (row.width, row.height) == (32, 24)
    home = (await browser.get("/home")).text
    img = re.search(r'<a class="album-item" href="/media/[^"]+"[^>]*><img [^>]+>', home)
    assert img, home
    assert 'alt="A green field"' in img.group(0)
    assert 'width="32" height="24"' in img.group(0)
    assert '<details class="sensitive">' not in home


async def test_a_post_of_photos_alone_and_an_unreadable_file(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    await _post_photo(browser, "")  # no text: the photo is the post
    refused = await browser.post(
        "/posts",
        {"text": "Kept text"},
        files={"media_0": ("notes.png", b"not an image at all", "image/png")},
    )
    assert refused.status_code == 422
    assert "Kept text" in refused.text  # the form again, nothing typed lost
    assert len(_rows(browser)) == 1


async def test_sensitive_media_wait_behind_a_click(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    await _post_photo(browser, "Marked", sensitive="on")
    await _post_photo(browser, "Warned", spoiler_text="Spiders")
    home = (await browser.get("/home")).text
    hidden = re.findall(r'<details class="sensitive">.*?</details>', home, re.S)
    assert len(hidden) == 2
    assert all('alt="A green field"' in block for block in hidden)
    assert len(re.findall(r'<img [^>]*alt="A green field"', home)) == 2  # none outside
    profile = (await browser.get("/@alice/photos")).text
    assert profile.count("Sensitive: open the post") == 2


async def test_uploaded_ahead_then_posted_with_its_id(browser: Browser) -> None:
    """compose.js's path: the file first (JSON answer), the post then names it."""
    make_user(browser.node, "alice")
    await browser.login("alice")
    uploaded = await browser.post(
        "/compose/media", files={"file": ("field.png", png(), "image/png")}
    )
    assert uploaded.status_code == 200
    media_id = uploaded.json()["id"]
    posted = await browser.post(
        "/posts", {"text": "Ahead", "media_id_0": media_id, "description_0": "Said later"}
    )
    assert posted.status_code == 303
    (row,) = _rows(browser)
    assert str(row.id) == media_id and row.description == "Said later" and row.post_id


async def test_timelines_load_previews_with_a_srcset_and_blurhash(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    await _post_photo(browser, "Big one")
    (row,) = _rows(browser)
    _update(browser, row.id, width=2000, height=1000, preview_key="p.webp", blurhash="LEHV6nWB2y")
    home = (await browser.get("/home")).text
    img = re.search(r"<img [^>]*data-blurhash[^>]*>", home)
    assert img, home
    assert 'src="/media/p.webp"' in img.group(0)
    assert f'srcset="/media/p.webp 640w, /media/{row.storage_key} 2000w"' in img.group(0)
    assert 'sizes="' in img.group(0) and 'data-blurhash="LEHV6nWB2y"' in img.group(0)


async def test_the_photos_tab_is_a_grid_of_focal_point_crops(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    await _post_photo(browser, "Left edge")
    await browser.post("/posts", {"text": "No photo here"})
    (row,) = _rows(browser)
    _update(browser, row.id, focus_x=-1.0, focus_y=1.0)
    grid = (await browser.get("/@alice/photos")).text
    assert '<ul class="photo-grid" data-album>' in grid
    tiles = grid.split('<ul class="photo-grid" data-album>')[1].split("</ul>")[0]
    assert tiles.count("<li>") == 1 and "No photo here" not in grid
    assert 'class="fx-0 fy-0"' in grid  # the crop kept at the top left
    assert 'aria-current="page">Photos</a>' in grid


async def test_files_show_name_and_licence_and_audio_plays(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    await _post_photo(browser, "A file")
    await _post_photo(browser, "A song")
    document, song = _rows(browser)
    _update(browser, document.id, kind="document", file_name="thesis.pdf", license="CC-BY-4.0")
    _update(browser, song.id, kind="audio", file_name="song.ogg")
    home = (await browser.get("/home")).text
    assert f'<a href="/media/{document.storage_key}" download="thesis.pdf">thesis.pdf</a>' in home
    assert "CC BY 4.0 (attribution)" in home
    assert f'<audio controls preload="none" src="/media/{song.storage_key}"' in home
    assert "All rights reserved" in home  # the song names no licence


async def test_a_licence_chosen_in_the_form_is_kept(browser: Browser) -> None:
    make_user(browser.node, "alice")
    await browser.login("alice")
    await _post_photo(browser, "Free photo", licence_0="CC0-1.0")
    (row,) = _rows(browser)
    assert row.license == "CC0-1.0" and row.file_name is None  # a photo's name is not kept
    bad = await browser.post(
        "/posts",
        {"text": "x", "licence_0": "WTFPL"},
        files={"media_0": ("f.png", png(), "image/png")},
    )
    assert bad.status_code == 422 and "not a licence offered here" in bad.text


async def test_only_the_owner_is_offered_the_originals(
    browser: Browser, other_browser: Browser
) -> None:
    make_user(browser.node, "alice")
    make_user(browser.node, "bob")
    await browser.login("alice")
    await other_browser.login("bob")
    await _post_photo(browser, "From my phone")
    (row,) = _rows(browser)
    _update(browser, row.id, original_key="orig.heic")
    mine = (await browser.get("/@alice")).text
    assert '<a href="/media/orig.heic" download>photo</a>' in mine
    theirs = (await other_browser.get("/@alice")).text
    assert "orig.heic" not in theirs and "Download the original" not in theirs
