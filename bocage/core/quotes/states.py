"""The states of a quote (Mastodon's Quote model), and how one is shown to a viewer (the
Quote entity's `state`, which also says why an accepted quote's post is not shown)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REVOKED = "revoked"
    DELETED = "deleted"


class Shown(StrEnum):
    """What a viewer is told of a quote: its state, or for an accepted one why its quoted
    post is not shown to them."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REVOKED = "revoked"
    DELETED = "deleted"
    UNAUTHORIZED = "unauthorized"
    BLOCKED_ACCOUNT = "blocked_account"
    BLOCKED_DOMAIN = "blocked_domain"
    MUTED_ACCOUNT = "muted_account"


@dataclass(frozen=True)
class QuoteShown:
    """A post's quote as one viewer sees it: `quoted_post_id` only when accepted and shown."""

    state: Shown
    quoted_post_id: int | None


@dataclass(frozen=True)
class Seen:
    """What a viewer has to do with a quoted post, as the shown state asks it."""

    exists: bool
    visible: bool
    blocked_account: bool = False
    blocked_domain: bool = False
    muted_account: bool = False


def shown(state: str, seen: Seen) -> Shown:
    """Mastodon's QuoteSerializer: only an accepted quote shows its post, and then only if it
    still exists and the viewer may see it and has not blocked or muted its author."""
    if state != State.ACCEPTED:
        return Shown(state)
    if not seen.exists:
        return Shown.DELETED
    if not seen.visible:
        return Shown.UNAUTHORIZED
    if seen.blocked_account:
        return Shown.BLOCKED_ACCOUNT
    if seen.blocked_domain:
        return Shown.BLOCKED_DOMAIN
    if seen.muted_account:
        return Shown.MUTED_ACCOUNT
    return Shown.ACCEPTED
