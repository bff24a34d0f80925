"""Profiles, followers/following lists, and the follow / block / mute buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bocage.services.graph import GraphService, Outcome
from bocage.store.models import Account
from bocage.web import forms
from bocage.web.auth import current_viewer, require_viewer, services_of
from bocage.web.render import back, page, redirect
from bocage.web.routes.timelines import page_of


def _name_of(request: Request) -> str:
    return str(request.path_params["username"])


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
    photos = request.url.path.endswith("/photos")  # /@name/photos: the grid of photos
    found = await services_of(request).accounts.profile_page(
        viewer.account if viewer else None,
        _name_of(request),
        page_of(request),
        with_replies=with_replies,
        tagged=tagged,
        only_media=photos,
    )
    if found.account.suspended and not (viewer and viewer.is_admin):
        return await page(request, "suspended.html", 410, account=found.account)
    return await page(
        request,
        "profile.html",
        account=found.account,
        relationship=found.relationship,
        views=found.views,
        with_replies=with_replies,
        photos=photos,
        moved_to=found.moved_to,
        pinned=found.pinned,
    )


def _people(which: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        viewer = await current_viewer(request)
        account, people = await services_of(request).graph.people_by_name(
            which, _name_of(request), viewer.account if viewer else None
        )
        title = "Followers" if which == "followers" else "Following"
        return await page(request, "people.html", account=account, people=people, title=title)

    return endpoint


GraphAction = Callable[[GraphService], Callable[[Account, str], Awaitable[Outcome]]]


def _graph_action(
    action: GraphAction, message: str, pending: str | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """A button on someone's page (`bob`, or `bob@elsewhere`, looked up on its server the
    first time it is seen). `pending`: the message when it leaves a follow request waiting
    (a locked account decides later)."""

    async def endpoint(request: Request) -> Response:
        viewer = await require_viewer(request)
        await forms.read_form(request)
        outcome = await action(services_of(request).graph)(viewer.account, _name_of(request))
        target, shown = outcome.target, outcome.relationship
        waiting = pending is not None and shown.requested and not shown.following
        message_now = pending if waiting and pending is not None else message
        handle = f"{target.username}@{target.domain}" if target.domain else target.username
        return back(request, f"/@{handle}", message_now.format(handle))

    return endpoint


async def follow_requests(request: Request) -> Response:
    viewer = await require_viewer(request)
    people = await services_of(request).graph.follow_requests(viewer.account)
    return await page(request, "follow_requests.html", people=people)


def _answer_request(accept: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        viewer = await require_viewer(request)
        await forms.read_form(request)
        await services_of(request).graph.answer_request(
            viewer.account, request.path_params["account_id"], accept, shown_only=False
        )
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
    Route("/@{username}/photos", profile, methods=["GET"]),
    Route("/@{username}/followers", _people("followers"), methods=["GET"]),
    Route("/@{username}/following", _people("following"), methods=["GET"]),
    Route(
        "/@{username}/follow",
        _graph_action(lambda g: g.follow, "Following @{}.", "Follow request sent to @{}."),
        methods=["POST"],
    ),
    Route(
        "/@{username}/unfollow",
        _graph_action(lambda g: g.unfollow, "Unfollowed @{}."),
        methods=["POST"],
    ),
    Route("/@{username}/block", _graph_action(lambda g: g.block, "Blocked @{}."), methods=["POST"]),
    Route(
        "/@{username}/unblock",
        _graph_action(lambda g: g.unblock, "Unblocked @{}."),
        methods=["POST"],
    ),
    Route("/@{username}/mute", _graph_action(lambda g: g.mute, "Muted @{}."), methods=["POST"]),
    Route(
        "/@{username}/unmute", _graph_action(lambda g: g.unmute, "Unmuted @{}."), methods=["POST"]
    ),
]
