"""A save of many rows is a handful of SQL statements, whatever the number of rows, and
still records every row and its history exactly."""

from __future__ import annotations

from decimal import Decimal

from models import Organization, TaskEntry, Undertaking
from models.declaration import RowAction, UndertakingChange
from models.enums import TaskLevel
from tests.conftest import ZZ_SCHOOL_2, Api, StatementCounter

SAVE = """
mutation($input: SaveUndertakingsInput!) {
  saveUndertakings(input: $input) { declaration { version } errors { field code message } }
}"""


async def _numbers(count: int) -> list[str]:
    school = await Organization.get(code=ZZ_SCHOOL_2)
    items = await TaskEntry.filter(level=TaskLevel.SCHOOL, is_group=False,
                                   retired_at=None).order_by("sort_key")
    numbers = [i.number for i in items if i.eligible_for(school.school_type)]
    assert len(numbers) >= count
    return numbers[:count]


async def _save(api: Api, counter: StatementCounter, version: int,
                rows: list[dict[str, object]]) -> int:
    token = await api.token(ZZ_SCHOOL_2)
    counter.statements.clear()
    data = await api.data(SAVE, {"input": {"organizationCode": ZZ_SCHOOL_2,
                                           "version": version, "rows": rows}}, token)
    assert data["saveUndertakings"]["errors"] == [], data
    assert data["saveUndertakings"]["declaration"]["version"] == version + 1
    return len(counter.statements)


async def test_saving_rows_costs_the_same_statements_for_two_or_twelve(
    api: Api, count_sql: StatementCounter
) -> None:
    numbers = await _numbers(13)
    await api.token(ZZ_SCHOOL_2)  # logged in before counting

    two = await _save(api, count_sql, 0, [
        {"itemNumber": n, "quantity": 1, "funding": {"schoolSelf": "1.5"}} for n in numbers[:2]])
    # Twelve rows at once: two changed, two unchanged, ten new, and one removed.
    rows: list[dict[str, object]] = [
        {"itemNumber": numbers[0], "quantity": 3, "funding": {"schoolSelf": "2.25"}},
        {"itemNumber": numbers[1], "remove": True},
        *({"itemNumber": n, "quantity": 2, "funding": {"enterprise": "0.5", "provincial": "7"}}
          for n in numbers[2:13]),
    ]
    twelve = await _save(api, count_sql, 1, rows)

    # Two rows of the same kinds (a change, a removal) cost exactly as many statements:
    # token, organisation, campaigns, the form with its window's extension, items, current
    # rows, claim, delete, upsert, history, re-check, the operation log's record (on SQLite
    # the chain head and the record, on PostgreSQL one statement), and the payload's read;
    # never one per row.
    two_again = await _save(api, count_sql, 2, [
        {"itemNumber": numbers[2], "quantity": 2, "funding": {"enterprise": "0.5",
                                                              "provincial": "7", "sponsor": "1"}},
        {"itemNumber": numbers[12], "remove": True}])
    assert twelve == two_again, count_sql.statements
    assert two <= twelve <= 20, count_sql.statements

    school = await Organization.get(code=ZZ_SCHOOL_2)
    saved = {u.item_id: u for u in await Undertaking.filter(organization_id=school.id)}
    items = {i.number: i.id for i in await TaskEntry.filter(number__in=numbers)}
    assert items[numbers[1]] not in saved
    first = saved[items[numbers[0]]]
    assert (first.quantity, first.school_self) == (3, Decimal("2.25"))
    assert len(saved) == 11 and items[numbers[12]] not in saved
    assert saved[items[numbers[2]]].sponsor == Decimal("1.00")
    for n in numbers[3:12]:
        row = saved[items[n]]
        assert (row.quantity, row.enterprise, row.provincial, row.school_self) == (
            2, Decimal("0.50"), Decimal("7.00"), Decimal("0.00"))

    history = await UndertakingChange.filter(declaration__organization_id=school.id)
    actions = sorted((h.action, h.item_id) for h in history)
    expected = sorted([*((RowAction.CREATE, items[n]) for n in numbers[:2]),
                       (RowAction.UPDATE, items[numbers[0]]),
                       (RowAction.DELETE, items[numbers[1]]),
                       *((RowAction.CREATE, items[n]) for n in numbers[2:13]),
                       (RowAction.UPDATE, items[numbers[2]]),
                       (RowAction.DELETE, items[numbers[12]])])
    assert actions == expected
    update = next(h for h in history if h.action is RowAction.UPDATE
                  and h.item_id == items[numbers[0]])
    assert update.before == {"quantity": 1, "school_self": "1.50", "enterprise": "0.00",
                             "sponsor": "0.00", "local_gov": "0.00", "provincial": "0.00"}
    assert update.after is not None and update.after["school_self"] == "2.25"


async def test_saving_the_same_values_again_writes_nothing(
    api: Api, count_sql: StatementCounter
) -> None:
    numbers = await _numbers(3)
    rows: list[dict[str, object]] = [{"itemNumber": n, "quantity": 1} for n in numbers]
    await _save(api, count_sql, 0, rows)
    await _save(api, count_sql, 1, rows)
    school = await Organization.get(code=ZZ_SCHOOL_2)
    assert await UndertakingChange.filter(declaration__organization_id=school.id).count() == 3
    assert not any(s.lstrip().upper().startswith("INSERT INTO \"UNDERTAKING\"")
                   for s in count_sql.statements), count_sql.statements


async def test_a_withdrawn_row_declared_again_is_back_and_keeps_its_first_save(
    api: Api, count_sql: StatementCounter
) -> None:
    # Given a saved row that was then withdrawn (an approved withdrawal sets withdrawn_at)
    [number] = await _numbers(1)
    row: dict[str, object] = {"itemNumber": number, "quantity": 2,
                              "funding": {"schoolSelf": "1.50"}}
    await _save(api, count_sql, 0, [row])
    school = await Organization.get(code=ZZ_SCHOOL_2)
    first = await Undertaking.get(organization_id=school.id, item__number=number)
    await Undertaking.filter(id=first.id).update(withdrawn_at=first.updated_at)

    # When the school saves the same values again
    await _save(api, count_sql, 1, [row])

    # Then the row is declared again, one UPDATE line in its history, its first save kept
    again = await Undertaking.get(id=first.id)
    assert again.withdrawn_at is None
    assert (again.quantity, again.school_self) == (2, Decimal("1.50"))
    assert again.created_at == first.created_at and again.updated_at > first.updated_at
    actions = await UndertakingChange.filter(item_id=first.item_id).order_by(
        "id").values_list("action", flat=True)
    assert actions == [RowAction.CREATE, RowAction.UPDATE]
