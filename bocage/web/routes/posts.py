"""Writing: compose, reply, edit, delete, like, boost, bookmark; reading a thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bocage.core.limits import limits
from bocage.core.media.media import MAX_DESCRIPTION
from bocage.core.polls import polls
from bocage.core.posts import posts
from bocage.core.reading.visibility import DEFAULT, Visibility
from bocage.kernel import numbers
from bocage.kernel.errors import DomainError, InvalidInput, NotFound
from bocage.services.media import MediaService
from bocage.services.posts import PostService
from bocage.store.models import Account
from bocage.web import forms
from bocage.web import media as web_media
from bocage.web.auth import current_viewer, require_viewer, services_of
from bocage.web.render import back, page, redirect


def _draft(form: forms.FormData) -> posts.PostDraft:
    return posts.PostDraft(
        text=forms.text(form, "text", max_length=100_000),
        spoiler_text=forms.text(form, "spoiler_text", max_length=10_000),
        visibility=Visibility.parse(forms.text(form, "visibility", DEFAULT, max_length=20)),
        in_reply_to_id=forms.optional_id(form, "in_reply_to_id"),
        language=forms.text(form, "language", max_length=20).strip() or None,
        poll=_poll(form),
        sensitive=forms.flag(form, "sensitive"),
        quoted_post_id=forms.optional_id(form, "quoted_post_id"),
    )


async def _attachments(
    service: MediaService, author: Account, form: forms.FormData, slots: int
) -> tuple[int, ...]:
    """The compose form's attachments, in slot order: a file sent with the form (without
    JavaScript) is uploaded now; one uploaded ahead (`media_id_N`, by compose.js while the
    person writes) is the author's own upload. Each gets its slot's description and licence."""
    attached = []
    for slot in range(slots):
        description = forms.text(form, f"description_{slot}", max_length=MAX_DESCRIPTION)
        uploaded_id = forms.optional_id(form, f"media_id_{slot}")
        sent = form.get(f"media_{slot}")
        if uploaded_id is not None:
            row = await service.describe(author, uploaded_id, description, None)
        elif isinstance(sent, UploadFile) and sent.filename:
            data = await sent.read()
            row = await service.upload(author, data, description, file_name=sent.filename)
        else:
            continue
        licence = forms.text(form, f"licence_{slot}", max_length=64).strip() or None
        if licence:
            row = await service.label(author, row.id, row.file_name or "", licence)
        attached.append(row.id)
    return tuple(attached)


async def upload(request: Request) -> Response:
    """compose.js sends each file here as soon as it is chosen (with a progress bar), so the
    post itself only carries the ids; the answer is JSON for the script."""
    viewer = await require_viewer(request)
    form = await forms.read_form(request, uploads=True)
    sent = form.get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        raise InvalidInput("Choose a file to upload.")
    service = services_of(request).media
    row = await service.upload(viewer.account, await sent.read(), file_name=sent.filename)
    shown = web_media.shown(row)
    return JSONResponse({"id": str(row.id), "kind": shown.kind, "preview": shown.src})


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
    form = await forms.read_form(request, albums=True)
    draft = _draft(form)
    services = services_of(request)
    try:
        slots = limits.of(services.ctx.settings).max_media_attachments
        media_ids = await _attachments(services.media, viewer.account, form, slots)
        draft = replace(draft, media_ids=media_ids)
        post_id = await services.posts.publish(viewer.account, draft)
    except DomainError as exc:
        # Show the form again with the text the person wrote: nothing typed is lost.
        return await page(request, "compose.html", exc.status, error=exc.message, draft=draft)
    if draft.in_reply_to_id:
        return redirect(request, f"/@{viewer.account.username}/{post_id}", "Reply posted.")
    return back(request, "/home", "Posted.")


async def compose_form(request: Request) -> Response:
    viewer = await require_viewer(request)
    reply_to = numbers.parse_id(request.query_params.get("reply_to"))
    quote = numbers.parse_id(request.query_params.get("quote"))
    if reply_to is None and quote is not None:
        # Quoting: the quoted post shown above the form, which carries its id.
        quoted = await services_of(request).posts.seen(viewer.account, quote)
        draft = posts.PostDraft(text="", quoted_post_id=quote)
        return await page(request, "compose.html", draft=draft, quoted=quoted[0])
    if reply_to is None:
        return await page(request, "compose.html", draft=posts.PostDraft(text=""))
    parent = await services_of(request).posts.reply_to(viewer.account, reply_to)
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
    found = await services_of(request).posts.thread_by(
        viewer.account if viewer else None,
        request.path_params["username"],
        request.path_params["post_id"],
    )
    return await page(request, "thread.html", thread=found)


async def permalink(request: Request) -> Response:
    """/posts/ID → the canonical thread page /@author/ID."""
    viewer = await current_viewer(request)
    post, author = await services_of(request).posts.with_author(
        viewer.account if viewer else None, request.path_params["post_id"]
    )
    return redirect(request, f"/@{author.username}/{post.id}")


async def edit_form(request: Request) -> Response:
    viewer = await require_viewer(request)
    post = await services_of(request).posts.visible(viewer.account, request.path_params["post_id"])
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
    services = services_of(request)
    post_id = request.path_params["post_id"]
    try:
        post = await services.posts.edit(viewer.account, post_id, draft)
    except DomainError as exc:
        editing = await services.posts.visible(viewer.account, post_id)
        return await page(
            request, "compose.html", exc.status, error=exc.message, draft=draft, editing=editing
        )
    return redirect(request, f"/@{viewer.account.username}/{post.id}", "Post updated.")


async def history(request: Request) -> Response:
    viewer = await current_viewer(request)
    post, author, versions = await services_of(request).posts.history_with_author(
        viewer.account if viewer else None, request.path_params["post_id"]
    )
    return await page(request, "history.html", post=post, versions=versions, author=author)


PostAction = Callable[[PostService], Callable[[Account, int], Awaitable[int]]]


def _post_action(action: PostAction, message: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        viewer = await require_viewer(request)
        await forms.read_form(request)
        await action(services_of(request).posts)(viewer.account, request.path_params["post_id"])
        return back(request, "/home", message)

    return endpoint


async def vote(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    choices = forms.int_list(form, "choice")
    try:
        await services_of(request).posts.vote_on_post(
            viewer.account, request.path_params["post_id"], choices
        )
    except InvalidInput as refused:
        return back(request, "/home", refused.message.removeprefix("Validation failed: "))
    return back(request, "/home", "Voted.")


async def delete(request: Request) -> Response:
    viewer = await require_viewer(request)
    await forms.read_form(request)
    await services_of(request).posts.delete(
        viewer.account, request.path_params["post_id"], as_admin=viewer.is_admin
    )
    return redirect(request, f"/@{viewer.account.username}", "Post deleted.")


def _action_route(verb: str, action: PostAction, message: str) -> Route:
    return Route(f"/posts/{{post_id:id}}/{verb}", _post_action(action, message), methods=["POST"])


routes = [
    Route("/compose", compose_form, methods=["GET"]),
    Route("/posts", compose, methods=["POST"]),
    Route("/compose/media", upload, methods=["POST"]),
    Route("/posts/{post_id:id}", permalink, methods=["GET"]),
    Route("/posts/{post_id:id}/edit", edit_form, methods=["GET"]),
    Route("/posts/{post_id:id}/edit", edit, methods=["POST"]),
    Route("/posts/{post_id:id}/history", history, methods=["GET"]),
    Route("/posts/{post_id:id}/delete", delete, methods=["POST"]),
    Route("/posts/{post_id:id}/vote", vote, methods=["POST"]),
    _action_route("like", lambda p: p.favourite, "Liked."),
    _action_route("unlike", lambda p: p.unfavourite, "Like removed."),
    _action_route("boost", lambda p: p.boost, "Boosted."),
    _action_route("unboost", lambda p: p.unboost, "Boost removed."),
    _action_route("bookmark", lambda p: p.bookmark, "Bookmarked."),
    _action_route("unbookmark", lambda p: p.unbookmark, "Bookmark removed."),
    _action_route("pin", lambda p: p.pin, "Pinned to your profile."),
    _action_route("unpin", lambda p: p.unpin, "Unpinned."),
    Route("/@{username}/{post_id:id}", thread, methods=["GET"]),
]
