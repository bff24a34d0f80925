"""Profiles, followers/following lists, and the follow / block / mute buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bocage.core.accounts import accounts
from bocage.core.graph import graph
from bocage.core.timelines import timelines
from bocage.kernel.context import Context
from bocage.store.models import Account, Follow
from bocage.web import forms
from bocage.web.auth import current_viewer, node_of, require_viewer
from bocage.web.render import back, page, redirect
from bocage.web.routes.timelines import page_of


def _name_of(request: Request) -> str:
    return str(request.path_params["username"])


async def _discover_remote(request: Request) -> None:
    """A remote handle (`/@bob@elsewhere`) seen for the first time: looked up on its server
    (WebFinger, then the actor), so its page and buttons work like a local account's."""
    node = node_of(request)
    name = _name_of(request)
    _user, _, domain = name.partition("@")
    if domain and domain.lower() != node.ctx.settings.domain:
        await node.federation.resolver.discover(name)


async def search(request: Request) -> Response:
    query = request.query_params.get("q", "").strip().removeprefix("@")
    if "@" not in query:
        return redirect(
            request,
            "/home",
            "To find someone, write their full address, like @someone@example.social.",
        )
    return RedirectResponse(f"/@{quote(query, safe='@:.')}", status_code=303)


async def profile(request: Request) -> Response:
    viewer = await current_viewer(request)
    with_replies = request.query_params.get("replies") == "1"
    tagged = request.path_params.get("tag")  # /@name/tagged/tag: only posts with that hashtag
    viewer_account = viewer.account if viewer else None
    await _discover_remote(request)
    domain = node_of(request).ctx.settings.domain

    def load(session: Session) -> tuple[Account, Account | None, Any, list[Any], list[Any]]:
        account = accounts.by_name(session, domain, _name_of(request))
        moved_to = session.get(Account, account.moved_to_id) if account.moved_to_id else None
        relationship = (
            graph.relationship(session, viewer_account.id, account.id)
            if viewer_account and viewer_account.id != account.id
            else None
        )
        views = timelines.profile(
            session,
            viewer_account,
            account,
            page_of(request),
            with_replies=with_replies,
            tagged=tagged,
        )
        first_page = page_of(request).max_id is None and tagged is None
        pinned = timelines.pinned(session, viewer_account, account) if first_page else []
        return account, moved_to, relationship, views, pinned

    account, moved_to, relationship, views, pinned = await node_of(request).db.read(load)
    if account.suspended and not (viewer and viewer.is_admin):
        return await page(request, "suspended.html", 410, account=account)
    return await page(
        request,
        "profile.html",
        account=account,
        relationship=relationship,
        views=views,
        with_replies=with_replies,
        moved_to=moved_to,
        pinned=pinned,
    )


def _people(which: str) -> Callable[[Request], Awaitable[Response]]:
    def load(
        session: Session, domain: str, name: str, viewer_id: int | None
    ) -> tuple[Account, list[Account]]:
        account = accounts.by_name(session, domain, name)
        return account, getattr(graph, which)(session, account, viewer_id=viewer_id)

    async def endpoint(request: Request) -> Response:
        node = node_of(request)
        viewer = await current_viewer(request)
        account, people = await node.db.read(
            load, node.ctx.settings.domain, _name_of(request), viewer.account.id if viewer else None
        )
        title = "Followers" if which == "followers" else "Following"
        return await page(request, "people.html", account=account, people=people, title=title)

    return endpoint


GraphAction = Callable[[Session, Context, Account, Account], object]


def _graph_action(action: GraphAction, message: str) -> Callable[[Request], Awaitable[Response]]:
    def apply(session: Session, ctx: Context, actor: Account, name: str) -> tuple[Account, str]:
        target = accounts.by_name(session, ctx.settings.domain, name)
        result = action(session, ctx, actor, target)
        if isinstance(result, Follow) and not result.accepted:
            return target, "Follow request sent to @{}."  # a locked account decides later
        return target, message

    async def endpoint(request: Request) -> Response:
        viewer = await require_viewer(request)
        await forms.read_form(request)
        node = node_of(request)
        await _discover_remote(request)
        target, said = await node.db.write(apply, node.ctx, viewer.account, _name_of(request))
        handle = f"{target.username}@{target.domain}" if target.domain else target.username
        return back(request, f"/@{handle}", said.format(handle))

    return endpoint


def _mute(session: Session, _ctx: Context, account: Account, target: Account) -> None:
    graph.mute(session, account, target)


def _unmute(session: Session, _ctx: Context, account: Account, target: Account) -> None:
    graph.unmute(session, account, target)


async def follow_requests(request: Request) -> Response:
    viewer = await require_viewer(request)
    people = await node_of(request).db.read(graph.pending_requests, viewer.account)
    return await page(request, "follow_requests.html", people=people)


def _answer_request(accept: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        viewer = await require_viewer(request)
        await forms.read_form(request)
        node = node_of(request)
        answer = graph.accept_request if accept else graph.reject_request
        await node.db.write(answer, node.ctx, viewer.account, request.path_params["account_id"])
        return redirect(
            request, "/follow-requests", "Request accepted." if accept else "Request rejected."
        )

    return endpoint


routes = [
    Route("/search", search, methods=["GET"]),
    Route("/follow-requests", follow_requests, methods=["GET"]),
    Route("/follow-requests/{account_id:id}/accept", _answer_request(True), methods=["POST"]),
    Route("/follow-requests/{account_id:id}/reject", _answer_request(False), methods=["POST"]),
    Route("/@{username}", profile, methods=["GET"]),
    Route("/@{username}/tagged/{tag}", profile, methods=["GET"]),
    Route("/@{username}/followers", _people("followers"), methods=["GET"]),
    Route("/@{username}/following", _people("following"), methods=["GET"]),
    Route("/@{username}/follow", _graph_action(graph.follow, "Following @{}."), methods=["POST"]),
    Route(
        "/@{username}/unfollow", _graph_action(graph.unfollow, "Unfollowed @{}."), methods=["POST"]
    ),
    Route("/@{username}/block", _graph_action(graph.block, "Blocked @{}."), methods=["POST"]),
    Route("/@{username}/unblock", _graph_action(graph.unblock, "Unblocked @{}."), methods=["POST"]),
    Route("/@{username}/mute", _graph_action(_mute, "Muted @{}."), methods=["POST"]),
    Route("/@{username}/unmute", _graph_action(_unmute, "Unmuted @{}."), methods=["POST"]),
]
