"""Every job kind the node knows, and the function that runs it."""

from __future__ import annotations

from bocage.core import notifications
from bocage.jobs.worker import Handler

HANDLERS: dict[str, Handler] = {
    "notify": notifications.handle_notify,
    "post.created": notifications.handle_post_created,
    "post.updated": notifications.handle_post_updated,
}
