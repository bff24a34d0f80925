"""Uploads through Mastodon.py against a real node: a 12-megapixel camera photo with its GPS
position comes back with the same pixels and no position; a phone's HEIC is shown as a JPEG;
an album of ten images is one post, as the instance says it may be."""

from __future__ import annotations

import httpx
import pytest

from tests import media_files
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node")]


def test_a_camera_photo_keeps_its_pixels_and_loses_its_gps(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    original = media_files.photo(orientation=6)  # 12 MP, as a phone held upright takes it
    uploaded = alice.media_post(original, mime_type="image/jpeg", description="The hedge")
    served = httpx.get(uploaded.url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert media_files.pixels(served.content) == media_files.pixels(original)
    exif = media_files.exif_of(served.content)
    assert not exif.get_ifd(media_files.GPS_IFD) and media_files.GPS_IFD not in exif
    assert dict(exif) == {media_files.ORIENTATION: 6}
    assert (uploaded.meta.original.width, uploaded.meta.original.height) == (3000, 4000)
    assert (uploaded.meta.small.width, uploaded.meta.small.height) == (480, 640)
    assert uploaded.blurhash and uploaded.remote_url is None
    preview = httpx.get(uploaded.preview_url)
    assert preview.status_code == 200 and preview.content[8:12] == b"WEBP"


def test_a_phones_heic_is_shown_as_a_jpeg(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    uploaded = alice.media_post(media_files.heic((2016, 1512)), mime_type="image/heic")
    assert uploaded.type == "image" and uploaded.url.endswith(".jpg")
    served = httpx.get(uploaded.url).content
    assert served.startswith(b"\xff\xd8")
    assert (uploaded.meta.original.width, uploaded.meta.original.height) == (2016, 1512)


def test_an_album_of_ten(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    assert alice.instance_v2().configuration.statuses.max_media_attachments == 10
    colours = ("red", "green", "blue", "navy", "teal", "lime", "aqua", "gray", "olive", "plum")
    ids = [
        alice.media_post(media_files.png(color=c), mime_type="image/png", description=c).id
        for c in colours
    ]
    posted = alice.status_post("Ten hedges", media_ids=ids)
    assert [m.id for m in posted.media_attachments] == ids
    assert all(m.blurhash and m.type == "image" for m in posted.media_attachments)
    assert [m.description for m in posted.media_attachments] == list(colours)
