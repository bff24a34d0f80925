"""Rendering what the routes answer with: posts as Status entities (with their tags in one
query for a whole page, and the viewer's filters applied) and accounts, inside the read
that produced them, through its `Reader` (services/reader.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bocage.core.filters import filters
from bocage.core.timelines.timelines import PostView
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.mastodon_api import entities, rendered
from bocage.services.reader import ConversationPage, Reader
from bocage.store.models import Account, AccountConversation, Notification

# Ours → Mastodon's: a reply is a mention there. Reports reach admins on the web pages;
# Mastodon's admin.report carries a Report entity the admin API will provide.
NOTIFICATION_TYPES = {
    "follow": "follow", "follow_request": "follow_request", "mention": "mention",
    "reply": "mention", "favourite": "favourite", "reblog": "reblog", "update": "update",
    "status": "status", "poll": "poll", "quote": "quote", "quoted_update": "quoted_update",
}  # fmt: skip

# Where a status is shown, as filters name it (docs.joinmastodon.org/entities/Filter).
CONTEXTS = filters.CONTEXTS


def page_of(
    ctx: Context, viewer: Account | Any | None, context: str, *, keep_hidden: bool = False
) -> Callable[[Reader, list[PostView]], Statuses]:
    """The presenter of a page of posts (`Query.present`): `statuses` in the read."""

    def present(reader: Reader, views: list[PostView]) -> Statuses:
        return statuses(reader, ctx, views, viewer, context, keep_hidden=keep_hidden)

    return present


def one_of(
    ctx: Context, viewer: Account | Any | None, context: str = "thread", *, keep_hidden: bool = True
) -> Callable[[Reader, list[PostView]], dict[str, Any]]:
    """The presenter of one post (a list of one view): its Status entity. No view (the post
    was deleted between the write that named it and this read) is a 404, not a crash."""

    def present(reader: Reader, views: list[PostView]) -> dict[str, Any]:
        shown = statuses(reader, ctx, views, viewer, context, keep_hidden=keep_hidden)
        if not shown:
            raise NotFound("Record not found")
        return proper_flags(shown[0])

    return present


PROPER_FLAGS = ("favourited", "reblogged", "bookmarked", "muted")


def proper_flags(entity: dict[str, Any]) -> dict[str, Any]:
    """A boost asked for alone (shown, just made, favourited…) carries the viewer's flags of
    the post it wraps, as Mastodon's serializer answers for one status (`favourited?` and
    `reblogged?` ask of `status.proper`): the answer to a reblog says `reblogged: true`.
    In a page, a boost's own flags stay its own (Mastodon's relationship maps)."""
    boosted = entity.get("reblog")
    if boosted:
        entity.update({flag: boosted[flag] for flag in PROPER_FLAGS})
    return entity


class Statuses(list[dict[str, Any]]):
    """Status entities of a page. `page_ids` are the ids the page held before filters left
    some out: paging links follow them, so a page whose posts were all hidden does not end
    the timeline for the client."""

    page_ids: list[int]


def statuses(
    reader: Reader,
    ctx: Context,
    views: list[PostView],
    viewer: Account | Any | None,
    context: str,
    *,
    keep_hidden: bool = False,
    nested: bool = False,
) -> Statuses:
    """Status entities as `viewer` (None: nobody logged in) sees them in `context` (one of
    CONTEXTS): each with the filters it matches (`filtered`), and without those a `hide`
    filter leaves out in that context, unless `keep_hidden` (a post asked for by id). Each
    with its quote (`nested`: the statuses a quote shows, whose own quotes are shallow)."""
    assert context in CONTEXTS, context
    page_ids = [view.post.id for view in views]
    viewer_id = viewer.id if viewer is not None else None
    applied = reader.filtered(viewer_id, views, context, keep_hidden=keep_hidden)
    # Status entities built before from this database's committed rows (none are kept from
    # a write transaction: its row versions may still roll back).
    kept = reader.cache("rendered", rendered.RenderedStatuses)
    built: dict[int, dict[str, Any]] = {}
    if kept is not None:
        for view in applied.views:
            if (entity := kept.get(view)) is not None:
                built[view.post.id] = entity
    missing = [view for view in applied.views if view.post.id not in built]
    if missing:  # the tags and mentions of what was not built before, in two queries
        reader.with_mentions(missing)
        page = entities.PageLoad(
            tags=reader.tags(missing),
            attachments={v.post.id: v.media for view in missing for v in (view, view.reblog) if v},
        )
        for view in missing:
            entity = built[view.post.id] = entities.status(ctx, view, page)
            if kept is not None:
                kept.put(view, entity)
    shown = Statuses(rendered.reuse(built[view.post.id], view) for view in applied.views)
    for entity in shown if applied.matches else ():
        _mark_filtered(entity, applied.matches.get(int(entity["id"])))
    _with_quotes(reader, ctx, shown, applied.views, viewer, context, nested=nested)
    shown.page_ids = page_ids
    return shown


def _with_quotes(
    reader: Reader,
    ctx: Context,
    shown: list[dict[str, Any]],
    views: list[PostView],
    viewer: Account | Any | None,
    context: str,
    *,
    nested: bool,
) -> None:
    """Mastodon 4.5's fields of quotes, put on the entities after the cache (they depend on
    the viewer and on other posts): `quote` (a Quote with the quoted Status, or for a status
    shown inside a quote a ShallowQuote with its id), `quote_approval` and `quotes_count`.
    A boost carries them on the Status it wraps."""
    if not shown:
        return
    by_id = {view.post.id: view for view in views}
    listed = [by_id[int(entity["id"])] for entity in shown]
    facts = reader.quotes(viewer.id if viewer is not None else None, listed)
    quoted: dict[int, dict[str, Any]] = {}
    wanted = [q.quoted_post_id for q in facts.quotes.values() if q.quoted_post_id is not None]
    if wanted and not nested:
        found = reader.hydrate(viewer, list(dict.fromkeys(wanted)))
        for entity in statuses(reader, ctx, found, viewer, context, keep_hidden=True, nested=True):
            quoted[int(entity["id"])] = entity
    for entity, view in zip(shown, listed, strict=True):
        proper = view.shown.post.id
        policy, standing = facts.approvals.get(proper, (None, None))
        approval = {
            "automatic": policy.listed("automatic") if policy else [],
            "manual": policy.listed("manual") if policy else [],
            "current_user": standing.value if standing else "denied",
        }
        quote = facts.quotes.get(proper)
        found_quote: dict[str, Any] | None = None
        if quote is not None and nested:
            found_quote = {
                "state": quote.state.value,
                "quoted_status_id": str(quote.quoted_post_id) if quote.quoted_post_id else None,
            }
        elif quote is not None:
            found_quote = {
                "state": quote.state.value,
                "quoted_status": quoted.get(quote.quoted_post_id or 0),
            }
        inner = entity.get("reblog")
        if inner:
            inner.update(
                quote=found_quote, quote_approval=approval, quotes_count=facts.counts.get(proper, 0)
            )
            entity.update(quote=None, quote_approval=approval, quotes_count=0)
        else:
            entity.update(
                quote=found_quote, quote_approval=approval, quotes_count=facts.counts.get(proper, 0)
            )


def for_readers(
    reader: Reader, ctx: Context, seen: dict[int, PostView], context: str
) -> dict[int, dict[str, Any]]:
    """One post as each reader sees it (`seen`: timelines.as_readers_see_it), built once and
    given each reader's own flags and filters; readers whose filters hide it are left out."""
    if not seen:
        return {}
    first = next(iter(seen.values()))
    built = statuses(reader, ctx, [first], None, context)
    if not built:
        return {}
    shown: dict[int, dict[str, Any]] = {}
    for reader_id, view in seen.items():
        entity = for_viewer(reader, rendered.reuse(built[0], view), [view], reader_id, context)
        if entity is not None:
            shown[reader_id] = entity
    return shown


def for_viewer(
    reader: Reader, entity: dict[str, Any], views: list[PostView], viewer_id: int, context: str
) -> dict[str, Any] | None:
    """A status rendered for nobody in particular (`entity`, from `views`), as `viewer_id`'s
    filters show it in `context`: None if they hide it, a copy with `filtered` if they
    match it, the same entity otherwise (the public streams render once for everyone)."""
    applied = reader.filtered(viewer_id, views, context)
    if not applied.views:
        return None
    found = applied.matches.get(int(entity["id"]))
    if not found:
        return entity
    marked = {**entity, "reblog": dict(entity["reblog"]) if entity["reblog"] else None}
    _mark_filtered(marked, found)
    return marked


def _mark_filtered(entity: dict[str, Any], found: list[Any] | None) -> None:
    if found:
        entity["filtered"] = [entities.filter_result(match) for match in found]
        if entity["reblog"]:
            entity["reblog"]["filtered"] = entity["filtered"]


def page_ids(answer: list[dict[str, Any]]) -> list[int]:
    """The ids a page's `Link` header follows (see `Statuses`)."""
    return getattr(answer, "page_ids", None) or [int(status["id"]) for status in answer]


def notification(
    reader: Reader, ctx: Context, viewer: Account, row: Notification, *, keep_hidden: bool
) -> dict[str, Any] | None:
    """The Notification, or None when its post is one a `hide` filter leaves out of the
    viewer's notifications (unless `keep_hidden`: one notification asked for by id)."""
    sender = reader.get(Account, row.from_account_id)
    assert sender is not None  # notifications cascade-delete with their sender
    entity: dict[str, Any] = {
        "id": str(row.id),
        "type": NOTIFICATION_TYPES[row.type],
        "created_at": entities.timestamp(row.created_at),
        "group_key": row.group_key or f"ungrouped-{row.id}",
        "account": entities.account(ctx, sender),
        "status": None,
    }
    if row.post_id:
        found = reader.hydrate(viewer, [row.post_id])
        shown = statuses(reader, ctx, found, viewer, "notifications", keep_hidden=keep_hidden)
        if found and not shown:
            return None
        entity["status"] = shown[0] if shown else None
    return entity


def conversation_entities(
    reader: Reader, ctx: Context, viewer: Account, rows: list[AccountConversation]
) -> list[dict[str, Any]]:
    """Conversation entities for `rows` (the live stream's: one conversation that changed)."""
    return conversation_page(reader, ctx, viewer, reader.conversations(viewer, rows))


def conversation_page(
    reader: Reader, ctx: Context, viewer: Account, found: ConversationPage
) -> list[dict[str, Any]]:
    """Conversation entities for a page (participants and last posts read with it): the
    last statuses as one page of statuses ("thread" is the filter context Mastodon calls
    Conversations)."""
    shown = {int(s["id"]): s for s in statuses(reader, ctx, found.last_posts, viewer, "thread")}
    return [
        entities.conversation(ctx, row, found.participants[row.id], shown.get(row.last_status_id))
        for row in found.rows
    ]
