"""Reading: home, local, hashtag, bookmarks, favourites, notifications, about."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.timelines.timelines import Page
from bocage.kernel import numbers
from bocage.kernel.errors import InvalidInput
from bocage.web import forms
from bocage.web.auth import current_viewer, require_viewer, services_of
from bocage.web.render import page, redirect

PAGE_MAX = 40  # posts on one page, whatever `limit` asks


def page_of(request: Request) -> Page:
    """The page asked for: ids to page from, and at most PAGE_MAX posts."""

    def id_of(name: str) -> int | None:
        value = request.query_params.get(name)
        if value is None or value == "":
            return None
        found = numbers.parse_id(value)
        if found is None:
            raise InvalidInput(f"The {name} parameter must be a number (the id of a post).")
        return found

    limit = numbers.parse_count(request.query_params.get("limit") or "20", PAGE_MAX)
    if limit is None:
        raise InvalidInput("The limit parameter must be a number.")
    return Page(max_id=id_of("max_id"), min_id=id_of("min_id"), limit=limit or 20)


async def index(request: Request) -> Response:
    if await current_viewer(request):
        return redirect(request, "/home")
    return await local(request)


async def home(request: Request) -> Response:
    viewer = await require_viewer(request)
    views = await services_of(request).timelines.home(viewer.account, page_of(request))
    return await page(request, "timeline.html", title="Home", views=views, compose=True)


async def local(request: Request) -> Response:
    viewer = await current_viewer(request)
    views = await services_of(request).timelines.local(
        viewer.account if viewer else None, page_of(request)
    )
    return await page(
        request, "timeline.html", title="Local", views=views, compose=bool(viewer), intro=not viewer
    )


async def tag(request: Request) -> Response:
    name = request.path_params["tag"]
    viewer = await current_viewer(request)
    views = await services_of(request).timelines.tag(
        viewer.account if viewer else None, name, page_of(request)
    )
    return await page(request, "timeline.html", title=f"#{name}", views=views)


async def bookmarks(request: Request) -> Response:
    viewer = await require_viewer(request)
    views = await services_of(request).timelines.bookmarks(viewer.account, page_of(request))
    return await page(request, "timeline.html", title="Bookmarks", views=views)


async def favourites(request: Request) -> Response:
    viewer = await require_viewer(request)
    views = await services_of(request).timelines.favourites(viewer.account, page_of(request))
    return await page(request, "timeline.html", title="Likes", views=views)


async def notifications_page(request: Request) -> Response:
    viewer = await require_viewer(request)
    max_id = page_of(request).max_id
    found = await services_of(request).notifications.with_context(viewer.account, max_id)
    return await page(
        request, "notifications.html", items=found.items, accounts=found.senders, posts=found.posts
    )


async def mark_read(request: Request) -> Response:
    viewer = await require_viewer(request)
    await forms.read_form(request)
    await services_of(request).notifications.mark_all_read(viewer.account)
    return redirect(request, "/notifications")


async def about(request: Request) -> Response:
    return await page(request, "about.html")


routes = [
    Route("/", index, methods=["GET"]),
    Route("/home", home, methods=["GET"]),
    Route("/local", local, methods=["GET"]),
    Route("/tags/{tag}", tag, methods=["GET"]),
    Route("/bookmarks", bookmarks, methods=["GET"]),
    Route("/favourites", favourites, methods=["GET"]),
    Route("/notifications", notifications_page, methods=["GET"]),
    Route("/notifications/read", mark_read, methods=["POST"]),
    Route("/about", about, methods=["GET"]),
]
