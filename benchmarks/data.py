"""Generated data of a province's size, written into the product's own tables.

Scale 1 is Henan: the seeded catalog and 28 city-level units, 605 schools (one in ten
directly under the province), each undertaking every item shown to it (the catalog has 25
school items per school type, so ~15,000 undertakings rather than the issue's ~20,000), a
declaration for six schools in seven, and three annual reports (2021-2023) with a line per
undertaking (~45,000 lines). Scale 20 is a national-size province (12,100 schools). Rows go in with
multi-row INSERTs (models/bulk.py), through the models, so every column and default is the
product's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.models import Model

from models import Declaration, Organization, TaskEntry, Undertaking, User
from models.bulk import insert_rows, insert_values, insertable
from models.catalog import NEWEST_FIRST, Campaign, ReportingRound
from models.clock import now_utc
from models.database import analyze
from models.declaration import DeclarationStatus
from models.enums import OrgKind, Role, SchoolType, TaskLevel
from models.performance import PerformanceEntry, PerformanceReport
from models.seeding import seed_if_empty

SCHOOLS_PER_SCALE = 605
# Every item shown to the school, as far as the catalog goes (25 school items per type).
ITEMS_PER_SCHOOL = 33
YEARS = (2021, 2022, 2023)
STATUSES = [DeclarationStatus.DRAFT, DeclarationStatus.SUBMITTED, DeclarationStatus.RETURNED,
            DeclarationStatus.ACCEPTED]


@dataclass(frozen=True)
class Sizes:
    schools: int
    undertakings: int
    report_lines: int
    campaign_id: int
    city_code: str  # the city with the most schools
    school_code: str  # a school with a declaration and undertakings


def school_code(n: int, prefix: str = "41") -> str:
    return f"{prefix}{n:08d}"


async def _chunks(rows: list, size: int = 5000) -> None:
    for start in range(0, len(rows), size):
        await insert_rows(rows[start:start + size])


async def _fast(model: type[Model], rows: list[dict[str, Any]]) -> None:
    """Rows given as field values, the rest from each field's default (auto_now: now):
    what a model instance would write, without building one per row."""
    names = insertable(model)
    fields = [model._meta.fields_map[n] for n in names]
    now = now_utc()

    def default(f: Any) -> Any:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return now
        return f.default() if callable(f.default) else f.default

    defaults = {n: default(f) for n, f in zip(names, fields, strict=True)}
    for start in range(0, len(rows), 20_000):
        await insert_values(model, names, [
            [f.to_db_value(row.get(n, defaults[n]), model)
             for n, f in zip(names, fields, strict=True)] for row in rows[start:start + 20_000]])


async def build(count: int, password_hash: str, *, reports: bool = True) -> Sizes:
    """Add `count` schools (605 per scale) with their accounts, undertakings, declarations
    and reports to a migrated database; `password_hash` opens every school account."""
    await seed_if_empty(demo=False)
    cities = await Organization.filter(kind=OrgKind.CITY).order_by("code")
    province = await Organization.get(kind=OrgKind.PROVINCE)
    campaign = await Campaign.all().order_by(*NEWEST_FIRST).first()
    assert campaign is not None
    items = await TaskEntry.filter(campaign_id=campaign.id, level=TaskLevel.SCHOOL,
                                   is_group=False, retired_at=None).order_by("sort_key")
    codes = [school_code(n) for n in range(count)]
    await _chunks([Organization(
        code=codes[n], name=f"基准学校{n}", kind=OrgKind.SCHOOL,
        parent_id=(cities[n % len(cities)] if n % 10 else province).id,
        school_type=SchoolType.SECONDARY if n % 3 else SchoolType.HIGHER)
        for n in range(count)])
    schools = await Organization.filter(code__in=codes).order_by("code")
    await _chunks([User(username=s.code, display_name=s.name, password_hash=password_hash,
                        role=Role.SCHOOL, organization_id=s.id, must_change_password=False)
                   for s in schools])
    undertakings = []
    for n, school in enumerate(schools):
        eligible = [i for i in items if i.eligible_for(school.school_type)]
        for k, item in enumerate(eligible[:ITEMS_PER_SCHOOL]):
            undertakings.append(dict(
                organization_id=school.id, item_id=item.id, quantity=1 + (n + k) % 4,
                school_self=Decimal(f"{(n * 7 + k) % 90}.{(n + k) % 100:02d}"),
                enterprise=Decimal("1.10") * (k % 3), sponsor=Decimal("0.05"),
                local_gov=Decimal(k % 11), provincial=Decimal(f"2.{k % 10}0")))
    await _fast(Undertaking, undertakings)
    await _chunks([Declaration(organization_id=s.id, campaign_id=campaign.id,
                               status=STATUSES[n % len(STATUSES)], version=1 + n % 5)
                   for n, s in enumerate(schools) if n % 7])
    if reports:
        await _reports(campaign, schools)
    lines = await PerformanceEntry.filter(report__organization_id__in=[
        s.id for s in schools]).count()
    city = max(cities, key=lambda c: sum(1 for s in schools if s.parent_id == c.id))
    await analyze()  # as a database in service has them
    return Sizes(schools=len(schools), undertakings=len(undertakings), report_lines=lines,
                 campaign_id=campaign.id, city_code=city.code, school_code=schools[1].code)


async def _reports(campaign: Campaign, schools: list[Organization]) -> None:
    """Three years of annual reports, one line per undertaking per year."""
    for year in YEARS:
        await ReportingRound.get_or_create(campaign_id=campaign.id, year=year)
    rounds = await ReportingRound.filter(campaign_id=campaign.id, year__in=YEARS)
    await _chunks([PerformanceReport(organization_id=s.id, round_id=r.id,
                                     status=DeclarationStatus.ACCEPTED)
                   for r in rounds for s in schools])
    reports = {(r.organization_id, r.round_id): r.id
               for r in await PerformanceReport.filter(round_id__in=[r.id for r in rounds])}
    done = await Undertaking.filter(organization_id__in=[s.id for s in schools]).values_list(
        "id", "organization_id", "quantity")
    for r in rounds:
        share = YEARS.index(r.year) + 1
        await _fast(PerformanceEntry, [dict(
            report_id=reports[(org_id, r.id)], undertaking_id=uid,
            completed_quantity=min(quantity, share), school_self=Decimal(share),
            provincial=Decimal("0.50") * share) for uid, org_id, quantity in done])


async def add_rush_schools(count: int, password_hash: str, prefix: str = "49") -> list[str]:
    """Schools that have declared nothing yet (for the rush), under the first cities."""
    cities = await Organization.filter(kind=OrgKind.CITY).order_by("code")
    codes = [school_code(n, prefix=prefix) for n in range(count)]
    await _chunks([Organization(code=code, name=f"冲刺学校{n}", kind=OrgKind.SCHOOL,
                                parent_id=cities[n % len(cities)].id,
                                school_type=SchoolType.SECONDARY)
                   for n, code in enumerate(codes)])
    schools = await Organization.filter(code__in=codes)
    await _chunks([User(username=s.code, display_name=s.name, password_hash=password_hash,
                        role=Role.SCHOOL, organization_id=s.id, must_change_password=False)
                   for s in schools])
    return codes
