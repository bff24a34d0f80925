"""Every job kind the node knows, and the service's job unit that runs it: the job face, like
the others, asks the services (services/__init__.py, point 6) and holds no rule itself."""

from __future__ import annotations

from bocage.core.cards.cards import JOB as CARD_FETCH
from bocage.core.graph.graph import MUTE_EXPIRY_JOB
from bocage.core.media.media import SWEEP_JOB as MEDIA_SWEEP
from bocage.core.media.remote import JOB as MEDIA_FETCH
from bocage.core.posts.scheduled import JOB as SCHEDULED_PUBLISH
from bocage.core.push.push import JOB as PUSH_DELIVER
from bocage.services import Services
from bocage.store.queue import Handler


def of(services: Services) -> dict[str, Handler]:
    """The job kinds the services run, each as a plain `(session, payload)` handler that the
    worker runs in the transaction that marks its job done, or as a coroutine `(db,
    payload)` for one that waits on the network (a remote file fetched)."""
    posts = services.posts
    return {
        "notify": services.notifications.deliver,
        "post.created": posts.fan_out,
        "post.updated": posts.tell_edited,
        "poll.close": posts.close_poll,
        "poll.update": posts.count_poll,
        SCHEDULED_PUBLISH: posts.publish_scheduled,
        MEDIA_SWEEP: services.media.sweep,
        MEDIA_FETCH: services.remote_media.fetch_job,
        CARD_FETCH: services.cards.fetch_job,
        PUSH_DELIVER: services.push.deliver_job,
        MUTE_EXPIRY_JOB: services.graph.expire_mute,
    }
