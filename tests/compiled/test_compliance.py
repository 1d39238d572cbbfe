"""compliance through the compiled path: the same bytes as the resolver path for the province
and the cities, with a city asked for, a campaign, not found; confirmations shown only for
items still missing; one SQL statement whatever the rows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models import Campaign, MandatoryConfirmation, Organization, TaskEntry, User
from models.mandatory import BreakSource
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
from tests.test_declarations import row, save

pytestmark = pytest.mark.asyncio(loop_scope="session")

COMPLIANCE = """
fragment Entry on TaskEntry { __typename id number title level targetQuantity parent { number } }
query Compliance($city: String, $campaign: String) {
  __typename
  compliance(cityCode: $city, campaignCode: $campaign) {
    __typename
    missingMandatory { __typename id school { __typename id code name kind parent { code } }
      missingItems { ...Entry }
      confirmed { __typename item { number } source reason confirmedAt
                  confirmedBy { __typename username displayName organizationName } } }
    ... on Compliance {
      zeroFunding { __typename id quantity funding { total provincial }
                    organization { code } item { ...Entry } }
    }
  }
}"""

PARTS = [
    "{ compliance { __typename } }",
    "{ compliance { zeroFunding { id item { number } } } }",
    "{ compliance { missingMandatory { school { code } } } }",
    "{ compliance { missingMandatory { id missingItems { number } } } }",
    "{ compliance { missingMandatory { confirmed { reason item { number } } } } }",
]


async def _declare(paths: Paths) -> None:
    """Undertakings without funding in 郑州 and 洛阳 (and one with some); the province
    confirmed that two bound schools may lack an item (one of them since undertaken, so not
    shown), and one item of a school that is not bound."""
    api = paths.reference
    assert (await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [
        row("3.2", 2, schoolSelf="1.10"), row("16", 1)]))["errors"] == []
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("7.1", 3)])
    await save(api, LY_SCHOOL, LY_SCHOOL, 0, [row("3.2", 4)])
    await save(api, HIGHER_SCHOOL, HIGHER_SCHOOL, 0, [row("3.2", 1, provincial="0.01")])
    campaign = await Campaign.all().order_by("-declaration_opens_at", "-id").first()
    assert campaign is not None
    by = await User.get(username=PROVINCE)
    for school, number, source in ((HIGHER_SCHOOL, "3.1", BreakSource.CATALOG),
                                   (HIGHER_SCHOOL, "3.2", BreakSource.CATALOG),  # undertaken
                                   (ZZ_SCHOOL, "3.1", BreakSource.CHANGE_REQUEST),
                                   (ZZ_SCHOOL_2, "3.1", BreakSource.CATALOG)):  # not bound
        await MandatoryConfirmation.create(
            campaign=campaign, organization=await Organization.get(code=school),
            item=await TaskEntry.get(number=number, campaign_id=campaign.id), source=source,
            reason=f"确认 {school} {number}", confirmed_by=by)


async def test_every_argument_answers_the_same_bytes(paths: Paths) -> None:
    await _declare(paths)
    cases: dict[str, list[dict[str, Any]]] = {
        PROVINCE: [{}, {"city": ZHENGZHOU}, {"city": f" {LUOYANG} "}, {"city": "nope"},
                   {"city": ZZ_SCHOOL}, {"city": ""}, {"campaign": "nope"},
                   {"campaign": "henan-2020"}, {"city": "nope", "campaign": "nope"}],
        ZHENGZHOU: [{}, {"city": ZHENGZHOU}, {"city": LUOYANG}],
        LUOYANG: [{}],
        ZZ_SCHOOL: [{}],  # the gate denies: strawberry's error
    }
    answers = {}
    for user, variables in cases.items():
        token = await paths.token(user)
        for v in variables:
            answers[user, json.dumps(v)] = json.loads(await paths.both(COMPLIANCE, v, token))
    report = answers[PROVINCE, "{}"]["data"]["compliance"]
    missing = {m["school"]["code"]: m for m in report["missingMandatory"]}
    assert list(missing) == sorted(missing) and HIGHER_SCHOOL in missing
    assert "3.2" not in [i["number"] for i in missing[ZZ_SCHOOL]["missingItems"]]
    assert [(c["item"]["number"], c["source"]) for c in missing[HIGHER_SCHOOL]["confirmed"]] == [
        ("3.1", "CATALOG")]
    assert [(c["item"]["number"], c["source"]) for c in missing[ZZ_SCHOOL]["confirmed"]] == [
        ("3.1", "CHANGE_REQUEST")]
    assert missing[ZZ_SCHOOL]["confirmed"][0]["confirmedAt"].endswith("+08:00")
    assert ZZ_SCHOOL_2 not in missing
    assert [(z["organization"]["code"], z["item"]["number"]) for z in report["zeroFunding"]] == [
        (ZZ_SCHOOL, "16"), (ZZ_SCHOOL_2, "7.1"), (LY_SCHOOL, "3.2")]
    city = answers[ZHENGZHOU, "{}"]["data"]["compliance"]
    assert HIGHER_SCHOOL not in {m["school"]["code"] for m in city["missingMandatory"]}
    assert {z["organization"]["code"] for z in city["zeroFunding"]} == {ZZ_SCHOOL, ZZ_SCHOOL_2}
    named = answers[PROVINCE, json.dumps({"campaign": "henan-2020"})]["data"]["compliance"]
    assert named == report  # the newest campaign, named
    for user, city_code in ((PROVINCE, "nope"), (PROVINCE, ZZ_SCHOOL), (ZHENGZHOU, LUOYANG)):
        answer = answers[user, json.dumps({"city": city_code})]
        assert answer["data"]["compliance"] is None
        assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert answers[ZZ_SCHOOL, "{}"]["errors"]


async def test_each_part_alone(paths: Paths) -> None:
    await _declare(paths)
    for user in (PROVINCE, ZHENGZHOU):
        token = await paths.token(user)
        for query in PARTS:
            answer = json.loads(await paths.both(query, None, token))
            assert answer["data"]["compliance"], answer
            assert len(paths.statements) == paths.one_read, (query, paths.statements)


async def test_one_statement(paths: Paths, count_sql: StatementCounter) -> None:
    await _declare(paths)
    for user, variables in ((PROVINCE, {}), (PROVINCE, {"city": ZHENGZHOU}), (ZHENGZHOU, {})):
        token = await paths.token(user)
        count_sql.statements.clear()
        body = await paths.raw(paths.compiled, COMPLIANCE, variables, token)
        assert json.loads(body)["data"]["compliance"]["missingMandatory"]
        assert len(count_sql.statements) == 2, count_sql.statements  # the token, the answer
