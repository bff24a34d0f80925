"""The admin API (`/api/v1/admin/*`, `/api/v2/admin/accounts`), one module per area; every
route asks an `admin:read…`/`admin:write…` scope and a staff caller (`common.admin`)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from bocage.mastodon_api.routes.admin import accounts, blocks, domains, metrics, reports, trends

routes: list[BaseRoute] = [
    *accounts.routes,
    *reports.routes,
    *domains.routes,
    *blocks.routes,
    *trends.routes,
    *metrics.routes,
]
