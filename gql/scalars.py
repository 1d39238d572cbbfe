"""Times travel in Asia/Shanghai (with their offset) and are stored in UTC."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models.clock import SHANGHAI


def serialize_datetime(value: datetime) -> str:
    return value.astimezone(SHANGHAI).isoformat()


def parse_datetime(value: str) -> datetime:
    """ISO 8601; a time without an offset is Beijing time, the only one our users think in."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed


# For StrawberryConfig.scalar_map: every `datetime` in the schema travels this way.
DATETIME = strawberry.scalar(
    name="DateTime",
    description="ISO 8601 date-time, shown in Asia/Shanghai (+08:00); a value sent without an"
    " offset is read as Beijing time.",
    serialize=serialize_datetime,
    parse_value=parse_datetime,
)
