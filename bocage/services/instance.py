"""The node itself: what it says about itself (name, rules, registration mode, usage, the
servers it knows), what every web page shows around its content, and the admin's settings,
invites and job queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy.orm import Session

from bocage.core.instance import announcements, domains, instance
from bocage.core.instance.announcements import AnnouncementView
from bocage.core.instance.domains import PublicBlock
from bocage.core.instance.instance import InstanceInfo, Usage, Week
from bocage.core.notifications import notifications
from bocage.kernel.clock import now
from bocage.services.unit import Query, Service
from bocage.store import queue
from bocage.store.models import Account, Announcement, Invite, Job, User


class Facts(NamedTuple):
    info: InstanceInfo
    usage: Usage
    domains: int  # other servers known
    contact: Account | None  # the first admin, whom people reach about the node
    federation_mode: str  # "open", or "allowlist" (Mastodon's limited federation)


class About(NamedTuple):
    """The admins' about text (Mastodon's extended description) and when it last changed."""

    description: str
    updated_at: datetime | None


@dataclass(frozen=True)
class Chrome:
    """What every web page shows around its content."""

    info: InstanceInfo
    unread: int  # the viewer's unread notifications (0 for nobody logged in)


class InstanceService(Service):
    def info(self) -> Query[InstanceInfo]:
        return self._query(instance.info)

    def facts(self) -> Query[Facts]:
        def load(session: Session) -> Facts:
            usage = instance.usage(session, now())
            return Facts(
                instance.info(session),
                usage,
                instance.domain_count(session),
                instance.contact_account(session),
                domains.rules(session).mode,
            )

        return self._query(load)

    def federation_mode(self) -> Query[str]:
        return self._query(lambda session: domains.rules(session).mode)

    def activity(self) -> Query[list[Week]]:
        """The last 12 weeks: posts written, people signed in, accounts made."""
        return self._query(lambda session: instance.activity(session, now()))

    def about(self) -> Query[About]:
        def load(session: Session) -> About:
            return About(
                instance.info(session).description, instance.description_updated_at(session)
            )

        return self._query(load)

    def public_domain_blocks(self, signed_in: bool) -> Query[list[PublicBlock] | None]:
        """The servers the node blocks as it shows them to this reader (None: it does not)."""
        return self._query(lambda session: domains.public_blocks(session, signed_in))

    # --- announcements ---------------------------------------------------------------------

    def announcements(self, viewer: Account | None) -> Query[list[AnnouncementView]]:
        """Those shown now, oldest first, read or not and with the viewer's reactions."""
        viewer_id = viewer.id if viewer else None
        return self._query(lambda session: announcements.shown(session, viewer_id))

    async def dismiss_announcement(self, viewer: Account, announcement_id: int) -> None:
        await self._db.write(announcements.dismiss, viewer.id, announcement_id)

    async def react_to_announcement(self, viewer: Account, announcement_id: int, name: str) -> None:
        await self._db.write(announcements.react, viewer.id, announcement_id, name)

    async def unreact_to_announcement(
        self, viewer: Account, announcement_id: int, name: str
    ) -> None:
        await self._db.write(announcements.unreact, viewer.id, announcement_id, name)

    def peers(self) -> Query[list[str]]:
        """The other servers this node knows accounts on, but those it blocks."""
        return self._query(domains.peers)

    def chrome(self, viewer: Account | None) -> Query[Chrome]:
        def load(session: Session) -> Chrome:
            unread = notifications.unread_count(session, viewer.id) if viewer else 0
            return Chrome(instance.info(session), unread)

        return self._query(load)

    # --- the admin's ------------------------------------------------------------------

    def all_announcements(self) -> Query[list[Announcement]]:
        return self._query(announcements.all_announcements)

    async def publish_announcement(
        self,
        text: str,
        *,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        all_day: bool = False,
    ) -> Announcement:
        def publish(session: Session) -> Announcement:
            return announcements.publish(
                session, text, starts_at=starts_at, ends_at=ends_at, all_day=all_day
            )

        return await self._db.write(publish)

    async def remove_announcement(self, announcement_id: int) -> None:
        await self._db.write(announcements.remove, announcement_id)

    async def setup_token(self) -> str | None:
        """A new one-time token for the link that makes the first admin (any earlier one
        stops working); None once there is an admin."""
        return await self._db.write(_setup_token)

    async def update_info(
        self, *, name: str, description: str, rules: list[str], registration_mode: str
    ) -> InstanceInfo:
        return await self._db.write(
            _update_info,
            name=name,
            description=description,
            rules=rules,
            registration_mode=registration_mode,
        )

    def invites(self, admin: User) -> Query[list[Invite]]:
        return self._query(lambda session: instance.list_invites(session, admin))

    async def create_invite(
        self, admin: User, *, max_uses: int | None, expires_in: timedelta | None
    ) -> Invite:
        return await self._db.write(_create_invite, admin, max_uses, expires_in)

    async def revoke_invite(self, admin: User, code: str) -> None:
        await self._db.write(instance.revoke_invite, admin, code)

    def jobs(self) -> Query[tuple[dict[str, int], list[Job]]]:
        """Jobs by state, and the dead letters."""
        return self._query(lambda session: (queue.counts(session), queue.dead_letters(session)))

    async def retry_job(self, job_id: int) -> bool:
        return await self._db.write(queue.retry_dead, job_id)


def _update_info(
    session: Session, *, name: str, description: str, rules: list[str], registration_mode: str
) -> InstanceInfo:
    return instance.update_info(
        session,
        name=name,
        description=description,
        rules=rules,
        registration_mode=registration_mode,
    )


def _create_invite(
    session: Session, admin: User, max_uses: int | None, expires_in: timedelta | None
) -> Invite:
    return instance.create_invite(session, admin, max_uses=max_uses, expires_in=expires_in)


def _setup_token(session: Session) -> str | None:
    return None if instance.has_admin(session) else instance.new_setup_token(session)
