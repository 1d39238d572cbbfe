"""What an oversight query covers: the caller's organisations, or one city of them."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from gql.catalog.queries import campaign_named, campaign_or_latest
from gql.context import Context
from gql.errors import ApiError
from models import Campaign, Organization, PerformanceEntry, Undertaking
from models.enums import OrgKind
from models.errors import Code
from permissions.principal import Principal
from permissions.scoping import (
    managed_organizations,
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


def city_named(principal: Principal, code: str) -> QuerySet[Organization]:
    """The city-level unit `code` names, if the caller manages it (managed_org_filter, the
    rule `manages` applies to a loaded organisation): the read compiler's form of the lookup
    below, as a subquery."""
    return managed_organizations(principal).filter(code=code.strip(), kind=OrgKind.CITY)


def in_city(city_ids: list[int] | Subquery, prefix: str = "") -> Q:
    """Rows of a city-level unit and of the schools under it (`prefix` leads to the
    organisation), for a loaded city (`[city.id]`) or a subquery of its id."""
    return (Q(**{f"{prefix}id__in": city_ids})  # type: ignore[arg-type]
            | Q(**{f"{prefix}parent_id__in": city_ids}))  # type: ignore[arg-type]


def scoped_organizations(principal: Principal, city_ids: list[int] | Subquery | None
                          ) -> QuerySet[Organization]:
    """The organisations an oversight query covers: all the caller manages, or one city's."""
    orgs = managed_organizations(principal)
    if city_ids is None:
        return orgs
    return orgs.filter(in_city(city_ids))


def scoped_undertakings(principal: Principal, city_ids: list[int] | Subquery | None
                        ) -> QuerySet[Undertaking]:
    """The undertakings an oversight query covers: all the caller sees, or one city's."""
    undertakings = visible_undertakings(principal)
    if city_ids is None:
        return undertakings
    return undertakings.filter(in_city(city_ids, "organization__"))


def scoped_entries(principal: Principal, city_ids: list[int] | Subquery | None
                   ) -> QuerySet[PerformanceEntry]:
    """The report lines an oversight query covers: all the caller sees, or one city's."""
    entries = visible_performance_entries(principal)
    if city_ids is None:
        return entries
    return entries.filter(in_city(city_ids, "undertaking__organization__"))


def unknown_city(code: str) -> ApiError:
    """One answer for a city that does not exist and for one the caller does not manage, so
    that a city bureau learns nothing about its neighbours."""
    return ApiError(Code.NOT_FOUND, f"未找到代码为 {code} 的地市级单位")


@dataclass
class PlannedScope:
    """oversight_scope as querysets, before anything is loaded (the read compiler's)."""

    city: QuerySet[Organization] | None  # the city asked for: without its row, NOT_FOUND
    organizations: QuerySet[Organization]
    undertakings: QuerySet[Undertaking]
    entries: QuerySet[PerformanceEntry]
    campaign: QuerySet[Campaign]  # without its row, NOT_FOUND
    unit: QuerySet[Organization]


def planned_scope(principal: Principal, city_code: str | None, campaign_code: str | None
                  ) -> PlannedScope:
    """oversight_scope below, for the read compiler: the same rules, as subqueries."""
    city = city_named(principal, city_code) if city_code else None
    city_ids = Subquery(city.values("id")) if city is not None else None
    return PlannedScope(city, scoped_organizations(principal, city_ids),
                        scoped_undertakings(principal, city_ids),
                        scoped_entries(principal, city_ids), campaign_named(campaign_code),
                        city if city is not None else Organization.filter(id=principal.org_id))


async def oversight_scope(context: Context, city_code: str | None,
                          campaign_code: str | None) -> OversightScope:
    """Raises NOT_FOUND when `city_code` is not a city-level unit the caller manages."""
    principal = context.principal
    assert principal is not None
    city_ids: list[int] | None = None
    unit_id = principal.org_id
    if city_code:
        city = await city_named(principal, city_code).first()
        if city is None:
            raise unknown_city(city_code.strip())
        city_ids, unit_id = [city.id], city.id
    campaign = await campaign_or_latest(context.loaders, campaign_code)
    return OversightScope(scoped_organizations(principal, city_ids),
                          scoped_undertakings(principal, city_ids),
                          scoped_entries(principal, city_ids), campaign, unit_id)
