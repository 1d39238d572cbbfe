"""The server's clock decides (never the client's): stored in UTC, shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    return datetime.now(UTC)


def beijing(value: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time as our users read it, e.g. in an error message."""
    return value.astimezone(SHANGHAI).strftime(fmt)
