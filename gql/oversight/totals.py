"""The totals a province reports upward, saying which declaration statuses they count."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from gql.context import Info
from gql.org.types import Organization
from gql.oversight.queries import CITY_ARG, StatusesArg, item_sums_of, statuses_or_raise
from gql.oversight.scope import oversight_scope
from gql.oversight.types import ItemSum
from gql.undertakings.types import Funding
from models import Organization as OrganizationModel
from models import totals
from models.declaration import DeclarationStatus
from models.enums import OrgKind
from models.undertaking import FUNDING_SOURCES
from permissions.classes import IsProvinceOrCity


@strawberry.type(description="One city-level unit's planned funding per source (the schools"
                 " attached directly to the province, and the province office's own items,"
                 " each form a group of their own).")
class CityFundingSum:
    unit: Organization
    label: str
    organizations: int = strawberry.field(description="Organisations with counted undertakings.")
    undertakings: int
    funding: Funding


@strawberry.type(description="What the declarations in the counted statuses add up to.")
class UndertakingTotals:
    counted_statuses: list[DeclarationStatus] = strawberry.field(
        description="The declaration statuses these figures count.")
    items: list[ItemSum]
    by_city: list[CityFundingSum] = strawberry.field(
        description="Per city-level unit x funding source, by unit code.")
    funding: Funding = strawberry.field(description="Everything counted, per source.")


def _label(unit: OrganizationModel, group_id: int | None) -> str:
    if group_id is None:
        return "省教育厅（省级任务）"
    return "省直属学校" if unit.kind is OrgKind.PROVINCE else unit.name


@strawberry.type
class TotalsQueries:
    @strawberry.field(description="Per item, and per city-level unit x funding source, the"
                      " declarations in `statuses` (default: submitted or beyond), saying"
                      " which statuses were counted. " + CITY_ARG,
                      permission_classes=[IsProvinceOrCity])
    async def undertaking_totals(self, info: Info, city_code: str | None = None,
                                 campaign_code: str | None = None,
                                 statuses: StatusesArg = None) -> UndertakingTotals | None:
        scope = await oversight_scope(info.context, city_code, campaign_code)
        counted_statuses = statuses_or_raise(statuses, totals.DEFAULT_DECLARATIONS)
        counted = totals.counted_undertakings(scope.undertakings, scope.campaign,
                                              counted_statuses)
        cities = await totals.city_funding(counted)
        province = await OrganizationModel.get(kind=OrgKind.PROVINCE)
        units = {u.id: u for u in await OrganizationModel.filter(
            id__in={c.group_id for c in cities if c.group_id is not None})}
        by_city = []
        for c in sorted(cities, key=lambda c: units[c.group_id].code if c.group_id else ""):
            unit = units[c.group_id] if c.group_id is not None else province
            by_city.append(CityFundingSum(
                unit=Organization.of(unit), label=_label(unit, c.group_id),
                organizations=c.organizations, undertakings=c.undertakings,
                funding=Funding(**c.funding)))
        grand = {s: sum((c.funding[s] for c in cities), Decimal("0.00")) for s in FUNDING_SOURCES}
        return UndertakingTotals(counted_statuses=counted_statuses,
                                 items=await item_sums_of(counted, scope.campaign, scope.unit_id),
                                 by_city=by_city, funding=Funding(**grand))
