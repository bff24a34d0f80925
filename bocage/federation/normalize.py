"""Remote quirks, cleaned up once, at the edge (GoToSocial's `ap/normalize.go` is the model).

Servers disagree on shapes: a single value where a list is expected (GoToSocial, Pleroma),
`as:Public` or `Public` for the public collection, actors and objects embedded or given by id,
`attributedTo` as a list of a channel and a person (PeerTube), `contentMap` without `content`
(some Misskey forks), `_misskey_*` extras, `url` as a string, a Link or a list of Links.
Everything here turns one raw document into a core type (`core.remote`) or an `Incoming`
activity with plain fields, or raises `Malformed` with a reason a person can read.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from bocage.core.authorship.activities import PUBLIC, PUBLIC_ALIASES
from bocage.core.content import text
from bocage.core.inbound.remote import ActorProfile, MediaKind, RemoteAttachment, RemotePost
from bocage.core.media.serving import CONTENT_TYPES
from bocage.core.polls.polls import MAX_OPTION_CHARS, RemotePoll
from bocage.core.quotes.quotes import RemoteQuote
from bocage.crypto import identity_proofs
from bocage.crypto.keys import KeyFormatError, public_key_from_multibase
from bocage.edge import nul_field
from bocage.kernel.urls import host, same_origin

ACTOR_TYPES = {"Person", "Service", "Application", "Group", "Organization"}
MAX_URI = 500  # ids and URLs, as long as the store's columns for them (store/models/)
MAX_TAG = 100
AS_TYPES = ("application/activity+json", "application/ld")
POST_TYPES = {"Note", "Article", "Page", "Question", "Video", "Event", "Audio", "Image"}
MAX_NAME = 200
MAX_URI_BYTES = 500  # ids and actors are kept in columns of that size
MAX_POLL_OPTIONS = 20  # more than any server allows; a longer list is cut, not refused


class Malformed(ValueError):
    """The document cannot be understood; the message says what is wrong."""


@dataclass(frozen=True)
class Incoming:
    """An activity with the shape every handler can rely on."""

    id: str
    type: str
    actor: str
    object: dict[str, Any] | str | None  # embedded object, or its id
    object_id: str | None
    target: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    raw: dict[str, Any]


# --- small helpers every shape needs --------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def loads(body: bytes | str) -> Any:
    """A remote JSON document. `Malformed` if it is not JSON, or holds a NUL character (no
    text column of PostgreSQL can keep one); looked for only when the text has its escape."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Malformed("the body is not JSON") from None
    escaped = "\\u0000" in body if isinstance(body, str) else b"\\u0000" in body
    if escaped and nul_field([("document", document)]) is not None:
        raise Malformed("the document holds a NUL character")
    return document


def id_of(value: Any) -> str | None:
    """The id of an embedded object, a Link's href, or the string itself."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        found = value.get("id") or value.get("href")
        return found if isinstance(found, str) else None
    if isinstance(value, list) and value:
        return id_of(value[0])
    return None


def uri_of(value: Any) -> str | None:
    """`id_of`, if it is short enough to be kept (MAX_URI): a longer one names nothing."""
    found = id_of(value)
    return found if found is not None and len(found) <= MAX_URI else None


def first_string(value: Any) -> str | None:
    for item in as_list(value):
        if isinstance(item, str):
            return item
    return None


def type_of(document: dict[str, Any]) -> str:
    kind = document.get("type")
    if isinstance(kind, list):  # JSON-LD allows several types; the known one wins
        known = (k for k in kind if isinstance(k, str) and k in ACTOR_TYPES | POST_TYPES)
        kind = next(known, first_string(kind))
    return kind if isinstance(kind, str) else ""


def audience(value: Any) -> tuple[str, ...]:
    found = (uri_of(item) for item in as_list(value))
    return tuple(PUBLIC if item in PUBLIC_ALIASES else item for item in found if item)


def timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _url(value: Any) -> str | None:
    """`url`/`icon`: a string, a Link or Image object, or a list of them (HTML link first)."""
    items = as_list(value)
    for item in items:
        if isinstance(item, dict) and item.get("mediaType") == "text/html":
            return uri_of(item) or uri_of(item.get("url"))
    for item in items:
        if isinstance(item, str):
            return uri_of(item)
        if isinstance(item, dict):
            found = uri_of(item.get("url")) if isinstance(item.get("url"), str) else uri_of(item)
            if found:
                return found
    return None


# --- activities ------------------------------------------------------------------------------


def activity(document: Any) -> Incoming:
    if not isinstance(document, dict):
        raise Malformed("an activity must be a JSON object")
    kind = type_of(document)
    identifier = uri_of(document.get("id"))
    actor = uri_of(document.get("actor"))
    if not kind:
        raise Malformed("the activity has no type")
    if not isinstance(document.get("id"), str) or identifier is None:
        raise Malformed(f"the activity has no id (an http(s) URL of at most {MAX_URI} characters)")
    if not identifier.startswith(("https://", "http://")):
        raise Malformed("the activity has no id (an http(s) URL)")
    if not actor:
        raise Malformed("the activity has no actor")
    if len(identifier.encode()) > MAX_URI_BYTES or len(actor.encode()) > MAX_URI_BYTES:
        raise Malformed(f"the activity's id or actor is longer than {MAX_URI_BYTES} bytes")
    if not same_origin(identifier, actor):
        # Whatever face it came through (an inbox, a peer's log): an actor names only its
        # own activities, or it could take another server's next id first and have the real
        # activity dropped as a duplicate.
        raise Malformed("the activity's id is not on its actor's server")
    obj = document.get("object")
    if isinstance(obj, list):  # one object per activity is all anyone sends in practice
        obj = obj[0] if obj else None
    return Incoming(
        id=identifier,
        type=kind,
        actor=actor,
        object=obj if isinstance(obj, dict | str) else None,
        object_id=uri_of(obj),
        target=uri_of(document.get("target")),
        to=audience(document.get("to")),
        cc=audience(document.get("cc")),
        raw=document,
    )


def flag(incoming: Incoming) -> tuple[list[str], str]:
    """What a Flag reports (an account and some of its posts, in any order) and why."""
    reported = [found for found in map(uri_of, as_list(incoming.raw.get("object"))) if found]
    reason = incoming.raw.get("content") or incoming.raw.get("summary")  # Lemmy: summary
    return reported, text.plain(reason) if isinstance(reason, str) else ""


# --- actors ----------------------------------------------------------------------------------


def actor_link(jrd: dict[str, Any]) -> str | None:
    """The actor a WebFinger answer (JRD) points at: its `self` link of an ActivityStreams
    type."""
    for link in as_list(jrd.get("links")):
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        kind, href = link.get("type"), link.get("href")
        if isinstance(kind, str) and kind.startswith(AS_TYPES) and isinstance(href, str):
            if uri_of(href):
                return href
    return None


def actor(document: dict[str, Any], fetched_from: str) -> ActorProfile:
    """An actor document, trusted only for ids on the server it was fetched from."""
    uri = uri_of(document.get("id"))
    if not isinstance(document.get("id"), str) or not uri or not same_origin(uri, fetched_from):
        raise Malformed(f"the actor's id is not on {host(fetched_from)} (or is too long)")
    kind = type_of(document)
    if kind not in ACTOR_TYPES:
        raise Malformed(f"{kind or 'an untyped object'} is not an actor")
    inbox = uri_of(document.get("inbox"))
    if not inbox:
        raise Malformed(f"the actor has no inbox (a URL of at most {MAX_URI} characters)")
    endpoints = document.get("endpoints")
    shared = uri_of(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else None
    key_id, pem = _rsa_key(document, uri)
    username = document.get("preferredUsername")
    if not isinstance(username, str) or not username.strip():
        username = urlsplit(uri).path.rstrip("/").rsplit("/", 1)[-1] or host(uri)
    return ActorProfile(
        uri=uri,
        username=username.strip()[:64],
        domain=host(uri),
        inbox=inbox,
        actor_type=kind,
        display_name=_plain(document.get("name"))[:MAX_NAME],
        note=text.sanitize_remote(document.get("summary") or "")
        if isinstance(document.get("summary"), str)
        else "",
        fields=_fields(document.get("attachment")),
        locked=document.get("manuallyApprovesFollowers") is True,
        discoverable=document.get("discoverable") is True,
        indexable=document.get("indexable") is True,
        shared_inbox=shared if shared and same_origin(shared, uri) else None,
        key_id=key_id,
        public_key_pem=pem,
        **_did(document),
        followers_url=uri_of(document.get("followers")),
        url=_url(document.get("url")),
        avatar_url=_url(document.get("icon")),
        header_url=_url(document.get("image")),
        also_known_as=_ids(document.get("alsoKnownAs")),
        moved_to=uri_of(document.get("movedTo")),
        gateways=_gateways(document.get("gateways")),
    )


MAX_GATEWAYS = 10


def _gateways(value: Any) -> tuple[str, ...]:
    """FEP-ef61 `gateways`: base URLs of the nodes serving the actor's objects (a claim, used
    only to find peers: everything they serve is verified against the actor's key)."""
    found = []
    for item in as_list(value)[:MAX_GATEWAYS]:
        if isinstance(item, str) and item.startswith(("https://", "http://")) and uri_of(item):
            if not host(item):
                continue
            parts = urlsplit(item)
            found.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return tuple(dict.fromkeys(found))


def _ids(value: Any) -> tuple[str, ...]:
    return tuple(found for found in (uri_of(item) for item in as_list(value)) if found)


def _rsa_key(document: dict[str, Any], uri: str) -> tuple[str | None, str | None]:
    for key in as_list(document.get("publicKey")):
        if not isinstance(key, dict):
            continue
        owner = id_of(key.get("owner")) or uri
        pem = key.get("publicKeyPem")
        key_id = uri_of(key.get("id"))
        if owner == uri and isinstance(pem, str) and isinstance(key.get("id"), str) and key_id:
            return key_id, pem
    return None, None


def _did(document: dict[str, Any]) -> dict[str, Any]:
    """The actor's did:key: the one an FEP-c390 identity proof binds to it (proven), else the
    first Ed25519 Multikey it lists under `assertionMethod` (FEP-521a; only a claim)."""
    proven = identity_proofs.proven_did(document)
    if proven is not None:
        return {"did": proven, "did_proven": True}
    for method in as_list(document.get("assertionMethod")):
        if not isinstance(method, dict) or method.get("type") != "Multikey":
            continue
        value = method.get("publicKeyMultibase")
        if not isinstance(value, str):
            continue
        try:
            public_key_from_multibase(value)
        except (KeyFormatError, TypeError, ValueError):
            continue
        return {"did": f"did:key:{value}", "did_proven": False}
    return {"did": None, "did_proven": False}


def _fields(value: Any) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in as_list(value):
        if isinstance(item, dict) and item.get("type") == "PropertyValue":
            name, shown = item.get("name"), item.get("value")
            if isinstance(name, str) and isinstance(shown, str):
                pairs.append((_plain(name)[:255], text.plain(shown)[:255]))
    return tuple(pairs[:8])


def _plain(value: Any) -> str:
    return text.plain(html.escape(value)) if isinstance(value, str) else ""


# --- posts -----------------------------------------------------------------------------------


def post(document: dict[str, Any], *, with_media: bool = True) -> RemotePost:
    """A Note, or a type shown as one: the title of an Article/Page/Video/Event becomes the
    first line, a Question carries its poll, its media are described in `attachments` (and
    only what is no medium we show, an `unknown` file or a link, is linked in the content)
    unless `with_media` is off (the admin rejects its server's media)."""
    kind = type_of(document)
    if kind not in POST_TYPES:
        raise Malformed(f"{kind or 'an untyped object'} is not a post")
    uri = document.get("id")
    if not isinstance(uri, str) or len(uri) > MAX_URI:
        raise Malformed(f"the post has no id (of at most {MAX_URI} characters)")
    author = _author(document.get("attributedTo"))
    if not author or not same_origin(author, uri):
        raise Malformed("the post's author is missing or on another server than the post")
    published = timestamp(document.get("published")) or datetime.now(UTC)
    found_poll = poll(document) if kind == "Question" else None
    return RemotePost(
        uri=uri,
        author_uri=author,
        content=_content(document, kind, with_media, listed=found_poll is None),
        published=published,
        to=audience(document.get("to")),
        cc=audience(document.get("cc")),
        spoiler_text=_plain(document.get("summary")) if kind == "Note" else "",
        in_reply_to=uri_of(document.get("inReplyTo")),
        updated=timestamp(document.get("updated")),
        language=_language(document),
        mentions=tuple(m for m in _tags(document, "Mention", "href") if len(m) <= MAX_URI),
        tags=tuple(t.lstrip("#")[:MAX_TAG] for t in _tags(document, "Hashtag", "name")),
        poll=found_poll,
        context=_context(document),
        attachments=attachments(document, kind) if with_media else (),
        sensitive=_sensitive(document),
        quote=quote(document),
        can_quote=can_quote(document),
    )


# What a post quotes, by the names servers give it, in Mastodon's order of preference: FEP-044f's
# `quote`, Misskey's `_misskey_quote`, `quoteUrl` (Misskey, Akkoma), Fedibird's `quoteUri`.
QUOTE_KEYS = ("quote", "_misskey_quote", "quoteUrl", "quoteUri")
MAX_POLICY_ITEMS = 50  # ids looked at in a canQuote list: more than any policy names


def quote(document: dict[str, Any]) -> RemoteQuote | None:
    """The post a Note quotes and the authorization it names (`quoteAuthorization`), or None.
    A `quote` that is a Tombstone (the quoted post was deleted) quotes nothing shown."""
    given = document.get("quote")
    if isinstance(given, dict) and type_of(given) == "Tombstone":
        return None
    for key in QUOTE_KEYS:
        value = as_list(document.get(key))
        quoted = uri_of(value[0]) if value else None
        if quoted and len(quoted) <= MAX_URI:
            approval = as_list(document.get("quoteAuthorization"))
            approval_uri = uri_of(approval[0]) if approval else None
            if approval_uri is not None and len(approval_uri) > MAX_URI:
                approval_uri = None
            return RemoteQuote(quoted, approval_uri)
    return None


def can_quote(document: dict[str, Any]) -> dict[str, tuple[str, ...]] | None:
    """`interactionPolicy.canQuote` (GoToSocial's and Mastodon's): its approval lists as ids,
    a single value read as a list, the public collection however spelled as its full IRI."""
    policy = document.get("interactionPolicy")
    given = policy.get("canQuote") if isinstance(policy, dict) else None
    if not isinstance(given, dict):
        return None
    found: dict[str, tuple[str, ...]] = {}
    for key in ("automaticApproval", "manualApproval"):
        ids = (id_of(item) for item in as_list(given.get(key))[:MAX_POLICY_ITEMS])
        found[key] = tuple(
            PUBLIC if uri in PUBLIC_ALIASES else uri
            for uri in ids
            if uri is not None and len(uri) <= MAX_URI
        )
    return found


MAX_CONTEXT = 500  # as long as a post's id may be


def _context(document: dict[str, Any]) -> str | None:
    """The thread's context: `context` (FEP-7888, Pleroma, Misskey, GoToSocial: a URL, or
    an object with an id), else Mastodon's `conversation` (a `tag:` URI). An opaque id,
    kept to be given back on replies; never fetched."""
    for key in ("context", "conversation"):
        found = id_of(document.get(key))
        if (
            isinstance(found, str)
            and len(found) <= MAX_CONTEXT
            and found.startswith(("https://", "http://", "tag:"))
        ):
            return found
    return None


def poll(document: dict[str, Any]) -> RemotePoll | None:
    """A Question's poll: `oneOf` (single choice) or `anyOf` options named by `name` (some
    servers use `content`), counted in `replies.totalItems`; None if it lists no option."""
    multiple = not document.get("oneOf") and bool(document.get("anyOf"))
    options: list[str] = []
    tallies: list[int] = []
    for item in as_list(document.get("anyOf" if multiple else "oneOf"))[:MAX_POLL_OPTIONS]:
        if not isinstance(item, dict):
            continue
        title = item.get("name") or item.get("content")
        if not isinstance(title, str) or not title.strip() or title.strip() in options:
            continue
        options.append(_plain(title.strip())[: MAX_OPTION_CHARS * 4])
        replies = item.get("replies")
        count = replies.get("totalItems") if isinstance(replies, dict) else None
        tallies.append(count if isinstance(count, int) and count >= 0 else 0)
    if not options:
        return None
    voters = document.get("votersCount")
    end = timestamp(document.get("endTime")) or timestamp(document.get("closed"))
    return RemotePoll(
        options=tuple(options),
        tallies=tuple(tallies),
        multiple=multiple,
        expires_at=end,
        closed=document.get("closed") not in (None, False),
        voters_count=voters if isinstance(voters, int) and voters >= 0 else None,
    )


def vote(document: dict[str, Any]) -> tuple[str, str] | None:
    """(the Question it answers, the option's name) if a Note may be a poll vote: Mastodon's
    shape, a `name` and an `inReplyTo` (whether it is one depends on what it answers)."""
    name, answered = document.get("name"), uri_of(document.get("inReplyTo"))
    if type_of(document) != "Note" or not isinstance(name, str) or not name or not answered:
        return None
    return answered, name


def _author(value: Any) -> str | None:
    """PeerTube lists a channel (Group) and a Person: the person wrote it."""
    candidates = as_list(value)
    for item in candidates:
        if isinstance(item, dict) and item.get("type") == "Person":
            return uri_of(item)
    return uri_of(candidates[0]) if candidates else None


def _content(document: dict[str, Any], kind: str, with_media: bool, *, listed: bool) -> str:
    body = document.get("content")
    if not isinstance(body, str):
        mapped = document.get("contentMap")
        texts = (
            (v for v in mapped.values() if isinstance(v, str)) if isinstance(mapped, dict) else ()
        )
        body = next(iter(texts), "")
    if not body and isinstance(document.get("source"), dict) and kind == "Note":
        body = html.escape(str(document["source"].get("content", "")))
    parts: list[str] = []
    name = document.get("name")
    if kind != "Note" and kind != "Question" and isinstance(name, str) and name:
        link = html.escape(str(_url(document.get("url")) or document.get("id")), quote=True)
        parts.append(f'<p><a href="{link}">{html.escape(name)}</a></p>')
    parts.append(body or "")
    if kind == "Question" and listed:  # a poll that could not be read: its options as text
        options = as_list(document.get("oneOf")) + as_list(document.get("anyOf"))
        names = [o.get("name") for o in options if isinstance(o, dict)]
        items = "".join(f"<li>{html.escape(n)}</li>" for n in names if isinstance(n, str) and n)
        parts.append(f"<ul>{items}</ul>")
    if with_media:
        parts.extend(_links(document))
    return text.sanitize_remote("".join(parts))


def _links(document: dict[str, Any]) -> list[str]:
    """The attachments shown as links in the content: those that are no medium shown as an
    attachment (an `unknown` file, a Link, one past the cap)."""
    links = []
    for item, medium in _attached(document):
        if medium is not None and medium.kind != "unknown":
            continue
        if item.get("type") == "PropertyValue":
            continue
        url = _url(item.get("url")) or _url(item.get("href"))
        if url:
            label = item.get("name") or item.get("mediaType") or "attachment"
            links.append(
                f'<p><a href="{html.escape(url, quote=True)}">{html.escape(str(label))}</a></p>'
            )
    return links


def _language(document: dict[str, Any]) -> str | None:
    mapped = document.get("contentMap")
    if isinstance(mapped, dict) and mapped:
        language = next(iter(mapped))
        return language[:16] if isinstance(language, str) and len(language) >= 2 else None
    return None


def _tags(document: dict[str, Any], kind: str, key: str) -> tuple[str, ...]:
    found = []
    for tag in as_list(document.get("tag")):
        if isinstance(tag, dict) and tag.get("type") == kind and isinstance(tag.get(key), str):
            found.append(tag[key])
    return tuple(found)


# --- media -----------------------------------------------------------------------------------
# Each server describes a medium its own way: Mastodon a Document with `name` (alt),
# `blurhash` and `focalPoint`; GoToSocial the alt in `summary`; Pleroma and Akkoma `url` as a
# list of Links carrying the size; PeerTube a Video whose `url` lists files (`mimeType` in old
# versions), HLS playlists with their files as `tag`, torrents and magnets; Pixelfed and
# Misskey `name: null`, Misskey `sensitive` on each file. Read once here, as Mastodon's
# MediaAttachmentParser and GoToSocial's ExtractAttachment do.

MAX_ATTACHMENTS = 20  # more than any server sends (Mastodon 4, Pixelfed 20): the rest is cut
MAX_ATTACHMENT_ITEMS = 100  # items looked at, whatever they are: a long list costs nothing
MAX_DESCRIPTION = 1500  # alt text, as Mastodon's limit
MAX_SIDE = 100_000  # pixels: a larger width or height is no size
MAX_MEDIA_TYPE = 100
MAX_DIGEST = 200
MEDIA_OBJECT_KINDS: dict[str, MediaKind] = {"Image": "image", "Video": "video", "Audio": "audio"}
ATTACHMENT_TYPES = {"Document", "Image", "Video", "Audio", ""}  # "": untyped, as some send
BLURHASH = re.compile(r"[0-9A-Za-z#$%*+,\-.:;=?@\[\]^_{|}~]{6,100}")
BLURHASH_DIGITS = (
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
)
MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
DIGEST = re.compile(r"[A-Za-z0-9_-]{8,200}")
DOCUMENT_TYPES = {
    "application/pdf",
    "application/epub+zip",
    "application/zip",
    "text/plain",
    "text/markdown",
}
# A url with no media type is typed by its extension, as this node serves its own files
# (never Python's mimetypes: it reads /etc); SVG is named so that it is known, and refused.
EXTENSIONS = {
    extension: content_type.split(";")[0] for extension, content_type in CONTENT_TYPES.items()
} | {"svg": "image/svg+xml"}


def attachments(document: dict[str, Any], kind: str = "Note") -> tuple[RemoteAttachment, ...]:
    """The media a post carries, cleaned: only http(s) URLs of at most MAX_URI characters,
    sizes, blurhash and focus checked, alt text plain; what cannot be used is left out, never
    an error. A Video, Audio or Image posted as such (PeerTube, Funkwhale) is its own medium."""
    if kind in MEDIA_OBJECT_KINDS and not as_list(document.get("attachment")):
        medium = _medium(document, MEDIA_OBJECT_KINDS[kind], described=False)
        return (medium,) if medium else ()
    return tuple(medium for _item, medium in _attached(document) if medium is not None)


def _attached(document: dict[str, Any]) -> list[tuple[dict[str, Any], RemoteAttachment | None]]:
    """Each object of `attachment`, with the medium it is (None: a Link (Lemmy's, a payment
    link), a PropertyValue, an embedded Note, one past MAX_ATTACHMENTS)."""
    found: list[tuple[dict[str, Any], RemoteAttachment | None]] = []
    media = 0
    for item in as_list(document.get("attachment"))[:MAX_ATTACHMENT_ITEMS]:
        if not isinstance(item, dict):
            continue
        medium = None
        if type_of(item) in ATTACHMENT_TYPES and media < MAX_ATTACHMENTS:
            declared = MEDIA_OBJECT_KINDS.get(type_of(item), "unknown")
            medium = _medium(item, declared, described=True)
        media += medium is not None
        found.append((item, medium))
    return found


def _medium(
    item: dict[str, Any], declared: MediaKind, *, described: bool
) -> RemoteAttachment | None:
    wanted = "" if declared == "unknown" else declared
    link = _media_link(item.get("url") or item.get("href"), wanted)
    if link is None:
        return None
    url, details = link
    media_type = (
        _media_type(item.get("mediaType") if described else None)
        or _media_type(details.get("mediaType") or details.get("mimeType"))
        or _media_type_of(url)
    )
    width, height = _size(item)
    if width is None or height is None:
        width, height = _size(details)
    return RemoteAttachment(
        kind=_kind(media_type, declared),
        url=url,
        media_type=media_type,
        description=_description(item) if described else "",
        width=width,
        height=height,
        blurhash=_blurhash(item.get("blurhash", item.get("toot:blurhash"))),
        focus=_focus(item.get("focalPoint", item.get("toot:focalPoint"))),
        digest_multibase=_digest(item.get("digestMultibase")),
        license=_web_url(item.get("license")),
        preview_url=_preview(item.get("icon")),
    )


def _media_link(value: Any, wanted: str) -> tuple[str, dict[str, Any]] | None:
    """The file a `url` names: a string, a Link (`href`), or a list of them, PeerTube's HLS
    playlists holding their files as `tag`. Of a list, a link of the wanted kind (video/ for a
    Video) wins, the largest up to 1080 lines; an HTML page, a torrent or a magnet never."""
    candidates: list[tuple[str, dict[str, Any]]] = []
    for item in as_list(value)[:MAX_ATTACHMENT_ITEMS]:
        for link in (
            [item, *as_list(item.get("tag"))[:MAX_ATTACHMENT_ITEMS]]
            if isinstance(item, dict)
            else [item]
        ):
            url = _web_url(link)
            details = link if isinstance(link, dict) else {}
            media_type = _media_type(details.get("mediaType") or details.get("mimeType"))
            if url and (media_type is None or _is_medium(media_type)):
                candidates.append((url, details | {"mediaType": media_type}))
    typed = [c for c in candidates if wanted and (c[1]["mediaType"] or "").startswith(wanted)]
    if typed:
        return max(typed, key=_resolution)
    return candidates[0] if candidates else None


def _is_medium(media_type: str) -> bool:
    return media_type.split("/")[0] in {"image", "video", "audio"} or media_type in DOCUMENT_TYPES


def _resolution(candidate: tuple[str, dict[str, Any]]) -> int:
    height = _side(candidate[1].get("height"))
    return height if height is not None and height <= 1080 else 0


def _web_url(value: Any) -> str | None:
    """An http(s) URL of at most MAX_URI characters, from a string or a Link/Image object."""
    if isinstance(value, dict):
        value = value.get("href") or value.get("url") or value.get("id")
    if not isinstance(value, str) or len(value) > MAX_URI:
        return None
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.hostname else None


def _preview(value: Any) -> str | None:
    """A thumbnail (`icon`): one Image or link, or a list of sizes (PeerTube): the widest."""
    icons = [i for i in as_list(value)[:MAX_ATTACHMENT_ITEMS] if _web_url(i)]
    if not icons:
        return None
    widest = max(icons, key=lambda i: (_side(i.get("width")) or 0) if isinstance(i, dict) else 0)
    return _web_url(widest)


def _media_type(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    found = value.split(";")[0].strip().lower()
    return found if len(found) <= MAX_MEDIA_TYPE and MEDIA_TYPE.fullmatch(found) else None


def _media_type_of(url: str) -> str | None:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return EXTENSIONS.get(extension)


def _kind(media_type: str | None, declared: MediaKind) -> MediaKind:
    if media_type is None:
        return declared
    major = media_type.split("/")[0]
    if media_type == "image/svg+xml":
        return "unknown"  # never shown as a picture (scripts); a later slice refuses it
    if major in ("image", "video", "audio"):
        return MEDIA_OBJECT_KINDS[major.capitalize()]  # image/ → Image → "image"
    return "document" if media_type in DOCUMENT_TYPES else "unknown"


def _description(item: dict[str, Any]) -> str:
    """Alt text: `summary` (GoToSocial), else `name` (Mastodon, Pixelfed, Misskey)."""
    for key in ("summary", "name"):
        found = _plain(item.get(key))
        if found:
            return found[:MAX_DESCRIPTION]
    return ""


def _side(value: Any) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_SIDE else None


def _size(item: dict[str, Any]) -> tuple[int | None, int | None]:
    width, height = _side(item.get("width")), _side(item.get("height"))
    return (width, height) if width is not None and height is not None else (None, None)


def _blurhash(value: Any) -> str | None:
    """A blurhash whose length matches the components its first digit announces."""
    if not isinstance(value, str) or not BLURHASH.fullmatch(value):
        return None
    size = BLURHASH_DIGITS.index(value[0])
    across, down = size % 9 + 1, size // 9 + 1
    return value if len(value) == 4 + 2 * across * down else None


def _focus(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    x, y = value
    if not all(_number(v) for v in (x, y)):
        return None
    return (max(-1.0, min(1.0, float(x))), max(-1.0, min(1.0, float(y))))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _digest(value: Any) -> str | None:
    return value if isinstance(value, str) and DIGEST.fullmatch(value) else None


def _sensitive(document: dict[str, Any]) -> bool:
    """`sensitive` on the post (Mastodon, GoToSocial) or on any file (Misskey)."""
    if document.get("sensitive") is True:
        return True
    files = as_list(document.get("attachment"))[:MAX_ATTACHMENT_ITEMS]
    return any(isinstance(f, dict) and f.get("sensitive") is True for f in files)
