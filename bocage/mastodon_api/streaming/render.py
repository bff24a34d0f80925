"""What each connected client is sent for an event: who should be told (the same rules as
the timelines they stream), and the payload as that person may see it.

Runs inside one database read (`deliveries`), off the event loop, reading through its
`Reader` (services/reader.py). Home and list streams get
statuses rendered for their reader (their own favourited, bookmarked… flags, as Mastodon
renders each home feed insertion for its account); public and hashtag streams get one
rendering for everyone, as Mastodon's do, sent to the readers whose timeline would show the
post (`timelines.PublicTimeline`: the public timelines' own rules, not a copy of them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson

from bocage.kernel.context import Context
from bocage.kernel.events import Event
from bocage.mastodon_api import views
from bocage.mastodon_api.streaming import channels
from bocage.services.reader import Reader
from bocage.store.models import Account, AccountConversation, Notification, Post

if TYPE_CHECKING:
    from bocage.mastodon_api.streaming.hub import Connection

BROADCAST = frozenset({"hashtag", "hashtag:local", *channels.PUBLIC})
Audience = dict[tuple[Any, ...], list["Connection"]]
Outgoing = tuple["Connection", tuple[tuple[str, ...], str, str | None]]


def deliveries(reader: Reader, ctx: Context, event: Event, audience: Audience) -> list[Outgoing]:
    match event.kind:
        case "post.published":
            return _post(reader, ctx, event.data["post_id"], "update", audience)
        case "post.updated":
            return _post(reader, ctx, event.data["post_id"], "status.update", audience)
        case "post.deleted":
            return _deleted(event.data["post_id"], event.data.get("readers"), audience)
        case "notification":
            return _notification(reader, ctx, event.data, audience)
        case "conversation":
            return _conversation(reader, ctx, event.data, audience)
        case "filters.changed":
            conns = audience.get(("user", event.data["account_id"]), [])
            return _to(conns, ("user",), "filters_changed", None)
        case "announcement.reaction":
            return _announcement_reaction(event.data, audience)
        case _:
            return []


def _post(
    reader: Reader, ctx: Context, post_id: int, name: str, audience: Audience
) -> list[Outgoing]:
    post = reader.get(Post, post_id)
    if post is None:
        return []
    return [
        *_to_home_readers(reader, ctx, post, name, audience),
        *_to_list_readers(reader, ctx, post, name, audience),
        *_to_public_streams(reader, ctx, post, name, audience),
    ]


def _to_home_readers(
    reader: Reader, ctx: Context, post: Post, name: str, audience: Audience
) -> list[Outgoing]:
    by_reader = {key[1]: conns for key, conns in audience.items() if key[0] == "user"}
    readers = reader.home_readers(post.id, list(by_reader))
    payloads = _as_each_sees_it(reader, ctx, post.id, readers)
    return [
        out
        for reader_id, payload in payloads.items()
        for out in _to(by_reader[reader_id], ("user",), name, payload)
    ]


def _to_list_readers(
    reader: Reader, ctx: Context, post: Post, name: str, audience: Audience
) -> list[Outgoing]:
    """The lists whose feed took the post, for the owners streaming them whose list timeline
    shows it (mutes, blocks and boosted posts as home applies them)."""
    streamed = {key[1]: conns for key, conns in audience.items() if key[0] == "list"}
    if not streamed:
        return []
    owners = {
        list_id: owner for list_id, owner in reader.lists_containing(post.id) if list_id in streamed
    }
    readers = reader.list_readers(post, list(set(owners.values())))
    payloads = _as_each_sees_it(reader, ctx, post.id, readers)
    return [
        (conn, (label, name, payloads[owner]))
        for list_id, owner in owners.items()
        if owner in payloads
        for conn in streamed[list_id]
        if conn.viewer_id == owner and (label := _label(conn, ("list", list_id)))
    ]


def _as_each_sees_it(
    reader: Reader, ctx: Context, post_id: int, readers: list[int]
) -> dict[int, str]:
    """The post's Status for each reader, as JSON (home and lists: the "home" context)."""
    seen = reader.as_readers_see_it(post_id, readers)
    return {
        reader_id: _json(entity)
        for reader_id, entity in views.for_readers(reader, ctx, seen, "home").items()
    }


def _to_public_streams(
    reader: Reader, ctx: Context, post: Post, name: str, audience: Audience
) -> list[Outgoing]:
    """The post on each public and hashtag stream whose timeline shows it to the reader, by
    the timeline's own rules (`timelines.PublicTimeline`): one rendering for everyone, as
    Mastodon broadcasts, with each reader's own filters."""
    tags: set[str] | None = None
    subscribed: list[tuple[tuple[Any, ...], Connection]] = []
    for key, conns in audience.items():
        timeline = channels.timeline_of(key)
        if timeline is None:
            continue
        if timeline.tag is not None:  # a shortcut: the rules say it again
            if tags is None:
                tags = reader.tags_of(post.id)
            if timeline.tag not in tags:
                continue
        candidates = list({conn.viewer_id for conn in conns})
        readers = set(reader.public_readers(timeline, post.id, candidates))
        subscribed += [(key, conn) for conn in conns if conn.viewer_id in readers]
    if not subscribed:
        return []
    shown = reader.hydrate(None, [post.id])
    rendered = views.statuses(reader, ctx, shown, None, "public")
    if not rendered:
        return []
    payloads: dict[int, str | None] = {}
    for viewer_id in {conn.viewer_id for _key, conn in subscribed}:
        entity = views.for_viewer(reader, rendered[0], shown, viewer_id, "public")
        payloads[viewer_id] = None if entity is None else _json(entity)
    return [
        (conn, (label, name, payload))
        for key, conn in subscribed
        if (label := _label(conn, key)) and (payload := payloads.get(conn.viewer_id)) is not None
    ]


def _deleted(post_id: int, readers: list[int] | None, audience: Audience) -> list[Outgoing]:
    """`readers` None: the post was public (or too widely read to name everyone)."""
    told = set(readers or [])
    out: list[Outgoing] = []
    for key, conns in audience.items():
        if key[0] in ("user", "list") or (readers is None and key[0] in BROADCAST):
            out += [
                (conn, (label, "delete", str(post_id)))
                for conn in conns
                if (readers is None or conn.viewer_id in told) and (label := _label(conn, key))
            ]
    return out


def _notification(
    reader: Reader, ctx: Context, data: dict[str, Any], audience: Audience
) -> list[Outgoing]:
    account_id = data["account_id"]
    on_user = [conn for conn in audience.get(("user", account_id), []) if conn.notifications]
    on_own = audience.get(("user:notification", account_id), [])
    if not on_user and not on_own:
        return []
    row = reader.get(Notification, data["notification_id"])
    viewer = reader.get(Account, account_id)
    if row is None or viewer is None or row.type not in views.NOTIFICATION_TYPES:
        return []
    entity = views.notification(reader, ctx, viewer, row, keep_hidden=False)
    if entity is None:
        return []  # its post is one the reader's filters hide from notifications
    payload = _json(entity)
    return [
        *_to(on_user, ("user",), "notification", payload),
        *_to(on_own, ("user:notification",), "notification", payload),
    ]


def _conversation(
    reader: Reader, ctx: Context, data: dict[str, Any], audience: Audience
) -> list[Outgoing]:
    conns = audience.get(("direct", data["account_id"]), [])
    if not conns:
        return []
    row = reader.get(AccountConversation, data["conversation_id"])
    viewer = reader.get(Account, data["account_id"])
    if row is None or viewer is None:
        return []
    payload = _json(views.conversation_entities(reader, ctx, viewer, [row])[0])
    return _to(conns, ("direct",), "conversation", payload)


def _announcement_reaction(data: dict[str, Any], audience: Audience) -> list[Outgoing]:
    """Every user stream (announcements are the node's, to everyone), as Mastodon's
    PublishAnnouncementReactionWorker: the emoji, its count now, the announcement's id."""
    conns = [conn for key, found in audience.items() if key[0] == "user" for conn in found]
    payload = {
        "name": data["name"],
        "count": data["count"],
        "announcement_id": str(data["announcement_id"]),
    }
    return _to(conns, ("user",), "announcement.reaction", _json(payload))


def _label(conn: Connection, key: tuple[Any, ...]) -> tuple[str, ...] | None:
    """The `stream` a connection's messages carry for a channel; None if it unsubscribed
    since the audience was taken (the event loop changes subscriptions meanwhile)."""
    channel = conn.channels.get(key)
    return channel.label if channel is not None else None


def _to(
    conns: Iterable[Connection], stream: tuple[str, ...], name: str, payload: str | None
) -> list[Outgoing]:
    return [(conn, (stream, name, payload)) for conn in conns]


def _json(document: Any) -> str:
    return orjson.dumps(document).decode()
