"""reportingProgress through the compiled path: the same bytes as the resolver path for the
province and the cities, with a city asked for, a campaign, a year without a round, not found;
one SQL statement whatever the rows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models import Campaign, Organization, ReportingRound
from models.declaration import Declaration, DeclarationStatus
from models.performance import PerformanceReport
from models.seeding import CAMPAIGN_CODE
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

pytestmark = pytest.mark.asyncio(loop_scope="session")

S = DeclarationStatus
ZZ_SCHOOL_3 = "4199200003"  # secondary, 郑州

PROGRESS = """
fragment Counts on StatusCounts { notStarted draft submitted cityApproved returned accepted
  total neverLoggedIn }
query Reporting($year: Int!, $city: String, $campaign: String) {
  __typename
  progress: reportingProgress(year: $year, cityCode: $city, campaignCode: $campaign) {
    __typename counts { __typename ...Counts }
    schools { __typename id status school { __typename id code name kind parent { code } } }
    ... on ReportingProgress { notReported { __typename id code name } again: notReported {
      code } }
  }
}"""

PARTS = [
    "query($y: Int!) { reportingProgress(year: $y) { __typename } }",
    "query($y: Int!) { reportingProgress(year: $y) { counts { total accepted } } }",
    "query($y: Int!) { reportingProgress(year: $y) { schools { status } } }",
    "query($y: Int!) { reportingProgress(year: $y) { notReported { code } } }",
]


async def _declare() -> None:
    """Accepted declarations in 郑州 (four schools), 洛阳 and directly under the province,
    one only submitted; their 2021 reports in every state (one none), and a 2022 one."""
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    rounds = {r.year: r for r in await ReportingRound.filter(campaign=campaign)}
    for code, status, report in ((ZZ_SCHOOL, S.ACCEPTED, S.RETURNED),
                                 (ZZ_SCHOOL_2, S.ACCEPTED, S.ACCEPTED),
                                 (ZZ_SCHOOL_3, S.ACCEPTED, None),
                                 ("4199200004", S.SUBMITTED, S.DRAFT),  # reports nothing
                                 (LY_SCHOOL, S.ACCEPTED, S.SUBMITTED),
                                 (HIGHER_SCHOOL, S.ACCEPTED, S.DRAFT)):
        school = await Organization.get(code=code)
        await Declaration.create(organization=school, campaign=campaign, status=status)
        if report is not None:
            await PerformanceReport.create(organization=school, round=rounds[2021],
                                           status=report)
    await PerformanceReport.create(organization=await Organization.get(code=ZZ_SCHOOL_3),
                                   round=rounds[2022], status=S.CITY_APPROVED)


async def test_every_argument_answers_the_same_bytes(paths: Paths) -> None:
    await _declare()
    cases: dict[str, list[dict[str, Any]]] = {
        PROVINCE: [{"year": 2021}, {"year": 2022}, {"year": 2023}, {"year": 2024},
                   {"year": 2021, "city": ZHENGZHOU}, {"year": 2021, "city": f" {LUOYANG} "},
                   {"year": 2021, "city": "nope"}, {"year": 2021, "city": ZZ_SCHOOL},
                   {"year": 2021, "city": ""}, {"year": 2021, "campaign": CAMPAIGN_CODE},
                   {"year": 2021, "campaign": "nope"}, {"year": 2024, "city": "nope"}],
        ZHENGZHOU: [{"year": 2021}, {"year": 2021, "city": LUOYANG}, {"year": 2022}],
        LUOYANG: [{"year": 2021}],
        ZZ_SCHOOL: [{"year": 2021}],  # the gate denies: strawberry's error
    }
    answers = {}
    for user, variables in cases.items():
        token = await paths.token(user)
        for v in variables:
            answers[user, json.dumps(v)] = json.loads(await paths.both(PROGRESS, v, token))
    progress = answers[PROVINCE, json.dumps({"year": 2021})]["data"]["progress"]
    counts = progress["counts"]
    assert (counts["total"], counts["notStarted"], counts["draft"], counts["submitted"],
            counts["returned"], counts["accepted"], counts["neverLoggedIn"]) == (
        5, 1, 1, 1, 1, 1, 0)
    assert [s["school"]["code"] for s in progress["schools"]] == sorted(
        [ZZ_SCHOOL, ZZ_SCHOOL_2, ZZ_SCHOOL_3, LY_SCHOOL, HIGHER_SCHOOL])
    assert [s["code"] for s in progress["notReported"]] == sorted(
        [ZZ_SCHOOL, ZZ_SCHOOL_3, HIGHER_SCHOOL])
    later = answers[PROVINCE, json.dumps({"year": 2022})]["data"]["progress"]
    assert later["counts"]["cityApproved"] == 1 and later["counts"]["notStarted"] == 4
    city = answers[ZHENGZHOU, json.dumps({"year": 2021})]["data"]["progress"]
    assert {s["school"]["code"] for s in city["schools"]} == {ZZ_SCHOOL, ZZ_SCHOOL_2,
                                                              ZZ_SCHOOL_3}
    for user, v in ((PROVINCE, {"year": 2021, "city": "nope"}),
                    (PROVINCE, {"year": 2021, "city": ZZ_SCHOOL}),
                    (ZHENGZHOU, {"year": 2021, "city": LUOYANG}),
                    (PROVINCE, {"year": 2021, "campaign": "nope"})):
        answer = answers[user, json.dumps(v)]
        assert answer["data"]["progress"] is None
        assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    no_round = answers[PROVINCE, json.dumps({"year": 2024})]
    assert no_round["errors"][0]["extensions"]["code"] == "ROUND_NOT_FOUND"
    assert answers[ZZ_SCHOOL, json.dumps({"year": 2021})]["errors"]


async def test_each_part_alone(paths: Paths) -> None:
    await _declare()
    for user in (PROVINCE, ZHENGZHOU):
        token = await paths.token(user)
        for query in PARTS:
            answer = json.loads(await paths.both(query, {"y": 2021}, token))
            assert answer["data"]["reportingProgress"], answer
            assert len(paths.statements) == paths.one_read, (query, paths.statements)


async def test_one_statement(paths: Paths, count_sql: StatementCounter) -> None:
    await _declare()
    for user, variables in ((PROVINCE, {"year": 2021}),
                            (PROVINCE, {"year": 2021, "city": ZHENGZHOU}),
                            (ZHENGZHOU, {"year": 2022})):
        token = await paths.token(user)
        count_sql.statements.clear()
        body = await paths.raw(paths.compiled, PROGRESS, variables, token)
        assert json.loads(body)["data"]["progress"]["schools"]
        assert len(count_sql.statements) == 2, count_sql.statements  # the token, the answer
