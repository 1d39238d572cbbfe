from __future__ import annotations

from collections import defaultdict

import strawberry

from gql.catalog.types import TaskEntry
from gql.context import Info
from gql.org.types import Organization
from gql.oversight.scope import oversight_scope
from gql.oversight.types import (
    GroupItemSum,
    GroupProgress,
    ItemSum,
    MissingMandatory,
    Progress,
    StatusCounts,
    funding_of,
)
from gql.undertakings.types import Undertaking
from models import Organization as OrganizationModel
from models import TaskEntry as TaskEntryModel
from models import oversight
from models.enums import OrgKind
from permissions.classes import IsProvinceOrCity

CITY_ARG = "Narrow to one city-level unit (the province office only; a city bureau sees its own)."


def _group_label(unit: OrganizationModel) -> str:
    return "省直属学校" if unit.kind is OrgKind.PROVINCE else unit.name


@strawberry.type(description="Compliance checks before the deadline.")
class Compliance:
    missing_mandatory: list[MissingMandatory] = strawberry.field(
        description="Schools bound to undertake every item shown to them that still miss some.")
    zero_funding: list[Undertaking] = strawberry.field(
        description="Undertakings with no planned funding from any source.")


@strawberry.type
class OversightQueries:
    @strawberry.field(description="Declaration progress of the caller's schools: counts per"
                      " status, per city-level unit, and per school. " + CITY_ARG,
                      permission_classes=[IsProvinceOrCity])
    async def declaration_progress(self, info: Info, city_code: str | None = None,
                                   campaign_code: str | None = None) -> Progress | None:
        scope = await oversight_scope(info.context, city_code, campaign_code)
        if scope is None:
            return None
        rows = await oversight.school_progress(scope.organizations, scope.campaign)
        total = oversight.StatusCounts()
        by_group: dict[int, oversight.StatusCounts] = defaultdict(oversight.StatusCounts)
        for row in rows:
            total.add(row)
            if row.school.parent_id is not None:
                by_group[row.school.parent_id].add(row)
        units = {u.id: u for u in await OrganizationModel.filter(id__in=list(by_group))}
        groups = [GroupProgress(unit=Organization.of(units[g]), label=_group_label(units[g]),
                                counts=StatusCounts.of(c))
                  for g, c in sorted(by_group.items(), key=lambda kv: units[kv[0]].code)]
        return Progress(counts=StatusCounts.of(total), groups=groups, rows=rows)

    @strawberry.field(description="Per item: undertakers, quantity and planned funding per"
                      " source, against the national target; broken down by city-level unit."
                      " Only what the caller may see. " + CITY_ARG,
                      permission_classes=[IsProvinceOrCity])
    async def undertaking_sums(self, info: Info, city_code: str | None = None,
                               campaign_code: str | None = None) -> list[ItemSum] | None:
        scope = await oversight_scope(info.context, city_code, campaign_code)
        if scope is None:
            return None
        totals = await oversight.item_sums(scope.undertakings, scope.campaign, by_group=False)
        groups = await oversight.item_sums(scope.undertakings, scope.campaign, by_group=True)
        items = {e.id: e for e in await TaskEntryModel.filter(
            id__in=[t.item_id for t in totals])}
        province = await OrganizationModel.get(kind=OrgKind.PROVINCE)
        units = {u.id: u for u in await OrganizationModel.filter(
            id__in={g.group_id for g in groups if g.group_id is not None})}
        per_item: dict[int, list[GroupItemSum]] = defaultdict(list)
        for g in sorted(groups, key=lambda g: units[g.group_id].code if g.group_id else ""):
            unit = units[g.group_id] if g.group_id is not None else province
            label = _group_label(unit) if g.group_id is not None else "省教育厅（省级任务）"
            per_item[g.item_id].append(GroupItemSum(
                unit=Organization.of(unit), label=label, organizations=g.organizations,
                quantity=g.quantity, funding=funding_of(g)))
        result = []
        for t in sorted(totals, key=lambda t: items[t.item_id].sort_key):
            item = items[t.item_id]
            result.append(ItemSum(
                item=TaskEntry.of(item), organizations=t.organizations, quantity=t.quantity,
                funding=funding_of(t),
                target_percent=oversight.target_percent(t.quantity, item.target_quantity),
                by_group=per_item[t.item_id]))
        return result

    @strawberry.field(description="Must-undertake-all schools still missing items, and"
                      " undertakings without any planned funding. " + CITY_ARG,
                      permission_classes=[IsProvinceOrCity])
    async def compliance(self, info: Info, city_code: str | None = None,
                         campaign_code: str | None = None) -> Compliance | None:
        scope = await oversight_scope(info.context, city_code, campaign_code)
        if scope is None:
            return None
        missing = await oversight.missing_mandatory(scope.organizations, scope.campaign)
        zero = await oversight.zero_funding(scope.undertakings, scope.campaign)
        return Compliance(
            missing_mandatory=[MissingMandatory(
                school=Organization.of(m.school),
                missing_items=[TaskEntry.of(e) for e in m.missing]) for m in missing],
            zero_funding=[Undertaking.of(u) for u in zero])
