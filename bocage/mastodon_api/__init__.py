"""The Mastodon client API face (docs.joinmastodon.org/methods): the apps people already use
(Tusky, Elk, Phanpy, toot, Mastodon.py…) over the same core as the web pages. No rule of the
network lives here: each route reads parameters, calls the core, and shapes its answer."""

from __future__ import annotations

from starlette.routing import BaseRoute


def all_routes() -> list[BaseRoute]:
    from bocage.mastodon_api.routes import (
        accounts,
        apps,
        instance,
        media,
        notifications,
        polls,
        relationships,
        search,
        statuses,
        timelines,
    )

    return [
        *apps.routes,
        *instance.routes,
        *relationships.routes,  # /accounts/relationships before /accounts/{id}
        *accounts.routes,
        *statuses.routes,
        *timelines.routes,
        *notifications.routes,
        *search.routes,
        *media.routes,
        *polls.routes,
    ]
