"""Web routes, one module per area of the site."""

from starlette.routing import BaseRoute

from bocage.web.routes import (
    admin,
    admin_announcements,
    admin_federation,
    admin_peers,
    apps,
    auth,
    media,
    migration,
    oauth,
    posts,
    profiles,
    reports,
    settings,
    timelines,
)


def all_routes() -> list[BaseRoute]:
    # Order matters: specific paths before /@{username}/{post_id}.
    return [
        *auth.routes,
        *media.routes,
        *timelines.routes,
        *settings.routes,
        *migration.routes,
        *apps.routes,
        *oauth.routes,
        *admin.routes,
        *admin_federation.routes,
        *admin_peers.routes,
        *admin_announcements.routes,
        *reports.routes,
        *profiles.routes,
        *posts.routes,
    ]
