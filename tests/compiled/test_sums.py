"""undertakingSums through the compiled path: the same bytes as the resolver path for every
argument (statuses, city scope, campaign, not found), one SQL statement whatever the rows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models import TaskEntry
from tests.chain import APPROVE
from tests.compiled.conftest import Paths
from tests.conftest import (
    HIGHER_SCHOOL,
    LUOYANG,
    LY_SCHOOL,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    StatementCounter,
)
from tests.test_declarations import SUBMIT, row, save

pytestmark = pytest.mark.asyncio(loop_scope="session")

SUMS = """
fragment Money on Funding { schoolSelf enterprise sponsor localGov provincial total }
query Sums($city: String, $statuses: [DeclarationStatus!], $campaign: String) {
  __typename
  sums: undertakingSums(cityCode: $city, statuses: $statuses, campaignCode: $campaign) {
    __typename id organizations quantity targetPercent funding { ...Money }
    item { __typename id number title level targetQuantity parent { number }
           children { number } }
    ... on ItemSum {
      byGroup { __typename id label organizations quantity funding { ...Money total }
                unit { __typename id code name kind parent { code } } }
    }
  }
}"""

ALL = ["DRAFT", "SUBMITTED", "CITY_APPROVED", "RETURNED", "ACCEPTED"]


async def _declare(paths: Paths) -> None:
    """郑州: one school submitted and approved, one draft; 洛阳: one submitted; a school
    directly under the province and the province's own item, drafts."""
    api = paths.reference
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [
        row("3.2", 2, schoolSelf="1.10", enterprise="0.25"), row("7.1", 3, sponsor="0.01")])
    await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 1}, await api.token(ZZ_SCHOOL_2))
    await api.data(APPROVE, {"org": ZZ_SCHOOL_2}, await api.token(ZHENGZHOU))
    await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row("7.1", 1, localGov="100.25",
                                                  provincial="50.25")])
    await save(api, LY_SCHOOL, LY_SCHOOL, 0, [row("3.2", 4, provincial="99999.99")])
    await api.data(SUBMIT, {"org": LY_SCHOOL, "v": 1}, await api.token(LY_SCHOOL))
    await save(api, HIGHER_SCHOOL, HIGHER_SCHOOL, 0, [row("3.2", 1, schoolSelf="0.99")])
    assert (await save(api, PROVINCE, PROVINCE, 0, [row("1", 1, provincial="500")]))[
        "errors"] == []
    # 6 of 4800 is 0.125 %: Decimal rounds half to even (0.12), a database's round() up
    await TaskEntry.filter(number="3.2").update(target_quantity=4800)
    await TaskEntry.filter(number="7.1").update(target_quantity=0)


async def test_every_argument_answers_the_same_bytes(paths: Paths) -> None:
    await _declare(paths)
    cases: dict[str, list[dict[str, Any]]] = {
        PROVINCE: [{}, {"city": ZHENGZHOU}, {"city": f" {LUOYANG} "}, {"city": "nope"},
                   {"city": ZZ_SCHOOL}, {"city": ""}, {"statuses": ["DRAFT"]},
                   {"statuses": ALL}, {"statuses": ALL, "city": ZHENGZHOU},
                   {"statuses": ["RETURNED"]}, {"statuses": []}, {"campaign": "nope"},
                   {"city": "nope", "campaign": "nope"}, {"city": "x" * 300}],
        ZHENGZHOU: [{}, {"city": ZHENGZHOU}, {"city": LUOYANG}, {"statuses": ALL}],
        LUOYANG: [{}, {"statuses": ["DRAFT"]}],
        ZZ_SCHOOL_2: [{}],  # the gate denies: strawberry's error
    }
    answers = {}
    for user, variables in cases.items():
        token = await paths.token(user)
        for v in variables:
            body = await paths.both(SUMS, v, token)
            answers[user, json.dumps(v)] = json.loads(body)
    default = answers[PROVINCE, "{}"]["data"]["sums"]
    by_number = {s["item"]["number"]: s for s in default}
    assert list(by_number) == ["3.2", "7.1"]  # drafts left out, in number order
    assert by_number["3.2"]["quantity"] == 6 and by_number["3.2"]["targetPercent"] == "0.12"
    assert by_number["3.2"]["funding"]["provincial"] == "99999.99"
    assert by_number["3.2"]["funding"]["total"] == "100001.34"
    assert by_number["7.1"]["targetPercent"] is None
    assert [g["label"] for g in by_number["3.2"]["byGroup"]] == ["郑州市", "洛阳市"]
    drafts = answers[PROVINCE, json.dumps({"statuses": ["DRAFT"]})]["data"]["sums"]
    assert [(d["item"]["number"], [g["label"] for g in d["byGroup"]]) for d in drafts] == [
        ("1", ["省教育厅（省级任务）"]), ("3.2", ["省直属学校"]), ("7.1", ["郑州市"])]
    for user, city in ((PROVINCE, "nope"), (PROVINCE, ZZ_SCHOOL), (ZHENGZHOU, LUOYANG)):
        answer = answers[user, json.dumps({"city": city})]
        assert answer["data"]["sums"] is None
        assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    city = answers[ZHENGZHOU, "{}"]["data"]["sums"]
    assert {g["unit"]["code"] for s in city for g in s["byGroup"]} == {ZHENGZHOU}
    assert answers[PROVINCE, json.dumps({"statuses": []})]["errors"]


async def test_one_statement(paths: Paths, count_sql: StatementCounter) -> None:
    await _declare(paths)
    for user, variables in ((PROVINCE, {}), (PROVINCE, {"city": ZHENGZHOU}),
                            (ZHENGZHOU, {"statuses": ALL})):
        token = await paths.token(user)
        count_sql.statements.clear()
        body = await paths.raw(paths.compiled, SUMS, variables, token)
        assert json.loads(body)["data"]["sums"]
        assert len(count_sql.statements) == 2, count_sql.statements  # the token, the sums


async def test_compiled_with_strawberry_fields_beside(paths: Paths) -> None:
    await _declare(paths)
    token = await paths.token(PROVINCE)
    body = await paths.both("""{ me { username } a: undertakingSums { quantity }
      undertakingTotals { funding { total } } b: undertakingSums(cityCode: "410100") {
      item { number } byGroup { label } } }""", None, token)
    assert list(json.loads(body)["data"]) == ["me", "a", "undertakingTotals", "b"]
