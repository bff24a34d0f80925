"""The Mastodon client API face (docs.joinmastodon.org/methods): the apps people already use
(Tusky, Elk, Phanpy, toot, Mastodon.py…) over the same core as the web pages. No rule of the
network lives here: each route reads parameters, calls the core, and shapes its answer."""

from __future__ import annotations

from starlette.routing import BaseRoute

from bocage.mastodon_api.routes import (
    accounts,
    admin,
    announcements,
    annual_reports,
    apps,
    collections,
    conversations,
    discovery,
    emails,
    featured_tags,
    filters,
    instance,
    lists,
    markers,
    media,
    notification_requests,
    notifications,
    polls,
    push,
    quotes,
    relationships,
    reports,
    safety,
    scheduled_statuses,
    search,
    statuses,
    tags,
    timelines,
    translation,
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
        *quotes.routes,
        *timelines.routes,
        # /notifications/policy, /notifications/requests before /notifications/{group_key}
        *notification_requests.routes,
        *notifications.routes,
        *search.routes,
        *media.routes,
        *trends.routes,
        *lists.routes,
        *collections.routes,
        *markers.routes,
        *scheduled_statuses.routes,
        *conversations.routes,
        *filters.routes,
        *polls.routes,
        *push.routes,
        *tags.routes,
        *translation.routes,
        *safety.routes,
        *discovery.routes,
        *announcements.routes,
        *reports.routes,
        *annual_reports.routes,
        *emails.routes,
        *admin.routes,
        *openapi_routes.routes,
    ]
