"""declarationProgress through the compiled path: the same bytes as the resolver path for the
province and the cities, with a city asked for, a campaign, not found, refused; one SQL
statement whatever the rows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.chain import APPROVE, CONFIRM
from tests.compiled.conftest import Paths
from tests.conftest import (
    HIGHER_SCHOOL,
    LUOYANG,
    LY_SCHOOL,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
)
from tests.test_declarations import RETURN, SUBMIT, row, save

pytestmark = pytest.mark.asyncio(loop_scope="session")

DIRECT = "4199100002"  # secondary, directly under the province, not bound to every item

COUNTS = """
fragment Counts on StatusCounts { notStarted draft submitted cityApproved returned accepted
  total neverLoggedIn }"""

PROGRESS = COUNTS + """
query Progress($city: String, $campaign: String) {
  __typename
  progress: declarationProgress(cityCode: $city, campaignCode: $campaign) {
    __typename counts { __typename ...Counts }
    ... on Progress {
      groups { __typename id label counts { ...Counts again: total }
               unit { __typename id code name kind parent { code } } }
    }
  }
}"""

COUNTS_ONLY = COUNTS + """
query($city: String) { declarationProgress(cityCode: $city) { c: counts { ...Counts } } }"""


async def _declare(paths: Paths) -> None:
    """郑州: one school accepted, one draft, one city-approved; 洛阳: one submitted; two
    schools directly under the province, a draft and one returned; every other school not
    started, most of them never logged in."""
    api = paths.reference
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [
        row("3.2", 2, schoolSelf="1.10", enterprise="0.25"), row("7.1", 3, sponsor="0.01")])
    await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 1}, await api.token(ZZ_SCHOOL_2))
    await api.data(APPROVE, {"org": ZZ_SCHOOL_2}, await api.token(ZHENGZHOU))
    assert (await api.data(CONFIRM, {"org": ZZ_SCHOOL_2}, await api.token(PROVINCE)))[
        "acceptDeclaration"]["errors"] == []
    await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row("7.1", 1, localGov="100.25",
                                                  provincial="50.25")])
    await save(api, "4199200003", "4199200003", 0, [row("3.2", 1, provincial="0.05")])
    await api.data(SUBMIT, {"org": "4199200003", "v": 1}, await api.token("4199200003"))
    await api.data(APPROVE, {"org": "4199200003"}, await api.token(ZHENGZHOU))
    await save(api, LY_SCHOOL, LY_SCHOOL, 0, [row("3.2", 4, provincial="99999.99")])
    await api.data(SUBMIT, {"org": LY_SCHOOL, "v": 1}, await api.token(LY_SCHOOL))
    await save(api, HIGHER_SCHOOL, HIGHER_SCHOOL, 0, [row("3.2", 1, schoolSelf="0.99")])
    await save(api, DIRECT, DIRECT, 0, [row("3.2", 1, schoolSelf="12345.67")])
    submitted = await api.data(SUBMIT, {"org": DIRECT, "v": 1}, await api.token(DIRECT))
    assert submitted["submitDeclaration"]["errors"] == [], submitted
    version = submitted["submitDeclaration"]["declaration"]["version"]
    returned = await api.data(RETURN, {"org": DIRECT, "v": version, "reason": "请补充"},
                              await api.token(PROVINCE))
    assert returned["returnDeclaration"]["errors"] == [], returned


CASES: dict[str, list[dict[str, Any]]] = {
    PROVINCE: [{}, {"city": ZHENGZHOU}, {"city": f" {LUOYANG} "}, {"city": "nope"},
               {"city": ZZ_SCHOOL}, {"city": ""}, {"city": " "}, {"campaign": "nope"},
               {"city": "nope", "campaign": "nope"}, {"city": "x" * 300},
               {"campaign": "2020-2022"}],
    ZHENGZHOU: [{}, {"city": ZHENGZHOU}, {"city": LUOYANG}],
    LUOYANG: [{}],
    ZZ_SCHOOL_2: [{}],  # the gate denies: strawberry's error
}


async def test_every_argument_answers_the_same_bytes(paths: Paths) -> None:
    await _declare(paths)
    answers = {}
    for user, variables in CASES.items():
        token = await paths.token(user)
        for v in variables:
            body = await paths.both(PROGRESS, v, token)
            answers[user, json.dumps(v)] = json.loads(body)
            await paths.both(COUNTS_ONLY, v, token)
    province = answers[PROVINCE, "{}"]["data"]["progress"]
    assert province["counts"]["total"] == 30
    assert {k: v for k, v in province["counts"].items() if k not in (
        "__typename", "total", "neverLoggedIn", "notStarted")} == {
        "draft": 2, "submitted": 1, "cityApproved": 1, "returned": 1, "accepted": 1}
    labels = [g["label"] for g in province["groups"]]
    assert "省直属学校" in labels and "郑州市" in labels and "洛阳市" in labels
    codes = [g["unit"]["code"] for g in province["groups"]]
    assert codes == sorted(codes)
    # every city-level unit shows, those without schools with zeros
    assert any(g["counts"]["total"] == 0 for g in province["groups"])
    city = answers[ZHENGZHOU, "{}"]["data"]["progress"]
    assert [g["label"] for g in city["groups"]] == ["郑州市"]
    for user, v in ((PROVINCE, {"city": "nope"}), (PROVINCE, {"city": ZZ_SCHOOL}),
                    (ZHENGZHOU, {"city": LUOYANG}), (PROVINCE, {"campaign": "nope"})):
        answer = answers[user, json.dumps(v)]
        assert answer["data"]["progress"] is None
        assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert answers[ZZ_SCHOOL_2, "{}"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_one_statement(paths: Paths) -> None:
    await _declare(paths)
    for user, variables in ((PROVINCE, {}), (PROVINCE, {"city": ZHENGZHOU}),
                            (LUOYANG, {})):
        token = await paths.token(user)
        for query in (PROGRESS, COUNTS_ONLY):
            body = await paths.both(query, variables, token)
            assert json.loads(body)["data"]
            assert len(paths.statements) == paths.one_read, paths.statements


async def test_compiled_with_strawberry_fields_beside(paths: Paths) -> None:
    await _declare(paths)
    token = await paths.token(PROVINCE)
    body = await paths.both("""{ me { username } a: declarationProgress { counts { total } }
      undertakingTotals { funding { total } } b: declarationProgress(cityCode: "410100") {
      groups { id label } } }""", None, token)
    assert list(json.loads(body)["data"]) == ["me", "a", "undertakingTotals", "b"]
