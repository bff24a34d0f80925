"""MediaService: one pipeline for every image. An avatar set on the web settings page and one
set through the API's update_credentials go through it alike (the same stored file for the
same picture); uploads, avatars and headers each get their policy from the core; the node's
one storage object holds what it stored and serves it at /media."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bocage.core.media import media
from bocage.core.media.media import ImagePolicy, ProcessedImage
from bocage.node import Node
from bocage.services.media import MediaService
from bocage.store.models import Account
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

    async def prepare(self, data: bytes) -> media.Upload:
        self.policies.append(None)  # an attachment is prepared, never resized
        width, height = media.ATTACHMENT.max_size
        return media.Upload(data[::-1], "image/png", "image", "0" * 64, width, height)

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
