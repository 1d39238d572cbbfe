"""declarationProgress through the compiled path: the same bytes as the resolver path for the
province and the cities, with a city asked for, a campaign, not found, refused; one SQL
statement whatever the rows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models import Organization
from tests.chain import APPROVE, CONFIRM
from tests.compiled.conftest import Paths
from tests.conftest import (
    HIGHER_SCHOOL,
    LUOYANG,
    LY_SCHOOL,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
)
from tests.test_declarations import RETURN, SUBMIT, row, save

pytestmark = pytest.mark.asyncio(loop_scope="session")

DIRECT = "4199100002"  # secondary, directly under the province, not bound to every item

COUNTS = """
fragment Counts on StatusCounts { notStarted draft submitted cityApproved returned accepted
  total neverLoggedIn }"""

PROGRESS = COUNTS + """
query Progress($city: String, $campaign: String) {
  __typename
  progress: declarationProgress(cityCode: $city, campaignCode: $campaign) {
    __typename counts { __typename ...Counts }
    ... on Progress {
      groups { __typename id label counts { ...Counts again: total }
               unit { __typename id code name kind parent { code } } }
    }
  }
}"""

COUNTS_ONLY = COUNTS + """
query($city: String) { declarationProgress(cityCode: $city) { c: counts { ...Counts } } }"""


async def _declare(paths: Paths) -> None:
    """郑州: one school accepted, one draft, one city-approved; 洛阳: one submitted; two
    schools directly under the province, a draft and one returned; every other school not
    started, most of them never logged in."""
    api = paths.reference
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [
        row("3.2", 2, schoolSelf="1.10", enterprise="0.25"), row("7.1", 3, sponsor="0.01")])
    await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 1}, await api.token(ZZ_SCHOOL_2))
    await api.data(APPROVE, {"org": ZZ_SCHOOL_2}, await api.token(ZHENGZHOU))
    assert (await api.data(CONFIRM, {"org": ZZ_SCHOOL_2}, await api.token(PROVINCE)))[
        "acceptDeclaration"]["errors"] == []
    await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row("7.1", 1, localGov="100.25",
                                                  provincial="50.25")])
    await save(api, "4199200003", "4199200003", 0, [row("3.2", 1, provincial="0.05")])
    await api.data(SUBMIT, {"org": "4199200003", "v": 1}, await api.token("4199200003"))
    await api.data(APPROVE, {"org": "4199200003"}, await api.token(ZHENGZHOU))
    await save(api, LY_SCHOOL, LY_SCHOOL, 0, [row("3.2", 4, provincial="99999.99")])
    await api.data(SUBMIT, {"org": LY_SCHOOL, "v": 1}, await api.token(LY_SCHOOL))
    await save(api, HIGHER_SCHOOL, HIGHER_SCHOOL, 0, [row("3.2", 1, schoolSelf="0.99")])
    await save(api, DIRECT, DIRECT, 0, [row("3.2", 1, schoolSelf="12345.67")])
    submitted = await api.data(SUBMIT, {"org": DIRECT, "v": 1}, await api.token(DIRECT))
    assert submitted["submitDeclaration"]["errors"] == [], submitted
    version = submitted["submitDeclaration"]["declaration"]["version"]
    # names whose order by code point (Python's) is not a natural language's (a database's
    # default collation may be)
    for code, name in (("4199200006", "alpha Sch"), ("4199200007", "Zeta Sch"),
                       ("4199200008", "Alpha-Sch"), ("4199200009", "Ärzte Sch")):
        await Organization.filter(code=code).update(name=name)
    returned = await api.data(RETURN, {"org": DIRECT, "v": version, "reason": "请补充"},
                              await api.token(PROVINCE))
    assert returned["returnDeclaration"]["errors"] == [], returned


CASES: dict[str, list[dict[str, Any]]] = {
    PROVINCE: [{}, {"city": ZHENGZHOU}, {"city": f" {LUOYANG} "}, {"city": "nope"},
               {"city": ZZ_SCHOOL}, {"city": ""}, {"city": " "}, {"campaign": "nope"},
               {"city": "nope", "campaign": "nope"}, {"city": "x" * 300},
               {"campaign": "2020-2022"}],
    ZHENGZHOU: [{}, {"city": ZHENGZHOU}, {"city": LUOYANG}],
    LUOYANG: [{}],
    ZZ_SCHOOL_2: [{}],  # the gate denies: strawberry's error
}


async def test_every_argument_answers_the_same_bytes(paths: Paths) -> None:
    await _declare(paths)
    answers = {}
    for user, variables in CASES.items():
        token = await paths.token(user)
        for v in variables:
            body = await paths.both(PROGRESS, v, token)
            answers[user, json.dumps(v)] = json.loads(body)
            await paths.both(COUNTS_ONLY, v, token)
    province = answers[PROVINCE, "{}"]["data"]["progress"]
    assert province["counts"]["total"] == 30
    assert {k: v for k, v in province["counts"].items() if k not in (
        "__typename", "total", "neverLoggedIn", "notStarted")} == {
        "draft": 2, "submitted": 1, "cityApproved": 1, "returned": 1, "accepted": 1}
    labels = [g["label"] for g in province["groups"]]
    assert "省直属学校" in labels and "郑州市" in labels and "洛阳市" in labels
    codes = [g["unit"]["code"] for g in province["groups"]]
    assert codes == sorted(codes)
    # every city-level unit shows, those without schools with zeros
    assert any(g["counts"]["total"] == 0 for g in province["groups"])
    city = answers[ZHENGZHOU, "{}"]["data"]["progress"]
    assert [g["label"] for g in city["groups"]] == ["郑州市"]
    for user, v in ((PROVINCE, {"city": "nope"}), (PROVINCE, {"city": ZZ_SCHOOL}),
                    (ZHENGZHOU, {"city": LUOYANG}), (PROVINCE, {"campaign": "nope"})):
        answer = answers[user, json.dumps(v)]
        assert answer["data"]["progress"] is None
        assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert answers[ZZ_SCHOOL_2, "{}"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_one_statement(paths: Paths) -> None:
    await _declare(paths)
    for user, variables in ((PROVINCE, {}), (PROVINCE, {"city": ZHENGZHOU}),
                            (LUOYANG, {})):
        token = await paths.token(user)
        for query in (PROGRESS, COUNTS_ONLY):
            body = await paths.both(query, variables, token)
            assert json.loads(body)["data"]
            assert len(paths.statements) == paths.one_read, paths.statements


async def test_compiled_with_strawberry_fields_beside(paths: Paths) -> None:
    await _declare(paths)
    token = await paths.token(PROVINCE)
    body = await paths.both("""{ me { username } a: declarationProgress { counts { total } }
      undertakingTotals { funding { total } } b: declarationProgress(cityCode: "410100") {
      groups { id label } } }""", None, token)
    assert list(json.loads(body)["data"]) == ["me", "a", "undertakingTotals", "b"]


SCHOOLS = """
fragment Row on SchoolProgress { __typename id status itemCount fundingTotal lastChangeAt
  lastLoginAt neverLoggedIn school { __typename id code name kind parent { code } } }
query Schools($city: String, $status: DeclarationStatus, $statuses: [DeclarationStatus!],
              $notSubmitted: Boolean, $search: String, $never: Boolean, $sort: ProgressSort,
              $first: Int, $after: String, $last: Int, $before: String) {
  declarationProgress(cityCode: $city) {
    counts { total }
    schools(status: $status, statuses: $statuses, notSubmitted: $notSubmitted,
            search: $search, neverLoggedIn: $never, sort: $sort, first: $first,
            after: $after, last: $last, before: $before) {
      __typename totalCount
      pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
      edges { __typename cursor node { ...Row } }
    }
  }
}"""

SORTS = [None, "NAME", "CODE", "STATUS", "LAST_CHANGE", "LAST_LOGIN"]
FILTERS: list[dict[str, Any]] = [
    {}, {"status": "NOT_STARTED"}, {"status": "ACCEPTED"}, {"statuses": []},
    {"statuses": ["DRAFT", "RETURNED", "CITY_APPROVED"]}, {"notSubmitted": True},
    {"notSubmitted": False}, {"never": True}, {"never": False}, {"search": " 郑州 "},
    {"search": "41992"}, {"search": "   "}, {"search": "%"}, {"search": "第1"},
    {"search": "nothing", "first": 2}, {"status": "SUBMITTED", "never": True},
    {"search": "lpha"}, {"search": "alpha"}, {"search": "4199200006"},
]


async def test_schools_every_filter_and_sort(paths: Paths) -> None:
    await _declare(paths)
    for user in (PROVINCE, ZHENGZHOU, LUOYANG):
        token = await paths.token(user)
        for sort in SORTS:
            for v in FILTERS:
                sorted_by = {"sort": sort} if sort else {}  # (null: refused, not the default)
                body = await paths.both(SCHOOLS, {**v, **sorted_by}, token)
                assert len(paths.statements) == paths.one_read, (v, sort, paths.statements)
                assert "errors" not in json.loads(body), body
    body = json.loads(await paths.both(SCHOOLS, {"sort": "STATUS", "first": 100},
                                       await paths.token(PROVINCE)))
    nodes = [e["node"] for e in body["data"]["declarationProgress"]["schools"]["edges"]]
    assert [n["status"] for n in nodes][:1] == ["NOT_STARTED"] and len(nodes) == 30
    assert {n["fundingTotal"] for n in nodes} >= {"0.00", "12345.67", "150.50", "1.36"}
    body = json.loads(await paths.both(SCHOOLS, {"sort": "NAME", "search": "Sch"},
                                       await paths.token(PROVINCE)))
    assert [e["node"]["school"]["name"] for e in body["data"]["declarationProgress"][
        "schools"]["edges"]] == ["Alpha-Sch", "Zeta Sch", "alpha Sch", "Ärzte Sch"]


async def _walk(paths: Paths, token: str, variables: dict[str, Any], forward: bool
                ) -> list[str]:
    """Every page of the list, following the cursors; the codes in the order shown."""
    codes: list[str] = []
    cursor = None
    for _ in range(40):
        page = {**variables, **({"first": 4, "after": cursor} if forward else
                                {"last": 4, "before": cursor})}
        body = json.loads(await paths.both(SCHOOLS, page, token))
        assert len(paths.statements) == paths.one_read, paths.statements
        schools = body["data"]["declarationProgress"]["schools"]
        shown = [e["node"]["school"]["code"] for e in schools["edges"]]
        codes = codes + shown if forward else shown + codes
        info = schools["pageInfo"]
        if not (info["hasNextPage"] if forward else info["hasPreviousPage"]):
            return codes
        cursor = info["endCursor"] if forward else info["startCursor"]
    raise AssertionError("no last page")


async def test_schools_pages_forward_and_backward(paths: Paths) -> None:
    await _declare(paths)
    for user, city in ((PROVINCE, None), (PROVINCE, ZHENGZHOU), (ZHENGZHOU, None)):
        token = await paths.token(user)
        for sort in SORTS[1:]:
            for v in ({}, {"notSubmitted": True}):
                variables = {**v, "sort": sort, "city": city}
                forward = await _walk(paths, token, variables, True)
                backward = await _walk(paths, token, variables, False)
                assert forward == backward and len(set(forward)) == len(forward)


async def test_schools_odd_pages_and_cursors(paths: Paths) -> None:
    await _declare(paths)
    token = await paths.token(PROVINCE)
    first = json.loads(await paths.both(SCHOOLS, {"sort": "LAST_LOGIN", "first": 3}, token))
    cursor = first["data"]["declarationProgress"]["schools"]["pageInfo"]["endCursor"]
    name_cursor = json.loads(await paths.both(SCHOOLS, {"sort": "NAME", "first": 1}, token))[
        "data"]["declarationProgress"]["schools"]["pageInfo"]["endCursor"]
    for v in ({"first": 0}, {"first": -1}, {"last": 0}, {"first": 1, "last": 1},
              {"first": 500}, {"after": "bm9wZQ=="}, {"before": "bm9wZQ=="},
              {"sort": "NAME", "after": cursor}, {"sort": "CODE", "after": cursor},
              {"sort": "LAST_CHANGE", "after": cursor}, {"sort": "STATUS", "after": cursor},
              {"sort": "LAST_LOGIN", "after": name_cursor},
              {"sort": "LAST_LOGIN", "after": cursor, "before": cursor},
              {"sort": "LAST_LOGIN", "after": cursor, "search": "nothing"},
              {"sort": "LAST_LOGIN", "before": cursor, "first": 2},
              {"sort": "LAST_LOGIN", "before": cursor, "search": "nothing"},
              {"sort": "LAST_LOGIN", "after": cursor, "city": LUOYANG}):
        await paths.both(SCHOOLS, v, token)
    # aliases and fragments, two lists in one progress, beside the counts and groups
    body = await paths.both(COUNTS + """
      fragment Page on SchoolProgressConnection { n: totalCount edges { cursor
        node { status school { code } } } }
      { p: declarationProgress { c: counts { ...Counts } groups { label }
          a: schools(sort: NAME, first: 2) { ...Page }
          b: schools(statuses: [DRAFT], sort: LAST_CHANGE) { ...Page pageInfo { hasNextPage } }
          page_a: schools(sort: CODE, last: 3) { ...Page }
          schools { totalCount } } }""", None, token)
    assert len(paths.statements) == paths.one_read, paths.statements
    assert json.loads(body)["data"]["p"]["b"]["n"] == 2
