"""Domain errors: each carries a message a person understands; faces map them to statuses."""

from __future__ import annotations


class DomainError(Exception):
    """Base class. `message` is shown to the user as is."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The input at fault and why ("blank", "taken", "too_long"…, Rails' validation
        # codes), when one field is: the Mastodon API details sign-up and profile refusals.
        self.field = field
        self.code = code


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class NotAuthenticated(DomainError):
    status = 401


class RetryLater(DomainError):
    """Refused for now: the same request will work after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def retry_after_header(self) -> str:
        """Whole seconds to wait, rounded up (HTTP's `Retry-After`)."""
        return str(int(self.retry_after) + 1)


class RateLimited(RetryLater):
    status = 429


class StorageFull(RetryLater):
    """The disk (or the database server's) has no room left: nothing was stored, and the
    same request will work once there is (`store/full.py` recognises it wherever it comes
    from). 507 Insufficient Storage: servers and apps retry a 5xx."""

    status = 507

    def __init__(self, message: str = "The server is out of disk space; try again later.") -> None:
        super().__init__(message, retry_after=60.0)
