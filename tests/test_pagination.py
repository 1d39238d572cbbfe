"""Keyset pages: walking a list while it changes neither skips nor repeats the rows that
stayed put; `last`/`before` walk it backwards; a foreign or forged cursor is refused."""

from __future__ import annotations

import base64
import json
from typing import Any

from models import Organization
from models.enums import OrgKind, SchoolType
from tests.conftest import PROVINCE, ZHENGZHOU, Api
from tests.test_deadline import open_window, row, save

PROGRESS = """query($first: Int, $after: String, $last: Int, $before: String, $sort: ProgressSort) {
  declarationProgress { schools(first: $first, after: $after, last: $last, before: $before,
                                sort: $sort) {
    totalCount
    edges { cursor node { id status school { code } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  } }
}"""
ORGS = """query($first: Int, $after: String, $last: Int, $before: String) {
  organizations(kind: SCHOOL, first: $first, after: $after, last: $last, before: $before) {
    edges { node { code } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def progress_page(api: Api, token: str, **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(PROGRESS, variables, token))[
        "declarationProgress"]["schools"]
    return result


def codes(page: dict[str, Any]) -> list[str]:
    return [e["node"]["school"]["code"] for e in page["edges"]]


async def test_a_progress_walk_while_schools_save(api: Api) -> None:
    # Given the province walking its 30 schools by status (least advanced first), 4 a page
    await open_window()
    token = await api.token(PROVINCE)
    everyone = codes(await progress_page(api, token, first=100))
    savers = [everyone[1], everyone[9], everyone[14], everyone[22]]
    for school in savers:  # logged in beforehand: logging in is no change of status
        await api.token(school)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = await progress_page(api, token, first=4, after=after)
        seen += codes(page)
        # When between two pages a school already shown and one still ahead save
        if pages < len(savers):
            await save(api, savers[pages], 0, [row("3.1", 1)])
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # Then every school was shown, and every school whose status did not change exactly once
    assert set(seen) == set(everyone)
    steady = [c for c in everyone if c not in savers]
    assert sorted(c for c in seen if c in steady) == sorted(steady)


async def test_inserts_between_pages_shift_nothing(api: Api) -> None:
    token = await api.token(PROVINCE)
    zhengzhou = await Organization.get(code=ZHENGZHOU)
    seen: list[str] = []
    after = None
    created = 0
    while True:
        page = (await api.data(ORGS, {"first": 5, "after": after}, token))["organizations"]
        seen += [e["node"]["code"] for e in page["edges"]]
        # a school sorting before everything seen so far arrives between two pages
        created += 1
        await Organization.create(code=f"41000000{created:02d}", name=f"新学校{created}",
                                  kind=OrgKind.SCHOOL, school_type=SchoolType.SECONDARY,
                                  parent=zhengzhou)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    demo = [o.code for o in await Organization.filter(kind=OrgKind.SCHOOL, code__startswith="4199")
            .order_by("code")]
    assert seen == demo  # none skipped, none repeated, none of the new ones squeezed in


async def test_last_and_before_walk_backwards(api: Api) -> None:
    token = await api.token(PROVINCE)
    forwards = codes(await progress_page(api, token, first=100, sort="CODE"))
    backwards: list[str] = []
    before = None
    while True:
        page = await progress_page(api, token, last=7, before=before, sort="CODE")
        backwards = codes(page) + backwards
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert backwards == forwards
    last_two = (await api.data(ORGS, {"last": 2}, token))["organizations"]
    assert [e["node"]["code"] for e in last_two["edges"]] == sorted(forwards)[-2:]
    assert last_two["pageInfo"]["hasPreviousPage"] is True


async def test_foreign_and_forged_cursors_are_refused(api: Api) -> None:
    token = await api.token(ZHENGZHOU)
    offset = base64.urlsafe_b64encode(b"offset:3").decode()
    forged = base64.urlsafe_b64encode(b'["k1", {"x": 1}, 2, 3]').decode()
    for cursor in (offset, forged, "%%%"):
        body = await api.post(PROGRESS, {"after": cursor}, token)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    both = await api.post(PROGRESS, {"first": 1, "last": 1}, token)
    assert both["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_cursor_of_the_right_width_and_other_types_is_refused(api: Api) -> None:
    # As another connection's cursor can be: text where this list sorts by a number.
    token = await api.token(ZHENGZHOU)
    real = (await progress_page(api, token, first=1))["pageInfo"]["endCursor"]
    version, *values = json.loads(base64.urlsafe_b64decode(real))
    swapped = [1 if isinstance(v, str) else "x" for v in values]
    other = base64.urlsafe_b64encode(json.dumps([version, *swapped]).encode()).decode()
    body = await api.post(PROGRESS, {"after": other}, token)
    assert body["errors"][0]["extensions"]["reason"] == "INVALID_CURSOR", body
    assert (await api.post(PROGRESS, {"after": real}, token)).get("errors") is None


async def test_a_walk_by_name_round_trips_chinese_names(api: Api) -> None:
    token = await api.token(PROVINCE)
    everyone = codes(await progress_page(api, token, first=100, sort="NAME"))
    seen: list[str] = []
    after = None
    while True:
        page = await progress_page(api, token, first=8, after=after, sort="NAME")
        seen += codes(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == everyone
