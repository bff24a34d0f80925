"""The Mastodon client API face (docs.joinmastodon.org/methods): the apps people already use
(Tusky, Elk, Phanpy, toot, Mastodon.py…) over the same core as the web pages. No rule of the
network lives here: each route reads parameters, calls the core, and shapes its answer."""

from __future__ import annotations

from starlette.routing import BaseRoute

from bocage.mastodon_api.routes import (
    accounts,
    apps,
    conversations,
    featured_tags,
    filters,
    instance,
    lists,
    markers,
    media,
    notifications,
    polls,
    push,
    relationships,
    scheduled_statuses,
    search,
    statuses,
    timelines,
    trends,
)
from bocage.mastodon_api.routes import openapi as openapi_routes


def all_routes() -> list[BaseRoute]:
    return [
        *apps.routes,
        *instance.routes,
        # /accounts/relationships, /accounts/familiar_followers before /accounts/{id}
        *relationships.routes,
        *accounts.routes,
        *featured_tags.routes,
        *statuses.routes,
        *timelines.routes,
        *notifications.routes,
        *search.routes,
        *media.routes,
        *trends.routes,
        *lists.routes,
        *markers.routes,
        *scheduled_statuses.routes,
        *conversations.routes,
        *filters.routes,
        *polls.routes,
        *push.routes,
        *openapi_routes.routes,
    ]
