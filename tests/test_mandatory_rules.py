"""The must-undertake-all rule holds over time (issue #11, point 4), over HTTP with real logins.

A catalog change or an approved withdrawal that would leave a must-undertake-all school whose
form is submitted or beyond missing an item is refused with MANDATORY_RULE_BROKEN naming the
schools, and changes nothing; with the province's confirmReason it is made, the reason kept,
and the school flagged in `compliance` (and not asked the item again at submission). Schools
still drafting are not named: their submit check asks for the item. The importer imports a
高职 or 职业大学 marked 否 (or blank) as must undertake all, with a warning for that line.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from models import MandatoryConfirmation, Organization, TaskEntry, Undertaking, status_feed
from models.importer import import_organizations
from models.mandatory import rule_lock
from tests.chain import confirm
from tests.conftest import HIGHER_SCHOOL, PROVINCE, ZZ_SCHOOL, ZZ_SCHOOL_2, Api
from tests.test_catalog_upkeep import ADD, RESTORE, RETIRE, UPDATE, keep_window_open
from tests.test_change_requests import DECLARATION, ask, close_declarations
from tests.test_declarations import SUBMIT, row, save
from tests.test_import import HEADER, write_csv

MISSING = """query($org: String) { declaration(organizationCode: $org) {
  missingMandatoryItems { number } } }"""

COMPLIANCE = """
query { compliance {
  missingMandatory { school { code } missingItems { number }
    confirmed { item { number } source reason confirmedBy { username organizationName } } }
} }"""

ADD_CONFIRMED = """
mutation($number: String!, $reason: String) {
  addTaskEntry(number: $number, title: "培育劳动教育特色项目", level: SCHOOL,
               schoolTypes: [HIGHER, SECONDARY], confirmReason: $reason) {
    entry { number } errors { field code message } } }"""

UPDATE_CONFIRMED = """
mutation($number: String!, $changes: TaskEntryChangesInput!, $reason: String) {
  updateTaskEntry(number: $number, changes: $changes, confirmReason: $reason) {
    entry { level } errors { field code message } } }"""

DECIDE = """
mutation($id: ID!, $confirm: String) {
  decideChangeRequest(id: $id, approve: true, confirmReason: $confirm) {
    changeRequest { status } errors { field code message } } }"""


async def declare_everything(api: Api, school: str) -> None:
    """The bound school declares every item shown to it and submits."""
    token = await api.token(school)
    shown = (await api.data(MISSING, {"org": school}, token))["declaration"]
    numbers = [e["number"] for e in shown["missingMandatoryItems"]]
    assert numbers, "a bound school is shown items"
    assert (await save(api, school, school, 0, [row(n) for n in numbers]))["errors"] == []
    submitted = (await api.data(SUBMIT, {"org": school, "v": 1}, token))["submitDeclaration"]
    assert submitted["errors"] == [], submitted


async def province(api: Api, query: str, name: str, **variables: Any) -> dict[str, Any]:
    data = await api.data(query, variables, await api.token(PROVINCE))
    return dict(data[name])


async def compliance_of(api: Api, school: str) -> dict[str, Any] | None:
    report = (await api.data(COMPLIANCE, None, await api.token(PROVINCE)))["compliance"]
    found = [m for m in report["missingMandatory"] if m["school"]["code"] == school]
    return found[0] if found else None


async def test_a_new_item_that_an_accepted_bound_school_lacks_needs_a_confirmed_reason(
        api: Api) -> None:
    # Given an accepted 高职 that must undertake all, and a bound 中职 still drafting
    await keep_window_open()
    await declare_everything(api, HIGHER_SCHOOL)
    await confirm(api, HIGHER_SCHOOL)
    assert (await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row("3.2")]))["errors"] == []
    count = await TaskEntry.all().count()

    # When the province adds 3.4 for every school type, without a reason
    refused = await province(api, ADD, "addTaskEntry", number="3.4", title="培育劳动教育特色项目",
                             level="SCHOOL", types=["HIGHER", "SECONDARY"])

    # Then refused, naming the accepted school only, and nothing added
    assert refused["entry"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        (["confirmReason"], "MANDATORY_RULE_BROKEN")]
    message = refused["errors"][0]["message"]
    assert HIGHER_SCHOOL in message and "3.4" in message and ZZ_SCHOOL not in message
    assert await TaskEntry.all().count() == count
    assert not await MandatoryConfirmation.exists()

    # When it adds it again with a reason
    added = await province(api, ADD_CONFIRMED, "addTaskEntry", number="3.4",
                           reason="教育部新增任务，2021年补报")

    # Then the item is added, and compliance flags the school with the reason
    assert added["errors"] == [] and added["entry"]["number"] == "3.4"
    flagged = await compliance_of(api, HIGHER_SCHOOL)
    assert flagged is not None
    assert [e["number"] for e in flagged["missingItems"]] == ["3.4"]
    assert flagged["confirmed"] == [{
        "item": {"number": "3.4"}, "source": "CATALOG", "reason": "教育部新增任务，2021年补报",
        "confirmedBy": {"username": PROVINCE, "organizationName": "河南省教育厅职成教处"}}]
    # And the school is not asked for it again, while the drafting school is
    shown = (await api.data(MISSING, {"org": HIGHER_SCHOOL}, await api.token(HIGHER_SCHOOL)))
    assert shown["declaration"]["missingMandatoryItems"] == []
    drafting = (await api.data(MISSING, {"org": ZZ_SCHOOL}, await api.token(ZZ_SCHOOL)))
    assert "3.4" in {e["number"] for e in drafting["declaration"]["missingMandatoryItems"]}


async def test_making_a_provincial_item_a_school_item_is_refused_then_confirmed(
        api: Api) -> None:
    # Given an accepted bound 高职, and provincial item 1
    await keep_window_open()
    await declare_everything(api, HIGHER_SCHOOL)
    await confirm(api, HIGHER_SCHOOL)
    assert (await TaskEntry.get(number="1")).level == "province"

    # When the province turns item 1 into a school item for 高职
    refused = await province(api, UPDATE, "updateTaskEntry", number="1",
                             changes={"level": "SCHOOL", "schoolTypes": ["HIGHER"]})

    # Then MANDATORY_RULE_BROKEN naming the school; the item is still provincial
    assert [e["code"] for e in refused["errors"]] == ["MANDATORY_RULE_BROKEN"]
    assert HIGHER_SCHOOL in refused["errors"][0]["message"]
    assert (await TaskEntry.get(number="1")).level == "province"
    # While a harmless change of the same item passes without a reason
    renamed = await province(api, UPDATE, "updateTaskEntry", number="1",
                             changes={"targetQuantity": 7})
    assert renamed["errors"] == []

    # When it confirms with a reason
    confirmed = await province(api, UPDATE_CONFIRMED, "updateTaskEntry", number="1",
                               changes={"level": "SCHOOL", "schoolTypes": ["HIGHER"]},
                               reason="省里统筹")

    # Then the change is made and the school flagged
    assert confirmed["errors"] == []
    assert (await TaskEntry.get(number="1")).level == "school"
    flagged = await compliance_of(api, HIGHER_SCHOOL)
    assert flagged is not None and [c["item"]["number"] for c in flagged["confirmed"]] == ["1"]


async def test_restoring_an_item_after_submission_is_held_to_the_rule(api: Api) -> None:
    # Given item 3.3 retired, then a bound 高职 submits (not yet accepted)
    await keep_window_open()
    assert (await province(api, RETIRE, "retireTaskEntry", number="3.3"))["errors"] == []
    await declare_everything(api, HIGHER_SCHOOL)

    # When the province brings 3.3 back
    refused = await province(api, RESTORE, "restoreTaskEntry", number="3.3")

    # Then it is refused (a submitted form counts) and 3.3 stays retired
    assert [e["code"] for e in refused["errors"]] == ["MANDATORY_RULE_BROKEN"]
    assert (await TaskEntry.get(number="3.3")).retired_at is not None


async def test_an_approved_withdrawal_by_a_bound_school_needs_a_confirmed_reason(
        api: Api) -> None:
    # Given a bound 中职 of 郑州 declared everything, approved by its city, accepted by the
    # province, and the deadline passed; and an unbound school with an accepted form
    await keep_window_open()
    await declare_everything(api, ZZ_SCHOOL)
    await confirm(api, ZZ_SCHOOL)
    assert (await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("3.2")]))["errors"] == []
    token = await api.token(ZZ_SCHOOL_2)
    assert (await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 1}, token))[
        "submitDeclaration"]["errors"] == []
    await confirm(api, ZZ_SCHOOL_2)
    await close_declarations(api)
    ids = {u["item"]["number"]: u["id"] for u in (await api.data(
        DECLARATION, {"org": ZZ_SCHOOL}, await api.token(ZZ_SCHOOL)))["declaration"][
        "undertakings"]}
    free = {u["item"]["number"]: u["id"] for u in (await api.data(
        DECLARATION, {"org": ZZ_SCHOOL_2}, token))["declaration"]["undertakings"]}

    # When the bound school asks to withdraw 3.2 and the province approves without a reason
    request = (await ask(api, ZZ_SCHOOL, ids["3.2"], kind="WITHDRAW", reason="场地未落实"))
    assert request["errors"] == []
    refused = await province(api, DECIDE, "decideChangeRequest",
                             id=request["changeRequest"]["id"], confirm=None)

    # Then MANDATORY_RULE_BROKEN; the request stays pending and the undertaking stays
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        (["confirmReason"], "MANDATORY_RULE_BROKEN")]
    assert ZZ_SCHOOL in refused["errors"][0]["message"]
    held = await Undertaking.get(organization__code=ZZ_SCHOOL, item__number="3.2")
    assert held.withdrawn_at is None
    # While the unbound school's withdrawal passes without any reason
    other = await ask(api, ZZ_SCHOOL_2, free["3.2"], kind="WITHDRAW", reason="放弃")
    passed = await province(api, DECIDE, "decideChangeRequest",
                            id=other["changeRequest"]["id"], confirm=None)
    assert passed["errors"] == [] and passed["changeRequest"]["status"] == "APPROVED"

    # When the province approves with a reason
    approved = await province(api, DECIDE, "decideChangeRequest",
                              id=request["changeRequest"]["id"], confirm="场地调整，同意放弃")

    # Then the withdrawal applies and the school is flagged in compliance
    assert approved["errors"] == [] and approved["changeRequest"]["status"] == "APPROVED"
    flagged = await compliance_of(api, ZZ_SCHOOL)
    assert flagged is not None
    assert [(c["item"]["number"], c["source"], c["reason"]) for c in flagged["confirmed"]] == [
        ("3.2", "CHANGE_REQUEST", "场地调整，同意放弃")]
    assert await compliance_of(api, ZZ_SCHOOL_2) is None


async def test_the_importer_binds_higher_schools_with_a_warning_per_line(
        db: None, tmp_path: Path) -> None:
    # Given a file with a 高职 and a 职业大学 marked 否 or blank, a 中职 marked 否
    rows = [HEADER,
            ["4100000011", "河南某职业学院", "高职", "省直", "否"],
            ["4100000012", "河南某职业大学", "职业大学", "", ""],
            ["4101000013", "郑州某中专", "中职", "郑州市", "否"],
            ["4100000014", "河南某高等专科学校", "高职", "省直", "是"]]

    # When it is imported
    report = await import_organizations(write_csv(tmp_path / "orgs.csv", rows))

    # Then the 高职 and the 职业大学 are bound, each with a warning on its own line
    assert report.ok, report.errors
    assert [(w.line, w.column) for w in report.warnings] == [
        (2, "must_undertake_all"), (3, "must_undertake_all")]
    assert all("已按“是”导入" in w.message for w in report.warnings)
    assert any("第2行" in line for line in report.lines())
    bound = {o.code: o.must_undertake_all for o in await Organization.filter(
        code__in=["4100000011", "4100000012", "4101000013", "4100000014"])}
    assert bound == {"4100000011": True, "4100000012": True, "4101000013": False,
                     "4100000014": True}


async def test_submissions_share_the_rule_lock_and_a_change_waits_for_them(api: Api) -> None:
    """The write skew between a submission and a catalog change (each checking before the
    other committed) cannot happen: on PostgreSQL they take turns on the rule's lock, while
    submissions run side by side. (SQLite serialises writing transactions anyway.)"""
    if not status_feed.on_postgres():
        pytest.skip("SQLite: one writing transaction at a time, no lock needed")
    order: list[str] = []
    submitted = asyncio.Event()  # both submissions hold the shared lock

    async def submission(name: str) -> None:
        async with in_transaction():
            await rule_lock(exclusive=False)
            order.append(f"{name} locked")
            if sum(o.endswith("locked") for o in order) == 2:
                submitted.set()
            # Long enough for the other to take the lock too (a loaded machine once needed
            # more than 0.4 s); if it could not (an exclusive wait), the test fails here.
            await asyncio.wait_for(submitted.wait(), timeout=10)
            await asyncio.sleep(0.2)
            order.append(f"{name} done")

    async def change() -> None:
        await submitted.wait()
        async with in_transaction():
            await rule_lock(exclusive=True)
            order.append("change locked")

    await asyncio.gather(submission("a"), submission("b"), change())

    assert set(order[:2]) == {"a locked", "b locked"}, order  # shared: neither waited
    assert order[-1] == "change locked", order  # exclusive: after both committed
