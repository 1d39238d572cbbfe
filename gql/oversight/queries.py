from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from tortoise.queryset import QuerySet

from gql.catalog.types import TaskEntry
from gql.compiled.declare import Relation, ViewRows, declare
from gql.context import Info
from gql.errors import ApiError
from gql.nodes import scoped_id
from gql.org.types import Organization
from gql.oversight.scope import oversight_scope
from gql.oversight.types import (
    GroupItemSum,
    GroupProgress,
    ItemSum,
    MandatoryConfirmation,
    MissingMandatory,
    Progress,
    StatusCounts,
    funding_of,
)
from gql.undertakings.types import Undertaking
from models import Campaign as CampaignModel
from models import Organization as OrganizationModel
from models import TaskEntry as TaskEntryModel
from models import Undertaking as UndertakingModel
from models import mandatory, oversight, totals
from models.declaration import DeclarationStatus
from models.enums import OrgKind
from models.errors import Code, DomainError
from models.totals import counted_undertakings
from permissions.classes import IsProvinceOrCity

STATUSES = ("Which declaration statuses to count; default SUBMITTED, CITY_APPROVED and ACCEPTED"
            " (drafts and returned forms are left out).")
StatusesArg = Annotated[list[DeclarationStatus] | None,
                        strawberry.argument(description=STATUSES)]
CITY_ARG = "Narrow to one city-level unit (the province office only; a city bureau sees its own)."


# A group's label; the read compiler renders the same choice (group_label_sql and
# item_group_label_sql below, read by gql/compiled/sums.py, totals.py, progress.py and
# performance_sums.py).
OWN_ITEMS_LABEL = "省教育厅（省级任务）"  # the province office's own items (no group)
DIRECT_SCHOOLS_LABEL = "省直属学校"  # the schools attached to the province directly


def group_label(unit: OrganizationModel) -> str:
    return DIRECT_SCHOOLS_LABEL if unit.kind is OrgKind.PROVINCE else unit.name


def item_group_label(unit: OrganizationModel | None) -> str:
    """The label of a group of items: OWN_ITEMS_LABEL for the province office's own items
    (no group: None), else group_label of the group's unit."""
    return OWN_ITEMS_LABEL if unit is None else group_label(unit)


def group_label_sql(unit: str, bind: Callable[[Any], str]) -> str:
    """group_label in SQL (the read compiler's), of the organisation row at `unit`;
    `bind(value)` is a bound value's placeholder."""
    return (f"CASE WHEN {unit}.kind = {bind(OrgKind.PROVINCE.value)} THEN"
            f" {bind(DIRECT_SCHOOLS_LABEL)} ELSE {unit}.name END")


def item_group_label_sql(group: str, unit: str, bind: Callable[[Any], str]) -> str:
    """item_group_label in SQL (the read compiler's): OWN_ITEMS_LABEL where the group's id
    column `group` is NULL (the province office's own items), else group_label_sql of the
    organisation row at `unit`."""
    return (f"CASE WHEN {group} IS NULL THEN {bind(OWN_ITEMS_LABEL)} ELSE"
            f" {group_label_sql(unit, bind)} END")


def statuses_or_raise(given: list[DeclarationStatus] | None,
                      default: list[DeclarationStatus]) -> list[DeclarationStatus]:
    try:
        return totals.statuses_or_default(given, default)
    except DomainError as e:
        raise ApiError(Code.BAD_USER_INPUT, e.message) from e


async def item_sums_of(undertakings: QuerySet[UndertakingModel], campaign: CampaignModel,
                       unit_id: int) -> list[ItemSum]:
    """Per item and per city-level unit, of the undertakings given (already counted)."""
    all_items = await oversight.item_sums(undertakings, campaign, by_group=False)
    groups = await oversight.item_sums(undertakings, campaign, by_group=True)
    items = {e.id: e for e in await TaskEntryModel.filter(
        id__in=[t.item_id for t in all_items])}
    province = await OrganizationModel.get(kind=OrgKind.PROVINCE)
    units = {u.id: u for u in await OrganizationModel.filter(
        id__in={g.group_id for g in groups if g.group_id is not None})}
    per_item: dict[int, list[GroupItemSum]] = defaultdict(list)
    for g in sorted(groups, key=lambda g: units[g.group_id].code if g.group_id else ""):
        group = units[g.group_id] if g.group_id is not None else None  # None: own items
        per_item[g.item_id].append(GroupItemSum(
            # 0: the province's own items, apart from its directly attached schools
            id=scoped_id("GroupItemSum", g.group_id or 0, campaign.id, g.item_id),
            unit=Organization.of(province if group is None else group),
            label=item_group_label(group), organizations=g.organizations,
            quantity=g.quantity, funding=funding_of(g)))
    result = []
    for t in sorted(all_items, key=lambda t: items[t.item_id].sort_key):
        item = items[t.item_id]
        result.append(ItemSum(
            id=scoped_id("ItemSum", unit_id, campaign.id, item.id),
            item=TaskEntry.of(item), organizations=t.organizations, quantity=t.quantity,
            funding=funding_of(t),
            target_percent=oversight.target_percent(t.quantity, item.target_quantity),
            by_group=per_item[t.item_id]))
    return result


@strawberry.type(description="Compliance checks before the deadline.")
class Compliance:
    missing_mandatory: list[MissingMandatory] = strawberry.field(
        description="Schools bound to undertake every item shown to them that still miss some.")
    zero_funding: list[Undertaking] = strawberry.field(
        description="Undertakings with no planned funding from any source.")


# What each field reads on the compiled path (gql/compiled/compliance.py): the one row the
# statement defines under this name (the campaign's id, linking it to its schools), the
# schools' rows (gql/oversight/types.py MISSING_MANDATORY_SQL, the campaign handed down to
# their rule) and the resolver's own zero_funding rows, handed down.
COMPLIANCE_TABLE = "gql_compliance"
COMPLIANCE_SQL = declare(
    "Compliance", COMPLIANCE_TABLE,
    # missing_mandatory's order: the school's code
    missing_mandatory=Relation("MissingMandatory", local="campaign_id", remote="campaign_id",
                               many=True, order=("school__code",), keeps_view=True),
    zero_funding=ViewRows("Undertaking", "zero_funding", order=oversight.ZERO_FUNDING_ORDER))


@strawberry.type
class OversightQueries:
    @strawberry.field(description="Declaration progress of the caller's schools: counts per"
                      " status, per city-level unit (every unit, with zeros where it has no"
                      " school), and per school. " + CITY_ARG,
                      permission_classes=[IsProvinceOrCity])
    async def declaration_progress(self, info: Info, city_code: str | None = None,
                                   campaign_code: str | None = None) -> Progress | None:
        scope = await oversight_scope(info.context, city_code, campaign_code)
        rows = await oversight.school_progress(scope.organizations, scope.campaign)
        total = oversight.StatusCounts()
        by_group: dict[int, oversight.StatusCounts] = defaultdict(oversight.StatusCounts)
        # Every city-level unit shows, with zeros where it has no school yet.
        for unit in await scope.organizations.filter(kind=OrgKind.CITY).only("id"):
            by_group.setdefault(unit.id, oversight.StatusCounts())
        for row in rows:
            total.add(row)
            if row.school.parent_id is not None:
                by_group[row.school.parent_id].add(row)
        units = {u.id: u for u in await OrganizationModel.filter(id__in=list(by_group))}
        groups = [GroupProgress(id=scoped_id("GroupProgress", g, scope.campaign.id),
                                unit=Organization.of(units[g]), label=group_label(units[g]),
                                counts=StatusCounts.of(c))
                  for g, c in sorted(by_group.items(), key=lambda kv: units[kv[0]].code)]
        return Progress(counts=StatusCounts.of(total), groups=groups, rows=rows,
                        campaign_id=scope.campaign.id)

    @strawberry.field(description="Per item: undertakers, quantity and planned funding per"
                      " source, against the national target; broken down by city-level unit."
                      " Counts the declarations in `statuses` (default: submitted or beyond;"
                      " undertakingTotals also says which were counted). Only what the caller"
                      " may see. " + CITY_ARG, permission_classes=[IsProvinceOrCity])
    async def undertaking_sums(self, info: Info, city_code: str | None = None,
                               campaign_code: str | None = None,
                               statuses: StatusesArg = None) -> list[ItemSum] | None:
        scope = await oversight_scope(info.context, city_code, campaign_code)
        counted = counted_undertakings(
            scope.undertakings, scope.campaign,
            statuses_or_raise(statuses, totals.DEFAULT_DECLARATIONS))
        return await item_sums_of(counted, scope.campaign, scope.unit_id)

    @strawberry.field(description="Must-undertake-all schools still missing items, and"
                      " undertakings without any planned funding. " + CITY_ARG,
                      permission_classes=[IsProvinceOrCity])
    async def compliance(self, info: Info, city_code: str | None = None,
                         campaign_code: str | None = None) -> Compliance | None:
        scope = await oversight_scope(info.context, city_code, campaign_code)
        missing = await oversight.missing_mandatory(scope.organizations, scope.campaign)
        zero = await oversight.zero_funding(scope.undertakings, scope.campaign)
        confirmed = await mandatory.confirmed_items([m.school.id for m in missing],
                                                    scope.campaign.id)
        return Compliance(
            missing_mandatory=[MissingMandatory(
                id=scoped_id("MissingMandatory", m.school.id, scope.campaign.id),
                school=Organization.of(m.school),
                missing_items=[TaskEntry.of(e) for e in m.missing],
                confirmed=[MandatoryConfirmation.of(c) for c in confirmed.get(m.school.id, [])
                           if c.item_id in {e.id for e in m.missing}]) for m in missing],
            zero_funding=[Undertaking.of(u) for u in zero])
