"""What an oversight query covers: the caller's organisations, or one city of them."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from gql.catalog.queries import campaign_or_latest
from gql.context import Context
from gql.errors import ApiError
from models import Campaign, Organization, PerformanceEntry, Undertaking
from models.enums import OrgKind
from models.errors import Code
from permissions.scoping import (
    managed_organizations,
    manages,
    visible_performance_entries,
    visible_undertakings,
)


@dataclass
class OversightScope:
    organizations: QuerySet[Organization]
    undertakings: QuerySet[Undertaking]
    entries: QuerySet[PerformanceEntry]
    campaign: Campaign
    unit_id: int  # the unit whose schools it covers: the city asked for, or the caller's own


def unknown_city(code: str) -> ApiError:
    """One answer for a city that does not exist and for one the caller does not manage, so
    that a city bureau learns nothing about its neighbours."""
    return ApiError(Code.NOT_FOUND, f"未找到代码为 {code} 的地市级单位")


async def oversight_scope(context: Context, city_code: str | None,
                          campaign_code: str | None) -> OversightScope:
    """Raises NOT_FOUND when `city_code` is not a city-level unit the caller manages."""
    principal = context.principal
    assert principal is not None
    orgs = managed_organizations(principal)
    undertakings = visible_undertakings(principal)
    entries = visible_performance_entries(principal)
    unit_id = principal.org_id
    if city_code:
        city = await Organization.get_or_none(code=city_code.strip(), kind=OrgKind.CITY)
        if city is None or not manages(principal, city):
            raise unknown_city(city_code.strip())
        orgs = orgs.filter(Q(id=city.id) | Q(parent_id=city.id))
        undertakings = undertakings.filter(
            Q(organization_id=city.id) | Q(organization__parent_id=city.id))
        entries = entries.filter(Q(undertaking__organization_id=city.id)
                                 | Q(undertaking__organization__parent_id=city.id))
        unit_id = city.id
    campaign = await campaign_or_latest(context.loaders, campaign_code)
    return OversightScope(orgs, undertakings, entries, campaign, unit_id)
