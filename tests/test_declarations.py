"""The school form through the API: save in batches, submit, return, accept, history."""

from __future__ import annotations

from typing import Any

from models import Undertaking
from tests.conftest import (
    HIGHER_SCHOOL,
    LUOYANG,
    LY_SCHOOL,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    Api,
)

DECL_FIELDS = """
fragment D on Declaration {
  status version editable lock { code message } returnReason
  undertakings { quantity item { number } funding { schoolSelf enterprise sponsor localGov
                 provincial total } }
  missingMandatoryItems { number }
}"""

SAVE = """
mutation($input: SaveUndertakingsInput!) {
  saveUndertakings(input: $input) {
    declaration { ...D }
    errors { field code message }
  }
}""" + DECL_FIELDS

SUBMIT = """
mutation($org: String!, $v: Int!) {
  submitDeclaration(organizationCode: $org, version: $v) {
    declaration { ...D } errors { field code message } }
}""" + DECL_FIELDS

RETURN = """
mutation($org: String!, $v: Int!, $reason: String!) {
  returnDeclaration(organizationCode: $org, version: $v, reason: $reason) {
    declaration { ...D } errors { field code message } }
}""" + DECL_FIELDS

APPROVE = """
mutation($org: String!, $v: Int) {
  approveDeclaration(organizationCode: $org, version: $v) {
    declaration { ...D } errors { field code message } }
}""" + DECL_FIELDS

ACCEPT = """
mutation($org: String!, $v: Int) {
  acceptDeclaration(organizationCode: $org, version: $v) {
    declaration { ...D } errors { field code message } }
}""" + DECL_FIELDS

READ = """
query($org: String) { declaration(organizationCode: $org) { ...D
  history { at actor { username organizationName } statusChange fromStatus toStatus reason
            rowChange itemNumber before { quantity schoolSelf } after { quantity schoolSelf } }
} }""" + DECL_FIELDS


def row(number: str, quantity: int = 1, **funding: str) -> dict[str, Any]:
    return {"itemNumber": number, "quantity": quantity, "funding": funding}


async def save(api: Api, user: str, org: str, version: int, rows: list[dict[str, Any]]
               ) -> dict[str, Any]:
    data = await api.data(SAVE, {"input": {"organizationCode": org, "version": version,
                                           "rows": rows}}, await api.token(user))
    result: dict[str, Any] = data["saveUndertakings"]
    return result


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def test_school_saves_part_then_completes_and_submits(api: Api) -> None:
    first = await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [
        row("3.2", 2, schoolSelf="6", enterprise="2.5", sponsor="1.5")])
    assert first["errors"] == []
    assert first["declaration"]["status"] == "DRAFT" and first["declaration"]["version"] == 1

    second = await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 1, [
        row("7.1", 1, localGov="100", provincial="50.25"), row("16", 3)])
    decl = second["declaration"]
    assert second["errors"] == [] and decl["version"] == 2
    assert [u["item"]["number"] for u in decl["undertakings"]] == ["3.2", "7.1", "16"]
    assert decl["undertakings"][0]["funding"]["total"] == "10.00"
    assert decl["undertakings"][1]["funding"]["total"] == "150.25"

    submitted = (await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 2},
                                await api.token(ZZ_SCHOOL_2)))["submitDeclaration"]
    assert submitted["errors"] == []
    assert submitted["declaration"]["status"] == "SUBMITTED"
    assert submitted["declaration"]["lock"]["code"] == "DECLARATION_SUBMITTED"

    locked = await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 3, [row("3.1")])
    assert codes(locked) == ["DECLARATION_SUBMITTED"]


async def test_a_bad_row_rejects_the_whole_batch_with_each_rows_errors(api: Api) -> None:
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("3.2", 2, schoolSelf="1")])

    result = await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 1, [
        row("3.2", 5, schoolSelf="9"),  # fine on its own
        row("1", 1),  # provincial item
        row("11.1", 1),  # higher vocational only
        row("3.3", 0),  # quantity
        row("3.1", 1, schoolSelf="-1"),  # negative
        row("4.1", 1, enterprise="1.234"),  # three decimals
        row("4.2", 1, sponsor="1000000.01"),  # above the bound
        row("99", 1),  # not in the catalog
        row("4", 1),  # a group heading
    ])

    assert result["declaration"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        (["rows", "1", "itemNumber"], "PROVINCIAL_ITEM"),
        (["rows", "2", "itemNumber"], "ITEM_NOT_ELIGIBLE"),
        (["rows", "3", "quantity"], "INVALID_QUANTITY"),
        (["rows", "4", "funding", "schoolSelf"], "INVALID_AMOUNT"),
        (["rows", "5", "funding", "enterprise"], "INVALID_AMOUNT"),
        (["rows", "6", "funding", "sponsor"], "INVALID_AMOUNT"),
        (["rows", "7", "itemNumber"], "ITEM_NOT_FOUND"),
        (["rows", "8", "itemNumber"], "ITEM_NOT_ELIGIBLE"),
    ]
    assert all(e["message"] for e in result["errors"])
    saved = await Undertaking.filter(organization__code=ZZ_SCHOOL_2).prefetch_related("item")
    assert [(u.item.number, u.quantity) for u in saved] == [("3.2", 2)]  # nothing lost
    read = (await api.data(READ, {"org": ZZ_SCHOOL_2}, await api.token(ZZ_SCHOOL_2)))
    assert read["declaration"]["version"] == 1


async def test_rows_can_be_removed(api: Api) -> None:
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("3.2"), row("3.3")])

    result = await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 1,
                        [{"itemNumber": "3.3", "remove": True}])

    assert [u["item"]["number"] for u in result["declaration"]["undertakings"]] == ["3.2"]


async def test_must_undertake_all_school_is_told_what_it_misses(api: Api) -> None:
    token = await api.token(ZZ_SCHOOL)
    before = (await api.data(READ, {"org": None}, token))["declaration"]
    shown = [m["number"] for m in before["missingMandatoryItems"]]
    assert before["status"] == "NOT_STARTED" and before["version"] == 0
    assert "7.1" in shown and "11.1" not in shown and "1" not in shown
    assert len(shown) == 25  # the 27 school-level items less 11.1 and 11.2 (高职 only)
    await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row(n) for n in shown[:-2]])

    refused = (await api.data(SUBMIT, {"org": ZZ_SCHOOL, "v": 1}, token))["submitDeclaration"]

    assert codes(refused) == ["MANDATORY_ITEMS_MISSING"]
    assert shown[-1] in refused["errors"][0]["message"]
    await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 1, [row(n) for n in shown[-2:]])
    done = (await api.data(SUBMIT, {"org": ZZ_SCHOOL, "v": 2}, token))["submitDeclaration"]
    assert done["errors"] == [] and done["declaration"]["missingMandatoryItems"] == []


async def test_return_correct_resubmit_accept_and_the_history_tells_it(api: Api) -> None:
    school, city, province = (await api.token(ZZ_SCHOOL_2), await api.token(ZHENGZHOU),
                              await api.token(PROVINCE))
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("3.2", 2, schoolSelf="5")])
    await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 1}, school)

    no_reason = (await api.data(RETURN, {"org": ZZ_SCHOOL_2, "v": 2, "reason": "  "},
                                city))["returnDeclaration"]
    returned = (await api.data(RETURN, {"org": ZZ_SCHOOL_2, "v": 2,
                                        "reason": "经费来源填写不完整"}, city))["returnDeclaration"]
    assert codes(no_reason) == ["REASON_REQUIRED"]
    assert returned["declaration"]["status"] == "RETURNED"
    assert returned["declaration"]["editable"] is True
    assert returned["declaration"]["returnReason"] == "经费来源填写不完整"

    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 3, [row("3.2", 2, schoolSelf="5", sponsor="3")])
    resubmitted = (await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 4}, school))[
        "submitDeclaration"]
    assert resubmitted["declaration"]["returnReason"] is None  # the history keeps it
    approved = (await api.data(APPROVE, {"org": ZZ_SCHOOL_2, "v": 5}, city))[
        "approveDeclaration"]
    assert approved["declaration"]["status"] == "CITY_APPROVED"
    accepted = (await api.data(ACCEPT, {"org": ZZ_SCHOOL_2, "v": 6}, province))[
        "acceptDeclaration"]
    assert accepted["declaration"]["status"] == "ACCEPTED"
    assert accepted["declaration"]["lock"]["code"] == "DECLARATION_ACCEPTED"
    frozen = await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 7, [row("3.3")])
    assert codes(frozen) == ["DECLARATION_ACCEPTED"]

    history = (await api.data(READ, {"org": ZZ_SCHOOL_2}, city))["declaration"]["history"]
    story = [(h["statusChange"] or h["rowChange"], h["actor"]["username"]) for h in history]
    assert story == [("CREATE", ZZ_SCHOOL_2), ("SUBMIT", ZZ_SCHOOL_2), ("RETURN", ZHENGZHOU),
                     ("UPDATE", ZZ_SCHOOL_2), ("SUBMIT", ZZ_SCHOOL_2), ("APPROVE", ZHENGZHOU),
                     ("ACCEPT", PROVINCE)]
    assert history[2]["reason"] == "经费来源填写不完整"
    assert history[3]["before"] == {"quantity": 2, "schoolSelf": "5.00"}
    assert history[0]["before"] is None and history[0]["after"]["quantity"] == 2


async def test_nobody_fills_in_someone_elses_form(api: Api) -> None:
    # A school for another school, a city for its school, a school by an unknown code.
    other = await save(api, ZZ_SCHOOL, ZZ_SCHOOL_2, 0, [row("3.2")])
    by_city = await save(api, ZHENGZHOU, ZZ_SCHOOL_2, 0, [row("3.2")])
    own = await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("3.2")])

    assert codes(other) == ["NOT_FOUND"]  # another school does not even exist for it
    assert codes(by_city) == ["FORBIDDEN"]
    assert own["errors"] == []
    assert await Undertaking.filter(organization__code=ZZ_SCHOOL_2).count() == 1


async def test_city_returns_only_its_own_schools(api: Api) -> None:
    await save(api, LY_SCHOOL, LY_SCHOOL, 0, [row("3.2")])
    await api.data(SUBMIT, {"org": LY_SCHOOL, "v": 1}, await api.token(LY_SCHOOL))

    neighbour = (await api.data(RETURN, {"org": LY_SCHOOL, "v": 2, "reason": "x"},
                                await api.token(ZHENGZHOU)))["returnDeclaration"]
    own_city = (await api.data(RETURN, {"org": LY_SCHOOL, "v": 2, "reason": "请补充"},
                               await api.token(LUOYANG)))["returnDeclaration"]

    assert codes(neighbour) == ["NOT_FOUND"]
    assert own_city["errors"] == [] and own_city["declaration"]["status"] == "RETURNED"


async def test_only_the_province_accepts(api: Api) -> None:
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("3.2")])
    await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 1}, await api.token(ZZ_SCHOOL_2))

    by_city = await api.post(ACCEPT, {"org": ZZ_SCHOOL_2, "v": 2}, await api.token(ZHENGZHOU))
    await api.data(APPROVE, {"org": ZZ_SCHOOL_2, "v": 2}, await api.token(ZHENGZHOU))
    by_province = await api.data(ACCEPT, {"org": ZZ_SCHOOL_2, "v": 3},
                                 await api.token(PROVINCE))

    assert by_city["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_province["acceptDeclaration"]["declaration"]["status"] == "ACCEPTED"


async def test_province_declares_provincial_items_only(api: Api) -> None:
    school_item = await save(api, PROVINCE, PROVINCE, 0, [row("3.2")])
    provincial = await save(api, PROVINCE, PROVINCE, 0, [row("1", 1, provincial="500"),
                                                          row("34", 6000)])

    assert codes(school_item) == ["ITEM_NOT_ELIGIBLE"]
    assert provincial["errors"] == []
    assert [u["item"]["number"] for u in provincial["declaration"]["undertakings"]] == ["1", "34"]


async def test_higher_school_sees_higher_items(api: Api) -> None:
    result = await save(api, HIGHER_SCHOOL, HIGHER_SCHOOL, 0, [row("11.1"), row("7.1")])

    assert [(e["field"][1], e["code"]) for e in result["errors"]] == [("1", "ITEM_NOT_ELIGIBLE")]
