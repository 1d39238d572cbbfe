"""undertakingTotals through the compiled path: the same bytes as the resolver path for every
argument (statuses, city scope, campaign, not found, refused) and every part of it alone,
one SQL statement whatever the rows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.compiled.conftest import Paths
from tests.compiled.test_sums import ALL, _declare
from tests.conftest import (
    LUOYANG,
    LY_SCHOOL,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    StatementCounter,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

MONEY = "fragment Money on Funding { schoolSelf enterprise sponsor localGov provincial total }"

TOTALS = MONEY + """
query Totals($city: String, $statuses: [DeclarationStatus!], $campaign: String) {
  __typename
  totals: undertakingTotals(cityCode: $city, statuses: $statuses, campaignCode: $campaign) {
    __typename countedStatuses
    byCity { __typename label organizations undertakings funding { ...Money }
             unit { __typename id code name kind parent { code } } }
    funding { ...Money }
    ... on UndertakingTotals {
      items { __typename id organizations quantity targetPercent funding { total }
              item { number } byGroup { id label quantity unit { code } } }
    }
  }
}"""

# Each part alone (the compiler leaves out the derived tables a selection does not read).
PARTS = [
    "{ undertakingTotals { countedStatuses } }",
    "query($s: [DeclarationStatus!]) { undertakingTotals(statuses: $s) { countedStatuses"
    " again: countedStatuses } }",
    "{ undertakingTotals { funding { total provincial } } }",
    "{ undertakingTotals { byCity { label undertakings } } }",
    "{ undertakingTotals { items { item { number } quantity } } }",
    "{ undertakingTotals { items { byGroup { label } } funding { total } } }",
    "{ undertakingTotals { __typename } }",
]


async def test_every_argument_answers_the_same_bytes(paths: Paths) -> None:
    await _declare(paths)
    cases: dict[str, list[dict[str, Any]]] = {
        PROVINCE: [{}, {"city": ZHENGZHOU}, {"city": f" {LUOYANG} "}, {"city": "nope"},
                   {"city": ZZ_SCHOOL}, {"city": ""}, {"statuses": ["DRAFT"]},
                   {"statuses": ALL}, {"statuses": ALL, "city": ZHENGZHOU},
                   {"statuses": ["RETURNED"]}, {"statuses": ["ACCEPTED", "DRAFT", "DRAFT"]},
                   {"statuses": []}, {"campaign": "nope"}, {"city": "nope", "campaign": "nope"},
                   {"city": "nope", "statuses": []}],
        ZHENGZHOU: [{}, {"city": ZHENGZHOU}, {"city": LUOYANG}, {"statuses": ALL}],
        LUOYANG: [{}, {"statuses": ["DRAFT"]}],
        ZZ_SCHOOL_2: [{}],  # the gate denies: strawberry's error
        LY_SCHOOL: [{"statuses": ALL}],
    }
    answers = {}
    for user, variables in cases.items():
        token = await paths.token(user)
        for v in variables:
            answers[user, json.dumps(v)] = json.loads(await paths.both(TOTALS, v, token))
    default = answers[PROVINCE, "{}"]["data"]["totals"]
    assert default["countedStatuses"] == ["SUBMITTED", "CITY_APPROVED", "ACCEPTED"]
    assert [c["label"] for c in default["byCity"]] == ["郑州市", "洛阳市"]
    assert default["funding"]["provincial"] == "99999.99"
    assert default["funding"]["total"] == "100001.35"  # 3.2 and 7.1
    assert [i["item"]["number"] for i in default["items"]] == ["3.2", "7.1"]
    drafts = answers[PROVINCE, json.dumps({"statuses": ["DRAFT"]})]["data"]["totals"]
    assert [(c["label"], c["organizations"], c["undertakings"]) for c in drafts["byCity"]] == [
        ("省教育厅（省级任务）", 1, 1), ("省直属学校", 1, 1), ("郑州市", 1, 1)]
    odd = answers[PROVINCE, json.dumps({"statuses": ["ACCEPTED", "DRAFT", "DRAFT"]})]
    assert odd["data"]["totals"]["countedStatuses"] == ["DRAFT", "ACCEPTED"]
    returned = answers[PROVINCE, json.dumps({"statuses": ["RETURNED"]})]["data"]["totals"]
    assert returned["byCity"] == [] and returned["items"] == []
    assert returned["funding"]["total"] == "0.00"
    for user, city in ((PROVINCE, "nope"), (PROVINCE, ZZ_SCHOOL), (ZHENGZHOU, LUOYANG)):
        answer = answers[user, json.dumps({"city": city})]
        assert answer["data"]["totals"] is None
        assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    city = answers[ZHENGZHOU, json.dumps({"statuses": ALL})]["data"]["totals"]
    assert {c["unit"]["code"] for c in city["byCity"]} == {ZHENGZHOU}
    assert answers[PROVINCE, json.dumps({"statuses": []})]["errors"]
    assert answers[ZZ_SCHOOL_2, "{}"]["errors"]


async def test_each_part_alone(paths: Paths) -> None:
    await _declare(paths)
    for user in (PROVINCE, ZHENGZHOU):
        token = await paths.token(user)
        for query in PARTS:
            answer = json.loads(await paths.both(query, {"s": ["ACCEPTED", "DRAFT"]}, token))
            assert answer["data"]["undertakingTotals"], answer
            assert len(paths.statements) == paths.one_read, (query, paths.statements)


async def test_one_statement(paths: Paths, count_sql: StatementCounter) -> None:
    await _declare(paths)
    for user, variables in ((PROVINCE, {}), (PROVINCE, {"city": ZHENGZHOU}),
                            (ZHENGZHOU, {"statuses": ALL})):
        token = await paths.token(user)
        count_sql.statements.clear()
        body = await paths.raw(paths.compiled, TOTALS, variables, token)
        assert json.loads(body)["data"]["totals"]["byCity"]
        assert len(count_sql.statements) == 2, count_sql.statements  # the token, the totals
