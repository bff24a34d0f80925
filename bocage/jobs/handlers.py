"""Every job kind the node knows, and the function that runs it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bocage.core import feeds, notifications, polls
from bocage.jobs.worker import Handler
from bocage.store.models import Post


def post_created(session: Session, payload: dict[str, Any]) -> None:
    """A new post or boost: into followers' home feeds, then notifications."""
    post = session.get(Post, payload["post_id"])
    if post is None:
        return  # deleted meanwhile
    feeds.fan_out(session, post)
    notifications.notify_post_created(session, post)


HANDLERS: dict[str, Handler] = {
    "notify": notifications.handle_notify,
    "post.created": post_created,
    "post.updated": notifications.handle_post_updated,
    "poll.close": polls.handle_close,
    "poll.update": polls.handle_update,
}
