"""Test steps of the review chain, shared by the tests that need a confirmed form: the school's
city bureau approves (审核通过) where the city step applies, then the province confirms."""

from __future__ import annotations

from typing import Any

from tests.conftest import PROVINCE, Api

PARENT = """query($code: String!) { organization(code: $code) { parent { code kind } } }"""

APPROVE = """
mutation($org: String!, $v: Int, $remark: String) {
  approveDeclaration(organizationCode: $org, version: $v, remark: $remark) {
    declaration { status version cityApprovedAt } errors { field code message } }
}"""

CONFIRM = """
mutation($org: String!, $v: Int) {
  acceptDeclaration(organizationCode: $org, version: $v) {
    declaration { status version } errors { field code message } }
}"""

APPROVE_REPORT = """
mutation($org: String!, $year: Int!, $v: Int, $remark: String) {
  approveReport(organizationCode: $org, year: $year, version: $v, remark: $remark) {
    report { status version } errors { field code message } }
}"""

CONFIRM_REPORT = """
mutation($org: String!, $year: Int!, $v: Int) {
  acceptReport(organizationCode: $org, year: $year, version: $v) {
    report { status version } errors { field code message } }
}"""


async def city_of(api: Api, school: str) -> str | None:
    """The code (and login) of the school's city bureau; None directly under the province."""
    data = await api.data(PARENT, {"code": school}, await api.token(PROVINCE))
    parent = data["organization"]["parent"]
    return parent["code"] if parent and parent["kind"] == "CITY" else None


async def confirm(api: Api, school: str) -> dict[str, Any]:
    """The submitted declaration approved by its city (where that applies), then confirmed."""
    city = await city_of(api, school)
    if city is not None:
        approved = (await api.data(APPROVE, {"org": school}, await api.token(city)))[
            "approveDeclaration"]
        assert approved["errors"] == [], approved
    done = (await api.data(CONFIRM, {"org": school}, await api.token(PROVINCE)))[
        "acceptDeclaration"]
    assert done["errors"] == [] and done["declaration"]["status"] == "ACCEPTED", done
    declaration: dict[str, Any] = done["declaration"]
    return declaration


async def confirm_report(api: Api, school: str, year: int) -> dict[str, Any]:
    city = await city_of(api, school)
    if city is not None:
        approved = (await api.data(APPROVE_REPORT, {"org": school, "year": year},
                                   await api.token(city)))["approveReport"]
        assert approved["errors"] == [], approved
    done = (await api.data(CONFIRM_REPORT, {"org": school, "year": year},
                           await api.token(PROVINCE)))["acceptReport"]
    assert done["errors"] == [] and done["report"]["status"] == "ACCEPTED", done
    report: dict[str, Any] = done["report"]
    return report
