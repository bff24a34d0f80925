"""Property tests of the edge where remote documents come in (federation/normalize.py): real
payloads from other servers with any field replaced by any JSON value. Whatever arrives,
normalizing answers a core type with the types it declares, holding only what the store
can keep (no NUL, URLs of at most MAX_URI characters), or raises `Malformed`; nothing else."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bocage.federation import normalize
from tests.fuzz import JSON, mutated, payloads, well_typed

ACTIVITIES = payloads(
    "mastodon/create_note_public.json", "mastodon/create_question.json", "mastodon/flag.json",
    "mastodon/announce.json", "mastodon/move.json", "mastodon/undo_follow.json",
    "gotosocial/create_note.json", "lemmy/announce_create_page.json",
    "pleroma/create_note_reply.json", "pleroma/emoji_react.json", "friendica/create_article.json",
    "pixelfed/create_note_image_alt.json",
)  # fmt: skip
OBJECTS = payloads(
    "peertube/video.json", "misskey/note_quote.json", "pixelfed/note_image.json",
    "mobilizon/event.json", "misskey/question_no_end_date.json", "lemmy/page.json",
)  # fmt: skip
ACTORS = payloads("mastodon/person.json", "gotosocial/person.json", "lemmy/group.json",
                  "misskey/person.json", "peertube/group_channel.json",
                  "mastodon/service_actor.json", "pleroma/person.json")  # fmt: skip
POSTS = [a["object"] for a in ACTIVITIES if isinstance(a.get("object"), dict)] + OBJECTS
ACTIVITY_KEYS = ["id", "type", "actor", "object", "target", "to", "cc", "content", "summary"]
ACTOR_KEYS = ["id", "type", "inbox", "endpoints", "publicKey", "preferredUsername", "name",
              "summary", "attachment", "manuallyApprovesFollowers", "followers", "url", "icon",
              "image", "alsoKnownAs", "movedTo", "gateways", "assertionMethod"]  # fmt: skip
POST_KEYS = ["id", "type", "attributedTo", "published", "updated", "content", "contentMap",
             "source", "name", "url", "summary", "inReplyTo", "tag", "attachment", "to", "cc",
             "oneOf", "anyOf", "votersCount", "endTime", "closed"]  # fmt: skip


def received(document: Any) -> Any:
    """`document` as it comes off the wire: JSON text, read by `normalize.loads`."""
    return normalize.loads(json.dumps(document).encode())


def storable(value: Any) -> list[str]:
    """Where a normalized value holds what the store cannot keep: a NUL character (text in
    PostgreSQL), or an id longer than its columns (MAX_URI)."""
    found = [f"not well typed: {problem}" for problem in well_typed(value)]
    for name, item in vars(value).items():
        for text in _strings(item):
            if "\x00" in text:
                found.append(f"{name} holds a NUL character")
            if name in URI_FIELDS and len(text) > normalize.MAX_URI:
                found.append(f"{name} is {len(text)} characters long")
    return found


URI_FIELDS = {"id", "uri", "actor", "object_id", "target", "to", "cc", "inbox", "shared_inbox",
              "key_id", "followers_url", "url", "moved_to", "also_known_as", "author_uri",
              "in_reply_to", "mentions", "avatar_url", "header_url", "gateways"}  # fmt: skip


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple | list):
        return [text for item in value for text in _strings(item)]
    return []


@settings(max_examples=200)
@given(st.one_of(JSON, mutated(ACTIVITIES, ACTIVITY_KEYS)))
@example({**ACTIVITIES[0], "type": [["Note"], "Create"]})  # was a TypeError (unhashable)
@example({**ACTIVITIES[0], "id": "https://[x/1"})  # was a ValueError (found by atheris)
@example({**ACTIVITIES[0], "id": "https://masto.qa.urbanwildlife.biz/" + "a" * 500})
def test_any_document_is_an_activity_or_malformed(document: Any) -> None:
    try:
        incoming = normalize.activity(received(document))
    except normalize.Malformed:
        return
    assert storable(incoming) == []
    assert isinstance(normalize.same_origin(incoming.id, incoming.actor), bool)  # as the inbox
    reported, reason = normalize.flag(incoming)
    assert all(isinstance(uri, str) for uri in reported) and isinstance(reason, str)


@settings(max_examples=200)
@given(mutated(ACTORS, ACTOR_KEYS))
@example({**ACTORS[0], "url": {"mediaType": "text/html", "url": ["not", "a", "string"]}})
@example({**ACTORS[0], "id": "https://[::1/users/x", "gateways": ["https://[x"]})
@example({**ACTORS[0], "inbox": "https://mastodon.social/" + "i" * 600})
@example({**ACTORS[0], "name": "Ann\x00"})
def test_any_actor_document_is_a_profile_or_malformed(document: dict[str, Any]) -> None:
    fetched_from = (
        str(ACTORS[0]["id"]) if not isinstance(document.get("id"), str) else document["id"]
    )
    try:
        profile = normalize.actor(received(document), fetched_from)
    except normalize.Malformed:
        return
    assert storable(profile) == []


@settings(max_examples=200)
@given(mutated(POSTS, POST_KEYS), st.booleans())
@example({**POSTS[0], "content": None, "contentMap": {"": True}}, False)  # was a TypeError
@example({**POSTS[1], "type": "Question", "oneOf": [{"name": 5}], "anyOf": None}, True)
@example({**POSTS[0], "url": {"url": ["a list"]}, "type": "Article", "name": "t"}, True)
def test_any_post_document_is_a_post_or_malformed(document: dict[str, Any], media: bool) -> None:
    try:
        found = normalize.post(received(document), with_media=media)
    except normalize.Malformed:
        return
    assert storable(found) == []
    if found.poll is not None:
        assert storable(found.poll) == []
    assert "<script" not in found.content.lower() and "javascript:" not in found.content.lower()
    answered = normalize.vote(document)
    assert answered is None or all(isinstance(part, str) for part in answered)
