"""Photos in a real browser (Debian's chromium, a real `bocage serve`): attach two images in
the compose form (each uploaded as it is chosen, with alt text), post, open the lightbox,
arrow to the next photo, close it with Esc; the sensitive toggle hides the album behind a
click. Its own node (loopback block 14), so that it shares nothing with test_browser.py."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.addresses import loopback
from tests.e2e.conftest import Site
from tests.e2e.test_browser import NewPage, create_admin, sign_up
from tests.processes import NodeProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("e2e-media")
    node = NodeProcess(
        root / "data", host=loopback(14, 1), env={"BOCAGE_SIGNUPS_PER_ADDRESS": "100"}
    )
    node.prepare()
    node.start()
    try:
        yield Site(node)
    finally:
        node.stop()


@pytest.fixture
def ready(site: Site, new_page: NewPage) -> Site:
    if not site.setup_done:
        create_admin(new_page(), site)
    return site


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), colour).save(out, format="JPEG")
    return out.getvalue()


def attach(page: Page, slot: int, name: str, colour: tuple[int, int, int], alt: str) -> None:
    page.locator(f"#media_{slot}").set_input_files(
        {"name": name, "mimeType": "image/jpeg", "buffer": jpeg(colour)}
    )
    page.locator(f"#description_{slot}").fill(alt)
    # Uploaded at once: the form now carries its id, and the next slot appears.
    expect(page.locator(f"input[type=hidden][name=media_id_{slot}]")).to_have_count(1)
    expect(page.locator(f"#media_{slot + 1}")).to_be_visible()


def swipe_left(page: Page, area: Locator) -> None:
    box = area.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x + 120, y)
    page.mouse.down()
    page.mouse.move(x - 120, y, steps=5)
    page.mouse.up()


def test_attach_post_and_browse_the_lightbox(ready: Site, new_page: NewPage) -> None:
    page = new_page()
    sign_up(page, ready.new_name("pix"))
    page.goto("/home")
    page.get_by_text("Add photos or files").click()
    expect(page.locator("#media_1")).to_be_hidden()  # one empty slot at a time
    attach(page, 0, "hay.jpg", (200, 170, 60), "Hay bales at dusk")
    attach(page, 1, "hedge.jpg", (40, 110, 60), "A hawthorn hedge")
    expect(page.locator(".media-preview img")).to_have_count(2)
    page.get_by_label("What's on your mind?").fill("Two photos from the field")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Posted.")

    album = page.locator("article.post").filter(has_text="Two photos").locator(".album")
    expect(album.locator("img")).to_have_count(2)
    album.get_by_role("img", name="Hay bales at dusk").click()
    viewer = page.get_by_role("dialog", name="Photo viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator("figcaption")).to_have_text("Hay bales at dusk")
    original = album.locator("a").first.get_attribute("href") or "?"
    expect(viewer.locator("img")).to_have_attribute("src", re.compile(re.escape(original) + "$"))
    page.keyboard.press("ArrowRight")
    expect(viewer.locator("figcaption")).to_have_text("A hawthorn hedge")
    page.keyboard.press("ArrowLeft")
    expect(viewer.locator("figcaption")).to_have_text("Hay bales at dusk")
    swipe_left(page, viewer.locator("figure"))
    expect(viewer.locator("figcaption")).to_have_text("A hawthorn hedge")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()


def test_sensitive_photos_wait_for_a_click(ready: Site, new_page: NewPage) -> None:
    page = new_page()
    sign_up(page, ready.new_name("shy"))
    page.goto("/home")
    page.get_by_text("Add photos or files").click()
    attach(page, 0, "spider.jpg", (20, 20, 20), "A large spider")
    page.get_by_label("Mark the media as sensitive").check()
    page.get_by_label("What's on your mind?").fill("Found in the shed")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Posted.")
    card = page.locator("article.post").filter(has_text="Found in the shed")
    photo = card.get_by_role("img", name="A large spider")
    expect(card.get_by_text("Found in the shed")).to_be_visible()  # the words stay shown
    expect(photo).to_be_hidden()
    card.get_by_text("Sensitive media").click()
    expect(photo).to_be_visible()
