"""The catalog through the compiled path: filters handed down the tree, the same bytes."""

from __future__ import annotations

import pytest

from models import TaskEntry
from models.clock import now_utc
from models.seeding import CAMPAIGN_CODE
from tests.compiled.conftest import Paths
from tests.conftest import PROVINCE, ZZ_SCHOOL, StatementCounter

pytestmark = pytest.mark.asyncio(loop_scope="session")

CATALOG = """
query Catalog($type: SchoolType, $retired: Boolean, $campaign: String) {
  taskCatalog(schoolType: $type, includeRetired: $retired, campaignCode: $campaign) {
    __typename id number title isGroup level targetQuantity targetUnit schoolTypes retiredAt
    parent { number }
    children { id number title schoolTypes retiredAt parent { number }
               children { number } }
  }
}
"""

ENTRY = """
query Entry($n: String!, $campaign: String) {
  taskEntry(number: $n, campaignCode: $campaign) {
    id number title schoolTypes retiredAt parent { number title } children { number level }
  }
}
"""


async def test_catalog_views(paths: Paths, count_sql: StatementCounter) -> None:
    # a retired item (with microseconds in its time) must follow each view
    entry = await TaskEntry.filter(is_group=False).order_by("sort_key").first()
    assert entry is not None
    await TaskEntry.filter(id=entry.id).update(retired_at=now_utc().replace(microsecond=120))
    for user in (PROVINCE, ZZ_SCHOOL):
        token = await paths.token(user)
        for variables in ({}, {"type": "SECONDARY"}, {"type": "HIGHER", "retired": True},
                          {"retired": True}, {"campaign": "nope"},
                          {"campaign": CAMPAIGN_CODE, "type": "UNIVERSITY"}):
            await paths.both(CATALOG, variables, token)
            # compiled: the token, the catalog (a campaign not found: strawberry's error)
            assert len(paths.statements) == (2 if "nope" not in variables.values() else 3)
        for number in ("1", "1.1", entry.number, " 3.2 ", "99"):
            await paths.both(ENTRY, {"n": number}, token)
        await paths.both(ENTRY, {"n": "1", "campaign": "nope"}, token)
        await paths.both(ENTRY, {"n": "1", "campaign": CAMPAIGN_CODE}, token)


async def test_one_statement_for_the_whole_tree(paths: Paths, count_sql: StatementCounter
                                                ) -> None:
    token = await paths.token(PROVINCE)
    count_sql.statements.clear()
    await paths.raw(paths.compiled, CATALOG, {}, token)
    assert len(count_sql.statements) == 2, count_sql.statements  # the token, the catalog


CAMPAIGNS = """
{ campaigns { __typename id code name declarationOpensAt declarationClosesAt cityReview
              lateReturnDays medianFactor performanceYears declarationOpen } }
"""
CAMPAIGN_NODE = """
query($id: ID!) {
  node(id: $id) { __typename id ... on Campaign { code name performanceYears declarationOpen } }
}
"""


async def test_campaigns_and_a_campaign_by_its_id(paths: Paths) -> None:
    from base64 import b64encode

    from models import Campaign
    from models.catalog import NEWEST_FIRST

    # a second, older round, closed and with no report years: the list's order is the
    # resolvers' (newest first)
    first = await Campaign.get(code=CAMPAIGN_CODE)
    older = await Campaign.create(
        code="henan-2019", name="旧一轮", declaration_opens_at=first.declaration_opens_at.replace(
            year=2019), declaration_closes_at=first.declaration_closes_at.replace(year=2019))
    codes = [c.code for c in await Campaign.all().order_by(*NEWEST_FIRST)]
    assert codes.index(CAMPAIGN_CODE) < codes.index(older.code)
    for user in (PROVINCE, ZZ_SCHOOL):
        token = await paths.token(user)
        await paths.both(CAMPAIGNS, None, token)
        assert len(paths.statements) == paths.one_read, paths.statements
        for campaign in (first, older):
            node = b64encode(f"Campaign:{campaign.id}".encode()).decode()
            await paths.both(CAMPAIGN_NODE, {"id": node}, token)
            assert len(paths.statements) == paths.one_read, paths.statements
    await paths.both(CAMPAIGNS, None, None)  # no caller: refused alike
