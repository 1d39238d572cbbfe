"""Organizations through the compiled path: the same bytes as the resolver path, one SQL
statement per root field whatever the number of rows."""

from __future__ import annotations

import json

import pytest

from tests.compiled.conftest import Paths
from tests.conftest import (
    LUOYANG,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    StatementCounter,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

ORG_FIELDS = """
fragment Org on Organization {
  __typename id code name kind schoolType cityCategory mustUndertakeAll isDemo
}
"""

CITY = ORG_FIELDS + """
query City($code: String!) {
  organization(code: $code) {
    ...Org
    parent { ...Org parent { code } }
    users { id username displayName role isActive mustChangePassword lockedUntil lastLoginAt
            organization { code } }
    kids: children {
      ...Org
      users { username lastLoginAt }
      undertakings {
        __typename id quantity updatedAt
        funding { schoolSelf enterprise sponsor localGov provincial total }
        item { id number title isGroup level targetQuantity targetUnit schoolTypes retiredAt
               parent { number } }
      }
    }
  }
}
"""


async def test_a_city_with_schools_and_undertakings(paths: Paths) -> None:
    for user in (PROVINCE, ZHENGZHOU, LUOYANG, ZZ_SCHOOL):
        token = await paths.token(user)
        for code in (ZHENGZHOU, LUOYANG, PROVINCE, ZZ_SCHOOL, "nope"):
            await paths.both(CITY, {"code": code}, token)
            assert len(paths.statements) == paths.one_read, paths.statements


async def test_one_statement(paths: Paths, count_sql: StatementCounter) -> None:
    token = await paths.token(PROVINCE)
    count_sql.statements.clear()
    body = await paths.raw(paths.compiled, CITY, {"code": PROVINCE}, token)
    assert json.loads(body)["data"]["organization"]["kids"]
    assert len(count_sql.statements) == 2, count_sql.statements  # the token, then the read


LIST = ORG_FIELDS + """
query List($first: Int, $after: String, $kind: OrgKind, $search: String, $parent: String,
           $withEdges: Boolean!) {
  organizations(first: $first, after: $after, kind: $kind, search: $search,
                parentCode: $parent) {
    __typename
    totalCount
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
    edges @include(if: $withEdges) { __typename cursor node { ...Org parent { code } } }
    again: edges @skip(if: $withEdges) { cursor }
  }
}
"""


async def test_organizations_pages(paths: Paths, count_sql: StatementCounter) -> None:
    token = await paths.token(ZHENGZHOU)
    province = await paths.token(PROVINCE)
    cases = [{"first": 3}, {"first": 0}, {"first": 500}, {"kind": "SCHOOL", "first": 2},
             {"search": "郑州"}, {"search": "41992"}, {"parent": ZHENGZHOU, "first": 4},
             {"search": "no such"}, {}]
    for variables in cases:
        for t in (token, province):
            for with_edges in (True, False):
                await paths.both(LIST, {**variables, "withEdges": with_edges}, t)
                assert len(paths.statements) == paths.one_read, paths.statements
    # walking the pages with the cursors the compiled path hands out
    after = None
    seen = 0
    while True:
        count_sql.statements.clear()
        body = json.loads(await paths.both(LIST, {"first": 7, "after": after,
                                                 "withEdges": True}, province))
        page = body["data"]["organizations"]
        seen += len(page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == page["totalCount"] > 30


NODE = ORG_FIELDS + """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Organization { ...Org children { code } }
    ... on Undertaking { quantity funding { total } item { number } organization { code } }
    ... on TaskEntry { number schoolTypes parent { number } }
    ... on User { username organization { code } }
  }
}
"""


async def test_node(paths: Paths) -> None:
    province = await paths.token(PROVINCE)
    school = await paths.token(ZZ_SCHOOL)
    body = json.loads(await paths.both(CITY, {"code": ZHENGZHOU}, province))
    city = body["data"]["organization"]
    ids = [city["id"], city["parent"]["id"], city["kids"][0]["id"]]
    ids += [u["id"] for k in city["kids"] for u in k["undertakings"]][:3]
    ids += [u["item"]["id"] for k in city["kids"] for u in k["undertakings"]][:3]
    ids += [u["id"] for u in city["users"]]
    ids += ["nonsense", "T3JnYW5pemF0aW9uOjA=", "T3JnYW5pemF0aW9uOjk5OTk5OTk5OTk5"]
    for t in (province, school):
        for node_id in ids:
            await paths.both(NODE, {"id": node_id}, t)
            assert len(paths.statements) <= paths.one_read, paths.statements


MIXED = """
query Mixed($code: String!) {
  me { username }
  first: organization(code: $code) { code name }
  __typename
  campaigns { code }
  second: organization(code: $code) { id }
}
"""


async def test_compiled_and_strawberry_fields_in_one_answer(paths: Paths) -> None:
    token = await paths.token(ZHENGZHOU)
    body = await paths.both(MIXED, {"code": ZHENGZHOU}, token)
    assert list(json.loads(body)["data"]) == ["me", "first", "__typename", "campaigns",
                                              "second"]


async def test_errors_are_strawberrys(paths: Paths) -> None:
    # not logged in, an initial password, a bad cursor, a negative page
    await paths.both(CITY, {"code": ZHENGZHOU})
    login = await paths.reference.login(ZZ_SCHOOL_2)
    await paths.both(CITY, {"code": ZZ_SCHOOL_2}, login["token"])
    token = await paths.token(PROVINCE)
    await paths.both(LIST, {"after": "bad", "withEdges": True}, token)
    await paths.both(LIST, {"first": -1, "withEdges": True}, token)


async def test_text_as_python_prints_it(paths: Paths) -> None:
    from models import Organization

    await Organization.filter(code=ZZ_SCHOOL).update(name='引号" 反斜杠\\ 换行\n\t\x01 é 😀')
    token = await paths.token(PROVINCE)
    body = await paths.both(CITY, {"code": ZHENGZHOU}, token)
    assert '\\u0001' in body.decode() and "😀" in body.decode()


SCHOOLS_AND_FORMS = """
query Forms($code: String!, $campaign: String) {
  organization(code: $code) {
    code
    declaration(campaignCode: $campaign) { status version editable organization { code } }
    children {
      code name
      declaration { __typename status version submittedAt deadline lock { code message }
                    undertakings { quantity item { number } } }
      named: declaration(campaignCode: $campaign) { status }
    }
  }
}
"""


async def test_schools_with_their_forms(paths: Paths) -> None:
    """A city bureau's everyday read: its schools and where each form stands. Each caller
    sees the forms of the organisations it manages; others' are null."""
    from tests.test_declarations import row, save

    await save(paths.reference, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("3.2", 2, schoolSelf="1.5")])
    for user in (PROVINCE, ZHENGZHOU, LUOYANG, ZZ_SCHOOL_2):
        token = await paths.token(user)
        for code in (ZHENGZHOU, PROVINCE, ZZ_SCHOOL_2):
            for campaign in (None, "henan-2020"):
                await paths.both(SCHOOLS_AND_FORMS, {"code": code, "campaign": campaign},
                                 token)
                assert len(paths.statements) == paths.one_read, paths.statements
    # A campaign that does not exist: strawberry answers, with its NOT_FOUND errors.
    token = await paths.token(ZHENGZHOU)
    body = json.loads(await paths.both(SCHOOLS_AND_FORMS, {"code": ZHENGZHOU,
                                                           "campaign": "nope"}, token))
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
