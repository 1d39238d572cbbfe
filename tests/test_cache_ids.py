"""Stable global ids on what a client caches: declarations, reports, progress and sums rows.

A declaration's id names its organisation and campaign: the same before and after the first
save, and `node(id:)` finds it only for those who may read it (as not found otherwise).
"""

from __future__ import annotations

from typing import Any

from tests.conftest import LUOYANG, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2, Api
from tests.test_certification import open_certification
from tests.test_deadline import open_window, row, save

DECLARATION_ID = "query($org: String) { declaration(organizationCode: $org) { id version } }"
NODE = """query($id: ID!) { node(id: $id) {
  __typename
  ... on Declaration { id version organization { code } }
  ... on SchoolProgress { id status school { code } }
} }"""
PROGRESS = """query($city: String) { declarationProgress(cityCode: $city) {
  groups { id unit { code } }
  schools(first: 100) { edges { node { id status school { code } } } }
} }"""
SUMS = "query($city: String) { undertakingSums(cityCode: $city) { id item { number } " \
       "byGroup { id } } }"


async def node(api: Api, user: str, id: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = (await api.data(NODE, {"id": id},
                                                    await api.token(user)))["node"]
    return result


async def test_a_declarations_id_is_stable_and_scoped(api: Api) -> None:
    await open_window()
    token = await api.token(ZZ_SCHOOL_2)
    before = (await api.data(DECLARATION_ID, {}, token))["declaration"]
    assert before["version"] == 0
    assert (await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 1)]))["errors"] == []
    after = (await api.data(DECLARATION_ID, {}, token))["declaration"]
    assert after == {"id": before["id"], "version": 1}

    found = await node(api, ZHENGZHOU, after["id"])
    assert found == {"__typename": "Declaration", "id": after["id"], "version": 1,
                     "organization": {"code": ZZ_SCHOOL_2}}
    assert await node(api, ZZ_SCHOOL_2, after["id"]) == found
    # another city, another school: as if it did not exist
    assert await node(api, LUOYANG, after["id"]) is None
    assert await node(api, ZZ_SCHOOL, after["id"]) is None
    other = (await api.data(DECLARATION_ID, {}, await api.token(ZZ_SCHOOL)))["declaration"]
    assert other["id"] != after["id"]


async def test_progress_rows_are_nodes_for_overseers_only(api: Api) -> None:
    progress = (await api.data(PROGRESS, {}, await api.token(ZHENGZHOU)))["declarationProgress"]
    rows = {e["node"]["school"]["code"]: e["node"] for e in progress["schools"]["edges"]}
    mine = rows[ZZ_SCHOOL_2]
    assert await node(api, ZHENGZHOU, mine["id"]) == {"__typename": "SchoolProgress", **mine}
    assert await node(api, PROVINCE, mine["id"]) == {"__typename": "SchoolProgress", **mine}
    assert await node(api, LUOYANG, mine["id"]) is None
    assert await node(api, ZZ_SCHOOL_2, mine["id"]) is None
    # the province's list names the same row with the same id
    province = (await api.data(PROGRESS, {}, await api.token(PROVINCE)))["declarationProgress"]
    ids = {e["node"]["school"]["code"]: e["node"]["id"] for e in province["schools"]["edges"]}
    assert ids[ZZ_SCHOOL_2] == mine["id"]
    assert len(set(ids.values())) == len(ids)


async def test_sums_rows_of_different_scopes_never_share_an_id(api: Api) -> None:
    await open_window()
    assert (await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 1)]))["errors"] == []
    everything = (await api.data(SUMS, {}, await api.token(PROVINCE)))["undertakingSums"]
    one_city = (await api.data(SUMS, {"city": ZHENGZHOU},
                               await api.token(PROVINCE)))["undertakingSums"]
    as_city = (await api.data(SUMS, {}, await api.token(ZHENGZHOU)))["undertakingSums"]
    assert {s["id"] for s in everything}.isdisjoint({s["id"] for s in one_city})
    # the same scope asked two ways is the same row
    assert [s["id"] for s in one_city] == [s["id"] for s in as_city]
    groups = [g["id"] for s in everything for g in s["byGroup"]]
    assert len(groups) == len(set(groups))


async def test_the_certification_round_is_a_node(api: Api) -> None:
    # Given the 2024 round, opened by the province
    opened = await open_certification(api)
    token = await api.token(ZZ_SCHOOL)

    # When any user reads it, then asks for it by its id
    found = (await api.data("{ certificationRound { id year } }", token=token))
    again = await api.data("query($id: ID!) { node(id: $id) { ... on CertificationRound"
                           " { id year } } }", {"id": opened["id"]}, token)

    # Then a normalising cache finds the same object under the same id
    assert found["certificationRound"] == {"id": opened["id"], "year": 2024}
    assert again["node"] == found["certificationRound"]
