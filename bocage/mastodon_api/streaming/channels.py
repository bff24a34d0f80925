"""The streams a client can subscribe to, as Mastodon names them (docs.joinmastodon.org/methods/
streaming), and who may: since Mastodon 4.2 every stream needs a user token.

A `Channel` is what the hub routes on: its `key` names what is published to it (whose home
feed, which hashtag…), its `label` is the `stream` array Mastodon's WebSocket messages carry
(`["hashtag", "cats"]`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bocage.core.auth import oauth
from bocage.core.timelines.timelines import PublicTimeline
from bocage.kernel import numbers
from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api.auth import ApiError

# The SSE paths under /api/v1/streaming/ and the stream each one is.
PATHS = {
    "user": "user",
    "user/notification": "user:notification",
    "public": "public",
    "public/local": "public:local",
    "public/remote": "public:remote",
    "hashtag": "hashtag",
    "hashtag/local": "hashtag:local",
    "list": "list",
    "direct": "direct",
}
PUBLIC = frozenset(
    f"public{where}{media}" for where in ("", ":local", ":remote") for media in ("", ":media")
)
STREAMS = frozenset(
    {"user", "user:notification", "hashtag", "hashtag:local", "list", "direct", *PUBLIC}
)

Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Channel:
    key: Key
    label: tuple[str, ...]


def channel(
    grant: oauth.Grant, stream: str, *, tag: str = "", list_id: str = "", only_media: bool = False
) -> Channel:
    """The channel for a subscription, or the refusal Mastodon gives."""
    if stream not in STREAMS:
        raise InvalidInput("Unknown stream type")
    account = grant.account
    if account is None:
        raise ApiError("This method requires an authenticated user", 401)
    needed = "read:notifications" if stream == "user:notification" else "read:statuses"
    if not grant.allows(needed):
        raise ApiError("Access token does not cover required scopes", 401)
    if stream in PUBLIC:
        if only_media and not stream.endswith(":media"):
            stream += ":media"
        return Channel((stream,), (stream,))
    if stream in ("hashtag", "hashtag:local"):
        name = tag.strip().lstrip("#").lower()
        if not name:
            raise InvalidInput("No tag for stream provided")
        return Channel((stream, name), (stream, tag))
    if stream == "list":
        found = numbers.parse_id(list_id)
        if found is None:
            raise InvalidInput("No list for stream provided")
        return Channel(("list", found), ("list", list_id))
    return Channel((stream, account.id), (stream,))


def timeline_of(key: Key) -> PublicTimeline | None:
    """The public or hashtag timeline a broadcast channel streams live (None for a person's
    own streams): `public:remote:media` is `GET /api/v1/timelines/public?remote=true&
    only_media=true`, `hashtag:local` is the tag's timeline with `local=true`."""
    stream = str(key[0])
    if stream in PUBLIC:
        parts = stream.split(":")[1:]
        where = "local" if "local" in parts else "remote" if "remote" in parts else "all"
        return PublicTimeline(where, only_media="media" in parts)
    if stream in ("hashtag", "hashtag:local"):
        return PublicTimeline("local" if stream == "hashtag:local" else "all", tag=str(key[1]))
    return None


def notifications_allowed(grant: oauth.Grant) -> bool:
    """The user stream carries notifications only for tokens that may read them."""
    return grant.allows("read:notifications")
