"""The node itself: what it says about itself (name, rules, registration mode, usage, the
servers it knows), what every web page shows around its content, and the admin's settings,
invites and job queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy.orm import Session

from bocage.core.instance import domains, instance
from bocage.core.instance.instance import InstanceInfo, Usage
from bocage.core.notifications import notifications
from bocage.kernel.clock import now
from bocage.services.unit import Query, Service
from bocage.store import queue
from bocage.store.models import Account, Invite, Job, User


class Facts(NamedTuple):
    info: InstanceInfo
    usage: Usage
    domains: int  # other servers known


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
            return Facts(instance.info(session), usage, instance.domain_count(session))

        return self._query(load)

    def peers(self) -> Query[list[str]]:
        """The other servers this node knows accounts on, but those it blocks."""
        return self._query(domains.peers)

    def chrome(self, viewer: Account | None) -> Query[Chrome]:
        def load(session: Session) -> Chrome:
            unread = notifications.unread_count(session, viewer.id) if viewer else 0
            return Chrome(instance.info(session), unread)

        return self._query(load)

    # --- the admin's ------------------------------------------------------------------

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
