"""The organisation tree through the API: lookups, filters, pages, nested reads."""

from __future__ import annotations

from decimal import Decimal

from models import Organization, TaskEntry, Undertaking
from models.enums import OrgKind
from tests.conftest import LUOYANG, PROVINCE, ZHENGZHOU, Api

ORGS = """
query($kind: OrgKind, $parent: String, $type: SchoolType, $search: String, $first: Int,
      $after: String) {
  organizations(kind: $kind, parentCode: $parent, schoolType: $type, search: $search,
                first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { code name kind schoolType cityCategory mustUndertakeAll isDemo } }
  }
}"""


async def test_city_level_units_are_henans_28(api: Api) -> None:
    token = await api.token(PROVINCE)

    page = (await api.data(ORGS, {"kind": "CITY", "first": 100}, token))["organizations"]

    assert page["totalCount"] == 28
    names = {e["node"]["name"]: e["node"]["cityCategory"] for e in page["edges"]}
    assert names["郑州市"] == "PREFECTURE"
    assert names["济源示范区"] == "DEMONSTRATION_ZONE"
    assert sum(1 for c in names.values() if c == "DIRECT_COUNTY") == 10
    assert {"巩义市", "兰考县", "汝州市", "滑县", "长垣市", "邓州市", "永城市", "固始县", "鹿邑县",
            "新蔡县"} <= set(names)


async def test_pages_follow_cursors_to_the_end(api: Api) -> None:
    token = await api.token(PROVINCE)
    seen: list[str] = []
    after = None
    while True:
        page = (await api.data(ORGS, {"kind": "SCHOOL", "first": 7, "after": after},
                               token))["organizations"]
        seen += [e["node"]["code"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert len(seen) == len(set(seen)) == page["totalCount"] == 30
    assert seen == sorted(seen)


async def test_filters(api: Api) -> None:
    token = await api.token(PROVINCE)

    by_parent = (await api.data(ORGS, {"parent": LUOYANG}, token))["organizations"]
    higher = (await api.data(ORGS, {"type": "HIGHER"}, token))["organizations"]
    found = (await api.data(ORGS, {"search": "职业大学"}, token))["organizations"]
    by_code = (await api.data(ORGS, {"search": "41992"}, token))["organizations"]

    assert {e["node"]["code"] for e in by_parent["edges"]} == {"4199000006", "4199200005",
                                                                "4199200006"}
    assert higher["totalCount"] == 8 and all(e["node"]["mustUndertakeAll"]
                                             for e in higher["edges"])
    assert [e["node"]["schoolType"] for e in found["edges"]] == ["UNIVERSITY"]
    assert by_code["totalCount"] == 18


async def test_bad_cursor_and_negative_page_are_refused(api: Api) -> None:
    token = await api.token(PROVINCE)

    bad_cursor = await api.post(ORGS, {"after": "not-a-cursor"}, token)
    negative = await api.post(ORGS, {"first": -1}, token)

    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert negative["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


NESTED = """
query($code: String!) {
  organization(code: $code) {
    code name kind parent { code kind }
    children { code kind schoolType parent { code } }
  }
}"""


async def test_nested_parent_and_children(api: Api) -> None:
    token = await api.token(PROVINCE)

    zz = (await api.data(NESTED, {"code": ZHENGZHOU}, token))["organization"]

    assert zz["parent"] == {"code": PROVINCE, "kind": "PROVINCE"}
    assert [c["code"] for c in zz["children"]] == ["4199000005", "4199200001", "4199200002",
                                                   "4199200003"]
    assert all(c["parent"]["code"] == ZHENGZHOU for c in zz["children"])


UNDERTAKINGS = """
query($code: String!) {
  organization(code: $code) {
    undertakings { quantity item { number title level }
      funding { schoolSelf enterprise sponsor localGov provincial total } }
  }
}"""


async def test_undertakings_show_exact_decimal_funding(api: Api) -> None:
    school = await Organization.get(code="4199200002")
    item = await TaskEntry.get(number="3.2")
    await Undertaking.create(organization=school, item=item, quantity=2,
                             school_self=Decimal("0.10"), enterprise=Decimal("0.20"),
                             sponsor=Decimal("3"), local_gov=Decimal("0"),
                             provincial=Decimal("1234567890.99"))
    token = await api.token(PROVINCE)

    rows = (await api.data(UNDERTAKINGS, {"code": "4199200002"}, token))["organization"][
        "undertakings"]

    assert rows == [{
        "quantity": 2,
        "item": {"number": "3.2", "title": "培育遴选100个左右名班主任工作室", "level": "SCHOOL"},
        "funding": {"schoolSelf": "0.10", "enterprise": "0.20", "sponsor": "3.00",
                    "localGov": "0.00", "provincial": "1234567890.99",
                    "total": "1234567894.29"},  # exact: 0.1 + 0.2 is 0.30 here
    }]


async def test_organization_kinds_are_a_shallow_tree(api: Api) -> None:
    kinds = {o.code: (o.kind, o.parent_id) for o in await Organization.all()}
    province = await Organization.get(kind=OrgKind.PROVINCE)
    cities = await Organization.filter(kind=OrgKind.CITY)

    assert province.parent_id is None
    assert all(c.parent_id == province.id for c in cities)
    city_ids = {c.id for c in cities} | {province.id}
    assert all(parent in city_ids for kind, parent in kinds.values() if kind is OrgKind.SCHOOL)


async def test_a_school_code_must_be_ten_digits(db: None) -> None:
    import pytest
    from tortoise.exceptions import ValidationError

    from models.enums import SchoolType

    city = await Organization.get(code=ZHENGZHOU)
    for bad in ("419920000", "41992000011", "41992000a1"):
        with pytest.raises(ValidationError):
            await Organization.create(code=bad, name="x", kind=OrgKind.SCHOOL, parent=city,
                                      school_type=SchoolType.SECONDARY)

    assert not await Organization.filter(name="x").exists()
