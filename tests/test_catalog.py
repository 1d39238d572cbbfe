"""The Henan 2020 catalog as the API shows it."""

from __future__ import annotations

from tests.conftest import HIGHER_SCHOOL, PROVINCE, ZZ_SCHOOL, Api

CATALOG = """
query($type: SchoolType) {
  taskCatalog(schoolType: $type) {
    id number title isGroup level targetQuantity targetUnit schoolTypes
    children { number title level targetQuantity targetUnit schoolTypes parent { number } }
  }
}"""


def _items(catalog: list[dict]) -> list[dict]:
    items = []
    for entry in catalog:
        if entry["isGroup"]:
            items.extend(entry["children"])
        else:
            items.append(entry)
    return items


async def test_catalog_holds_the_notice_list(api: Api) -> None:
    token = await api.token(PROVINCE)

    catalog = (await api.data(CATALOG, token=token))["taskCatalog"]

    assert len(catalog) == 45
    groups = [e["number"] for e in catalog if e["isGroup"]]
    assert groups == ["3", "4", "7", "11", "18", "36", "43", "49"]
    assert all(e["title"] is None and e["level"] is None for e in catalog if e["isGroup"])
    items = _items(catalog)
    assert len(items) == 58
    assert sum(1 for i in items if i["level"] == "SCHOOL") == 27
    assert sum(1 for i in items if i["level"] == "PROVINCE") == 31


async def test_numbers_sort_as_numbers(api: Api) -> None:
    token = await api.token(PROVINCE)

    catalog = (await api.data(CATALOG, token=token))["taskCatalog"]

    numbers = [e["number"] for e in catalog]
    assert numbers.index("7") < numbers.index("10") < numbers.index("11")
    assert numbers[:5] == ["1", "2", "3", "4", "5"]
    assert numbers[-1] == "56"
    group_4 = next(e for e in catalog if e["number"] == "4")
    assert [c["number"] for c in group_4["children"]] == ["4.1", "4.2", "4.3", "4.4", "4.5"]
    assert all(c["parent"]["number"] == "4" for c in group_4["children"])


async def test_item_carries_target_level_and_eligibility(api: Api) -> None:
    token = await api.token(PROVINCE)

    items = {i["number"]: i for i in _items((await api.data(CATALOG, token=token))["taskCatalog"])}

    assert items["3.2"]["title"] == "培育遴选100个左右名班主任工作室"
    assert (items["3.2"]["targetQuantity"], items["3.2"]["targetUnit"]) == (100, "个")
    assert items["3.2"]["level"] == "SCHOOL"
    assert items["1"]["level"] == "PROVINCE" and items["1"]["targetQuantity"] is None
    assert items["7.1"]["schoolTypes"] == ["SECONDARY"]
    assert items["11.1"]["schoolTypes"] == ["HIGHER", "UNIVERSITY"]
    assert items["15"]["schoolTypes"] == ["HIGHER", "SECONDARY", "UNIVERSITY"]


async def test_school_type_filter_hides_other_types_groups(api: Api) -> None:
    token = await api.token(ZZ_SCHOOL)

    secondary = (await api.data(CATALOG, {"type": "SECONDARY"}, token))["taskCatalog"]
    higher = (await api.data(CATALOG, {"type": "HIGHER"}, await api.token(HIGHER_SCHOOL)))[
        "taskCatalog"]

    assert "7" in [e["number"] for e in secondary] and "11" not in [e["number"] for e in secondary]
    assert "11" in [e["number"] for e in higher] and "7" not in [e["number"] for e in higher]


async def test_entry_by_number_and_by_global_id(api: Api) -> None:
    token = await api.token(ZZ_SCHOOL)
    entry = (await api.data('{ taskEntry(number: "43.1") { id number targetUnit } }',
                            token=token))["taskEntry"]
    assert entry["targetUnit"] == "种"

    node = (await api.data("query($id: ID!) { node(id: $id) { ... on TaskEntry { number } } }",
                           {"id": entry["id"]}, token))["node"]

    assert node == {"number": "43.1"}
    missing = await api.data('{ taskEntry(number: "8") { id } }', token=token)
    assert missing["taskEntry"] is None  # 8 is not in Henan's list


async def test_campaign_window_and_years(api: Api) -> None:
    token = await api.token(ZZ_SCHOOL)

    campaigns = (await api.data(
        "{ campaigns { code declarationOpensAt declarationClosesAt declarationOpen"
        " performanceYears } }", token=token))["campaigns"]

    assert len(campaigns) == 1
    c = campaigns[0]
    assert c["code"] == "henan-2020"
    assert c["performanceYears"] == [2021, 2022, 2023]
    assert c["declarationOpen"] is True
    assert c["declarationOpensAt"].endswith("+08:00")  # shown in Asia/Shanghai
