"""Video and audio uploads in process (the node's app, real ffmpeg): each kind within its own
size limit (413 past it, in words); ffmpeg's temporary files gone whatever happens; a node
without ffmpeg refuses video in words and keeps taking audio as a file; a thumbnail that
replaces a poster takes the poster's file with it; an attached upload takes no thumbnail."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
import pytest

from bocage.adapters import ffmpeg
from bocage.node import Node
from tests import av_files, media_files
from tests.conftest import make_user
from tests.services.conftest import api_token, client

pytestmark = av_files.needs_ffmpeg


async def upload(node: Node, token: str, data: bytes, **files: bytes) -> httpx.Response:
    sent = {"file": ("upload.bin", data, "application/octet-stream")}
    sent |= {name: (f"{name}.png", body, "image/png") for name, body in files.items()}
    async with client(node, token) as api:
        return await api.post("/api/v2/media", files=sent)


def stored(node: Node) -> set[Path]:
    return {path for path in node.storage.root.rglob("*") if path.is_file()}


async def test_each_kind_has_its_own_size_limit(
    app_node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = api_token(app_node, make_user(app_node, "alice"))
    clip = av_files.mp4()
    monkeypatch.setattr(app_node.settings, "video_max_upload_bytes", len(clip) - 1)
    before = stored(app_node)
    answer = await upload(app_node, token, clip)
    assert answer.status_code == 413
    assert answer.json()["error"].startswith("A video or audio file can be at most")
    monkeypatch.setattr(app_node.settings, "video_max_upload_bytes", len(clip))
    assert (await upload(app_node, token, clip)).status_code == 200
    # An image keeps the smaller limit, whatever a video may weigh.
    monkeypatch.setattr(app_node.settings, "video_max_upload_bytes", 50 * 1024 * 1024)
    photo = media_files.photo((1200, 900))
    monkeypatch.setattr(app_node.settings, "max_upload_bytes", len(photo) - 1)
    answer = await upload(app_node, token, photo)
    assert answer.status_code == 413 and "A file of that kind can be at most" in answer.text
    assert len(stored(app_node) - before) == 2  # the one video that was taken, and its poster


async def test_ffmpegs_temporary_files_never_stay(
    app_node: Node, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    token = api_token(app_node, make_user(app_node, "alice"))
    for data, status in (
        (av_files.mp4(), 200),
        (av_files.animated_gif(), 200),
        (av_files.mp4()[:-3000], 422),
        (b"OggS" + b"\0" * 500, 422),
    ):
        answer = await upload(app_node, token, data)
        assert answer.status_code == status, answer.text
        assert list(scratch.iterdir()) == []


async def test_without_ffmpeg_video_is_refused_in_words_and_audio_is_a_file(
    app_node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ffmpeg, "available", lambda: False)
    token = api_token(app_node, make_user(app_node, "alice"))
    answer = await upload(app_node, token, av_files.mp4())
    assert answer.status_code == 422 and "ffmpeg is not installed" in answer.json()["error"]
    sound = await upload(app_node, token, media_files.MP3)
    assert sound.status_code == 200 and sound.json()["type"] == "audio"
    assert "original" not in sound.json()["meta"]  # not probed
    gif = await upload(app_node, token, av_files.animated_gif())
    assert gif.json()["type"] == "image" and gif.json()["url"].endswith(".gif")


async def test_a_thumbnail_takes_the_poster_it_replaces_with_it(app_node: Node) -> None:
    token = api_token(app_node, make_user(app_node, "alice"))
    clip = (await upload(app_node, token, av_files.mp4(seconds=1.5))).json()
    poster = app_node.storage.root / clip["preview_url"].split("/media/", 1)[1]
    assert poster.is_file()
    async with client(app_node, token) as api:
        changed = await api.put(
            f"/api/v1/media/{clip['id']}",
            files={"thumbnail": ("cover.png", media_files.png((120, 90), "plum"), "image/png")},
        )
    assert changed.status_code == 200, changed.text
    assert changed.json()["meta"]["small"] == {
        "width": 120, "height": 90, "size": "120x90", "aspect": 120 / 90,
    }  # fmt: skip
    assert not poster.exists()  # no other upload shows it
    async with client(app_node, token) as api:
        posted = await api.post(
            "/api/v1/statuses", data={"status": "A clip", "media_ids[]": clip["id"]}
        )
        assert posted.status_code == 200, posted.text
        late = await api.put(
            f"/api/v1/media/{clip['id']}",
            files={"thumbnail": ("cover.png", media_files.png((60, 60), "red"), "image/png")},
        )
    assert late.status_code in (404, 422) and late.json()["error"]
