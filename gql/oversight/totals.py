"""The totals a province reports upward, saying which declaration statuses they count."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from gql.compiled.declare import Column, Embedded, Given, Relation, declare
from gql.context import Info
from gql.org.types import Organization
from gql.oversight.queries import (
    CITY_ARG,
    StatusesArg,
    item_group_label,
    item_sums_of,
    statuses_or_raise,
)
from gql.oversight.scope import oversight_scope
from gql.oversight.types import ITEM_SUMS_ORDER, ItemSum
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


# What each field reads on the compiled path (gql/compiled/totals.py): the rows of
# models/totals.py city_funding_query as a derived table under this name, with its unit,
# label and order beside them as gql/compiled/sums.py GROUPS gives a group's; and the one row
# of the totals, with the grand sums and the campaign_id that links it to its items and
# groups. The counted statuses are the plan's own (statuses_or_raise's).
CITY_FUNDING_TABLE = "gql_city_funding"
TOTALS_TABLE = "gql_totals"
CITY_FUNDING_SUM_SQL = declare(
    "CityFundingSum", CITY_FUNDING_TABLE,
    unit=Relation("Organization", local="unit_id", remote="id"), label=Column(),
    organizations=Column("orgs"), undertakings=Column("n"),
    funding=Embedded("Funding", cents=True))
UNDERTAKING_TOTALS_SQL = declare(
    "UndertakingTotals", TOTALS_TABLE, counted_statuses=Given("statuses"),
    items=Relation("ItemSum", local="campaign_id", remote="campaign_id", many=True,
                   order=ITEM_SUMS_ORDER),
    # the province office's own items first, then by the unit's code (undertaking_totals)
    by_city=Relation("CityFundingSum", local="campaign_id", remote="campaign_id", many=True,
                     order=("own_first", "unit__code")),
    funding=Embedded("Funding", cents=True))


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
            group = units[c.group_id] if c.group_id is not None else None  # None: own items
            by_city.append(CityFundingSum(
                unit=Organization.of(province if group is None else group),
                label=item_group_label(group),
                organizations=c.organizations, undertakings=c.undertakings,
                funding=Funding(**c.funding)))
        grand = {s: sum((c.funding[s] for c in cities), Decimal("0.00")) for s in FUNDING_SOURCES}
        return UndertakingTotals(counted_statuses=counted_statuses,
                                 items=await item_sums_of(counted, scope.campaign, scope.unit_id),
                                 by_city=by_city, funding=Funding(**grand))
