"""Profiles, followers/following lists, and the follow / block / mute buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core import accounts, graph, timelines
from bocage.core.context import Context
from bocage.store.models import Account, Follow
from bocage.web import forms
from bocage.web.auth import current_viewer, node_of, require_viewer
from bocage.web.render import back, page, redirect
from bocage.web.routes.timelines import page_of


async def profile(request: Request) -> Response:
    viewer = await current_viewer(request)
    with_replies = request.query_params.get("replies") == "1"
    async with node_of(request).db.read() as session:
        account = await accounts.by_username(session, request.path_params["username"])
        relationship = (
            await graph.relationship(session, viewer.account.id, account.id)
            if viewer and viewer.account.id != account.id
            else None
        )
        views = await timelines.profile(
            session,
            viewer.account if viewer else None,
            account,
            page_of(request),
            with_replies=with_replies,
        )
    if account.suspended and not (viewer and viewer.is_admin):
        return await page(request, "suspended.html", 410, account=account)
    return await page(
        request,
        "profile.html",
        account=account,
        relationship=relationship,
        views=views,
        with_replies=with_replies,
    )


def _people(which: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        async with node_of(request).db.read() as session:
            account = await accounts.by_username(session, request.path_params["username"])
            people = await getattr(graph, which)(session, account)
        title = "Followers" if which == "followers" else "Following"
        return await page(request, "people.html", account=account, people=people, title=title)

    return endpoint


GraphAction = Callable[[AsyncSession, Context, Account, Account], Awaitable[object]]


def _graph_action(action: GraphAction, message: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        viewer = await require_viewer(request)
        await forms.read_form(request)
        node = node_of(request)
        async with node.db.write() as session:
            target = await accounts.by_username(session, request.path_params["username"])
            result = await action(session, node.ctx, viewer.account, target)
        node.jobs_committed()
        said = message
        if isinstance(result, Follow) and not result.accepted:
            said = "Follow request sent to @{}."  # a locked account decides later
        return back(request, f"/@{target.username}", said.format(target.username))

    return endpoint


async def _mute(s: AsyncSession, _c: Context, a: Account, t: Account) -> None:
    await graph.mute(s, a, t)


async def _unmute(s: AsyncSession, _c: Context, a: Account, t: Account) -> None:
    await graph.unmute(s, a, t)


async def follow_requests(request: Request) -> Response:
    viewer = await require_viewer(request)
    async with node_of(request).db.read() as session:
        people = await graph.pending_requests(session, viewer.account)
    return await page(request, "follow_requests.html", people=people)


def _answer_request(accept: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        viewer = await require_viewer(request)
        await forms.read_form(request)
        node = node_of(request)
        answer = graph.accept_request if accept else graph.reject_request
        async with node.db.write() as session:
            await answer(session, node.ctx, viewer.account, request.path_params["account_id"])
        node.jobs_committed()
        return redirect(
            request, "/follow-requests", "Request accepted." if accept else "Request rejected."
        )

    return endpoint


routes = [
    Route("/follow-requests", follow_requests, methods=["GET"]),
    Route("/follow-requests/{account_id:int}/accept", _answer_request(True), methods=["POST"]),
    Route("/follow-requests/{account_id:int}/reject", _answer_request(False), methods=["POST"]),
    Route("/@{username}", profile, methods=["GET"]),
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
