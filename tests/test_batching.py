"""Nested lists are batched: the SQL count of a deep query does not grow with the rows."""

from __future__ import annotations

from decimal import Decimal

from models import Organization, TaskEntry, Undertaking
from models.enums import OrgKind, SchoolType, TaskLevel
from tests.conftest import PROVINCE, Api, StatementCounter

DEEP = """
{
  organizations(kind: CITY, first: 100) {
    totalCount
    edges { node {
      code
      children { code name parent { code }
        undertakings { quantity funding { total } item { number title parent { number } } }
      }
    } }
  }
}"""


async def _add_schools(count: int) -> None:
    cities = await Organization.filter(kind=OrgKind.CITY).order_by("code")
    items = await TaskEntry.filter(level=TaskLevel.SCHOOL, for_secondary=True).order_by(
        "sort_key").limit(3)
    start = await Organization.filter(kind=OrgKind.SCHOOL).count()
    for n in range(count):
        school = await Organization.create(
            code=f"41980{start + n:05d}", name=f"批量学校{n}", kind=OrgKind.SCHOOL,
            parent=cities[n % len(cities)], school_type=SchoolType.SECONDARY)
        for item in items:
            await Undertaking.create(organization=school, item=item, quantity=1,
                                     school_self=Decimal("1.50"))


async def _statements(api: Api, token: str, counter: StatementCounter) -> tuple[int, int]:
    counter.statements.clear()
    data = await api.data(DEEP, token=token)
    schools = sum(len(e["node"]["children"]) for e in data["organizations"]["edges"])
    return len(counter.statements), schools


async def test_sql_count_is_flat_from_10_to_200_schools(
    api: Api, count_sql: StatementCounter
) -> None:
    token = await api.token(PROVINCE)
    await _add_schools(10)
    await _statements(api, token, count_sql)  # the plan made: both counts are a repeat's
    few, schools_few = await _statements(api, token, count_sql)

    await _add_schools(190)
    many, schools_many = await _statements(api, token, count_sql)

    assert schools_many - schools_few == 190
    assert many == few, count_sql.statements
    # resolver path: token lookup, cities page, count, schools, parents, undertakings,
    # items, item parents; compiled path (COMPILED_READS), a repeated read: the token
    # lookup and the read in one statement (the fast lane)
    assert few in (1, 6, 7, 8, 9), count_sql.statements
