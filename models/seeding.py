"""Starting data: the catalog, the city-level units, and the demo set on first start."""

from __future__ import annotations

import csv
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources

from tortoise.transactions import in_transaction

from models.account import User
from models.catalog import Campaign, ReportingRound, TaskEntry, sort_key
from models.clock import SHANGHAI, beijing
from models.enums import ROLE_OF_KIND, CityCategory, OrgKind, SchoolType, TaskLevel
from models.org import Organization
from models.passwords import hash_password

PROVINCE_CODE = "410000"
PROVINCE_NAME = "河南省教育厅职成教处"
CAMPAIGN_CODE = "henan-2020"
CAMPAIGN_NAME = "职业教育提质培优行动计划(2020-2023年)任务(项目)承接"
PERFORMANCE_YEARS = (2021, 2022, 2023)
# 教职成函〔2020〕552号: issued 2 November 2020, everything uploaded before 13 November.
NOTICE_OPENS = datetime(2020, 11, 2, 0, 0, tzinfo=SHANGHAI)
NOTICE_CLOSES = datetime(2020, 11, 13, 23, 59, 59, tzinfo=SHANGHAI)
DEMO_WINDOW = timedelta(days=30)
INITIAL_PASSWORD = "123456"  # the notice's initial password; users must change it at once

SCHOOL_TYPES = {"all": list(SchoolType), "secondary": [SchoolType.SECONDARY],
                "higher": [SchoolType.HIGHER, SchoolType.UNIVERSITY]}


def _seed_file(name: str) -> list[dict[str, str]]:
    text = resources.files("models.seed").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def declaration_window(now: datetime, setting: str | None = None) -> tuple[datetime, datetime]:
    """The demo window (open now, for 30 days) or, with CAMPAIGN_DATES=notice, the notice's."""
    setting = (setting or os.environ.get("CAMPAIGN_DATES", "demo")).lower()
    if setting == "notice":
        return NOTICE_OPENS, NOTICE_CLOSES
    if setting != "demo":
        raise ValueError(f"CAMPAIGN_DATES must be 'demo' or 'notice', not {setting!r}")
    return now, now + DEMO_WINDOW


async def create_campaign(opens_at: datetime, closes_at: datetime) -> Campaign:
    campaign = await Campaign.create(
        code=CAMPAIGN_CODE, name=CAMPAIGN_NAME,
        declaration_opens_at=opens_at, declaration_closes_at=closes_at,
    )
    for year in PERFORMANCE_YEARS:
        await ReportingRound.create(campaign=campaign, year=year)
    await load_catalog(campaign)
    return campaign


async def load_catalog(campaign: Campaign) -> None:
    """Load the Henan 2020 task list (models/seed/catalog-henan-2020.csv)."""
    by_number: dict[str, TaskEntry] = {}
    for row in _seed_file("catalog-henan-2020.csv"):
        number = row["number"].strip()
        title = row["title"].strip() or None
        types = SCHOOL_TYPES[row["school_types"] or "all"]
        entry = await TaskEntry.create(
            campaign=campaign,
            number=number,
            sort_key=sort_key(number),
            parent=by_number[row["parent"]] if row["parent"] else None,
            is_group=title is None,
            title=title,
            level=TaskLevel(row["level"]) if row["level"] else None,
            target_quantity=int(row["target_quantity"]) if row["target_quantity"] else None,
            target_unit=row["target_unit"] or None,
            for_higher=SchoolType.HIGHER in types,
            for_secondary=SchoolType.SECONDARY in types,
            for_university=SchoolType.UNIVERSITY in types,
        )
        by_number[number] = entry
    # A group heading is seen by the school types that see any of its items.
    for group in [e for e in by_number.values() if e.is_group]:
        items = [e for e in by_number.values() if e.parent_id == group.id]
        group.for_higher = any(i.for_higher for i in items)
        group.for_secondary = any(i.for_secondary for i in items)
        group.for_university = any(i.for_university for i in items)
        await group.save(update_fields=["for_higher", "for_secondary", "for_university"])


async def create_tree() -> Organization:
    province = await Organization.create(code=PROVINCE_CODE, name=PROVINCE_NAME,
                                         kind=OrgKind.PROVINCE)
    for row in _seed_file("cities.csv"):
        await Organization.create(code=row["code"], name=row["name"], kind=OrgKind.CITY,
                                  parent=province, city_category=CityCategory(row["category"]))
    return province


@dataclass(frozen=True)
class DemoSchool:
    code: str
    label: str  # the name after "【演示】" and the city's name
    school_type: SchoolType
    city_code: str | None  # None: directly under the province
    must_undertake_all: bool


def _demo_schools() -> list[DemoSchool]:
    H, S, U = SchoolType.HIGHER, SchoolType.SECONDARY, SchoolType.UNIVERSITY
    rows: list[DemoSchool] = []
    # Higher vocational schools: all must undertake every item shown to them.
    for n, city in enumerate([None, None, None, None, "410100", "410300", "411300", None], 1):
        rows.append(DemoSchool(f"41990{n:05d}", f"第{n}职业技术学院", H, city, True))
    rows.append(DemoSchool("4199000100", "职业大学", U, None, True))
    # Province-affiliated secondary schools (省属中等职业学校), one in the high-level programme.
    for n, must in enumerate([True, False, False], 1):
        rows.append(DemoSchool(f"41991{n:05d}", f"省属第{n}中等专业学校", S, None, must))
    # Secondary schools under cities; those in the high-level programme must undertake all.
    cities = ["410100", "410100", "410100", "410200", "410300", "410300", "410700", "410800",
              "411000", "411300", "411300", "411500", "411600", "419001", "410181", "411729",
              "410526", "411700"]
    for n, city in enumerate(cities, 1):
        rows.append(DemoSchool(f"41992{n:05d}", f"第{n}中等职业学校", S, city,
                               n % 3 == 1))
    return rows


async def create_demo_schools(province: Organization) -> list[Organization]:
    """About 30 clearly marked demo schools (is_demo, names starting 【演示】)."""
    cities = {o.code: o for o in await Organization.filter(kind=OrgKind.CITY)}
    schools = []
    for s in _demo_schools():
        parent = cities[s.city_code] if s.city_code else province
        where = parent.name if s.city_code else ""
        schools.append(await Organization.create(
            code=s.code, name=f"【演示】{where}{s.label}", kind=OrgKind.SCHOOL, parent=parent,
            school_type=s.school_type, must_undertake_all=s.must_undertake_all, is_demo=True,
        ))
    return schools


async def create_initial_accounts(orgs: list[Organization], password: str) -> None:
    """One account per organisation, user name = its code, with an initial password that
    must be changed at first login. One hash serves all: they share the password anyway."""
    password_hash = await hash_password(password)
    for org in orgs:
        await User.create(username=org.code, display_name=org.name, password_hash=password_hash,
                          role=ROLE_OF_KIND[org.kind], organization=org, must_change_password=True)


async def seed_if_empty(*, demo: bool, now: datetime | None = None) -> list[str] | None:
    """Fill an empty database; a database that has a campaign is left alone.

    With `demo`, every organisation gets an account (user name = its code) with the notice's
    initial password. Without it, only the province office gets one, with a random initial
    password shown once: the province then creates the city and school accounts.
    Returns lines to print for the operator, or None when the database was not empty.
    """
    if await Campaign.exists():
        return None
    now = now or datetime.now(UTC)
    opens, closes = declaration_window(now)
    password = INITIAL_PASSWORD if demo else secrets.token_urlsafe(9)
    async with in_transaction():
        await create_campaign(opens, closes)
        province = await create_tree()
        if demo:
            await create_demo_schools(province)
            await create_initial_accounts(await Organization.all().order_by("id"), password)
        else:
            await create_initial_accounts([province], password)
    lines = [
        f"declaration window: {beijing(opens)} to {beijing(closes)} (Asia/Shanghai)",
        (f"initial password: {password} (the notice's own, for the demo data only; to be"
         " changed at first login; imported and province-made accounts get a random"
         " one-time password each)") if demo else
        f"initial password: {password} (random, shown once; to be changed at first login)",
        f"  province office  {PROVINCE_CODE}  {PROVINCE_NAME}",
    ]
    if demo:
        lines.append("  city bureau      410100  郑州市 (every city-level unit: its code)")
        for s in _demo_schools()[::5]:
            lines.append(f"  demo school      {s.code}  {s.school_type.value}"
                         f"{', must undertake every item' if s.must_undertake_all else ''}")
    return lines
