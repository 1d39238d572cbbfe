"""The province office's corrections to the task catalog, over HTTP with real logins.

It corrects an item's level, target, unit and eligible school types, adds items ("57",
"3.4") and retires items while nobody undertakes them. Once an item is undertaken, a change
that would invalidate an undertaking (a school item made provincial, a school type removed
that a holder is of, retiring it) is refused with ITEM_IN_USE naming the organisations;
harmless changes pass. Schools and cities get FORBIDDEN. A retired item cannot be newly
undertaken and leaves the catalog unless includeRetired.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise import connections

import models.declarations
from models import Campaign, TaskEntry, Undertaking
from tests.conftest import (
    HIGHER_SCHOOL,
    LY_SCHOOL,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    Api,
)

ENTRY_FIELDS = "number title isGroup level targetQuantity targetUnit schoolTypes retiredAt"

UPDATE = f"""
mutation($number: String!, $changes: TaskEntryChangesInput!) {{
  updateTaskEntry(number: $number, changes: $changes) {{
    entry {{ {ENTRY_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

ADD = f"""
mutation($number: String!, $title: String!, $level: TaskLevel!, $types: [SchoolType!]!,
         $target: Int, $unit: String) {{
  addTaskEntry(number: $number, title: $title, level: $level, schoolTypes: $types,
               targetQuantity: $target, targetUnit: $unit) {{
    entry {{ {ENTRY_FIELDS} parent {{ number }} }}
    errors {{ field code message }}
  }}
}}"""

RETIRE = f"""
mutation($number: String!) {{
  retireTaskEntry(number: $number) {{
    entry {{ {ENTRY_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

RESTORE = f"""
mutation($number: String!) {{
  restoreTaskEntry(number: $number) {{
    entry {{ {ENTRY_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

CATALOG = """
query($type: SchoolType, $retired: Boolean!) {
  taskCatalog(schoolType: $type, includeRetired: $retired) {
    number isGroup retiredAt schoolTypes
    children { number retiredAt schoolTypes parent { number } }
  }
}"""

TASK_ENTRY = f"""
query($number: String!) {{ taskEntry(number: $number) {{ {ENTRY_FIELDS} }} }}"""

SAVE = """
mutation($input: SaveUndertakingsInput!) {
  saveUndertakings(input: $input) {
    declaration { version undertakings { quantity item { number } } }
    errors { field code message }
  }
}"""

MISSING = """
{ declaration { missingMandatoryItems { number } } }"""


# --- helpers --------------------------------------------------------------------------------


async def keep_window_open() -> None:
    now = datetime.now(UTC)
    await Campaign.all().update(declaration_opens_at=now - timedelta(days=1),
                                declaration_closes_at=now + timedelta(days=1))


async def call(api: Api, query: str, name: str, username: str,
               **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(query, variables, await api.token(username)))[name]
    return result


async def update(api: Api, number: str, username: str = PROVINCE,
                 **changes: Any) -> dict[str, Any]:
    return await call(api, UPDATE, "updateTaskEntry", username, number=number, changes=changes)


async def add(api: Api, number: str, username: str = PROVINCE, title: str = "新增任务",
              level: str = "SCHOOL", types: list[str] | None = None, target: int | None = None,
              unit: str | None = None) -> dict[str, Any]:
    return await call(api, ADD, "addTaskEntry", username, number=number, title=title,
                      level=level, types=["SECONDARY"] if types is None else types,
                      target=target, unit=unit)


async def save(api: Api, username: str, rows: dict[str, int | None]) -> dict[str, Any]:
    """Save rows of the caller's own declaration at its current version (None removes)."""
    token = await api.token(username)
    current = (await api.data("{ declaration { version } }", token=token))["declaration"]
    variables = {"input": {"organizationCode": username, "version": current["version"],
                           "rows": [{"itemNumber": n, "quantity": q} if q is not None else
                                    {"itemNumber": n, "remove": True}
                                    for n, q in rows.items()]}}
    result: dict[str, Any] = (await api.data(SAVE, variables, token))["saveUndertakings"]
    return result


async def undertake(api: Api, username: str, *numbers: str) -> None:
    saved = await save(api, username, dict.fromkeys(numbers, 1))
    assert saved["errors"] == [], saved


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def top_level_codes(body: dict[str, Any]) -> list[str | None]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


async def catalog_numbers(api: Api, username: str = PROVINCE, *, retired: bool = False,
                          school_type: str | None = None) -> list[str]:
    """Every number the catalog shows, headings and their items, in order."""
    catalog = (await api.data(CATALOG, {"type": school_type, "retired": retired},
                              await api.token(username)))["taskCatalog"]
    numbers = []
    for entry in catalog:
        numbers.append(entry["number"])
        numbers.extend(child["number"] for child in entry["children"])
    return numbers


async def entry_row(number: str) -> TaskEntry:
    return await TaskEntry.get(number=number)


async def snapshot(number: str) -> tuple[Any, ...]:
    e = await entry_row(number)
    return (e.title, e.level, e.target_quantity, e.target_unit, e.for_higher, e.for_secondary,
            e.for_university, e.retired_at, e.is_group)


# --- corrections of unused items ------------------------------------------------------------


async def test_the_province_corrects_an_unused_item(api: Api) -> None:
    # Given item 3.3, a school item for all school types that nobody undertakes
    await keep_window_open()
    assert (await entry_row("3.3")).level == "school"

    # When the province corrects its level, target, unit and school types
    result = await update(api, "3.3", level="PROVINCE", targetQuantity=120, targetUnit="项",
                          schoolTypes=["SECONDARY", "HIGHER"])

    # Then the entry is corrected, as answered, as stored and as read back
    assert result["errors"] == []
    expected = {"number": "3.3", "title": "遴选100个左右德育特色案例", "isGroup": False,
                "level": "PROVINCE", "targetQuantity": 120, "targetUnit": "项",
                "schoolTypes": ["HIGHER", "SECONDARY"], "retiredAt": None}
    assert result["entry"] == expected
    read = (await api.data(TASK_ENTRY, {"number": "3.3"}, await api.token(ZZ_SCHOOL)))
    assert read["taskEntry"] == expected
    stored = await entry_row("3.3")
    assert (stored.level, stored.target_quantity, stored.target_unit) == ("province", 120, "项")
    assert (stored.for_higher, stored.for_secondary, stored.for_university) == (
        True, True, False)
    # And a school can no longer undertake it, while the province office can
    refused = await save(api, ZZ_SCHOOL_2, {"3.3": 1})
    assert codes(refused) == ["PROVINCIAL_ITEM"]
    taken = await save(api, PROVINCE, {"3.3": 1})
    assert taken["errors"] == []


async def test_the_province_clears_a_target_and_renames_an_item(api: Api) -> None:
    # Given item 17 with a national target of 500 个
    assert (await entry_row("17")).target_quantity == 500

    # When the province clears the target and rewords the title
    result = await update(api, "17", clearTarget=True, title="  引导建设示范性职工培训基地  ")

    # Then the target is gone and the title trimmed, the rest unchanged
    assert result["errors"] == []
    assert result["entry"]["title"] == "引导建设示范性职工培训基地"
    assert (result["entry"]["targetQuantity"], result["entry"]["targetUnit"]) == (None, None)
    assert result["entry"]["level"] == "SCHOOL"
    # While a target that is not a positive count is refused and changes nothing
    before = await snapshot("17")
    refused = await update(api, "17", targetQuantity=0)
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        (["targetQuantity"], "INVALID_VALUE")]
    assert await snapshot("17") == before


async def test_an_item_keeps_at_least_one_school_type(api: Api) -> None:
    # Given item 3.3, unused
    before = await snapshot("3.3")

    # When the province removes every school type
    refused = await update(api, "3.3", schoolTypes=[])

    # Then INVALID_VALUE on schoolTypes, and nothing changed
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        (["schoolTypes"], "INVALID_VALUE")]
    assert await snapshot("3.3") == before
    # While one type is accepted
    narrowed = await update(api, "3.3", schoolTypes=["UNIVERSITY"])
    assert narrowed["entry"]["schoolTypes"] == ["UNIVERSITY"]


async def test_a_unit_too_long_to_store_is_refused(api: Api) -> None:
    # Given item 3.3 with the unit 个
    before = await snapshot("3.3")

    # When the province sets a unit longer than the eight characters a unit is stored in
    refused = await update(api, "3.3", targetUnit="个示范性德育特色案例")

    # Then INVALID_VALUE on targetUnit (not an internal error, not a silent overlong value)
    assert codes(refused) == ["INVALID_VALUE"], refused
    assert refused["errors"][0]["field"] == ["targetUnit"]
    assert await snapshot("3.3") == before
    # While a short unit is taken
    taken = await update(api, "3.3", targetUnit="项")
    assert taken["errors"] == [] and taken["entry"]["targetUnit"] == "项"


# --- adding items ---------------------------------------------------------------------------


async def test_the_province_adds_items_57_and_3_4(api: Api) -> None:
    # Given the catalog ends at 56 and heading 3 holds 3.1 to 3.3
    await keep_window_open()

    # When the province adds 57 (a top-level item) and 3.4 (under heading 3)
    top = await add(api, "57", title="建设100个左右职业教育示范性虚拟教研室", target=100,
                    unit="个", types=["SECONDARY", "HIGHER"])
    child = await add(api, "3.4", title="培育50个左右劳动教育特色项目", target=50, unit="个",
                      types=["SECONDARY"])

    # Then both exist with what was given, 3.4 under heading 3
    assert top["errors"] == [] and child["errors"] == []
    assert top["entry"] == {
        "number": "57", "title": "建设100个左右职业教育示范性虚拟教研室", "isGroup": False,
        "level": "SCHOOL", "targetQuantity": 100, "targetUnit": "个",
        "schoolTypes": ["HIGHER", "SECONDARY"], "retiredAt": None, "parent": None}
    assert child["entry"]["parent"] == {"number": "3"}
    assert child["entry"]["schoolTypes"] == ["SECONDARY"]
    # And the catalog shows them in number order
    numbers = await catalog_numbers(api)
    assert numbers[-1] == "57"
    assert numbers[numbers.index("3"):numbers.index("4")] == ["3", "3.1", "3.2", "3.3", "3.4"]
    # And a secondary school undertakes them, while a higher school cannot take 3.4
    taken = await save(api, ZZ_SCHOOL_2, {"3.4": 2, "57": 1})
    assert taken["errors"] == []
    refused = await save(api, HIGHER_SCHOOL, {"3.4": 1})
    assert codes(refused) == ["ITEM_NOT_ELIGIBLE"]
    # And a school that must undertake everything shown to it now lacks them
    missing = (await api.data(MISSING, token=await api.token(ZZ_SCHOOL)))["declaration"]
    assert {"3.4", "57"} <= {e["number"] for e in missing["missingMandatoryItems"]}


@pytest.mark.parametrize(("number", "title", "types", "target", "field", "code"), [
    ("3.1", "重复", ["SECONDARY"], None, "number", "DUPLICATE"),
    ("56", "重复", ["SECONDARY"], None, "number", "DUPLICATE"),
    ("8.1", "无上级", ["SECONDARY"], None, "number", "INVALID_VALUE"),
    ("3.a", "格式错误", ["SECONDARY"], None, "number", "INVALID_VALUE"),
    ("58", "  ", ["SECONDARY"], None, "title", "INVALID_VALUE"),
    ("58", "无类型", [], None, "schoolTypes", "INVALID_VALUE"),
    ("58", "目标为零", ["SECONDARY"], 0, "targetQuantity", "INVALID_VALUE"),
    ("58", "目标为负", ["SECONDARY"], -5, "targetQuantity", "INVALID_VALUE"),
])
async def test_adding_a_bad_item_is_refused(api: Api, number: str, title: str,
                                            types: list[str], target: int | None, field: str,
                                            code: str) -> None:
    # Given the seeded catalog
    count = await TaskEntry.all().count()

    # When the province adds a taken number, a malformed one, or an item missing its parts
    refused = await add(api, number, title=title, types=types, target=target)

    # Then refused on the field at fault, and nothing added
    assert refused["entry"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [([field], code)], refused
    assert await TaskEntry.all().count() == count
    # While a well-formed new item is added
    added = await add(api, "58", title="新增任务", types=["SECONDARY"], target=10)
    assert added["errors"] == [] and await TaskEntry.all().count() == count + 1


# --- retiring -------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["17", "3.3"])
async def test_a_retired_item_leaves_the_catalog_and_cannot_be_undertaken(
        api: Api, number: str) -> None:
    # Given an item nobody undertakes (17 top-level, 3.3 under heading 3)
    await keep_window_open()
    assert number in await catalog_numbers(api)

    # When the province retires it
    retired = await call(api, RETIRE, "retireTaskEntry", PROVINCE, number=number)

    # Then it is marked retired
    assert retired["errors"] == [] and retired["entry"]["retiredAt"] is not None
    assert (await entry_row(number)).retired_at is not None
    # And a school cannot newly undertake it, nor must it
    refused = await save(api, ZZ_SCHOOL_2, {number: 1})
    assert codes(refused) == ["ITEM_NOT_ELIGIBLE"]
    assert not await Undertaking.exists(item__number=number)
    missing = (await api.data(MISSING, token=await api.token(ZZ_SCHOOL)))["declaration"]
    assert number not in {e["number"] for e in missing["missingMandatoryItems"]}
    # And the catalog no longer shows it, to the province or to a school, unless asked
    assert number in await catalog_numbers(api, retired=True)
    assert number not in await catalog_numbers(api)
    assert number not in await catalog_numbers(api, ZZ_SCHOOL, school_type="SECONDARY")
    # While once restored it is shown and undertaken again
    restored = await call(api, RESTORE, "restoreTaskEntry", PROVINCE, number=number)
    assert restored["entry"]["retiredAt"] is None
    assert number in await catalog_numbers(api)
    assert (await save(api, ZZ_SCHOOL_2, {number: 1}))["errors"] == []


async def test_retiring_a_heading_retires_its_items_and_restoring_brings_them_back(
        api: Api) -> None:
    # Given heading 3 and its items, which nobody undertakes
    await keep_window_open()

    # When the province retires the heading
    retired = await call(api, RETIRE, "retireTaskEntry", PROVINCE, number="3")

    # Then the heading and its items are retired and not undertakable
    assert retired["errors"] == []
    assert await TaskEntry.filter(number__in=["3", "3.1", "3.2", "3.3"],
                                  retired_at=None).count() == 0
    assert "3" not in await catalog_numbers(api)
    assert codes(await save(api, ZZ_SCHOOL_2, {"3.1": 1})) == ["ITEM_NOT_ELIGIBLE"]

    # When it restores the heading
    await call(api, RESTORE, "restoreTaskEntry", PROVINCE, number="3")

    # Then the items it retired with it come back too
    assert await TaskEntry.filter(number__in=["3", "3.1", "3.2", "3.3"],
                                  retired_at=None).count() == 4
    numbers = await catalog_numbers(api)
    assert numbers[numbers.index("3"):numbers.index("4")] == ["3", "3.1", "3.2", "3.3"]
    assert (await save(api, ZZ_SCHOOL_2, {"3.1": 1}))["errors"] == []


# --- items in use ---------------------------------------------------------------------------


async def test_a_school_item_in_use_cannot_become_provincial(api: Api) -> None:
    # Given item 3.1 undertaken by two schools of two cities
    await keep_window_open()
    await undertake(api, ZZ_SCHOOL_2, "3.1")
    await undertake(api, LY_SCHOOL, "3.1")
    before = await snapshot("3.1")

    # When the province makes it a provincial item
    refused = await update(api, "3.1", level="PROVINCE")

    # Then ITEM_IN_USE naming both schools (and no other), and nothing changed
    assert refused["entry"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["number"], "ITEM_IN_USE")]
    message = refused["errors"][0]["message"]
    assert ZZ_SCHOOL_2 in message and LY_SCHOOL in message
    assert ZZ_SCHOOL not in message and HIGHER_SCHOOL not in message
    assert await snapshot("3.1") == before
    assert await Undertaking.filter(item__number="3.1").count() == 2
    # While once both have given it up, the change passes
    await save(api, ZZ_SCHOOL_2, {"3.1": None})
    await save(api, LY_SCHOOL, {"3.1": None})
    allowed = await update(api, "3.1", level="PROVINCE")
    assert allowed["errors"] == [] and allowed["entry"]["level"] == "PROVINCE"


async def test_a_provincial_item_in_use_cannot_become_a_school_item(api: Api) -> None:
    # Given provincial item 1 in the province office's own declaration
    await keep_window_open()
    await undertake(api, PROVINCE, "1")

    # When the province makes it a school item
    refused = await update(api, "1", level="SCHOOL")

    # Then ITEM_IN_USE naming the province office
    assert codes(refused) == ["ITEM_IN_USE"]
    assert PROVINCE in refused["errors"][0]["message"]
    assert (await entry_row("1")).level == "province"
    # While an unused provincial item (2) may become a school item
    allowed = await update(api, "2", level="SCHOOL")
    assert allowed["errors"] == [] and allowed["entry"]["level"] == "SCHOOL"


async def test_a_school_type_in_use_cannot_be_removed(api: Api) -> None:
    # Given item 3.1 undertaken by a secondary school and by a higher vocational school
    await keep_window_open()
    await undertake(api, ZZ_SCHOOL_2, "3.1")
    await undertake(api, HIGHER_SCHOOL, "3.1")
    before = await snapshot("3.1")

    # When the province removes the secondary type, then (separately) the higher type
    no_secondary = await update(api, "3.1", schoolTypes=["HIGHER", "UNIVERSITY"])
    no_higher = await update(api, "3.1", schoolTypes=["SECONDARY", "UNIVERSITY"])

    # Then each is refused with ITEM_IN_USE naming only the school of the removed type
    assert codes(no_secondary) == codes(no_higher) == ["ITEM_IN_USE"]
    message = no_secondary["errors"][0]["message"]
    assert ZZ_SCHOOL_2 in message and HIGHER_SCHOOL not in message
    message = no_higher["errors"][0]["message"]
    assert HIGHER_SCHOOL in message and ZZ_SCHOOL_2 not in message
    assert await snapshot("3.1") == before
    # While removing the type no holder is of (university) passes
    allowed = await update(api, "3.1", schoolTypes=["SECONDARY", "HIGHER"])
    assert allowed["errors"] == [] and allowed["entry"]["schoolTypes"] == ["HIGHER", "SECONDARY"]


async def test_an_item_in_use_cannot_be_retired(api: Api) -> None:
    # Given item 3.1 undertaken by one school
    await keep_window_open()
    await undertake(api, ZZ_SCHOOL_2, "3.1")

    # When the province retires the item, or its heading 3
    item = await call(api, RETIRE, "retireTaskEntry", PROVINCE, number="3.1")
    heading = await call(api, RETIRE, "retireTaskEntry", PROVINCE, number="3")

    # Then both are refused with ITEM_IN_USE naming the school, and nothing is retired
    assert codes(item) == codes(heading) == ["ITEM_IN_USE"]
    assert ZZ_SCHOOL_2 in item["errors"][0]["message"]
    assert ZZ_SCHOOL_2 in heading["errors"][0]["message"]
    assert not await TaskEntry.filter(retired_at__isnull=False).exists()
    assert "3.1" in await catalog_numbers(api)
    # While an unused item of the same heading may be retired
    allowed = await call(api, RETIRE, "retireTaskEntry", PROVINCE, number="3.2")
    assert allowed["errors"] == [] and allowed["entry"]["retiredAt"] is not None


async def test_harmless_changes_to_an_item_in_use_pass(api: Api) -> None:
    # Given item 3.1 undertaken by a secondary and a higher vocational school
    await keep_window_open()
    await undertake(api, ZZ_SCHOOL_2, "3.1")
    await undertake(api, HIGHER_SCHOOL, "3.1")

    # When the province corrects its title, target and unit, and restates its level and types
    result = await update(api, "3.1", title="培育200所左右“三全育人”典型学校（修订）",
                          targetQuantity=250, targetUnit="个", level="SCHOOL",
                          schoolTypes=["HIGHER", "SECONDARY", "UNIVERSITY"])

    # Then the change passes and the undertakings stay
    assert result["errors"] == []
    assert (result["entry"]["title"], result["entry"]["targetQuantity"],
            result["entry"]["targetUnit"]) == ("培育200所左右“三全育人”典型学校（修订）", 250, "个")
    assert await Undertaking.filter(item__number="3.1").count() == 2
    # And the holders keep saving it
    assert (await save(api, ZZ_SCHOOL_2, {"3.1": 4}))["errors"] == []
    # While a change of level in the same request is still refused
    refused = await update(api, "3.1", targetQuantity=300, level="PROVINCE")
    assert codes(refused) == ["ITEM_IN_USE"]
    assert (await entry_row("3.1")).target_quantity == 250


async def test_widening_an_items_school_types_shows_it_to_that_type(api: Api) -> None:
    # Given item 7.1, for secondary schools only (its heading 7 too)
    await keep_window_open()
    assert "7.1" not in await catalog_numbers(api, HIGHER_SCHOOL, school_type="HIGHER")

    # When the province opens it to higher vocational schools
    result = await update(api, "7.1", schoolTypes=["SECONDARY", "HIGHER"])

    # Then a higher vocational school may undertake it and sees it in its catalog
    assert result["errors"] == []
    assert (await save(api, HIGHER_SCHOOL, {"7.1": 1}))["errors"] == []
    assert "7.1" in await catalog_numbers(api, HIGHER_SCHOOL, school_type="HIGHER")


async def test_the_catalog_shows_a_new_item_only_to_its_school_types(api: Api) -> None:
    # Given the province adds 3.4 for secondary schools only, under heading 3 (seen by all)
    added = await add(api, "3.4", types=["SECONDARY"])
    assert added["errors"] == []

    # When a secondary and a higher vocational school read their catalogs
    secondary = await catalog_numbers(api, ZZ_SCHOOL, school_type="SECONDARY")
    higher = await catalog_numbers(api, HIGHER_SCHOOL, school_type="HIGHER")

    # Then the secondary school sees 3.4 under heading 3, the higher school sees the heading
    # with its other items but not 3.4
    assert "3.4" in secondary
    assert {"3", "3.1", "3.2", "3.3"} <= set(higher)
    assert "3.4" not in higher


class HeldTransaction:
    """Holds a school's save just before its transaction (its rows already checked against
    the catalog) until released: the moment a concurrent catalog change can slip in."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.release = asyncio.Event()
        self.real = models.declarations.within_window

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        held = self

        class Context:
            async def __aenter__(self) -> Any:
                held.reached.set()
                await asyncio.wait_for(held.release.wait(), 5)
                self.inner = held.real(*args, **kwargs)
                return await self.inner.__aenter__()

            async def __aexit__(self, *exc: Any) -> Any:
                return await self.inner.__aexit__(*exc)

        return Context()


@pytest.mark.parametrize("change", ["retire", "make provincial", "remove the school type"])
async def test_a_change_racing_a_first_undertaking_leaves_nothing_invalid(
        api: Api, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    # Given a secondary school saving item 3.3, which nobody undertakes yet, held just before
    # it writes
    await keep_window_open()
    for user in (PROVINCE, ZZ_SCHOOL_2):
        await api.token(user)
    hold = HeldTransaction()
    monkeypatch.setattr(models.declarations, "within_window", hold)
    saving = asyncio.create_task(save(api, ZZ_SCHOOL_2, {"3.3": 1}))
    await asyncio.wait_for(hold.reached.wait(), 5)

    # When the province meanwhile retires 3.3, makes it provincial or removes secondary schools
    if change == "retire":
        changing = call(api, RETIRE, "retireTaskEntry", PROVINCE, number="3.3")
    elif change == "make provincial":
        changing = update(api, "3.3", level="PROVINCE")
    else:
        changing = update(api, "3.3", schoolTypes=["HIGHER", "UNIVERSITY"])
    if connections.get("default").capabilities.dialect == "sqlite":
        # A mutation runs in one transaction with its operation-log record, and on SQLite
        # that transaction holds the write lock from the start: the change waits for the
        # held save instead of slipping in (the race cannot happen there).
        pending = asyncio.create_task(changing)
        await asyncio.sleep(0.2)
        assert not pending.done()
        hold.release.set()
        saved, changed = await saving, await pending
    else:
        changed = await changing
        hold.release.set()
        saved = await saving

    # Then exactly one of the two goes through, and no undertaking is left invalid
    entry = await entry_row("3.3")
    held = await Undertaking.exists(item__number="3.3")
    invalid = {"retire": entry.retired_at is not None,
               "make provincial": entry.level == "province",
               "remove the school type": not entry.for_secondary}[change]
    assert not (held and invalid), (saved, changed)
    assert (saved["errors"] == []) != (changed["errors"] == []), (saved, changed)


# --- who may change the catalog -------------------------------------------------------------

MUTATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "update": (UPDATE, {"number": "3.3", "changes": {"targetQuantity": 5}}),
    "add": (ADD, {"number": "57", "title": "新增任务", "level": "SCHOOL",
                  "types": ["SECONDARY"]}),
    "retire": (RETIRE, {"number": "3.3"}),
    "restore": (RESTORE, {"number": "3.3"}),
}


@pytest.mark.parametrize("caller", [ZZ_SCHOOL, HIGHER_SCHOOL, ZHENGZHOU])
@pytest.mark.parametrize("operation", list(MUTATIONS))
async def test_only_the_province_changes_the_catalog(api: Api, caller: str,
                                                     operation: str) -> None:
    # Given the catalog (with 3.3 retired when a restore is to be tried)
    if operation == "restore":
        await TaskEntry.filter(number="3.3").update(retired_at=datetime.now(UTC))
    count = await TaskEntry.all().count()
    before = await snapshot("3.3")
    query, variables = MUTATIONS[operation]

    # When a school or a city bureau calls the mutation
    denied = await api.post(query, variables, await api.token(caller))

    # Then FORBIDDEN as a top-level error, and the catalog is unchanged
    assert top_level_codes(denied) == ["FORBIDDEN"], denied
    assert denied["data"] is None
    assert await TaskEntry.all().count() == count
    assert await snapshot("3.3") == before
    # While the province office's same call goes through
    body = await api.data(query, variables, await api.token(PROVINCE))
    allowed = next(iter(body.values()))
    assert allowed["errors"] == [] and allowed["entry"]["number"] == variables["number"]
    assert await snapshot("3.3") != before or await TaskEntry.all().count() == count + 1
