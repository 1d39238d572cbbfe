"""The smaller things of issue #11 ("Why", last point), each as a user meets it.

- A school's `taskCatalog` shows its own type's items unless it asks for another type.
- A city bureau asking for another city's oversight gets NOT_FOUND, worded exactly as for a
  code that does not exist (nothing about the neighbour leaks); the exports answer 404 alike.
- The notice's wording: 省直管市(县) (the importer takes it; the enum says it), and the
  review words 审核通过 / 已确认 / 退回修改 in the status and action descriptions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import GraphQLEnumType

from gql.schema import schema
from models import Organization
from models.enums import CityCategory
from models.importer import import_organizations
from tests.conftest import HIGHER_SCHOOL, LUOYANG, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, Api
from tests.test_import import write_csv

CATALOG = """query($type: SchoolType) { taskCatalog(schoolType: $type) {
  number children { number } } }"""

PROGRESS = """query($city: String) { declarationProgress(cityCode: $city) {
  counts { total } } }"""

SUMS = """query($city: String) { undertakingSums(cityCode: $city) { quantity } }"""
COMPLIANCE = """query($city: String) { compliance(cityCode: $city) {
  missingMandatory { school { code } } } }"""


async def numbers(api: Api, user: str, school_type: str | None = None) -> set[str]:
    data = await api.data(CATALOG, {"type": school_type}, await api.token(user))
    found = set()
    for entry in data["taskCatalog"]:
        found.add(entry["number"])
        found.update(c["number"] for c in entry["children"])
    return found


async def test_a_school_sees_its_own_types_catalog_by_default(api: Api) -> None:
    # Given 7.1 (中职 only) and 11.1 (高职 only)
    # When a 高职 and a 中职 read the catalog without naming a type
    higher = await numbers(api, HIGHER_SCHOOL)
    secondary = await numbers(api, ZZ_SCHOOL)

    # Then each sees its own type's items only
    assert "11.1" in higher and "7.1" not in higher
    assert "7.1" in secondary and "11.1" not in secondary
    # While a school may still ask for another type, and the province sees everything
    assert "7.1" in await numbers(api, HIGHER_SCHOOL, "SECONDARY")
    everything = await numbers(api, PROVINCE)
    assert {"7.1", "11.1"} <= everything
    assert everything == await numbers(api, ZHENGZHOU)


async def _refusal(api: Api, query: str, city: str, user: str) -> tuple[Any, ...]:
    body = await api.post(query, {"city": city}, await api.token(user))
    name = next(iter(body["data"]))
    errors = body.get("errors", [])
    return (body["data"][name], [(e["extensions"]["code"], e["message"]) for e in errors])


async def test_a_city_asking_for_another_city_gets_not_found_as_for_no_city(api: Api) -> None:
    for query in (PROGRESS, SUMS, COMPLIANCE):
        # When 郑州 asks for 洛阳, and for a code that is no city at all
        neighbour = await _refusal(api, query, LUOYANG, ZHENGZHOU)
        nowhere = await _refusal(api, query, "419999", ZHENGZHOU)

        # Then both answer NOT_FOUND, worded alike but for the code asked
        assert neighbour == (None, [("NOT_FOUND", f"未找到代码为 {LUOYANG} 的地市级单位")])
        assert nowhere == (None, [("NOT_FOUND", "未找到代码为 419999 的地市级单位")])
        # While its own city, and the province asking for 洛阳, answer
        own = await api.data(query, {"city": ZHENGZHOU}, await api.token(ZHENGZHOU))
        assert next(iter(own.values())) is not None
        province = await api.data(query, {"city": LUOYANG}, await api.token(PROVINCE))
        assert next(iter(province.values())) is not None
    # And the workbook of a neighbour answers 404 like that of no city
    headers = {"Authorization": f"Bearer {await api.token(ZHENGZHOU)}"}
    neighbour_file = await api.client.get(f"/exports/summary.xlsx?city={LUOYANG}",
                                          headers=headers)
    no_file = await api.client.get("/exports/summary.xlsx?city=419999", headers=headers)
    assert (neighbour_file.status_code, no_file.status_code) == (404, 404)
    assert neighbour_file.json()["error"]["code"] == no_file.json()["error"]["code"] == "NOT_FOUND"


async def test_the_importer_takes_the_notices_own_category_word(db: None,
                                                               tmp_path: Path) -> None:
    rows = [["code", "name", "type", "city", "must_undertake_all", "category"],
            ["419901", "某直管市", "", "", "", "省直管市(县)"],
            ["419902", "某直管县", "", "", "", "省直管市（县）"],
            ["419903", "某错类", "", "", "", "直管"]]
    report = await import_organizations(write_csv(tmp_path / "cities.csv", rows))
    assert [(e.line, e.column) for e in report.errors] == [(4, "category")]
    assert "省直管市(县)" in report.errors[0].message
    rows.pop()
    report = await import_organizations(write_csv(tmp_path / "cities.csv", rows))
    assert report.ok, report.errors
    categories = {o.code: o.city_category for o in await Organization.filter(
        code__in=["419901", "419902"])}
    assert categories == {"419901": CityCategory.DIRECT_COUNTY,
                          "419902": CityCategory.DIRECT_COUNTY}


def test_enum_descriptions_use_the_official_words() -> None:
    types = schema._schema.type_map
    city = types["CityCategory"]
    status = types["DeclarationStatus"]
    action = types["DeclarationAction"]
    assert isinstance(city, GraphQLEnumType) and isinstance(status, GraphQLEnumType)
    assert isinstance(action, GraphQLEnumType)
    assert "省直管市(县)" in (city.description or "")
    assert "省直管县" not in (city.description or "")
    for word in ("审核通过", "已确认", "退回修改", "未填报"):
        assert word in (status.description or "")
    for word in ("审核通过", "已确认", "退回修改"):
        assert word in (action.description or "")


def test_every_loader_a_request_may_ask_for_is_made_on_first_use() -> None:
    from gql.dataloaders import Loaders, build_loaders

    loaders = build_loaders(None)
    declared = set(Loaders.__annotations__) - {"_batches"}
    assert declared == set(loaders._batches)
    first = loaders.campaign_by_code
    assert loaders.campaign_by_code is first  # one loader (and cache) per request
    assert "organization_by_id" not in vars(loaders)  # not made until asked for
