"""Our Notes' attachments as other servers read them (both databases): type, mediaType, url,
name (the alt text), size, blurhash, focal point, and `digestMultibase` of the bytes served
at `url` (a peer holding a copy checks it against the digest), a document's licence as a
Link; all inside the author's signed object."""

from __future__ import annotations

import hashlib

import base58

from bocage.core.media import media
from bocage.crypto.keys import public_key_from_did
from bocage.crypto.proofs import verify_object
from tests import media_files
from tests.activitypub.test_collections import get
from tests.core import helpers
from tests.web.conftest import Browser


def digest_of(multibase: str) -> bytes:
    """The sha2-256 digest inside a base58btc multihash: 'z', then 0x12 0x20 and 32 bytes."""
    assert multibase.startswith("z")
    raw = base58.b58decode(multibase[1:])
    assert raw[:2] == b"\x12\x20" and len(raw) == 34
    return raw[2:]


async def test_a_notes_attachments_carry_what_other_servers_show_and_check(
    browser: Browser,
) -> None:
    node = browser.node
    alice = helpers.user(node, "alice")
    photo = await node.services.media.upload(
        alice, media_files.photo((600, 400)), "A gate in the hedge", "0.25,-0.5"
    )
    document = await node.services.media.upload(
        alice, media_files.PDF, "The field guide", license="CC-BY-4.0", file_name="guide.pdf"
    )
    audio = await node.services.media.upload(alice, media_files.MP3, "Birdsong")
    post = helpers.post(node, alice, "An album", media_ids=(photo.id, document.id, audio.id))
    note = await get(browser, post.uri)
    image, pdf, mp3 = note["attachment"]
    assert image["type"] == "Image" and image["mediaType"] == "image/jpeg"
    assert (image["name"], image["width"], image["height"]) == ("A gate in the hedge", 600, 400)
    assert image["focalPoint"] == [0.25, -0.5] and image["blurhash"] == photo.blurhash
    assert (pdf["type"], pdf["mediaType"], pdf["name"]) == (
        "Document",
        "application/pdf",
        "The field guide",
    )
    assert pdf["license"] == {
        "type": "Link",
        "name": "CC-BY-4.0",
        "href": media.LICENCES["CC-BY-4.0"].url,
    }
    assert mp3["type"] == "Document" and mp3["mediaType"] == "audio/mpeg" and "license" not in mp3
    for item in (image, pdf, mp3):
        served = await browser.get(item["url"].removeprefix(node.ctx.urls.base))
        assert served.status_code == 200
        assert digest_of(item["digestMultibase"]) == hashlib.sha256(served.content).digest()
    key = public_key_from_did(alice.did or "")
    assert verify_object(note, key, proof_purpose="assertionMethod").valid  # signed with them
