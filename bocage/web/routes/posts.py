"""Writing: compose, reply, edit, delete, like, boost, bookmark; reading a thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.accounts import accounts
from bocage.core.polls import polls
from bocage.core.posts import posts
from bocage.core.reading.visibility import DEFAULT, Visibility
from bocage.core.timelines import pins, timelines
from bocage.kernel import numbers
from bocage.kernel.context import Context
from bocage.kernel.errors import DomainError, InvalidInput, NotFound
from bocage.store.models import Account, Post, PostEdit
from bocage.web import forms
from bocage.web.auth import current_viewer, node_of, require_viewer
from bocage.web.render import back, page, redirect


def _draft(form: forms.FormData) -> posts.PostDraft:
    return posts.PostDraft(
        text=forms.text(form, "text", max_length=100_000),
        spoiler_text=forms.text(form, "spoiler_text", max_length=10_000),
        visibility=Visibility.parse(forms.text(form, "visibility", DEFAULT, max_length=20)),
        in_reply_to_id=forms.optional_id(form, "in_reply_to_id"),
        language=forms.text(form, "language", max_length=20).strip() or None,
        poll=_poll(form),
    )


def _poll(form: forms.FormData) -> polls.PollDraft | None:
    """The compose form's poll, if any option was filled in."""
    options = [o for o in form.getlist("poll_option") if isinstance(o, str)]
    if not any(option.strip() for option in options):
        return None
    return polls.PollDraft(
        tuple(option[:1000] for option in options),
        forms.optional_int(form, "poll_expires_in") or 0,
        multiple=forms.flag(form, "poll_multiple"),
        hide_totals=forms.flag(form, "poll_hide_totals"),
    )


async def compose(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    draft = _draft(form)
    node = node_of(request)
    await node.federation.resolver.learn_mentions(draft.text)
    try:
        post = await node.db.write(posts.publish, node.ctx, viewer.account, draft)
    except DomainError as exc:
        # Show the form again with the text the person wrote: nothing typed is lost.
        return await page(request, "compose.html", exc.status, error=exc.message, draft=draft)
    if draft.in_reply_to_id:
        return redirect(request, f"/@{viewer.account.username}/{post.id}", "Reply posted.")
    return back(request, "/home", "Posted.")


async def compose_form(request: Request) -> Response:
    viewer = await require_viewer(request)
    reply_to = numbers.parse_id(request.query_params.get("reply_to"))
    if reply_to is None:
        return await page(request, "compose.html", draft=posts.PostDraft(text=""))

    def load(session: Session) -> timelines.PostView:
        focus = timelines.thread(session, viewer.account, reply_to).focus
        return timelines.with_mentions(session, [focus])[0]

    parent = await node_of(request).db.read(load)
    mentions = {parent.author.username, *(m.username for m in parent.mentions)}
    mentions.discard(viewer.account.username)
    draft = posts.PostDraft(
        text="".join(f"@{name} " for name in sorted(mentions)),
        spoiler_text=parent.post.spoiler_text,
        visibility=Visibility(parent.post.visibility),
        in_reply_to_id=parent.post.id,
    )
    return await page(request, "compose.html", draft=draft, parent=parent)


async def thread(request: Request) -> Response:
    viewer = await current_viewer(request)
    node = node_of(request)

    def load(session: Session) -> timelines.Thread:
        author = accounts.by_name(
            session, node.ctx.settings.domain, request.path_params["username"]
        )
        found = timelines.thread(
            session, viewer.account if viewer else None, request.path_params["post_id"]
        )
        if found.focus.author.id != author.id:
            raise NotFound("That post does not exist, or you are not allowed to see it.")
        return found

    return await page(request, "thread.html", thread=await node.db.read(load))


def _visible_with_author(
    session: Session, viewer_id: int | None, post_id: int
) -> tuple[Post, Account]:
    post = posts.get_visible(session, viewer_id, post_id)
    author = session.get(Account, post.account_id)
    assert author is not None
    return post, author


async def permalink(request: Request) -> Response:
    """/posts/ID → the canonical thread page /@author/ID."""
    viewer = await current_viewer(request)
    post, author = await node_of(request).db.read(
        _visible_with_author, viewer.account.id if viewer else None, request.path_params["post_id"]
    )
    return redirect(request, f"/@{author.username}/{post.id}")


async def edit_form(request: Request) -> Response:
    viewer = await require_viewer(request)
    post = await node_of(request).db.read(
        posts.get_visible, viewer.account.id, request.path_params["post_id"]
    )
    if post.account_id != viewer.account.id:
        raise NotFound("You can only edit your own posts.")
    draft = posts.PostDraft(
        post.source, post.spoiler_text, Visibility(post.visibility), None, post.language
    )
    return await page(request, "compose.html", draft=draft, editing=post)


async def edit(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    draft = _draft(form)
    node = node_of(request)
    post_id = request.path_params["post_id"]
    await node.federation.resolver.learn_mentions(draft.text)
    try:
        post = await node.db.write(posts.edit, node.ctx, viewer.account, post_id, draft)
    except DomainError as exc:
        editing = await node.db.read(posts.get_visible, viewer.account.id, post_id)
        return await page(
            request, "compose.html", exc.status, error=exc.message, draft=draft, editing=editing
        )
    return redirect(request, f"/@{viewer.account.username}/{post.id}", "Post updated.")


async def history(request: Request) -> Response:
    viewer = await current_viewer(request)
    viewer_id = viewer.account.id if viewer else None
    post_id = request.path_params["post_id"]

    def load(session: Session) -> tuple[Post, Account, list[PostEdit]]:
        post, author = _visible_with_author(session, viewer_id, post_id)
        return post, author, posts.history(session, viewer_id, post.id)

    post, author, versions = await node_of(request).db.read(load)
    return await page(request, "history.html", post=post, versions=versions, author=author)


PostAction = Callable[[Session, Context, Account, int], object]


def _post_action(action: PostAction, message: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        viewer = await require_viewer(request)
        await forms.read_form(request)
        node = node_of(request)
        await node.db.write(action, node.ctx, viewer.account, request.path_params["post_id"])
        return back(request, "/home", message)

    return endpoint


def _bookmark(session: Session, _ctx: Context, account: Account, post_id: int) -> None:
    posts.bookmark(session, account, post_id)


def _unbookmark(session: Session, _ctx: Context, account: Account, post_id: int) -> None:
    posts.unbookmark(session, account, post_id)


async def vote(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    choices = forms.int_list(form, "choice")
    node = node_of(request)
    post_id = request.path_params["post_id"]

    def apply(session: Session) -> None:
        post = posts.get_visible(session, viewer.account.id, post_id)
        shown = session.get(Post, post.reblog_of_id) if post.reblog_of_id else post
        voter = session.get(Account, viewer.account.id)
        if shown is None or shown.poll_id is None or voter is None:
            raise NotFound("That post has no poll.")
        polls.vote(session, voter, shown.poll_id, choices)

    try:
        await node.db.write(apply)
    except InvalidInput as refused:
        return back(request, "/home", refused.message.removeprefix("Validation failed: "))
    return back(request, "/home", "Voted.")


async def delete(request: Request) -> Response:
    viewer = await require_viewer(request)
    await forms.read_form(request)
    node = node_of(request)
    await node.db.write(
        posts.delete_post,
        node.ctx,
        viewer.account,
        request.path_params["post_id"],
        as_admin=viewer.is_admin,
    )
    return redirect(request, f"/@{viewer.account.username}", "Post deleted.")


def _action_route(verb: str, action: PostAction, message: str) -> Route:
    return Route(f"/posts/{{post_id:id}}/{verb}", _post_action(action, message), methods=["POST"])


routes = [
    Route("/compose", compose_form, methods=["GET"]),
    Route("/posts", compose, methods=["POST"]),
    Route("/posts/{post_id:id}", permalink, methods=["GET"]),
    Route("/posts/{post_id:id}/edit", edit_form, methods=["GET"]),
    Route("/posts/{post_id:id}/edit", edit, methods=["POST"]),
    Route("/posts/{post_id:id}/history", history, methods=["GET"]),
    Route("/posts/{post_id:id}/delete", delete, methods=["POST"]),
    Route("/posts/{post_id:id}/vote", vote, methods=["POST"]),
    _action_route("like", posts.favourite, "Liked."),
    _action_route("unlike", posts.unfavourite, "Like removed."),
    _action_route("boost", posts.boost, "Boosted."),
    _action_route("unboost", posts.unboost, "Boost removed."),
    _action_route("bookmark", _bookmark, "Bookmarked."),
    _action_route("unbookmark", _unbookmark, "Bookmark removed."),
    _action_route("pin", pins.pin, "Pinned to your profile."),
    _action_route("unpin", pins.unpin, "Unpinned."),
    Route("/@{username}/{post_id:id}", thread, methods=["GET"]),
]
