"""MediaService: one pipeline for every image. An avatar set on the web settings page and one
set through the API's update_credentials go through it alike (the same stored file for the
same picture); uploads, avatars and headers each get their policy from the core; the node's
one storage object holds what it stored and serves it at /media. An upload keeps its pixels
and loses its metadata (GPS first); bad files are refused in words and leave nothing behind;
documents carry a licence; albums and alt text follow the admin's rules; uploads never
posted are forgotten after a day."""

from __future__ import annotations

import hashlib
import io
import os
import time
from datetime import timedelta
from pathlib import Path

import blurhash
import httpx
import pytest
from PIL import Image
from sqlalchemy import select, update

from bocage.core.media import media
from bocage.core.media.audiovisual import UploadLimits
from bocage.core.media.media import ImagePolicy, ProcessedImage
from bocage.kernel import clock
from bocage.node import Node
from bocage.services.media import MediaService
from bocage.store.models import Account, Job, MediaFile
from tests import media_files
from tests.conftest import make_user
from tests.services.conftest import api_token, client, csrf, log_in, png


def images_of(node: Node, username: str) -> tuple[str | None, str | None]:
    with node.db.snapshot() as session:
        account = session.scalars(select(Account).where(Account.username == username)).one()
        return account.avatar, account.header


async def test_an_avatar_from_the_web_and_from_the_api_is_stored_alike(app_node: Node) -> None:
    make_user(app_node, "alice")
    bob = make_user(app_node, "bob")
    picture, banner = png((800, 600), "green"), png((3000, 900), "navy")
    async with client(app_node) as browser:
        await log_in(browser, "alice")
        form = {"display_name": "Alice", "note": "", **await csrf(browser)}
        files = {
            "avatar": ("me.png", picture, "image/png"),
            "header": ("b.png", banner, "image/png"),
        }
        answer = await browser.post("/settings/profile", data=form, files=files)
        assert answer.status_code == 303, answer.text
    async with client(app_node, api_token(app_node, bob)) as api:
        answer = await api.patch(
            "/api/v1/accounts/update_credentials",
            files={
                "avatar": ("me.png", picture, "image/png"),
                "header": ("b.png", banner, "image/png"),
            },
        )
        assert answer.status_code == 200, answer.text
    assert images_of(app_node, "alice") == images_of(app_node, "bob")
    avatar, header = images_of(app_node, "bob")
    assert avatar and header and avatar != header
    from PIL import Image

    for key, policy in ((avatar, media.AVATAR), (header, media.HEADER)):
        stored = app_node.storage.path(key)  # the node's one storage object holds it
        assert stored is not None
        with Image.open(stored) as image:
            assert image.size == policy.max_size  # cropped to fill, as the policy says
        async with client(app_node) as anyone:
            served = await anyone.get(f"/media/{key}")
            assert served.status_code == 200
            assert served.content == stored.read_bytes()


async def test_an_unreadable_image_is_refused_the_same_way_by_both_faces(app_node: Node) -> None:
    make_user(app_node, "alice")
    bob = make_user(app_node, "bob")
    async with client(app_node) as browser:
        await log_in(browser, "alice")
        form = {"display_name": "Alice", **await csrf(browser)}
        files = {"avatar": ("me.png", b"not an image", "image/png")}
        answer = await browser.post("/settings/profile", data=form, files=files)
        assert answer.status_code == 422
        assert media.UNREADABLE in answer.text
    async with client(app_node, api_token(app_node, bob)) as api:
        answer = await api.patch(
            "/api/v1/accounts/update_credentials",
            files={"avatar": ("me.png", b"not an image", "image/png")},
        )
        assert answer.status_code == 422
        assert media.UNREADABLE in answer.json()["error"]
    assert images_of(app_node, "alice") == images_of(app_node, "bob") == (None, None)


class Recording:
    """An image processor and a store in memory, recording what the service asks."""

    def __init__(self) -> None:
        self.policies: list[ImagePolicy | None] = []
        self.files: dict[str, bytes] = {}

    async def process(self, data: bytes, policy: ImagePolicy) -> ProcessedImage:
        self.policies.append(policy)
        return ProcessedImage(data[::-1], "png", "image/png", *policy.max_size)

    async def prepare(self, data: bytes, limits: UploadLimits | None = None) -> media.Upload:
        self.policies.append(None)  # an attachment is prepared, never resized
        width, height = media.ATTACHMENT.max_size
        return media.Upload(data[::-1], "image/png", "image", "0" * 64, width, height)

    async def thumbnail(self, data: bytes, limits: UploadLimits | None = None) -> media.Derived:
        raise AssertionError("no thumbnail is sent here")

    def put(self, data: bytes, extension: str) -> str:
        key = f"{len(self.files):02d}.{extension}"
        self.files[key] = data
        return key

    def path(self, key: str) -> Path | None:
        return None

    def remove(self, key: str, stored_before: float) -> bool:
        return self.files.pop(key, None) is not None


async def test_each_kind_of_image_gets_its_policy_from_the_core(node: Node) -> None:
    alice = make_user(node, "alice")
    fake = Recording()
    service = MediaService(node.db, node.ctx, fake, fake)
    row = await service.upload(alice, b"abc", "a description", "0.5,-0.5")
    assert (row.storage_key, row.width, row.description, row.focus_x) == (
        "00.png",
        media.ATTACHMENT.max_size[0],
        "a description",
        0.5,
    )
    assert await service.profile_image(b"def", "avatar") == "01.png"
    assert await service.profile_image(b"ghi", "header") == "02.png"
    assert await service.profile_image(None, "avatar") is None  # nothing sent, nothing done
    assert fake.policies == [None, media.AVATAR, media.HEADER]
    assert fake.files["00.png"] == b"cba"
    described = await service.describe(alice, row.id, "another", None)
    assert described.description == "another"
    assert (await service.own(alice, row.id)).description == "another"


# --- the upload pipeline: pixels kept, metadata gone, bad files refused --------------------


@pytest.fixture(autouse=True)
def roomy(app_node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uploads as large as a camera's photo (the test node's limit is small)."""
    monkeypatch.setattr(app_node.settings, "max_upload_bytes", 16 * 1024 * 1024)


def stored_files(node: Node) -> list[Path]:
    return sorted(path for path in node.storage.root.rglob("*") if path.is_file())


async def upload(node: Node, token: str, data: bytes, **fields: str) -> httpx.Response:
    async with client(node, token) as api:
        return await api.post(
            "/api/v2/media", files={"file": ("upload.bin", data, "image/png")}, data=fields
        )


async def served(node: Node, url: str) -> bytes:
    async with client(node) as anyone:
        answer = await anyone.get(url)
        assert answer.status_code == 200, url
        return answer.content


async def test_a_camera_photo_keeps_its_pixels_and_loses_its_gps(app_node: Node) -> None:
    token = api_token(app_node, make_user(app_node, "alice"))
    original = media_files.photo((2000, 1500), orientation=6)
    answer = await upload(app_node, token, original, description="A hedge")
    assert answer.status_code == 200, answer.text
    entity = answer.json()
    data = await served(app_node, entity["url"])
    assert media_files.pixels(data) == media_files.pixels(original)  # not re-encoded
    exif = media_files.exif_of(data)
    assert dict(exif) == {media_files.ORIENTATION: 6}  # the rotation alone is kept
    assert not exif.get_ifd(media_files.GPS_IFD)
    assert b"HedgeCam" not in data and b"taken at home" not in data and b"xmpmeta" not in data
    # Shown upright: the size after the camera's rotation, the preview turned the same way.
    assert entity["meta"]["original"]["width"] == 1500
    assert entity["meta"]["original"]["height"] == 2000
    assert (entity["meta"]["small"]["width"], entity["meta"]["small"]["height"]) == (480, 640)
    preview = await served(app_node, entity["preview_url"])
    assert Image.open(io.BytesIO(preview)).size == (480, 640)
    assert blurhash.is_valid_blurhash(entity["blurhash"])
    assert (entity["type"], entity["remote_url"], entity["description"]) == (
        "image",
        None,
        "A hedge",
    )
    with app_node.db.snapshot() as session:
        row = session.get(MediaFile, int(entity["id"]))
        assert row is not None and row.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("kind", ["PNG", "WEBP", "GIF"])
async def test_other_images_lose_their_metadata_and_keep_their_pixels(
    app_node: Node, kind: str
) -> None:
    token = api_token(app_node, make_user(app_node, "alice"))
    picture = Image.new("RGB", (320, 200), "orange")
    exif = Image.Exif()
    exif.get_ifd(media_files.GPS_IFD)[1] = "N"
    out = io.BytesIO()
    options: dict[str, object] = {"comment": b"secret"} if kind == "GIF" else {"exif": exif}
    if kind == "PNG":
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "secret")
        options["pnginfo"] = info
    picture.save(out, kind, **options)
    original = out.getvalue()
    answer = await upload(app_node, token, original)
    assert answer.status_code == 200, answer.text
    data = await served(app_node, answer.json()["url"])
    assert media_files.pixels(data) == media_files.pixels(original)
    assert not media_files.exif_of(data).get_ifd(media_files.GPS_IFD)
    assert b"secret" not in data


async def test_a_heic_is_shown_as_a_jpeg_and_its_original_is_its_owners(app_node: Node) -> None:
    alice = make_user(app_node, "alice")
    token = api_token(app_node, alice)
    original = media_files.heic()
    answer = await upload(app_node, token, original)
    assert answer.status_code == 200, answer.text
    entity = answer.json()
    data = await served(app_node, entity["url"])
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("JPEG", (1200, 900))  # full size
    async with client(app_node, token) as api:
        mine = await api.get(f"/api/v1/media/{entity['id']}/original")
        assert mine.status_code == 200
        assert mine.content == original and mine.headers["content-type"] == "image/heic"
    other = api_token(app_node, make_user(app_node, "bob"))
    async with client(app_node, other) as api:
        assert (await api.get(f"/api/v1/media/{entity['id']}/original")).status_code == 404


async def test_a_polyglot_is_served_as_the_image_alone(app_node: Node) -> None:
    token = api_token(app_node, make_user(app_node, "alice"))
    photo = media_files.photo((640, 480))
    answer = await upload(app_node, token, photo + media_files.HTML)
    assert answer.status_code == 200, answer.text
    data = await served(app_node, answer.json()["url"])
    assert b"<script" not in data and data.endswith(b"\xff\xd9")
    assert media_files.pixels(data) == media_files.pixels(photo)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (media_files.HTML, "That kind of file is not accepted"),
        (b"", "That kind of file is not accepted"),
        (media_files.SVG, "SVG images are not accepted"),
        (media_files.png_bomb(), "not an image we can read"),
        (media_files.photo((800, 600))[:5000], "not an image we can read"),  # truncated
    ],
    ids=["html", "empty", "svg", "bomb-50000x50000", "truncated"],
)
async def test_bad_files_are_refused_clearly_and_nothing_is_kept(
    app_node: Node, data: bytes, words: str
) -> None:
    token = api_token(app_node, make_user(app_node, "alice"))
    before = stored_files(app_node)
    answer = await upload(app_node, token, data)
    assert answer.status_code == 422
    assert words in answer.json()["error"]
    assert stored_files(app_node) == before
    with app_node.db.snapshot() as session:
        assert session.scalars(select(MediaFile)).all() == []


async def test_documents_and_audio_carry_a_licence(app_node: Node) -> None:
    token = api_token(app_node, make_user(app_node, "alice"))
    answer = await upload(app_node, token, media_files.PDF, license="CC-BY-SA-4.0")
    assert answer.status_code == 200, answer.text
    entity = answer.json()
    assert (entity["type"], entity["license"], entity["preview_url"]) == (
        "unknown",
        "CC-BY-SA-4.0",
        None,
    )
    assert await served(app_node, entity["url"]) == media_files.PDF
    audio = (await upload(app_node, token, media_files.MP3, license="CC0-1.0")).json()
    assert audio["type"] == "audio" and audio["url"].endswith(".mp3")
    refused = await upload(app_node, token, media_files.PDF, license="WTFPL")
    assert refused.status_code == 422 and "Unknown licence" in refused.json()["error"]


async def test_an_album_takes_the_settings_number_and_the_admin_may_require_alt_text(
    app_node: Node,
) -> None:
    token = api_token(app_node, make_user(app_node, "alice"))
    ids = [(await upload(app_node, token, media_files.png(color=c))).json()["id"] for c in
           ("red", "green", "blue", "navy", "teal", "lime", "aqua", "gray", "olive", "plum",
            "pink")]  # fmt: skip
    async with client(app_node, token) as api:
        too_many = await api.post("/api/v1/statuses", data={"status": "x", "media_ids[]": ids})
        assert too_many.status_code == 422 and "at most 10" in too_many.json()["error"]
        album = await api.post("/api/v1/statuses", data={"status": "x", "media_ids[]": ids[:10]})
        assert album.status_code == 200, album.text
        assert [m["id"] for m in album.json()["media_attachments"]] == ids[:10]
    await app_node.services.media.set_rules(12, alt_text_required=True)
    async with client(app_node, token) as api:
        v2 = (await api.get("/api/v2/instance")).json()
        assert v2["configuration"]["statuses"]["max_media_attachments"] == 12
        undescribed = await api.post(
            "/api/v1/statuses", data={"status": "x", "media_ids[]": ids[10:]}
        )
        assert undescribed.status_code == 422
        assert undescribed.json()["error"] == media.ALT_TEXT_MISSING
        await api.put(f"/api/v1/media/{ids[10]}", data={"description": "A pink square"})
        described = await api.post(
            "/api/v1/statuses", data={"status": "x", "media_ids[]": ids[10:]}
        )
        assert described.status_code == 200, described.text


async def test_the_admin_page_sets_the_media_rules(app_node: Node) -> None:
    make_user(app_node, "root", admin=True)
    async with client(app_node) as browser:
        await log_in(browser, "root")
        page = await browser.get("/admin/instance")
        assert 'name="max_media_attachments"' in page.text
        form = {"max_media_attachments": "21", **await csrf(browser)}
        refused = await browser.post("/admin/instance/media", data=form)
        assert refused.status_code == 422 and "1 to 20" in refused.text
        form = {"max_media_attachments": "20", "alt_text_required": "on", **await csrf(browser)}
        assert (await browser.post("/admin/instance/media", data=form)).status_code == 303
    rules = await app_node.services.media.rules()
    assert (rules.max_attachments, rules.alt_text_required) == (20, True)


async def test_uploads_never_posted_are_forgotten_after_a_day(app_node: Node) -> None:
    token = api_token(app_node, make_user(app_node, "alice"))
    shared, alone = media_files.png(color="red"), media_files.png(color="blue")
    kept = (await upload(app_node, token, shared)).json()
    for data in (shared, alone):  # the same picture again, and another: never posted
        assert (await upload(app_node, token, data)).status_code == 200
    async with client(app_node, token) as api:
        posted = await api.post("/api/v1/statuses", data={"status": "x", "media_ids[]": kept["id"]})
        assert posted.status_code == 200
    with app_node.db.transaction() as session:
        jobs = session.scalars(select(Job).where(Job.kind == media.SWEEP_JOB)).all()
        assert len(jobs) == 1  # one sweep waits at a time, a day after the first upload
        session.execute(update(MediaFile).values(created_at=clock.now() - timedelta(hours=25)))
    old = time.time() - 25 * 3600
    for path in stored_files(app_node):
        os.utime(path, (old, old))
    with app_node.db.transaction() as session:
        app_node.services.media.sweep(session, {})
    with app_node.db.snapshot() as session:
        left = session.scalars(select(MediaFile)).all()
        assert [str(row.id) for row in left] == [kept["id"]]
        assert all(app_node.storage.path(key) for key in (left[0].storage_key, left[0].preview_key))
    assert len(stored_files(app_node)) == 2  # the posted one's file and preview, shared
