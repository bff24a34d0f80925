"""Mastodon's JSON entities (docs.joinmastodon.org/entities), from the core's rows.

The details clients trip over are kept exactly: ids are strings, dates are ISO 8601 in UTC
with milliseconds and a `Z` (`2019-12-08T03:48:33.901Z`), `last_status_at` is a date only.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from bocage.core.cards.cards import CardView
from bocage.core.content.text import plain
from bocage.core.filters.filters import FilterView
from bocage.core.filters.matching import FilterInfo, Match
from bocage.core.media import audiovisual, media
from bocage.core.media import remote as remote_media
from bocage.core.polls.polls import PollView
from bocage.core.push import push
from bocage.core.reading import visibility
from bocage.core.timelines.timelines import PostView
from bocage.kernel.context import Context
from bocage.store.models import (
    Account,
    AccountConversation,
    Filter,
    FilterKeyword,
    FilterStatus,
    Marker,
    MediaFile,
    OAuthApp,
    ScheduledStatus,
    UserList,
    WebPushSubscription,
)

VERSION = "4.3.0"  # the Mastodon API level clients may expect; Mastodon.py checks it
MISSING_AVATAR = "/static/avatar-missing.png"
MISSING_HEADER = "/static/header-missing.png"


@lru_cache(maxsize=65_536)
def timestamp(moment: datetime) -> str:
    """`2019-12-08T03:48:33.901Z`. A page writes a hundred of these, mostly the same ones
    as the previous page (hence the cache; isoformat is C code, twice as fast as strftime)."""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def account(ctx: Context, row: Any) -> dict[str, Any]:
    """An Account; `row` is an `Account` or a page's author row (same attributes)."""
    urls = ctx.urls
    local = row.domain is None
    base = urls.base
    avatar = urls.media(row.avatar) if row.avatar else base + MISSING_AVATAR
    header = urls.media(row.header) if row.header else base + MISSING_HEADER
    return {
        "id": str(row.id),
        "username": row.username,
        "acct": row.username if local else f"{row.username}@{row.domain}",
        "display_name": row.display_name or "",
        "locked": bool(row.locked),
        "bot": bool(row.bot),
        "discoverable": bool(row.discoverable),
        "indexable": bool(row.indexable),
        "group": False,
        "created_at": timestamp(row.created_at),
        "note": row.note or "",
        "url": urls.profile(row.username) if local else row.uri,
        "uri": row.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": row.followers_count,
        "following_count": row.following_count,
        "statuses_count": row.statuses_count,
        "last_status_at": row.last_status_at.strftime("%Y-%m-%d") if row.last_status_at else None,
        "hide_collections": bool(row.hide_collections),
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": [
            {"name": f["name"], "value": html.escape(f["value"]), "verified_at": None}
            for f in row.fields or []
        ],
    }


def credential_account(
    ctx: Context, row: Account, follow_requests: int, defaults: Any = None
) -> dict[str, Any]:
    """The caller's own Account, with the `source` its settings screens edit (`defaults`:
    the user's posting defaults, `accounts.PostingDefaults`)."""
    return {
        **account(ctx, row),
        "source": {
            "privacy": defaults.privacy if defaults else visibility.DEFAULT,
            "sensitive": bool(defaults.sensitive) if defaults else False,
            "language": defaults.language if defaults else None,
            "note": row.note_source,
            "fields": [
                {"name": f["name"], "value": f["value"], "verified_at": None}
                for f in row.fields or []
            ],
            "follow_requests_count": follow_requests,
            "hide_collections": bool(row.hide_collections),
            "discoverable": bool(row.discoverable),
            "indexable": bool(row.indexable),
            # The sites that may credit this account as an article's author (`fediverse:creator`):
            # people list none here, and Mastodon sends an empty list for an account without any.
            "attribution_domains": [],
        },
        "role": {"id": "-99", "name": "", "permissions": "0", "color": "", "highlighted": False},
    }


@dataclass
class PageLoad:
    """What a page's statuses need beyond their rows, loaded once for the page
    (views.statuses): tags, attachments, and the Account entities already built (a page
    shows the same few authors again and again)."""

    tags: dict[int, list[str]]
    attachments: dict[int, list[MediaFile]]
    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)

    def account(self, ctx: Context, row: Any) -> dict[str, Any]:
        found = self.accounts.get(row.id)
        if found is None:
            found = self.accounts[row.id] = account(ctx, row)
        return found


def status(ctx: Context, view: PostView, page: PageLoad) -> dict[str, Any]:
    """A Status; a boost carries the boosted post's Status as `reblog`."""
    post = view.post
    boosted = status(ctx, view.reblog, page) if view.reblog else None
    local = view.author.domain is None
    url = ctx.urls.post_page(view.author.username, post.id) if local else post.uri
    return {
        "id": str(post.id),
        "uri": post.uri,
        "url": None if boosted else url,
        "created_at": timestamp(post.created_at),
        "edited_at": timestamp(post.edited_at) if post.edited_at else None,
        "account": page.account(ctx, view.author),
        "content": "" if boosted else post.content,
        "visibility": post.visibility,
        "sensitive": post.sensitive or bool(post.spoiler_text),
        "spoiler_text": post.spoiler_text or "",
        "media_attachments": [
            media_attachment(ctx, row, post.visibility in remote_media.SHARED)
            for row in page.attachments.get(post.id, [])
        ],
        "application": None,
        "mentions": [_mention(ctx, mentioned) for mentioned in view.mentions],
        "tags": [{"name": t, "url": ctx.urls.tag(t)} for t in page.tags.get(post.id, [])],
        "emojis": [],
        "reblogs_count": post.reblogs_count,
        "favourites_count": post.favourites_count,
        "replies_count": post.replies_count,
        "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
        "in_reply_to_account_id": (
            str(post.in_reply_to_account_id) if post.in_reply_to_account_id else None
        ),
        "reblog": boosted,
        "poll": poll(view.poll) if view.poll is not None and not boosted else None,
        "card": preview_card(ctx, view.card, page) if view.card is not None else None,
        "language": post.language,
        "text": None,
        "favourited": view.favourited,
        "reblogged": view.reblogged,
        "muted": view.muted,
        "bookmarked": view.bookmarked,
        "pinned": post.pinned_at is not None,
        "filtered": [],
    }


def preview_card(
    ctx: Context, shown: CardView, page: PageLoad | None = None, history: list[Any] | None = None
) -> dict[str, Any]:
    """A PreviewCard (docs.joinmastodon.org/entities/PreviewCard): `url` as the post wrote
    it (Mastodon 4.3's `original_url`), the image this node's copy, `authors` the one author
    the page names (with the account it was attributed to, or null), and for a trending link
    its `history`, as a Tag's."""
    card = shown.card
    author = None
    if shown.author is not None:
        author = page.account(ctx, shown.author) if page else account(ctx, shown.author)
    document: dict[str, Any] = {
        "url": shown.url,
        "title": card.title,
        "description": card.description,
        "language": card.language,
        "type": card.type,
        "author_name": card.author_name,
        "author_url": card.author_url,
        "provider_name": card.provider_name,
        "provider_url": card.provider_url,
        "html": card.html,
        "width": card.width,
        "height": card.height,
        "image": ctx.urls.media(card.image_key) if card.image_key else None,
        "image_description": card.image_description,
        "embed_url": card.embed_url,
        "blurhash": card.blurhash if card.image_key else None,
        "published_at": timestamp(card.published_at) if card.published_at else None,
        "authors": [{"name": card.author_name, "url": card.author_url, "account": author}],
        # Mastodon 4.6 asks whether the page claims the viewer without their leave; accounts
        # here name no attribution domains, so there is nothing to tell.
        "missing_attribution": None,
    }
    if history is not None:
        document["history"] = _history(history)
    return document


def _history(days: list[Any]) -> list[dict[str, str]]:
    return [
        {"day": str(int(day.day.timestamp())), "uses": str(day.uses), "accounts": str(day.accounts)}
        for day in days
    ]


def poll(view: PollView) -> dict[str, Any]:
    """A Poll; `voted` and `own_votes` only for a logged-in viewer, as Mastodon."""
    row = view.poll
    document: dict[str, Any] = {
        "id": str(row.id),
        "expires_at": timestamp(row.expires_at) if row.expires_at else None,
        "expired": view.expired,
        "multiple": row.multiple,
        "votes_count": row.votes_count,
        "voters_count": row.voters_count,
        "options": [
            {"title": title, "votes_count": count}
            for title, count in zip(row.options, view.counts, strict=True)
        ],
        "emojis": [],
    }
    if view.voted is not None:
        document["voted"] = view.voted
        document["own_votes"] = list(view.own_votes or ())
    return document


def media_attachment(ctx: Context, row: MediaFile, shared: bool = True) -> dict[str, Any]:
    """Mastodon's MediaAttachment: `type` image, gifv, video, audio, or `unknown` for a
    document (with its licence, a Bocage extension); the preview as `preview_url` and
    `meta.small`; a video's or a sound's `meta` as Mastodon's (core/media/audiovisual.py
    `api_meta`). Another server's file is shown from the copy cached here (through its proxy
    path when anyone may see it, `shared`: fetched again if evicted), `remote_url` naming the
    original, as Mastodon does."""
    if row.remote_url is None:
        url = ctx.urls.media(row.storage_key) if row.storage_key else None
        preview = ctx.urls.media(row.preview_key) if row.preview_key else None
        preview = preview or (url if row.kind == "image" else None)
    else:
        url, preview = _remote_file_urls(ctx, row, shared)
    meta: dict[str, Any] = {}
    if row.av is not None and row.kind in media.THUMBNAILED_KINDS:
        size = (row.width, row.height) if row.width and row.height else None
        small = row.av.get("small")
        meta = audiovisual.api_meta(
            row.kind, size, row.duration, row.av, (small[0], small[1]) if small else None
        )
    elif row.width and row.height:
        meta["original"] = _media_size(row.width, row.height)
        meta["small"] = _media_size(*media.preview_size(row.width, row.height))
    if row.focus_x is not None:
        meta["focus"] = {"x": row.focus_x, "y": row.focus_y}
    entity: dict[str, Any] = {
        "id": str(row.id),
        "type": media.API_TYPES.get(row.kind, "unknown"),
        "url": url,
        "preview_url": preview,
        "remote_url": row.remote_url,
        "preview_remote_url": row.remote_preview_url,
        "text_url": None,
        "meta": meta,
        "description": row.description or None,
        "blurhash": row.blurhash,
    }
    if row.license:
        entity["license"] = row.license
    return entity


def _remote_file_urls(ctx: Context, row: MediaFile, shared: bool) -> tuple[str | None, str | None]:
    path, preview = remote_media.served_paths(row, shared)
    if path is None:  # a private post's file, not cached: its origin's address
        return row.remote_url, row.remote_preview_url
    return ctx.urls.media(path), ctx.urls.media(preview) if preview else row.remote_preview_url


def _media_size(width: int, height: int) -> dict[str, Any]:
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}


def source_text(view: PostView) -> str:
    return view.post.source or plain(view.post.content)


def _mention(ctx: Context, row: Any) -> dict[str, str]:
    local = row.domain is None
    return {
        "id": str(row.id),
        "username": row.username,
        "acct": row.username if local else f"{row.username}@{row.domain}",
        "url": ctx.urls.profile(row.username) if local else row.uri,
    }


def application(app: OAuthApp, *, with_secret: bool, vapid_key: str = "") -> dict[str, Any]:
    """An Application; `vapid_key` is the node's VAPID public key (services/push.py)."""
    document: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(app.redirect_uris),
        "redirect_uris": list(app.redirect_uris),
        "vapid_key": vapid_key,
    }
    if with_secret:
        document |= {
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "client_secret_expires_at": 0,
        }
    return document


def web_push_subscription(row: WebPushSubscription, server_key: str) -> dict[str, Any]:
    """A WebPushSubscription: every alert an app can ask for, on or off."""
    return {
        "id": str(row.id),
        "endpoint": row.endpoint,
        "standard": row.standard,
        "alerts": push.alerts_of(row),
        "policy": row.policy,
        "server_key": server_key,
    }


def relationship(target_id: int, found: Any) -> dict[str, Any]:
    """A Relationship, from `graph.relationship`."""
    return {
        "id": str(target_id),
        "following": found.following,
        "showing_reblogs": found.showing_reblogs,
        "notifying": found.notifying,
        "languages": found.languages,
        "followed_by": found.followed_by,
        "blocking": found.blocking,
        "blocked_by": found.blocked_by,
        "muting": found.muting,
        "muting_notifications": found.muting_notifications,
        "requested": found.requested,
        "requested_by": found.requested_by,
        "domain_blocking": found.domain_blocking,
        "endorsed": found.endorsed,
        "note": found.note,
    }


def featured_tag(ctx: Context, row: Any, username: str) -> dict[str, Any]:
    """A FeaturedTag, from `featured_tags.FeaturedTagView`; counts are strings there."""
    return {
        "id": str(row.id),
        "name": row.name,
        "url": ctx.urls.tagged(username, row.name),
        "statuses_count": str(row.statuses_count),
        "last_status_at": row.last_status_at.strftime("%Y-%m-%d") if row.last_status_at else None,
    }


def tag(ctx: Context, name: str, history: list[Any] | None = None) -> dict[str, Any]:
    """A Tag. Hashtags have no table of their own here (posts carry their names), so the
    id is derived from the name: stable, and the same on every process."""
    return {
        "id": str(int.from_bytes(hashlib.sha256(name.lower().encode()).digest()[:7], "big")),
        "name": name,
        "url": ctx.urls.tag(name),
        "history": _history(history or []),
    }


def user_list(row: UserList) -> dict[str, Any]:
    """A List."""
    return {
        "id": str(row.id),
        "title": row.title,
        "replies_policy": row.replies_policy,
        "exclusive": bool(row.exclusive),
    }


def marker(row: Marker) -> dict[str, Any]:
    """A Marker: `last_read_id` is a string, as every id."""
    return {
        "last_read_id": str(row.last_read_id),
        "version": row.version,
        "updated_at": timestamp(row.updated_at),
    }


def scheduled_status(
    ctx: Context, row: ScheduledStatus, attachments: list[MediaFile]
) -> dict[str, Any]:
    """A ScheduledStatus: its time, the parameters it will be posted with, its uploads."""
    return {
        "id": str(row.id),
        "scheduled_at": timestamp(row.scheduled_at),
        # Rows scheduled before `allowed_mentions` was kept lack it: Mastodon always sends it.
        "params": {"allowed_mentions": None, **row.params},
        "media_attachments": [media_attachment(ctx, upload) for upload in attachments],
    }


def conversation(
    ctx: Context,
    row: AccountConversation,
    participants: list[Any],
    last_status: dict[str, Any] | None,
) -> dict[str, Any]:
    """A Conversation: `accounts` are the other participants, `last_status` a Status."""
    return {
        "id": str(row.id),
        "unread": bool(row.unread),
        "accounts": [account(ctx, person) for person in participants],
        "last_status": last_status,
    }


def filter_v2(view: FilterView) -> dict[str, Any]:
    """A Filter with its keywords and statuses (as GET /api/v2/filters shows it)."""
    return {
        **_filter_fields(view.filter),
        "keywords": [filter_keyword(keyword) for keyword in view.keywords],
        "statuses": [filter_status(row) for row in view.statuses],
    }


def _filter_fields(row: Filter | FilterInfo) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "title": row.title,
        "context": list(row.context),
        "expires_at": timestamp(row.expires_at) if row.expires_at else None,
        "filter_action": row.action,
    }


def filter_keyword(row: FilterKeyword) -> dict[str, Any]:
    return {"id": str(row.id), "keyword": row.keyword, "whole_word": row.whole_word}


def filter_status(row: FilterStatus) -> dict[str, Any]:
    return {"id": str(row.id), "status_id": str(row.post_id)}


def filter_v1(keyword: FilterKeyword, row: Filter) -> dict[str, Any]:
    """A V1::Filter: one keyword of a filter, with that filter's context and expiry."""
    return {
        "id": str(keyword.id),
        "phrase": keyword.keyword,
        "context": list(row.context),
        "whole_word": keyword.whole_word,
        "expires_at": timestamp(row.expires_at) if row.expires_at else None,
        "irreversible": row.action == "hide",
    }


def filter_result(match: Match) -> dict[str, Any]:
    """A FilterResult: the filter (without its keywords and statuses) and what matched."""
    return {
        "filter": _filter_fields(match.filter),
        "keyword_matches": list(match.keyword_matches) if match.keyword_matches else None,
        "status_matches": [str(i) for i in match.status_matches]
        if match.status_matches is not None
        else None,
    }


def partial_account(entity: dict[str, Any]) -> dict[str, Any]:
    """The PartialAccountWithAvatar of grouped notifications (`expand_accounts=
    partial_avatars`), from a whole Account entity."""
    keys = ("id", "acct", "locked", "bot", "url", "avatar", "avatar_static")
    return {key: entity[key] for key in keys}


def notification_policy_v2(policy: Any) -> dict[str, Any]:
    """A NotificationPolicy (Mastodon 4.3: `accept`, `filter` or `drop` for each case)."""
    return {
        "for_not_following": str(policy.for_not_following),
        "for_not_followers": str(policy.for_not_followers),
        "for_new_accounts": str(policy.for_new_accounts),
        "for_private_mentions": str(policy.for_private_mentions),
        "for_limited_accounts": str(policy.for_limited_accounts),
        "summary": _policy_summary(policy),
    }


def notification_policy_v1(policy: Any) -> dict[str, Any]:
    """The v1 NotificationPolicy: each case filtered (or dropped) or not."""
    return {
        "filter_not_following": str(policy.for_not_following) != "accept",
        "filter_not_followers": str(policy.for_not_followers) != "accept",
        "filter_new_accounts": str(policy.for_new_accounts) != "accept",
        "filter_private_mentions": str(policy.for_private_mentions) != "accept",
        "summary": _policy_summary(policy),
    }


def _policy_summary(policy: Any) -> dict[str, int]:
    return {
        "pending_requests_count": int(policy.pending_requests_count),
        "pending_notifications_count": int(policy.pending_notifications_count),
    }


def notification_request(
    row: Any, account_entity: dict[str, Any], last_status: dict[str, Any] | None
) -> dict[str, Any]:
    """A NotificationRequest (its count a string, as Mastodon renders it)."""
    return {
        "id": str(row.id),
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "notifications_count": str(row.notifications_count),
        "account": account_entity,
        "last_status": last_status,
    }


def notification_group(group: Any, kind: str, status_id: int | None) -> dict[str, Any]:
    """A NotificationGroup (`group` is core/notifications/groups.Group; `kind` Mastodon's
    name of its type). The page bounds come only on a page of groups."""
    entity: dict[str, Any] = {
        "group_key": group.key,
        "notifications_count": group.count,
        "type": kind,
        "most_recent_notification_id": str(group.most_recent_id),
    }
    if group.paginated:
        entity["page_min_id"] = str(group.page_min_id) if group.page_min_id else None
        entity["page_max_id"] = str(group.most_recent_id)
        entity["latest_page_notification_at"] = (
            timestamp(group.latest_page_at) if group.latest_page_at else None
        )
    entity["sample_account_ids"] = [str(i) for i in group.sample_account_ids]
    if kind in STATUS_GROUP_TYPES:
        entity["status_id"] = str(status_id) if status_id else None
    return entity


# The group types that carry a status (Mastodon's NotificationGroupSerializer#status_type?).
STATUS_GROUP_TYPES = frozenset({"favourite", "reblog", "status", "mention", "poll", "update"})


def profile(ctx: Context, row: Account, featured: list[Any]) -> dict[str, Any]:
    """The Profile (Mastodon 4.6): one's own account as its settings screen edits it, the
    texts as written (`note`, `fields`) beside their rendering (`formatted_note`,
    `formatted_fields`), the images as null when there are none. Bocage keeps no image
    descriptions, media tab or featured tab switches, nor attribution domains: those are
    what Mastodon answers for an account that never set them."""
    shown = account(ctx, row)
    return {
        "id": str(row.id),
        "display_name": row.display_name or "",
        "note": row.note_source or "",
        "fields": [
            {"name": f["name"], "value": f["value"], "verified_at": None} for f in row.fields or []
        ],
        "avatar": shown["avatar"] if row.avatar else None,
        "avatar_static": shown["avatar_static"] if row.avatar else None,
        "avatar_description": "",
        "header": shown["header"] if row.header else None,
        "header_static": shown["header_static"] if row.header else None,
        "header_description": "",
        "locked": bool(row.locked),
        "bot": bool(row.bot),
        "hide_collections": bool(row.hide_collections),
        "discoverable": bool(row.discoverable),
        "indexable": bool(row.indexable),
        "show_media": True,
        "show_media_replies": True,
        "show_featured": True,
        "attribution_domains": [],
        "featured_tags": [featured_tag(ctx, tag, row.username) for tag in featured],
        "formatted_note": shown["note"],
        "formatted_fields": shown["fields"],
    }


def collection(ctx: Context, view: Any) -> dict[str, Any]:
    """A Collection (Mastodon 4.6), from `core/collections.CollectionView`: the items its
    viewer may see, under `items`."""
    row, curator = view.collection, view.curator
    return {
        "id": str(row.id),
        "uri": row.uri or ctx.urls.featured_collection(curator.username, row.id),
        "url": None,
        "name": row.name,
        "description": row.description or "",
        "language": row.language,
        "account_id": str(row.account_id),
        "local": curator.domain is None,
        "sensitive": bool(row.sensitive),
        "discoverable": bool(row.discoverable),
        "item_count": len(view.items),
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "tag": {"name": row.tag_name, "url": ctx.urls.tag(row.tag_name)} if row.tag_name else None,
        "items": [collection_item(item) for item, _account in view.items],
    }


def collection_item(row: Any) -> dict[str, Any]:
    """A CollectionItem: `account_id` only while the account is in it (pending or
    accepted), as Mastodon's serializer has it."""
    entity: dict[str, Any] = {
        "id": str(row.id),
        "state": row.state,
        "created_at": timestamp(row.created_at),
    }
    if row.state in ("pending", "accepted"):
        entity["account_id"] = str(row.account_id)
    return entity
