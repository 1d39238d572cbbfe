"""A campaign's review settings: the city step on or off, and the late-return extension."""

from __future__ import annotations

from models.catalog import Campaign
from models.errors import Code, DomainError

MAX_LATE_RETURN_DAYS = 60
MEDIAN_FACTORS = (2, 100)


async def update(campaign: Campaign, *, city_review: bool | None,
                 late_return_days: int | None, median_factor: int | None = None) -> Campaign:
    """Change what is given, leave the rest. Forms already approved by a city stay so."""
    changed: list[str] = []
    if median_factor is not None:
        low, high = MEDIAN_FACTORS
        if not low <= median_factor <= high:
            raise DomainError(Code.INVALID_VALUE,
                              f"“远高于中位数”的倍数应为{low}至{high}", "medianFactor")
        campaign.median_factor = median_factor
        changed.append("median_factor")
    if late_return_days is not None:
        if not 1 <= late_return_days <= MAX_LATE_RETURN_DAYS:
            raise DomainError(Code.INVALID_VALUE,
                              f"退回后的修改期限应为1至{MAX_LATE_RETURN_DAYS}天", "lateReturnDays")
        campaign.late_return_days = late_return_days
        changed.append("late_return_days")
    if city_review is not None:
        campaign.city_review = city_review
        changed.append("city_review")
    if changed:
        await campaign.save(update_fields=changed)
    return campaign
