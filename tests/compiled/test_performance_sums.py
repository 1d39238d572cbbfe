"""performanceSums, performanceTotals and certificationSums through the compiled path: the
same bytes as the resolver path for every argument (year, city scope, report statuses,
campaign, not found), as each role, one SQL statement whatever the rows."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from models import Campaign, Organization, ReportingRound, TaskEntry, Undertaking, User
from models.clock import now_utc
from models.declaration import Declaration, DeclarationStatus
from models.performance import (
    Certification,
    CertificationResult,
    PerformanceEntry,
    PerformanceReport,
)
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

MONEY = "fragment Money on Funding { schoolSelf enterprise sponsor localGov provincial total }"

PERFORMANCE = """
query Sums($y: Int!, $city: String, $reports: [DeclarationStatus!], $campaign: String) {
  __typename
  sums: performanceSums(year: $y, cityCode: $city, reportStatuses: $reports,
                        campaignCode: $campaign) {
    __typename id plannedQuantity achievedQuantity planned { ...Money } spent { ...Money }
    item { __typename id number title targetQuantity parent { number } }
    byGroup { __typename id label plannedQuantity achievedQuantity planned { ...Money }
              spent { provincial total } unit { __typename id code name kind parent { code } } }
  }
  flat: performanceSums(year: $y, cityCode: $city, reportStatuses: $reports,
                        campaignCode: $campaign) { id achievedQuantity spent { total } }
  totals: performanceTotals(year: $y, cityCode: $city, reportStatuses: $reports,
                            campaignCode: $campaign) {
    __typename countedReportStatuses again: countedReportStatuses
    items { id item { number } plannedQuantity planned { total } byGroup { label id } }
  }
  bare: performanceTotals(year: $y, cityCode: $city, reportStatuses: $reports,
                          campaignCode: $campaign) { countedReportStatuses }
}""" + MONEY

CERTIFICATION = """
query Certified($city: String, $campaign: String) {
  certificationSums(cityCode: $city, campaignCode: $campaign) {
    __typename id certified certifiedQuantity notCertified pending certifiedTargetPercent
    item { __typename id number targetQuantity children { number } }
  }
}"""

# Each root of PERFORMANCE alone: where they all fail, strawberry resolves them at once and
# lists their errors in the order they happen to finish (on either path).
ARGS = ("year: $y, cityCode: $city, reportStatuses: $reports, campaignCode: $campaign")
ONE_ROOT = {name: "query($y: Int!, $city: String, $reports: [DeclarationStatus!],"
                  f" $campaign: String) {{ {name}({ARGS}) {{ {shown} }} }}"
            for name, shown in (("performanceSums", "id byGroup { id label }"),
                                ("performanceTotals", "countedReportStatuses items { id }"))}

S = DeclarationStatus
ALL = ["DRAFT", "SUBMITTED", "CITY_APPROVED", "RETURNED", "ACCEPTED"]


async def _undertaking(code: str, number: str, quantity: int, status: DeclarationStatus,
                       **amounts: str) -> Undertaking:
    org = await Organization.get(code=code)
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    await Declaration.get_or_create(organization=org, campaign=campaign,
                                    defaults={"status": status})
    item = await TaskEntry.get(campaign=campaign, number=number)
    return await Undertaking.create(organization=org, item=item, quantity=quantity,
                                    **{k: Decimal(v) for k, v in amounts.items()})


async def _line(undertaking: Undertaking, status: DeclarationStatus, done: int,
                **amounts: str) -> None:
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    round_ = await ReportingRound.get(campaign=campaign, year=2021)
    report, _ = await PerformanceReport.get_or_create(
        organization_id=undertaking.organization_id, round=round_, defaults={"status": status})
    await PerformanceEntry.create(report=report, undertaking=undertaking,
                                  completed_quantity=done,
                                  **{k: Decimal(v) for k, v in amounts.items()})


async def _certify(undertaking: Undertaking, result: CertificationResult,
                   quantity: int | None) -> None:
    user = await User.filter(organization__code=PROVINCE).first()
    assert user is not None
    await Certification.create(undertaking=undertaking, result=result,
                               certified_quantity=quantity, decided_by=user)


async def _world() -> None:
    """郑州: an accepted school (report accepted) and a submitted one (report submitted);
    洛阳: accepted, report accepted; a school directly under the province, its report
    returned; the province office's own item, its report accepted; a withdrawn undertaking
    with a line (counted nowhere)."""
    zz2_a = await _undertaking(ZZ_SCHOOL_2, "3.2", 2, S.ACCEPTED, school_self="1.10",
                               enterprise="0.25")
    zz2_b = await _undertaking(ZZ_SCHOOL_2, "7.1", 3, S.ACCEPTED, sponsor="0.01")
    await _line(zz2_a, S.ACCEPTED, 1, school_self="0.55")
    await _line(zz2_b, S.ACCEPTED, 3)
    zz_a = await _undertaking(ZZ_SCHOOL, "3.2", 1, S.SUBMITTED, local_gov="100.25")
    await _line(zz_a, S.SUBMITTED, 2, local_gov="100.25", provincial="0.05")
    ly_a = await _undertaking(LY_SCHOOL, "3.2", 4, S.ACCEPTED, provincial="99999.99")
    await _line(ly_a, S.ACCEPTED, 4, provincial="99999.99")
    higher = await _undertaking(HIGHER_SCHOOL, "3.2", 1, S.ACCEPTED, school_self="0.99")
    await _line(higher, S.RETURNED, 0)
    own = await _undertaking(PROVINCE, "1", 1, S.ACCEPTED, provincial="500")
    await _line(own, S.ACCEPTED, 1, provincial="250.50")
    gone = await _undertaking(LY_SCHOOL, "16", 5, S.ACCEPTED, school_self="7")
    await _line(gone, S.ACCEPTED, 5, school_self="7")
    await Undertaking.filter(id=gone.id).update(withdrawn_at=now_utc())
    # certified: 1 of 2, and one recorded before rounds (no quantity: all 3 of it)
    await _certify(zz2_a, CertificationResult.CERTIFIED, 1)
    await _certify(zz2_b, CertificationResult.CERTIFIED, None)
    await _certify(ly_a, CertificationResult.NOT_CERTIFIED, 0)
    await _certify(higher, CertificationResult.PENDING, None)
    await _certify(zz_a, CertificationResult.CERTIFIED, 1)  # not accepted: not counted
    # 1 of 800 is 0.125 %: Decimal rounds half to even (0.12), a database's round() up
    await TaskEntry.filter(number="3.2").update(target_quantity=800)
    await TaskEntry.filter(number="7.1").update(target_quantity=0)


async def test_performance_answers_the_same_bytes(paths: Paths) -> None:
    await _world()
    cases: dict[str, list[dict[str, Any]]] = {
        PROVINCE: [{}, {"city": ZHENGZHOU}, {"city": f" {LUOYANG} "}, {"city": "nope"},
                   {"city": ZZ_SCHOOL}, {"city": ""}, {"reports": ["SUBMITTED"]},
                   {"reports": ALL}, {"reports": ALL, "city": ZHENGZHOU},
                   {"reports": ["RETURNED", "RETURNED", "ACCEPTED"]}, {"reports": []},
                   {"campaign": "nope"}, {"campaign": CAMPAIGN_CODE}, {"y": 2019},
                   {"y": 2022, "reports": ALL}, {"city": "nope", "y": 2019}],
        ZHENGZHOU: [{}, {"city": ZHENGZHOU}, {"city": LUOYANG}, {"reports": ALL}],
        LUOYANG: [{}, {"reports": ["DRAFT"]}],
        ZZ_SCHOOL_2: [{}],  # the gate denies: strawberry's error
    }
    failing = [(PROVINCE, {"city": "nope"}), (PROVINCE, {"city": ZZ_SCHOOL}),
               (PROVINCE, {"reports": []}), (PROVINCE, {"campaign": "nope"}),
               (PROVINCE, {"y": 2019}), (PROVINCE, {"city": "nope", "y": 2019}),
               (ZHENGZHOU, {"city": LUOYANG}), (ZZ_SCHOOL_2, {})]
    answers = {}
    for user, variables in cases.items():
        token = await paths.token(user)
        for v in variables:
            if (user, v) in failing:
                for root, query in ONE_ROOT.items():
                    answers[user, json.dumps(v), root] = json.loads(
                        await paths.both(query, {"y": 2021, **v}, token))
                continue
            body = await paths.both(PERFORMANCE, {"y": 2021, **v}, token)
            answers[user, json.dumps(v)] = json.loads(body)
            if user == PROVINCE and v in ({}, {"reports": ALL}):  # compiled: one per root
                assert len(paths.statements) == paths.one_read + 3, paths.statements
    default = answers[PROVINCE, "{}"]["data"]
    by_number = {s["item"]["number"]: s for s in default["sums"]}
    assert list(by_number) == ["1", "3.2", "7.1"]  # accepted reports only, in number order
    assert (by_number["3.2"]["plannedQuantity"], by_number["3.2"]["achievedQuantity"]) == (6, 5)
    assert by_number["3.2"]["planned"]["total"] == "100001.34"
    assert [g["label"] for g in by_number["3.2"]["byGroup"]] == ["郑州市", "洛阳市"]
    assert [g["label"] for g in by_number["1"]["byGroup"]] == ["省教育厅（省级任务）"]
    assert by_number["1"]["byGroup"][0]["unit"] is None
    assert default["totals"]["countedReportStatuses"] == ["ACCEPTED"]
    assert default["bare"] == {"countedReportStatuses": ["ACCEPTED"]}
    every = answers[PROVINCE, json.dumps({"reports": ALL})]["data"]
    assert every["totals"]["countedReportStatuses"] == [
        "DRAFT", "RETURNED", "SUBMITTED", "CITY_APPROVED", "ACCEPTED"]
    labels = {s["item"]["number"]: [g["label"] for g in s["byGroup"]] for s in every["sums"]}
    assert labels["3.2"] == ["省直属学校", "郑州市", "洛阳市"]  # by the unit's id
    assert answers[PROVINCE, json.dumps({"y": 2022, "reports": ALL})]["data"]["sums"] == []
    codes = {(user, json.dumps(v)): {answers[user, json.dumps(v), root]["errors"][0][
        "extensions"]["code"] for root in ONE_ROOT} for user, v in failing}
    assert codes == {
        (PROVINCE, '{"city": "nope"}'): {"NOT_FOUND"}, (PROVINCE, '{"city": "4199200001"}'): {
            "NOT_FOUND"}, (PROVINCE, '{"reports": []}'): {"BAD_USER_INPUT"},
        (PROVINCE, '{"campaign": "nope"}'): {"NOT_FOUND"},
        (PROVINCE, '{"y": 2019}'): {"ROUND_NOT_FOUND"},
        (PROVINCE, '{"city": "nope", "y": 2019}'): {"NOT_FOUND"},
        (ZHENGZHOU, '{"city": "410300"}'): {"NOT_FOUND"}, (ZZ_SCHOOL_2, "{}"): {"FORBIDDEN"}}
    city = answers[ZHENGZHOU, "{}"]["data"]["sums"]
    assert {g["unit"]["code"] for s in city for g in s["byGroup"]} == {ZHENGZHOU}


async def test_certification_answers_the_same_bytes(paths: Paths) -> None:
    await _world()
    cases: dict[str, list[dict[str, Any]]] = {
        PROVINCE: [{}, {"city": ZHENGZHOU}, {"city": f" {LUOYANG} "}, {"city": "nope"},
                   {"city": ZZ_SCHOOL}, {"city": ""}, {"campaign": "nope"},
                   {"campaign": CAMPAIGN_CODE}],
        ZHENGZHOU: [{}, {"city": LUOYANG}],
        LUOYANG: [{}],
        ZZ_SCHOOL_2: [{}],
    }
    answers = {}
    for user, variables in cases.items():
        token = await paths.token(user)
        for v in variables:
            answers[user, json.dumps(v)] = json.loads(await paths.both(CERTIFICATION, v, token))
            if user == PROVINCE and not v:
                assert len(paths.statements) == paths.one_read, paths.statements
    rows = {r["item"]["number"]: (r["certified"], r["certifiedQuantity"], r["notCertified"],
                                  r["pending"], r["certifiedTargetPercent"])
            for r in answers[PROVINCE, "{}"]["data"]["certificationSums"]}
    assert rows == {"1": (0, 0, 0, 1, None), "3.2": (1, 1, 1, 1, "0.12"),
                    "7.1": (1, 3, 0, 0, None)}
    assert list(rows) == ["1", "3.2", "7.1"]
    assert answers[PROVINCE, json.dumps({"city": "nope"})]["data"]["certificationSums"] is None
    assert answers[ZHENGZHOU, json.dumps({"city": LUOYANG})]["errors"]


async def test_one_statement(paths: Paths, count_sql: StatementCounter) -> None:
    await _world()
    one = {
        "performanceSums": "query($c: String) { performanceSums(year: 2021, cityCode: $c) {"
                           " id achievedQuantity byGroup { label spent { total } } } }",
        "performanceTotals": "query($c: String) { performanceTotals(year: 2021, cityCode: $c)"
                             " { countedReportStatuses items { id byGroup { id } } } }",
        "certificationSums": "query($c: String) { certificationSums(cityCode: $c) {"
                             " id certified item { number } certifiedTargetPercent } }",
    }
    for root, query in one.items():
        for user, variables in ((PROVINCE, {}), (PROVINCE, {"c": ZHENGZHOU}),
                                (ZHENGZHOU, {})):
            token = await paths.token(user)
            count_sql.statements.clear()
            body = await paths.raw(paths.compiled, query, variables, token)
            assert json.loads(body)["data"][root], body
            assert len(count_sql.statements) == 2, count_sql.statements  # the token, the read


async def test_compiled_with_strawberry_fields_beside(paths: Paths) -> None:
    await _world()
    token = await paths.token(PROVINCE)
    body = await paths.both("""{ me { username } a: performanceSums(year: 2021) { id }
      reportingProgress(year: 2021) { counts { total } } b: certificationSums { pending }
      c: performanceTotals(year: 2021) { countedReportStatuses } }""", None, token)
    assert list(json.loads(body)["data"]) == ["me", "a", "reportingProgress", "b", "c"]
