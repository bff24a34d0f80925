"""The ActivityStreams form of what the core does: these are the documents authors sign.

Addressing follows Mastodon's convention for each visibility, so that the same signed bytes
can later be delivered over ActivityPub unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bocage.core.reading.visibility import Visibility
from bocage.kernel.urls import Urls
from bocage.store.models import Account, Post

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
CONTEXT: list[Any] = [AS_CONTEXT, "https://w3id.org/security/data-integrity/v2"]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# Mastodon's `conversation` term (OStatus's), which a Note carries beside AS2's `context`.
# With Mastodon's terms for quotes and who may quote (its `quotes` and
# `interaction_policies` context extensions).
NOTE_CONTEXT: list[Any] = [
    *CONTEXT,
    {
        "ostatus": "http://ostatus.org#",
        "conversation": "ostatus:conversation",
        "quote": {"@id": "https://w3id.org/fep/044f#quote", "@type": "@id"},
        "quoteUri": "http://fedibird.com/ns#quoteUri",
        "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
        "quoteAuthorization": {
            "@id": "https://w3id.org/fep/044f#quoteAuthorization",
            "@type": "@id",
        },
        "gts": "https://gotosocial.org/ns#",
        "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
        "canQuote": {"@id": "gts:canQuote", "@type": "@id"},
        "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
        "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
    },
]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def audience(
    urls: Urls, author: Account, visibility: Visibility, mention_uris: list[str]
) -> tuple[list[str], list[str]]:
    """`to` and `cc` for a visibility (`visibility_of` reads them back)."""
    followers = urls.followers(author.username)
    match visibility:
        case Visibility.PUBLIC:
            return [PUBLIC], [followers, *mention_uris]
        case Visibility.UNLISTED:
            return [followers], [PUBLIC, *mention_uris]
        case Visibility.PRIVATE:
            return [followers], mention_uris
        case _:  # direct
            return mention_uris, []


def visibility_of(
    to: tuple[str, ...], cc: tuple[str, ...], followers_url: str | None
) -> Visibility:
    """Mastodon's reading of an addressing (normalized: federation/normalize.py): Public in
    `to` is public, in `cc` unlisted; the author's followers collection makes it followers-only;
    anything else is direct."""
    if PUBLIC in to:
        return Visibility.PUBLIC
    if PUBLIC in cc:
        return Visibility.UNLISTED
    if followers_url and (followers_url in to or followers_url in cc):
        return Visibility.PRIVATE
    return Visibility.DIRECT


def handle(account: Account) -> str:
    return f"@{account.username}@{account.domain}" if account.domain else f"@{account.username}"


def note(
    urls: Urls,
    author: Account,
    post: Post,
    mentions: list[Account],
    tags: list[str],
    in_reply_to_uri: str | None,
    context: str,
) -> dict[str, Any]:
    """`context`: the thread's (core/posts/contexts.py), as `context` and as Mastodon's
    `conversation`, which servers read to group a thread."""
    mention_uris = [m.uri for m in mentions]
    to, cc = audience(urls, author, Visibility(post.visibility), mention_uris)
    document: dict[str, Any] = {
        # Its own context: the Note is signed on its own (FEP-8b32) and served on its own.
        "@context": NOTE_CONTEXT,
        "id": post.uri,
        "type": "Note",
        "attributedTo": author.uri,
        "content": post.content,
        "source": {"content": post.source, "mediaType": "text/plain"},
        "published": iso(post.created_at),
        "url": urls.post_page(author.username, post.id),
        "replies": urls.replies(author.username, post.id),
        "to": to,
        "cc": cc,
        "sensitive": post.sensitive or bool(post.spoiler_text),
        "summary": post.spoiler_text or None,
        "inReplyTo": in_reply_to_uri,
        "context": context,
        "conversation": context,
        "tag": [{"type": "Mention", "href": m.uri, "name": handle(m)} for m in mentions]
        + [{"type": "Hashtag", "href": urls.tag(t), "name": f"#{t}"} for t in tags],
    }
    if post.language:
        document["contentMap"] = {post.language: post.content}
    if post.edited_at:
        document["updated"] = iso(post.edited_at)
    return document


def create_id(post_uri: str) -> str:
    """The id of the Create that published a post."""
    return f"{post_uri}/activity"


def wrap(
    activity_type: str,
    activity_id: str,
    actor: Account,
    obj: dict[str, Any] | str,
    *,
    to: list[str] | None = None,
    cc: list[str] | None = None,
    published: datetime | None = None,
) -> dict[str, Any]:
    """An activity by `actor` about `obj` (an embedded object or a bare id)."""
    activity: dict[str, Any] = {
        "@context": CONTEXT,
        "id": activity_id,
        "type": activity_type,
        "actor": actor.uri,
        "object": obj,
    }
    if isinstance(obj, dict):
        to = obj.get("to", []) if to is None else to
        cc = obj.get("cc", []) if cc is None else cc
    if to is not None:
        activity["to"] = to
    if cc:
        activity["cc"] = cc
    if published is not None:
        activity["published"] = iso(published)
    return activity


PUBLIC_ALIASES = {PUBLIC, "as:Public", "Public"}  # how servers spell the public collection


def is_public(document: dict[str, Any]) -> bool:
    """Anyone may see it (`visibility_of` its addressing is public or unlisted), however
    the public collection is spelled: what gateways serve and replicas keep."""
    to, cc = (_addressees(document.get(field)) for field in ("to", "cc"))
    return visibility_of(to, cc, None).is_open


def _addressees(value: Any) -> tuple[str, ...]:
    listed = value if isinstance(value, list) else [value]
    named = [item for item in listed if isinstance(item, str)]
    return tuple(PUBLIC if item in PUBLIC_ALIASES else item for item in named)


def object_id_of(activity: dict[str, Any]) -> str | None:
    """The id of an activity's object, embedded or named."""
    obj = activity.get("object")
    if isinstance(obj, dict):
        obj = obj.get("id")
    return obj if isinstance(obj, str) else None


def addressees(activity: dict[str, Any]) -> set[str]:
    """Everyone an activity (or the object it embeds) is addressed to."""
    found: set[str] = set()
    documents = [activity]
    if isinstance(activity.get("object"), dict):
        documents.append(activity["object"])
    for document in documents:
        for field in ("to", "cc", "bto", "bcc"):
            value = document.get(field) or []
            values = value if isinstance(value, list) else [value]
            found.update(v for v in values if isinstance(v, str))
    return found


def undo(activity_id: str, actor: Account, undone: dict[str, Any]) -> dict[str, Any]:
    inner = {key: value for key, value in undone.items() if key not in ("@context", "proof")}
    return wrap("Undo", activity_id, actor, inner, to=inner.get("to"), cc=inner.get("cc"))
