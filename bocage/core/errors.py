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


class RateLimited(DomainError):
    status = 429

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def retry_after_header(self) -> str:
        """Whole seconds to wait, rounded up (HTTP's `Retry-After`)."""
        return str(int(self.retry_after) + 1)
