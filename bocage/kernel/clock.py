"""The one place that says what time it is (UTC, aware)."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
