"""Video and audio through Mastodon.py against a real node, with real files made by ffmpeg:
an MP4 comes back probed (Mastodon's `meta`: length, fps, size, sound; `original` and
`small`), its metadata gone and a WebP poster as its preview; a phone's portrait MOV is an
MP4 shown upright; a WebM stays a WebM; an Ogg is `audio`; an animated GIF is a silent H.264
MP4 of type `gifv`; a `thumbnail` replaces the preview, on upload and later; broken,
disguised and polyglot files are refused with 422 and words, nothing stored; and a posted
video federates as Mastodon sends one (a `Document` with its size, blurhash, digest,
duration and preview)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError

from tests import av_files, media_files
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node"), av_files.needs_ffmpeg]


def stored_files(node: NodeProcess) -> set[Path]:
    return {path for path in (node.data / "media").rglob("*") if path.is_file()}


def streams(data: bytes) -> dict[str, dict[str, Any]]:
    """The first stream of each type ffprobe finds, by type (video, audio)."""
    found: dict[str, dict[str, Any]] = {}
    for stream in av_files.ffprobe(data)["streams"]:  # type: ignore[attr-defined]
        found.setdefault(stream["codec_type"], stream)
    return found


def raw_upload(node: NodeProcess, token: str, data: bytes, **files: bytes) -> httpx.Response:
    sent = {"file": ("clip.bin", data, "application/octet-stream")}
    sent |= {
        name: (f"{name}.bin", body, "application/octet-stream") for name, body in files.items()
    }
    return httpx.post(
        f"{node.url}/api/v2/media",
        files=sent,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def test_an_mp4_is_probed_stripped_and_given_a_poster(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    clip = av_files.mp4(320, 240, fps=25, seconds=2, metadata=("title=Our secret garden",))
    answer = raw_upload(api_node, alice.access_token, clip)
    assert answer.status_code == 200, answer.text  # processed at once: never 202, url never null
    uploaded = alice.media(answer.json()["id"])
    assert uploaded.type == "video" and uploaded.url.endswith(".mp4")
    meta = uploaded.meta
    assert (meta.original.width, meta.original.height, meta.original.frame_rate) == (
        320,
        240,
        "25/1",
    )
    assert abs(meta.original.duration - 2.0) < 0.1 and meta.original.bitrate > 0
    assert (meta.width, meta.height, meta.size, meta.fps) == (320, 240, "320x240", 25)
    assert meta.length.startswith("0:00:0") and abs(meta.duration - 2.0) < 0.1
    assert abs(meta.aspect - 4 / 3) < 1e-9
    assert meta.audio_encode.startswith("aac") and meta.audio_channels == "mono"
    assert meta.audio_bitrate == "44100 Hz"
    assert (meta.small.width, meta.small.height) == (320, 240)  # never scaled up
    served = httpx.get(uploaded.url)
    assert served.status_code == 200 and served.headers["content-type"] == "video/mp4"
    assert b"Our secret garden" in clip and b"Our secret garden" not in served.content
    found = streams(served.content)
    assert found["video"]["codec_name"] == "h264" and found["audio"]["codec_name"] == "aac"
    assert served.content.index(b"moov") < served.content.index(b"mdat")  # starts playing at once
    preview = httpx.get(uploaded.preview_url)
    assert preview.status_code == 200 and preview.content[8:12] == b"WEBP"
    assert uploaded.blurhash
    shown = httpx.get(
        f"{api_node.url}/api/v1/media/{uploaded.id}",
        headers={"Authorization": f"Bearer {alice.access_token}"},
    )
    assert shown.status_code == 200 and shown.json()["url"] == uploaded.url  # never 206


def test_a_phones_portrait_mov_is_an_upright_mp4_without_its_place(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    mov = av_files.rotated_mov(320, 240)
    assert b"+48.8566+002.3522" in mov
    uploaded = alice.media_post(mov, mime_type="video/quicktime")
    assert uploaded.type == "video" and uploaded.url.endswith(".mp4")
    assert (uploaded.meta.original.width, uploaded.meta.original.height) == (240, 320)
    assert (uploaded.meta.small.width, uploaded.meta.small.height) == (240, 320)
    served = httpx.get(uploaded.url).content
    assert b"+48.8566+002.3522" not in served and b"location" not in served.lower()


def test_a_webm_stays_a_webm(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    uploaded = alice.media_post(av_files.webm(), mime_type="video/webm")
    assert uploaded.type == "video" and uploaded.url.endswith(".webm")
    assert uploaded.meta.audio_encode == "opus" and uploaded.meta.fps == 25
    found = streams(httpx.get(uploaded.url).content)
    assert found["video"]["codec_name"] == "vp9" and found["audio"]["codec_name"] == "opus"


def test_a_video_without_sound_is_a_gifv_as_on_mastodon(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    uploaded = alice.media_post(av_files.mp4(sound=False), mime_type="video/mp4")
    assert uploaded.type == "gifv" and uploaded.meta.get("audio_encode") is None


def test_an_ogg_is_audio_and_a_thumbnail_becomes_its_preview(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    uploaded = alice.media_post(av_files.ogg(seconds=2), mime_type="audio/ogg")
    assert uploaded.type == "audio" and uploaded.preview_url is None
    assert abs(uploaded.meta.original.duration - 2.0) < 0.1 and uploaded.meta.original.bitrate > 0
    assert uploaded.meta.audio_encode == "opus" and uploaded.meta.audio_bitrate == "48000 Hz"
    assert uploaded.meta.original.get("width") is None and uploaded.meta.get("small") is None
    cover = media_files.png((300, 200), color="teal")
    changed = alice.media_update(uploaded, thumbnail=cover, thumbnail_mime_type="image/png")
    assert changed.preview_url and changed.blurhash
    assert (changed.meta.small.width, changed.meta.small.height) == (300, 200)
    assert httpx.get(changed.preview_url).content[8:12] == b"WEBP"
    assert changed.url == uploaded.url  # the sound itself is untouched


def test_a_thumbnail_sent_with_a_video_replaces_its_poster(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    clip = av_files.mp4(320, 240)
    plain = alice.media_post(clip, mime_type="video/mp4")
    cover = media_files.png((200, 100), color="navy")
    poster = alice.media_post(clip, mime_type="video/mp4", thumbnail=cover,
                              thumbnail_mime_type="image/png")  # fmt: skip
    assert poster.url == plain.url  # the same video
    assert poster.preview_url != plain.preview_url and poster.blurhash != plain.blurhash
    assert (poster.meta.small.width, poster.meta.small.height) == (200, 100)
    assert (poster.meta.original.width, poster.meta.original.height) == (320, 240)
    again = alice.media_update(plain, thumbnail=cover, thumbnail_mime_type="image/png")
    assert (again.preview_url, again.blurhash) == (poster.preview_url, poster.blurhash)


def test_an_image_takes_no_thumbnail_and_a_thumbnail_must_be_an_image(
    api_node: NodeProcess,
) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    photo = alice.media_post(media_files.png(), mime_type="image/png")
    with pytest.raises(MastodonAPIError) as refused:
        alice.media_update(photo, thumbnail=media_files.png(), thumbnail_mime_type="image/png")
    assert refused.value.args[1] == 422 and "thumbnail is for a video" in str(refused.value)
    answer = raw_upload(api_node, alice.access_token, av_files.mp4(), thumbnail=b"not an image")
    assert answer.status_code == 422 and "thumbnail must be an image" in answer.json()["error"]


def test_an_animated_gif_becomes_a_looping_silent_mp4(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    uploaded = alice.media_post(av_files.animated_gif(frames=6), mime_type="image/gif")
    assert uploaded.type == "gifv" and uploaded.url.endswith(".mp4")
    meta = uploaded.meta
    assert (meta.original.width, meta.original.height, meta.original.frame_rate) == (64, 48, "10/1")
    assert abs(meta.original.duration - 0.6) < 0.05 and meta.fps == 10
    served = httpx.get(uploaded.url)
    assert served.headers["content-type"] == "video/mp4"
    found = streams(served.content)
    assert found["video"]["codec_name"] == "h264" and "audio" not in found
    assert found["video"]["pix_fmt"] == "yuv420p"  # what every browser plays
    assert httpx.get(uploaded.preview_url).content[8:12] == b"WEBP" and uploaded.blurhash
    still = alice.media_post(media_files.png(), mime_type="image/png")
    assert still.type == "image"


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("cut short (index first)", lambda: av_files.mp4()[:-3000], "damaged or cut short"),
        ("cut short (index last)", lambda: av_files.mp4(faststart=False)[:3000],
         "damaged or cut short"),
        ("a WebM cut short", lambda: av_files.webm()[:20000], "damaged or cut short"),
        ("a header and noise", lambda: av_files.mp4()[:32] + b"\x00\x17" * 4000,
         "damaged or cut short"),
        ("a polyglot", lambda: av_files.polyglot(av_files.mp4()), "web page markup"),
        ("a web page", lambda: media_files.HTML, "not accepted"),
        ("Ogg with nothing to play", lambda: b"OggS" + b"\x00" * 2000, "damaged or cut short"),
    ],
)  # fmt: skip
def test_broken_and_disguised_files_are_refused_and_nothing_is_stored(
    api_node: NodeProcess, name: str, make: Any, says: str
) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    before = stored_files(api_node)
    answer = raw_upload(api_node, alice.access_token, make())
    assert answer.status_code == 422, (name, answer.text)
    assert says in answer.json()["error"], (name, answer.text)
    assert stored_files(api_node) == before
    assert httpx.get(f"{api_node.url}/api/v1/instance").status_code == 200  # node up


def note_of(node: NodeProcess, client: Mastodon, status_id: object) -> dict[str, Any]:
    uri = client.status(status_id).uri
    answer = httpx.get(uri, headers={"Accept": "application/activity+json"})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_a_posted_video_federates_as_mastodon_sends_one(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    clip = alice.media_post(av_files.mp4(320, 240, seconds=2), mime_type="video/mp4",
                            description="The hedge in the wind")  # fmt: skip
    sound = alice.media_post(av_files.ogg(), mime_type="audio/ogg")
    posted = alice.status_post("The hedge, moving", media_ids=[clip.id, sound.id])
    assert [m.type for m in posted.media_attachments] == ["video", "audio"]
    video, audio = note_of(api_node, alice, posted.id)["attachment"]
    assert video["type"] == "Document" and video["mediaType"] == "video/mp4"
    assert (video["url"], video["name"]) == (clip.url, "The hedge in the wind")
    assert (video["width"], video["height"], video["blurhash"]) == (320, 240, clip.blurhash)
    assert video["digestMultibase"].startswith("z") and video["duration"].startswith("PT2")
    assert video["icon"]["type"] == "Image" and video["icon"]["url"] == clip.preview_url
    assert video["icon"]["mediaType"] == "image/webp"
    assert audio["type"] == "Document" and audio["mediaType"] == "audio/opus"
    assert "icon" not in audio and "width" not in audio
