"""Writing: compose, reply, edit, delete, like, boost, bookmark; reading a thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core import accounts, posts, timelines
from bocage.core.errors import DomainError, NotFound
from bocage.store.models import Account
from bocage.web import forms
from bocage.web.auth import Viewer, current_viewer, node_of, require_viewer
from bocage.web.render import back, page, redirect


def _draft(form: forms.FormData) -> posts.PostDraft:
    return posts.PostDraft(
        text=forms.text(form, "text", max_length=100_000),
        spoiler_text=forms.text(form, "spoiler_text", max_length=10_000),
        visibility=forms.text(form, "visibility", "public", max_length=20),
        in_reply_to_id=forms.optional_int(form, "in_reply_to_id"),
        language=forms.text(form, "language", max_length=20).strip() or None,
    )


async def compose(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    draft = _draft(form)
    node = node_of(request)
    try:
        async with node.db.write() as session:
            post = await posts.publish(session, node.ctx, viewer.account, draft)
    except DomainError as exc:
        # Show the form again with the text the person wrote: nothing typed is lost.
        return await page(request, "compose.html", exc.status, error=exc.message, draft=draft)
    node.jobs_committed()
    if draft.in_reply_to_id:
        return redirect(request, f"/@{viewer.account.username}/{post.id}", "Reply posted.")
    return back(request, "/home", "Posted.")


async def compose_form(request: Request) -> Response:
    viewer = await require_viewer(request)
    reply_to = request.query_params.get("reply_to", "")
    parent = None
    draft = posts.PostDraft(text="")
    if reply_to.isdigit():
        async with node_of(request).db.read() as session:
            parent = (await timelines.thread(session, viewer.account, int(reply_to))).focus
        mentions = {parent.author.username, *(m.username for m in parent.mentions)}
        mentions.discard(viewer.account.username)
        draft = posts.PostDraft(
            text="".join(f"@{name} " for name in sorted(mentions)),
            spoiler_text=parent.post.spoiler_text,
            visibility=parent.post.visibility,
            in_reply_to_id=parent.post.id,
        )
    return await page(request, "compose.html", draft=draft, parent=parent)


async def thread(request: Request) -> Response:
    viewer = await current_viewer(request)
    node = node_of(request)
    async with node.db.read() as session:
        author = await accounts.by_username(session, request.path_params["username"])
        found = await timelines.thread(
            session, viewer.account if viewer else None, request.path_params["post_id"]
        )
    if found.focus.author.id != author.id:
        raise NotFound("That post does not exist, or you are not allowed to see it.")
    return await page(request, "thread.html", thread=found)


async def permalink(request: Request) -> Response:
    """/posts/ID → the canonical thread page /@author/ID."""
    viewer = await current_viewer(request)
    async with node_of(request).db.read() as session:
        post = await posts.get_visible(
            session, viewer.account.id if viewer else None, request.path_params["post_id"]
        )
        author = await session.get(Account, post.account_id)
    assert author is not None
    return redirect(request, f"/@{author.username}/{post.id}")


async def edit_form(request: Request) -> Response:
    viewer = await require_viewer(request)
    async with node_of(request).db.read() as session:
        post = await posts.get_visible(session, viewer.account.id, request.path_params["post_id"])
    if post.account_id != viewer.account.id:
        raise NotFound("You can only edit your own posts.")
    draft = posts.PostDraft(post.source, post.spoiler_text, post.visibility, None, post.language)
    return await page(request, "compose.html", draft=draft, editing=post)


async def edit(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    draft = _draft(form)
    node = node_of(request)
    post_id = request.path_params["post_id"]
    try:
        async with node.db.write() as session:
            post = await posts.edit(session, node.ctx, viewer.account, post_id, draft)
    except DomainError as exc:
        async with node.db.read() as session:
            editing = await posts.get_visible(session, viewer.account.id, post_id)
        return await page(
            request, "compose.html", exc.status, error=exc.message, draft=draft, editing=editing
        )
    node.jobs_committed()
    return redirect(request, f"/@{viewer.account.username}/{post.id}", "Post updated.")


async def history(request: Request) -> Response:
    viewer = await current_viewer(request)
    viewer_id = viewer.account.id if viewer else None
    async with node_of(request).db.read() as session:
        post = await posts.get_visible(session, viewer_id, request.path_params["post_id"])
        versions = await posts.history(session, viewer_id, post.id)
        author = await session.get(Account, post.account_id)
    return await page(request, "history.html", post=post, versions=versions, author=author)


Action = Callable[[AsyncSession, Request, Viewer, int], Awaitable[None]]


def _post_action(action: Action, message: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        viewer = await require_viewer(request)
        await forms.read_form(request)
        node = node_of(request)
        async with node.db.write() as session:
            await action(session, request, viewer, request.path_params["post_id"])
        node.jobs_committed()
        return back(request, "/home", message)

    return endpoint


def _ctx(request: Request):  # type: ignore[no-untyped-def]
    return node_of(request).ctx


async def _like(s: AsyncSession, r: Request, v: Viewer, post_id: int) -> None:
    await posts.favourite(s, _ctx(r), v.account, post_id)


async def _unlike(s: AsyncSession, r: Request, v: Viewer, post_id: int) -> None:
    await posts.unfavourite(s, _ctx(r), v.account, post_id)


async def _boost(s: AsyncSession, r: Request, v: Viewer, post_id: int) -> None:
    await posts.boost(s, _ctx(r), v.account, post_id)


async def _unboost(s: AsyncSession, r: Request, v: Viewer, post_id: int) -> None:
    await posts.unboost(s, _ctx(r), v.account, post_id)


async def _bookmark(s: AsyncSession, r: Request, v: Viewer, post_id: int) -> None:
    await posts.bookmark(s, v.account, post_id)


async def _unbookmark(s: AsyncSession, r: Request, v: Viewer, post_id: int) -> None:
    await posts.unbookmark(s, v.account, post_id)


async def delete(request: Request) -> Response:
    viewer = await require_viewer(request)
    await forms.read_form(request)
    node = node_of(request)
    async with node.db.write() as session:
        await posts.delete_post(
            session,
            node.ctx,
            viewer.account,
            request.path_params["post_id"],
            as_admin=viewer.is_admin,
        )
    return redirect(request, f"/@{viewer.account.username}", "Post deleted.")


routes = [
    Route("/compose", compose_form, methods=["GET"]),
    Route("/posts", compose, methods=["POST"]),
    Route("/posts/{post_id:int}", permalink, methods=["GET"]),
    Route("/posts/{post_id:int}/edit", edit_form, methods=["GET"]),
    Route("/posts/{post_id:int}/edit", edit, methods=["POST"]),
    Route("/posts/{post_id:int}/history", history, methods=["GET"]),
    Route("/posts/{post_id:int}/delete", delete, methods=["POST"]),
    Route("/posts/{post_id:int}/like", _post_action(_like, "Liked."), methods=["POST"]),
    Route("/posts/{post_id:int}/unlike", _post_action(_unlike, "Like removed."), methods=["POST"]),
    Route("/posts/{post_id:int}/boost", _post_action(_boost, "Boosted."), methods=["POST"]),
    Route(
        "/posts/{post_id:int}/unboost", _post_action(_unboost, "Boost removed."), methods=["POST"]
    ),
    Route(
        "/posts/{post_id:int}/bookmark", _post_action(_bookmark, "Bookmarked."), methods=["POST"]
    ),
    Route(
        "/posts/{post_id:int}/unbookmark",
        _post_action(_unbookmark, "Bookmark removed."),
        methods=["POST"],
    ),
    Route("/@{username}/{post_id:int}", thread, methods=["GET"]),
]
