"""Remote media read at the edge (federation/normalize.py `attachments`): what a person would
expect to see from real posts of Mastodon, Pixelfed, GoToSocial, Pleroma/Soapbox, Firefish,
PeerTube, Funkwhale and the fediverse-pasture's attachment inputs, and hostile variants that
are cleaned, never raised. A regression in parsing any server's shape fails here before it
reaches the later slice that fetches and caches the media."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bocage.core.inbound.remote import RemoteAttachment
from bocage.federation import normalize
from tests.fuzz import JSON, PAYLOADS, payloads, well_typed

PASTURE = Path(__file__).parent.parent / "data" / "pasture"


def note(name: str) -> dict[str, Any]:
    """A captured post: the object of a Create, or the object itself."""
    document = payloads(name)[0]
    inner = document.get("object")
    return inner if document.get("type") == "Create" and isinstance(inner, dict) else document


def media(name: str) -> tuple[RemoteAttachment, ...]:
    return normalize.post(note(name)).attachments


# --- captured posts: what a person would expect -----------------------------------------------


def test_mastodon_album_keeps_alt_sizes_blurhash_and_focus() -> None:
    found = media("mastodon/note_unlisted_cw_emoji.json")
    assert [a.kind for a in found] == ["image", "image"]
    assert [a.description for a in found] == [
        "Two cats standing in a box",
        "A cat with his head perked up, looking to the right",
    ]
    assert [(a.width, a.height) for a in found] == [(2909, 2169), (3069, 2703)]
    assert found[0].blurhash == "UFF}.jOZ^*S%-pE3IVof~V-:9bxubwt6M{M{"
    assert found[0].focus == (0.0, 0.0)
    assert found[0].media_type == "image/jpeg"
    assert found[0].url.endswith("/original/e0e1fede28d4b4a4.jpg")
    assert normalize.post(note("mastodon/note_unlisted_cw_emoji.json")).sensitive


def test_mastodon_single_attachment_object() -> None:
    (found,) = media("mastodon/note_single_attachment.json")
    assert (found.kind, found.width, found.height) == ("image", 2922, 2839)
    assert found.description.startswith("A 2U rackmount server with its top cover off.")
    assert found.blurhash == "UPFFZ}kCaxxt01j[WBWB9ZaeofWB_2WUNGbH"


def test_mastodon_video_without_alt() -> None:
    (found,) = media("mastodon/note_video.json")
    assert (found.kind, found.media_type, found.description) == ("video", "video/mp4", "")
    assert found.url.endswith("/original/e7831178a5e0d6d4.mp4")


def test_gotosocial_alt_in_summary_and_negative_focus() -> None:
    (found,) = media("gotosocial/note_image_summary_alt.json")
    assert found.kind == "image"
    assert found.description == (
        "Black and white image of some 50's style text saying: Welcome On Board"
    )
    assert found.blurhash == "LIIE|gRj00WB-;j[t7j[4nWBj[Rj"
    assert found.focus == (-0.5, 0.5)


def test_pixelfed_image_with_null_name() -> None:
    (found,) = media("pixelfed/note_image.json")
    assert (found.kind, found.media_type, found.description) == ("image", "image/jpeg", "")
    assert found.url.startswith("https://pixelfed.social/storage/m/")


def test_pixelfed_photo_captured_from_pixelfed_social() -> None:
    """The Create pixelfed.social sent for a photo post (2023, kept by Vernissage): read as
    the inbox reads it (bytes, then the activity, then its Note), its one Image is a real
    attachment with its alt text, blurhash and size, not a link in the text; Pixelfed sends
    no focal point, and its `location` Place is no medium."""
    body = (PAYLOADS / "pixelfed" / "create_note_image_alt.json").read_bytes()
    incoming = normalize.activity(normalize.loads(body))
    assert incoming.type == "Create"
    assert incoming.actor == "https://pixelfed.social/users/mczachurski"
    assert isinstance(incoming.object, dict)
    post = normalize.post(incoming.object)
    (found,) = post.attachments
    assert (found.kind, found.media_type) == ("image", "image/jpeg")
    assert found.url == (
        "https://pxscdn.com/public/m/_v2/502420301986951048/f1538e3aa-7b3151/NUalEqHRyJfn/"
        "YPp7nvccWGSAPcalvb0PvEuDQzcsQZgyCEjsTrFx.jpg"
    )
    assert found.description == (
        "Stickers on the glass from the stairs, casting long and colourful shadows from the sun."
    )
    assert found.blurhash == "U9AmM5?GIp9b~UNGoeRk4=E2oeax4;ofxtWB"
    assert (found.width, found.height) == (1620, 1080)
    assert found.focus is None and found.digest_multibase is None
    assert "pxscdn.com" not in post.content and "Shadows" in post.content
    assert set(post.tags) == {"streetphotography", "colorphotography"}
    assert not post.sensitive
    assert post.author_uri == "https://pixelfed.social/users/mczachurski"


def test_soapbox_album_sizes_and_blurhashes() -> None:
    found = media("pleroma/note_soapbox_album.json")
    assert [(a.kind, a.width, a.height) for a in found] == [("image", 966, 2147)] * 2
    assert [a.blurhash for a in found] == ["b15#-6_3~l%eDkNraAM#HYMf", "b168EX~q~W-;DiM{VtIUD%Io"]


def test_pleroma_documents_with_spaces_in_their_urls() -> None:
    found = media("pleroma/create_note_2018.json")
    assert [(a.kind, a.media_type) for a in found] == [
        ("image", "image/png"),
        ("image", "image/jpeg"),
    ]
    assert found[0].description == "Screen Shot 2018-09-08 at 10.59.38 PM.png"


def test_a_poll_may_carry_a_picture() -> None:
    (found,) = media("pleroma/question_attachment.json")
    assert found.kind == "image" and "?name=" in found.url


def test_firefish_document_is_an_image() -> None:
    (found,) = media("misskey/note_firefish.json")
    assert (found.kind, found.media_type) == ("image", "image/png")
    assert found.description.startswith("Transit app update")


def test_peertube_video_is_its_own_medium_with_a_thumbnail() -> None:
    """Its `url` lists a page, an HLS playlist with its mp4 files as `tag`, torrents and
    magnets: the largest mp4 up to 1080 lines wins; `icon`, widest, is its preview."""
    (found,) = media("peertube/video.json")
    assert (found.kind, found.media_type, found.height) == ("video", "video/mp4", 1080)
    assert found.url.endswith("-1080-fragmented.mp4")
    assert found.preview_url == (
        "https://tilvids.com/lazy-static/previews/ef6088ee-c83a-4fcf-8be2-58db95ca5135.jpg"
    )
    assert found.description == ""  # its name is a title, not an alt text


def test_old_peertube_links_name_their_type_mimetype() -> None:
    (found,) = media("peertube/video_links.json")
    assert (found.kind, found.media_type) == ("video", "video/mp4")
    assert found.url.endswith("-480.mp4")
    assert found.preview_url is not None and found.preview_url.endswith(".jpg")


def test_funkwhale_audio_track() -> None:
    (found,) = media("funkwhale/audio.json")
    assert (found.kind, found.media_type) == ("audio", "audio/ogg")
    assert "/listen/" in found.url


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("owncast/note_image_content_alt.json", 1),
        ("mobilizon/event.json", 1),
        ("lemmy/page.json", 0),
    ],
)
def test_other_shapes(name: str, expected: int) -> None:
    """Owncast's alt is in `content` (no server reads it there); Lemmy's Link attachment is a
    link, not a medium (Mastodon skips it too)."""
    assert len(media(name)) == expected


def test_media_are_attachments_not_links_in_the_content() -> None:
    """The media become rows (core/inbound/remote.py): the content no longer links them."""
    post = normalize.post(note("mastodon/note_unlisted_cw_emoji.json"))
    assert len(post.attachments) == 2 and "/original/" not in post.content


def test_a_file_of_unknown_kind_and_a_link_stay_links_in_the_content() -> None:
    document = {
        **note("mastodon/note_unlisted_cw_emoji.json"),
        "attachment": [
            {"type": "Document", "mediaType": "image/png", "url": "https://a.example/p.png"},
            {"type": "Document", "mediaType": "application/x-foo", "url": "https://a.example/f"},
            {"type": "Link", "href": "https://a.example/page", "name": "a page"},
        ],
    }
    post = normalize.post(document)
    assert [a.kind for a in post.attachments] == ["image", "unknown"]
    assert "p.png" not in post.content
    assert "https://a.example/f" in post.content and "https://a.example/page" in post.content


def test_without_media_there_are_no_attachments() -> None:
    post = normalize.post(note("mastodon/note_unlisted_cw_emoji.json"), with_media=False)
    assert post.attachments == () and "/original/" not in post.content


# --- fediverse-pasture inputs (tests/data/pasture) ---------------------------------------------


def pasture(name: str) -> list[tuple[str, tuple[RemoteAttachment, ...]]]:
    """Each example of a fediverse-pasture input: its `content` (what it tries) and what the
    edge made of its attachments."""
    examples = json.loads((PASTURE / name).read_text())
    return [(e["content"], normalize.attachments(e)) for e in examples]


def test_pasture_image_shapes() -> None:
    listed = pasture("image_attachments.json")
    assert len(listed) == 17
    assert listed[0][1][0].media_type == "image/png"  # a Document typed by its extension only
    found = dict(listed)  # the later of two examples named alike wins
    one = {content: [(a.kind, a.media_type) for a in media] for content, media in found.items()}
    assert one["Format svg"] == [("unknown", "image/svg+xml")]  # never shown as a picture
    assert one["Format eps"] == [("image", None)]  # an Image of a type nobody can tell
    assert one["No type"] == [("image", "image/png")]
    assert one["url is Link object"] == [("image", "image/png")]
    assert one["url is Link object in an array"] == [("image", "image/png")]
    assert found["url is array of two Link objects"][0].url.endswith("/007.png")
    assert one["inline image"] == []  # a data: URL is no http(s) URL
    wrong = found["Wrong height / width"][0]
    assert (wrong.width, wrong.height) == (13, 17)  # a claim, checked when fetched


def test_pasture_attachment_kinds() -> None:
    found = dict(pasture("attachments.json"))
    kinds = {content: [a.kind for a in media] for content, media in found.items()}
    assert kinds["Image"] == ["image"] and kinds["Video"] == ["video"]
    assert kinds["Audio"] == kinds["Audio as Document"] == ["audio"]
    assert kinds["Text document"] == kinds["Text document, href instead of url"] == ["document"]
    for nothing in ("Link", "Payment Link, see FEP-0ea0", "attached note", "Recipe"):
        assert kinds[nothing] == []
    assert kinds["10 images"] == ["image"] * 10
    assert found["Video"][0].description == "a cow eating grass"


def test_pasture_recommended_format_keeps_digest_and_size() -> None:
    found = dict(pasture("recommended_media_attachments.json"))
    (image,) = found["Recommended Image Format"]
    assert (image.width, image.height, image.description) == (100, 162, "A beautiful cow")
    assert image.digest_multibase == "zQmaeDPzhNL32WQZnnzB1H6QJWvvFNEHdViDB71yrxyXU1t"
    (video,) = found["Multiple formats for video"]
    assert (video.url.rsplit("/", 1)[-1], video.width, video.height) == (
        "cow_eating_hd.mp4",
        1920,
        1080,
    )


def test_pasture_alt_text_comes_from_summary_then_name() -> None:
    found = dict(pasture("image_description.json"))
    alts = {content: media[0].description for content, media in found.items()}
    assert alts["name, summary and content"] == "summary"  # GoToSocial's and Mastodon's rule
    assert alts["only name"] == "name" and alts["only summary"] == "summary"
    assert alts["only content"] == alts["no description"] == ""


# --- hostile variants: cleaned, never raised ----------------------------------------------------


def with_attachment(*items: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": "https://remote.example/notes/1",
        "type": "Note",
        "attributedTo": "https://remote.example/users/alice",
        "content": "<p>look</p>",
        "attachment": list(items),
        **extra,
    }


def image(**fields: Any) -> dict[str, Any]:
    return {"type": "Image", "mediaType": "image/png", "url": "https://cdn.example/a.png"} | fields


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://cdn.example/a.png",
        "magnet:?xt=urn:btih:0",
        "/relative/a.png",
        "https://",
        "https://cdn.example/" + "a" * 500,
        12,
        None,
        {"type": "Link"},
        [{"type": "Link", "href": "javascript:x"}, "magnet:?x", {"href": 3}],
    ],
)
def test_unusable_urls_leave_the_attachment_out(url: Any) -> None:
    assert normalize.post(with_attachment(image(url=url))).attachments == ()


def test_ten_thousand_attachments_are_cut_quickly() -> None:
    start = time.monotonic()
    post = normalize.post(with_attachment(*[image()] * 10_000))
    assert len(post.attachments) == normalize.MAX_ATTACHMENTS == 20
    assert time.monotonic() - start < 2


def test_junk_first_hides_nothing_usable_within_the_items_looked_at() -> None:
    found = normalize.attachments(with_attachment("junk", 3, None, {"type": "Link"}, image()))
    assert len(found) == 1


@pytest.mark.parametrize(
    "blurhash",
    [
        "",
        "short",
        "UFF}.jOZ^*S%-pE3IVof~V-:9bxubwt6M{M",  # one character short of its 4x4 components
        "UFF}.jOZ^*S%-pE3IVof~V-:9bxubwt6M{M{x",
        'UFF}.jOZ^*S%-pE3IVof~V-:9bxubwt6M{M"',
        "<script>alert(1)</script>",
        "L" * 101,
        12,
        ["UFF}.jOZ^*S%-pE3IVof~V-:9bxubwt6M{M{"],
    ],
)
def test_bad_blurhash_is_dropped(blurhash: Any) -> None:
    (found,) = normalize.attachments(with_attachment(image(blurhash=blurhash)))
    assert found.blurhash is None and found.url == "https://cdn.example/a.png"


def test_blurhash_under_its_compact_name() -> None:
    (found,) = normalize.attachments(
        with_attachment(image(**{"toot:blurhash": "LIIE|gRj00WB-;j[t7j[4nWBj[Rj"}))
    )
    assert found.blurhash == "LIIE|gRj00WB-;j[t7j[4nWBj[Rj"


@pytest.mark.parametrize(
    ("focal", "expected"),
    [
        (["0.5", "0.5"], None),
        ("0.5,0.5", None),
        ([0.5], None),
        ([0.1, 0.2, 0.3], None),
        ([True, False], None),
        ([float("nan"), 0], None),
        ({"x": 0.5, "y": 0.5}, None),
        ([3, -7.5], (1.0, -1.0)),
        ([0, 1], (0.0, 1.0)),
    ],
)
def test_focal_point_is_two_numbers_clamped(focal: Any, expected: Any) -> None:
    (found,) = normalize.attachments(with_attachment(image(focalPoint=focal)))
    assert found.focus == expected


@pytest.mark.parametrize("side", [0, -5, 10**12, True, "640", 12.5, None])
def test_impossible_sizes_are_no_size(side: Any) -> None:
    (found,) = normalize.attachments(with_attachment(image(width=side, height=480)))
    assert (found.width, found.height) == (None, None)


def test_alt_text_is_plain_and_capped() -> None:
    (found,) = normalize.attachments(with_attachment(image(name="  x" * 2000)))
    assert len(found.description) == normalize.MAX_DESCRIPTION
    (found,) = normalize.attachments(with_attachment(image(name=["a list"], summary=7)))
    assert found.description == ""


def test_media_type_is_cleaned() -> None:
    first, second, third = normalize.attachments(
        with_attachment(
            image(mediaType="Image/JPEG; charset=binary"),
            image(mediaType="<script>", url="https://cdn.example/b.webp"),
            image(mediaType=None, url="https://cdn.example/no-extension"),
        )
    )
    assert first.media_type == "image/jpeg"
    assert (second.media_type, second.kind) == ("image/webp", "image")  # from the extension
    assert (third.media_type, third.kind) == (None, "image")  # from its type, Image


def test_licence_digest_and_preview() -> None:
    (found,) = normalize.attachments(
        with_attachment(
            image(
                license={"type": "Link", "href": "https://creativecommons.org/licenses/by/4.0/"},
                digestMultibase="zQmaeDPzhNL32WQZnnzB1H6QJWvvFNEHdViDB71yrxyXU1t",
                icon=[{"url": "javascript:x"}, {"url": "https://cdn.example/small.jpg"}],
            )
        )
    )
    assert found.license == "https://creativecommons.org/licenses/by/4.0/"
    assert found.digest_multibase == "zQmaeDPzhNL32WQZnnzB1H6QJWvvFNEHdViDB71yrxyXU1t"
    assert found.preview_url == "https://cdn.example/small.jpg"
    (bad,) = normalize.attachments(
        with_attachment(image(license="javascript:x", digestMultibase="not base58!", icon=3))
    )
    assert (bad.license, bad.digest_multibase, bad.preview_url) == (None, None, None)


def test_misskey_marks_each_file_sensitive() -> None:
    assert normalize.post(with_attachment(image(sensitive=True))).sensitive
    assert not normalize.post(with_attachment(image(sensitive="yes"))).sensitive


ATTACHMENT_KEYS = ["type", "url", "href", "mediaType", "name", "summary", "width", "height",
                   "blurhash", "focalPoint", "digestMultibase", "license", "icon",
                   "sensitive"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from(ATTACHMENT_KEYS), JSON, max_size=6).map(
            lambda d: image(**d)
        )
        | JSON,
        max_size=4,
    )
)
def test_any_attachment_is_cleaned_never_raised(items: list[Any]) -> None:
    try:  # as it comes off the wire (a lone surrogate is no JSON text)
        document = normalize.loads(json.dumps(with_attachment(*items)).encode())
    except normalize.Malformed:
        return
    for found in normalize.post(document).attachments:
        assert not well_typed(found)
        for url in (found.url, found.preview_url, found.license):
            assert url is None or (url.startswith(("http://", "https://")) and len(url) <= 500)
        assert len(found.description) <= normalize.MAX_DESCRIPTION
        assert found.focus is None or all(-1 <= v <= 1 for v in found.focus)
