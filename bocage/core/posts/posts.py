"""Posts: publish, edit, delete, reply, boost, like and bookmark.

Every face (web form, Mastodon API, ActivityPub inbox, peer log) goes through these functions.
Each change is signed by its author and appended to the author's log in the same transaction;
side effects that can wait (notifications) are enqueued as durable jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from bocage.core.accounts import accounts
from bocage.core.authorship import activities, authoring
from bocage.core.cards import cards
from bocage.core.content import text
from bocage.core.graph import lists
from bocage.core.media import media
from bocage.core.messaging import conversations
from bocage.core.notifications.notifications import enqueue_notification
from bocage.core.polls import polls
from bocage.core.posts import contexts
from bocage.core.quotes import quotes
from bocage.core.quotes.policy import DEFAULT_CHOICE, Choice, QuotePolicy
from bocage.core.reading.visibility import (
    DEFAULT,
    OPEN,
    Visibility,
    can_boost,
    can_see,
)
from bocage.core.timelines import feeds
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import Forbidden, InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import (
    Account,
    AccountModeration,
    Block,
    Bookmark,
    Favourite,
    FeedEntry,
    Mention,
    Poll,
    Post,
    PostEdit,
    PostTag,
    Tombstone,
)
from bocage.store.prepared import Prepared
from bocage.store.queue import enqueue
from bocage.store.sql import insert_rows, update_rows
from bocage.store.upsert import insert_ignore

MAX_SPOILER = 500
ACCOUNTS = Account.__table__
NEW_POST_COLUMNS = (
    "id", "account_id", "uri", "visibility", "content", "source", "spoiler_text", "language",
    "in_reply_to_id", "in_reply_to_account_id", "thread_root_id", "created_at", "edited_at",
    "replies_count", "favourites_count", "reblogs_count", "media_count", "poll_id",
    "row_version", "context", "sensitive", "quote_automatic", "quote_manual", "quote_id",
    "quotes_count",
)  # fmt: skip
# What publishing runs for every post, compiled once (see store/prepared.py).
ADD_POST = Prepared(insert(Post.__table__), keys=NEW_POST_COLUMNS)
ADD_TAG = Prepared(insert(PostTag.__table__), keys=("tag", "post_id"))
COUNT_NEW_POST = Prepared(
    update(ACCOUNTS)
    .where(ACCOUNTS.c.id == bindparam("account"))
    .values(statuses_count=ACCOUNTS.c.statuses_count + 1, last_status_at=bindparam("at"))
)


@dataclass(frozen=True)
class PostDraft:
    text: str
    spoiler_text: str = ""
    visibility: Visibility = DEFAULT  # parsed by the face (Visibility.parse)
    in_reply_to_id: int | None = None
    language: str | None = None
    media_ids: tuple[int, ...] = ()  # uploads of the author's, attached in this order
    poll: polls.PollDraft | None = None
    sensitive: bool = False  # its media hidden behind a click (implied by a content warning)
    quoted_post_id: int | None = None  # the post it quotes (Mastodon's `quoted_status_id`)
    quote_policy: Choice | None = None  # who may quote it (None: the author's default)


def validate(draft: PostDraft, max_chars: int) -> text.ParsedText:
    if not draft.text.strip() and not draft.media_ids:
        raise InvalidInput("A post needs some text or an attachment.")
    if len(draft.spoiler_text) > MAX_SPOILER:
        raise InvalidInput(f"A content warning can be at most {MAX_SPOILER} characters long.")
    if draft.language is not None and not (2 <= len(draft.language) <= 16):
        raise InvalidInput("The language must be an ISO 639 code such as 'en' or 'fr'.")
    parsed = text.parse(draft.text)
    length = parsed.length + len(draft.spoiler_text)
    if length > max_chars:
        raise InvalidInput(
            f"A post can be at most {max_chars} characters long; this one has {length}."
        )
    return parsed


def check(session: Session, ctx: Context, author: Account, draft: PostDraft) -> None:
    """Refuse now what `publish` would refuse, without publishing: a scheduled post is
    checked when it is written (as Mastodon does), and published later."""
    _check_author(author)
    validate(draft, ctx.settings.max_post_chars)
    _reply_target(session, author, draft.in_reply_to_id)
    media.check_attachable(session, ctx.settings, author, draft.media_ids)
    if draft.quoted_post_id is not None:
        quotes.quotable(session, author, draft.quoted_post_id)


def _check_author(author: Account) -> None:
    if author.moved_to_id is not None:
        # As on Mastodon: followers were sent to the new account; posts belong there now.
        raise Forbidden("This account has moved: post from your new account.")


def publish(session: Session, ctx: Context, author: Account, draft: PostDraft) -> Post:
    _check_author(author)
    parsed = validate(draft, ctx.settings.max_post_chars)
    parent = _reply_target(session, author, draft.in_reply_to_id)
    quoted = None
    if draft.quoted_post_id is not None:
        quoted = quotes.quotable(session, author, draft.quoted_post_id)
    mentioned = _resolve_mentions(session, ctx, author, parsed.mentions)
    media.check_attachable(session, ctx.settings, author, draft.media_ids)
    poll_draft = None
    if draft.poll is not None:
        poll_draft = polls.validate(draft.poll, ctx.settings, with_media=bool(draft.media_ids))
    post_id = new_id()
    poll_id = new_id() if poll_draft is not None else None
    context = contexts.for_new_post(ctx.urls, post_id, parent)
    values = {
        "id": post_id,
        "account_id": author.id,
        "uri": ctx.urls.post(author.username, post_id),
        "visibility": draft.visibility,
        "content": _render(ctx, draft.text, mentioned),
        "source": draft.text,
        "spoiler_text": draft.spoiler_text.strip(),
        "language": draft.language,
        "in_reply_to_id": parent.id if parent else None,
        "in_reply_to_account_id": parent.account_id if parent else None,
        "thread_root_id": (parent.thread_root_id or parent.id) if parent else None,
        "created_at": now(),
        "edited_at": None,
        "replies_count": 0,
        "favourites_count": 0,
        "reblogs_count": 0,
        "media_count": len(draft.media_ids) or None,
        "poll_id": poll_id,
        "row_version": 0,
        "context": context,
        # A moderator may have marked the author's media sensitive (the admin API's action).
        "sensitive": draft.sensitive or (bool(draft.media_ids) and _sensitized(session, author)),
        **QuotePolicy.chosen(draft.quote_policy or DEFAULT_CHOICE, draft.visibility).columns(),
        "quote_id": None,  # set by `quotes.attach`
        "quotes_count": 0,
    }
    ADD_POST.execute(session, values)
    post = Post(**values)
    poll = None
    if poll_draft is not None and poll_id is not None:
        poll = polls.create(session, poll_id, post_id, poll_draft, post.created_at)
    feeds.add_own(session, post)
    _save_mentions_and_tags(session, post, mentioned, parsed.tags)
    attached = media.attach(session, post.id, draft.media_ids)
    note = activities.note(
        ctx.urls,
        author,
        post,
        list(mentioned.values()),
        list(parsed.tags),
        parent.uri if parent else None,
        context,
    )
    if attached:
        note["attachment"] = [media.as_attachment(ctx.urls, row) for row in attached]
    if poll is not None:
        polls.as_question(note, poll)
    quote = quotes.attach(session, ctx, author, post, quoted) if quoted is not None else None
    note.update(quotes.note_fields(session, ctx, author, post))
    signed_note = authoring.sign(author, note)  # its own proof: it is served on its own
    create = activities.wrap(
        "Create",
        activities.create_id(post.uri),
        author,
        signed_note.document,
        published=post.created_at,
    )
    _fan_out_later(session, post, mentions=bool(mentioned))
    cards.crawl_later(session, post, local=True)
    # Last, the statements that lock the author's row: posts by one author wait for each
    # other from here to the commit, so nothing slow may come after this point.
    authoring.append(session, author, create, signed_note)
    if quote is not None:  # after the Create that carries the quoting post
        quotes.request(session, ctx, author, quote, signed_note.document)
    _count_new_post(session, author, post, parent)
    return post


def _fan_out_later(session: Session, post: Post, *, mentions: bool) -> None:
    """The `post.created` job (jobs/handlers.py), when it has anything to do; otherwise
    only the event it would end with (streaming clients hear of the post)."""
    if feeds.fan_out_needed(session, post, mentions=mentions):
        enqueue(session, "post.created", {"post_id": post.id})
    else:
        events.emit(session, "post.published", post_id=post.id)


@dataclass(frozen=True)
class EditExtras:
    """What an edit may change beyond the text (Mastodon's `PUT /api/v1/statuses/:id`):
    the attachments (`media_ids`, None: those it has), their alt text and focus
    (`media_attributes[]`), the poll (None: the one it has, if any, kept as it is)."""

    media_ids: tuple[int, ...] | None = None
    media_changes: tuple[media.MediaChange, ...] = ()
    poll: polls.PollDraft | None = None
    quoted_post_id: int | None = None  # a post to quote (None: the quote it has, if any)
    quote_policy: Choice | None = None  # who may quote it (None: unchanged)


def edit(
    session: Session,
    ctx: Context,
    author: Account,
    post_id: int,
    draft: PostDraft,
    extras: EditExtras = EditExtras(),
) -> Post:
    post = _own_post(session, author, post_id)
    quoted = None
    if extras.quoted_post_id is not None:
        quoted = quotes.quotable(session, author, extras.quoted_post_id)
    attached = media.reattach(
        session, ctx.settings, author, post.id, extras.media_ids, extras.media_changes
    )
    poll = session.get(Poll, post.poll_id) if post.poll_id else None
    poll_draft = None
    if extras.poll is not None:
        poll_draft = polls.validate(extras.poll, ctx.settings, with_media=bool(attached))
    elif attached and poll is not None:
        raise InvalidInput("Validation failed: A post cannot have both a poll and attachments")
    draft = PostDraft(
        draft.text,
        draft.spoiler_text,
        Visibility(post.visibility),
        None,
        draft.language,
        tuple(row.id for row in attached),
    )
    parsed = validate(draft, ctx.settings.max_post_chars)
    mentioned = _resolve_mentions(session, ctx, author, parsed.mentions)
    keep_version(session, post)
    content_before = post.content
    post.content = _render(ctx, draft.text, mentioned)
    post.source = draft.text
    post.spoiler_text = draft.spoiler_text.strip()
    post.language = draft.language or post.language
    post.edited_at = now()
    post.media_count = len(attached) or None
    if poll_draft is not None:
        poll = polls.replace(session, post.id, poll, poll_draft, post.edited_at)
        post.poll_id = poll.id
    if extras.quote_policy is not None:
        for column, value in (
            QuotePolicy.chosen(extras.quote_policy, post.visibility).columns().items()
        ):
            setattr(post, column, value)
    quote = quotes.attach(session, ctx, author, post, quoted) if quoted is not None else None
    session.execute(delete(Mention).where(Mention.post_id == post.id))
    session.execute(delete(PostTag).where(PostTag.post_id == post.id))
    _save_mentions_and_tags(session, post, mentioned, parsed.tags)
    parent_uri = _uri_of(session, post.in_reply_to_id)
    thread = contexts.for_post(ctx.urls, post)
    note = activities.note(
        ctx.urls, author, post, list(mentioned.values()), list(parsed.tags), parent_uri, thread
    )
    if attached:
        note["attachment"] = [media.as_attachment(ctx.urls, row) for row in attached]
    if poll is not None:  # kept (with its votes) unless the edit gave one
        polls.as_question(note, poll)
    note.update(quotes.note_fields(session, ctx, author, post))
    signed_note = authoring.sign(author, note)
    activity_id = ctx.urls.activity(author.username, new_id())
    update_activity = activities.wrap(
        "Update", activity_id, author, signed_note.document, published=post.edited_at
    )
    authoring.append(session, author, update_activity, signed_note)
    if quote is not None:
        quotes.request(session, ctx, author, quote, signed_note.document)
    enqueue(session, "post.updated", {"post_id": post.id})
    cards.edited(session, post, content_before, local=True)
    return post


def republish(session: Session, ctx: Context, post: Post) -> None:
    """A local post's Note sent again as an Update, unchanged but for what is not its
    author's text: its quote accepted or revoked, who may quote it (as Mastodon sends then).
    No version is kept: nothing was edited."""
    author = session.get(Account, post.account_id)
    if author is None or author.domain is not None or post.reblog_of_id is not None:
        return
    mentioned = list(
        session.execute(
            select(Account).join(Mention, Mention.account_id == Account.id)
            .where(Mention.post_id == post.id).order_by(Account.id)
        ).scalars()
    )  # fmt: skip
    tags = list(session.execute(select(PostTag.tag).where(PostTag.post_id == post.id)).scalars())
    note = activities.note(
        ctx.urls,
        author,
        post,
        mentioned,
        sorted(tags),
        _uri_of(session, post.in_reply_to_id),
        contexts.for_post(ctx.urls, post),
    )
    attached = media.of_posts(session, [post.id]).get(post.id, []) if post.media_count else []
    if attached:
        note["attachment"] = [media.as_attachment(ctx.urls, row) for row in attached]
    poll = session.get(Poll, post.poll_id) if post.poll_id else None
    if poll is not None:
        polls.as_question(note, poll)
    note.update(quotes.note_fields(session, ctx, author, post))
    signed_note = authoring.sign(author, note)
    update_activity = activities.wrap(
        "Update", ctx.urls.activity(author.username, new_id()), author, signed_note.document
    )
    authoring.append(session, author, update_activity, signed_note)


def keep_version(session: Session, post: Post) -> None:
    """The version about to be replaced by an edit, kept as history."""
    session.add(
        PostEdit(
            id=new_id(),
            post_id=post.id,
            content=post.content,
            source=post.source,
            spoiler_text=post.spoiler_text,
            created_at=post.edited_at or post.created_at,
        )
    )


def delete_post(
    session: Session, ctx: Context, actor: Account, post_id: int, *, as_admin: bool = False
) -> None:
    post = session.get(Post, post_id)
    if post is None or post.reblog_of_id is not None:
        raise NotFound("That post does not exist (any more).")
    if post.account_id != actor.id and not as_admin:
        raise Forbidden("You can only delete your own posts.")
    author = session.get(Account, post.account_id)
    assert author is not None
    activity_id = ctx.urls.activity(author.username, new_id())
    tombstone = {"id": post.uri, "type": "Tombstone"}
    to, cc = activities.audience(ctx.urls, author, Visibility(post.visibility), [])
    authoring.append(
        session, author, activities.wrap("Delete", activity_id, author, tombstone, to=to, cc=cc)
    )
    authoring.purge_object(session, author.id, post.uri)
    forget(session, post)


def forget(session: Session, post: Post) -> None:
    """A deleted post (local or remote) leaves: its counts undone, its URI tombstoned so
    that it is never resurrected or fetched again."""
    if session.get(Tombstone, post.uri) is None:
        session.add(Tombstone(uri=post.uri, deleted_at=now()))
    _tell_streams_deleted(session, post)
    if post.in_reply_to_id:
        bump(session, post.in_reply_to_id, Post.replies_count, -1)
    if post.visibility == Visibility.DIRECT and post.reblog_of_id is None:
        conversations.remove_post(session, post)  # before the post goes: its links cascade
    quotes.forget(session, post)  # its quote goes with it, and is counted no more
    if post.reblog_of_id is None:
        session.execute(
            update_rows(Account)
            .where(Account.id == post.account_id, Account.statuses_count > 0)
            .values(statuses_count=Account.statuses_count - 1)
        )
    session.delete(post)


MAX_TOLD = 500  # streaming clients told by name of a deletion; beyond, every one is told


def _tell_streams_deleted(session: Session, post: Post) -> None:
    """Streaming clients that may show the post: those whose home feed has it, or everyone
    for a public post (a deleted post's id tells nothing of its content)."""
    readers = list(
        session.execute(
            select(FeedEntry.account_id).where(FeedEntry.post_id == post.id).limit(MAX_TOLD + 1)
        ).scalars()
    )
    readers += [owner for _list_id, owner in lists.containing(session, post.id)]
    everyone = post.visibility in OPEN or len(readers) > MAX_TOLD
    events.emit(session, "post.deleted", post_id=post.id, readers=None if everyone else readers)


def boost(
    session: Session, ctx: Context, account: Account, post_id: int, *, uri: str | None = None
) -> Post:
    """`uri` is the Announce's id when the boost came from another server."""
    original = get_visible(session, account.id, post_id)
    if original.reblog_of_id is not None:
        original = get_visible(session, account.id, original.reblog_of_id)
    if not can_boost(original, account.id):
        raise Forbidden("Only public and unlisted posts can be boosted.")
    existing = _boost_of(session, account.id, original.id)
    if existing is not None:
        return existing
    boost_id = new_id()
    uri = uri or ctx.urls.activity(account.username, boost_id)
    reblog = Post(
        id=boost_id,
        account_id=account.id,
        uri=uri,
        # Never wider than the original: an author's boost of a followers-only post stays so.
        visibility=original.visibility,
        reblog_of_id=original.id,
        created_at=now(),
    )
    try:
        with session.begin_nested():  # a savepoint: losing a race must not abort the rest
            session.add(reblog)
            session.flush()
    except IntegrityError:
        # A simultaneous click boosted it first (uq_posts_one_boost): that boost stands.
        existing = _boost_of(session, account.id, original.id)
        if existing is None:
            raise
        return existing
    feeds.add_own(session, reblog)
    _fan_out_later(session, reblog, mentions=False)
    bump(session, original.id, Post.reblogs_count, +1)
    to, cc = activities.audience(ctx.urls, account, Visibility(reblog.visibility), [])
    author_uri = _account_uri(session, original.account_id)
    announce = activities.wrap(
        "Announce",
        uri,
        account,
        original.uri,
        to=to,
        cc=[*cc, author_uri],
        published=reblog.created_at,
    )
    authoring.append_if_local(session, account, announce)
    enqueue_notification(session, original.account_id, "reblog", account.id, original.id)
    return reblog


def unboost(session: Session, ctx: Context, account: Account, post_id: int) -> None:
    reblog = _boost_of(session, account.id, post_id)
    if reblog is None:
        return
    to, cc = activities.audience(ctx.urls, account, Visibility(reblog.visibility), [])
    original = session.get(Post, post_id)
    if original is not None:
        cc = [*cc, _account_uri(session, original.account_id)]
    # Addressed as the Announce was, so the Undo reaches everyone who saw the boost.
    announce = {"id": reblog.uri, "type": "Announce", "actor": account.uri, "to": to, "cc": cc}
    undo = activities.undo(ctx.urls.activity(account.username, new_id()), account, announce)
    authoring.append_if_local(session, account, undo)
    bump(session, post_id, Post.reblogs_count, -1)
    session.delete(reblog)


def favourite(
    session: Session, ctx: Context, account: Account, post_id: int, *, uri: str | None = None
) -> None:
    """`uri` is the Like's id when it came from another server."""
    post = get_visible(session, account.id, post_id)
    uri = uri or ctx.urls.activity(account.username, new_id())
    inserted = insert_ignore(
        session,
        Favourite,
        {"account_id": account.id, "post_id": post.id, "created_at": now(), "uri": uri},
    )
    if not inserted:
        return
    bump(session, post.id, Post.favourites_count, +1)
    author_uri = _account_uri(session, post.account_id)
    like = activities.wrap("Like", uri, account, post.uri, to=[author_uri])
    authoring.append_if_local(session, account, like)
    enqueue_notification(session, post.account_id, "favourite", account.id, post.id)


def unfavourite(session: Session, ctx: Context, account: Account, post_id: int) -> None:
    row = session.get(Favourite, (account.id, post_id))
    if row is None:
        return
    post = session.get(Post, post_id)
    like = {
        "id": row.uri, "type": "Like", "actor": account.uri, "object": post.uri if post else "",
        "to": [_account_uri(session, post.account_id)] if post else [],
    }  # fmt: skip
    undo = activities.undo(ctx.urls.activity(account.username, new_id()), account, like)
    authoring.append_if_local(session, account, undo)
    session.delete(row)
    bump(session, post_id, Post.favourites_count, -1)


def bookmark(session: Session, account: Account, post_id: int) -> None:
    post = get_visible(session, account.id, post_id)
    insert_ignore(session, Bookmark, {"id": new_id(), "account_id": account.id, "post_id": post.id})


def unbookmark(session: Session, account: Account, post_id: int) -> None:
    session.execute(
        delete(Bookmark).where(Bookmark.account_id == account.id, Bookmark.post_id == post_id)
    )


POST_ROW = select(Post.__table__).where(Post.__table__.c.id == bindparam("post"))


def row_of(session: Session, post_id: int) -> Any:
    """A post's row, read-only (attributes as on `Post`), without the ORM's identity map
    and change tracking: ~4x cheaper than `session.get`, for jobs that only read a post."""
    return session.connection().execute(POST_ROW, {"post": post_id}).first()


def get_visible(session: Session, viewer_id: int | None, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or not can_see(session, viewer_id, post):
        raise NotFound("That post does not exist, or you are not allowed to see it.")
    return post


def history(session: Session, viewer_id: int | None, post_id: int) -> list[PostEdit]:
    """Earlier versions, oldest first (the current one is the post itself)."""
    post = get_visible(session, viewer_id, post_id)
    rows = session.execute(
        select(PostEdit).where(PostEdit.post_id == post.id).order_by(PostEdit.id)
    )
    return list(rows.scalars())


# --- helpers ---------------------------------------------------------------------------------


def _render(ctx: Context, source: str, mentioned: dict[str, Account]) -> str:
    def mention_url(handle: text.Handle) -> str | None:
        account = mentioned.get(_mention_key(ctx, handle))
        if account is None:
            return None
        return ctx.urls.profile(account.username) if account.domain is None else account.uri

    return text.render(source, mention_url, ctx.urls.tag)


def _is_local(ctx: Context, handle: text.Handle) -> bool:
    return handle.host is None or handle.host.lower() == ctx.settings.domain


def _mention_key(ctx: Context, handle: text.Handle) -> str:
    return handle.username.lower() if _is_local(ctx, handle) else handle.key()


def _resolve_mentions(
    session: Session, ctx: Context, author: Account, handles: tuple[text.Handle, ...]
) -> dict[str, Account]:
    """The accounts @mentioned, by `_mention_key`: local ones, and remote ones this node
    already knows (a handle never seen before stays plain text, as on Mastodon when the
    lookup fails). Never one the author blocks (Mastodon's ProcessMentionsService): the
    post neither names them, nor reaches them, nor tells them anything."""
    found: dict[str, Account] = {}
    local = [h.username.lower() for h in handles if _is_local(ctx, h)]
    if local:
        rows = session.execute(
            select(Account).where(
                func.lower(Account.username).in_(local),
                Account.domain.is_(None),
                Account.suspended.is_(False),
            )
        )
        found.update((account.username.lower(), account) for account in rows.scalars())
    for handle in handles:
        if not _is_local(ctx, handle):
            account = accounts.by_handle(session, handle.username, handle.host or "")
            if account is not None and not account.suspended:
                found[handle.key()] = account
    return _without_blocked(session, author, found)


def _without_blocked(
    session: Session, author: Account, mentioned: dict[str, Account]
) -> dict[str, Account]:
    if not mentioned:
        return mentioned
    blocked = set(
        session.execute(
            select(Block.target_id).where(
                Block.account_id == author.id,
                Block.target_id.in_([account.id for account in mentioned.values()]),
            )
        ).scalars()
    )
    return {key: account for key, account in mentioned.items() if account.id not in blocked}


def _reply_target(session: Session, author: Account, parent_id: int | None) -> Post | None:
    if parent_id is None:
        return None
    parent = get_visible(session, author.id, parent_id)
    if parent.reblog_of_id is not None:
        raise InvalidInput("You cannot reply to a boost; reply to the post itself.")
    blocked = session.execute(
        select(Block).where(Block.account_id == parent.account_id, Block.target_id == author.id)
    )
    if blocked.first():
        raise Forbidden("You cannot reply to this account.")
    return parent


def _save_mentions_and_tags(
    session: Session, post: Post, mentioned: dict[str, Account], tags: tuple[str, ...]
) -> None:
    insert_rows(
        session, Mention, [{"post_id": post.id, "account_id": a.id} for a in mentioned.values()]
    )
    for tag in tags:
        ADD_TAG.execute(session, {"tag": tag, "post_id": post.id})


def _count_new_post(session: Session, author: Account, post: Post, parent: Post | None) -> None:
    if parent is not None:
        bump(session, parent.id, Post.replies_count, +1)
    COUNT_NEW_POST.execute(session, {"account": author.id, "at": post.created_at})


def bump(session: Session, post_id: int, column: InstrumentedAttribute[int], delta: int) -> None:
    session.execute(update_rows(Post).where(Post.id == post_id).values({column: column + delta}))


def _own_post(session: Session, author: Account, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or post.reblog_of_id is not None:
        raise NotFound("That post does not exist (any more).")
    if post.account_id != author.id:
        raise Forbidden("You can only edit your own posts.")
    return post


def _boost_of(session: Session, account_id: int, post_id: int) -> Post | None:
    rows = session.execute(
        select(Post).where(Post.account_id == account_id, Post.reblog_of_id == post_id)
    )
    return rows.scalars().first()


def _uri_of(session: Session, post_id: int | None) -> str | None:
    if post_id is None:
        return None
    return (session.execute(select(Post.uri).where(Post.id == post_id))).scalar()


def _account_uri(session: Session, account_id: int) -> str:
    return (session.execute(select(Account.uri).where(Account.id == account_id))).scalar_one()


def likers(session: Session, viewer_id: int | None, post_id: int, limit: int = 40) -> list[Account]:
    """Who liked a post the viewer may see, most recent first."""
    post = get_visible(session, viewer_id, post_id)
    rows = session.execute(
        select(Account)
        .join(Favourite, Favourite.account_id == Account.id)
        .where(Favourite.post_id == post.id, Account.suspended.is_(False))
        .order_by(Favourite.created_at.desc())
        .limit(limit)
    )
    return list(rows.scalars())


def boosters(
    session: Session, viewer_id: int | None, post_id: int, limit: int = 40
) -> list[Account]:
    """Who boosted a post the viewer may see, most recent first."""
    post = get_visible(session, viewer_id, post_id)
    rows = session.execute(
        select(Account)
        .join(Post, Post.account_id == Account.id)
        .where(Post.reblog_of_id == post.id, Account.suspended.is_(False))
        .order_by(Post.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


def _sensitized(session: Session, author: Account) -> bool:
    row = session.get(AccountModeration, author.id)
    return row is not None and row.sensitized
