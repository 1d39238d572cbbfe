"""The planner's decisions (what compiles, what falls back and why) and each dialect's
rendering: values bound, never pasted."""

from __future__ import annotations

import re
from typing import Any

import pytest
from graphql import parse
from tortoise import connections
from tortoise.expressions import F, Q, Subquery

from gql.compiled.execute import DIALECTS, Root, plan_operation
from gql.compiled.plan import Rows
from gql.compiled.render import _through_reference
from gql.compiled.sql_pg import Postgres
from gql.compiled.sql_sqlite import Sqlite
from gql.context import Context
from gql.schema import schema
from models import Campaign, Organization, Undertaking
from models.enums import OrgKind, Role
from permissions.principal import Principal

pytestmark = pytest.mark.asyncio(loop_scope="session")

PROVINCE = Principal(user_id=1, username="410000", role=Role.PROVINCE_OFFICE, org_id=1,
                     org_kind=OrgKind.PROVINCE, org_parent_id=None, must_change_password=False,
                     token_id=1)
SCHOOL = Principal(user_id=2, username="4199200001", role=Role.SCHOOL, org_id=7,
                   org_kind=OrgKind.SCHOOL, org_parent_id=2, must_change_password=False,
                   token_id=2)


def plan(query: str, principal: Principal = PROVINCE, variables: dict[str, Any] | None = None,
         dialect: Any = None) -> list[Root] | None:
    return plan_operation(schema._schema, parse(query), None, variables, principal,
                          Context(None, None, principal), dialect or Sqlite())


def reasons(roots: list[Root] | None) -> dict[str, str]:
    assert roots is not None
    return {r.key: r.reason for r in roots if r.sql is None and r.constant is None}


async def test_a_mutation_is_not_planned(db: None) -> None:
    assert plan('mutation { logout { errors { code } } }') is None


async def test_nothing_compilable_is_left_to_strawberry(db: None) -> None:
    assert plan('{ softChecks { year } organization(code: "410100") {'
                ' undertakings { warnings { code } } } }') is None


async def test_what_falls_back_and_why(db: None) -> None:
    roots = plan("""{
      a: organization(code: "410100") { code }
      b: sentNotices { edges { node { title receipts { readAt } } } }
      c: performanceReport(year: 2021) { year history { at actor { username } } }
      d: organization(code: "410100") { undertakings { warnings { code } } }
      e: softChecks { year }
      f: organizations(after: "not a cursor") { totalCount }
      g: organization(code: "410100") { children { declaration(campaignCode: "x") { status } } }
    }""")
    why = reasons(roots)
    assert set(why) == {"b", "d", "e", "f"}  # a, c and g compile

    assert "Notice.receipts takes arguments" in why["b"]
    assert "Undertaking.warnings has no SQL form" in why["d"]
    assert "root field softChecks is not compiled" in why["e"]
    assert "page arguments refused" in why["f"]  # strawberry gives INVALID_CURSOR


async def test_a_gate_that_would_deny_falls_back(db: None) -> None:
    fresh = Principal(**{**PROVINCE.__dict__, "must_change_password": True})
    assert plan('{ organization(code: "410000") { code } }', fresh) is None


async def test_skipped_fields_need_no_sql_form(db: None) -> None:
    roots = plan("""query($no: Boolean!) {
      organization(code: "410100") { code declaration @skip(if: $no) { status } }
    }""", variables={"no": True})
    assert reasons(roots) == {}


async def test_node_ids_decide_the_type(db: None) -> None:
    # PerformanceReport:1:1 (declared, as the performanceReport root's, but no node here)
    roots = plan('{ a: node(id: "bad") { id } b: node(id: "UGVyZm9ybWFuY2VSZXBvcnQ6MTox") { id } }')
    assert roots is not None
    assert roots[0].constant == "null"  # malformed: null without a statement
    assert "node of type 'PerformanceReport' is not compiled" in reasons(roots)["b"]


async def test_values_are_bound_never_pasted(db: None) -> None:
    # the row rules come as SQL of the database under test: render for that one
    dialect = DIALECTS[connections.get("default").capabilities.dialect]
    code = "41' OR '1'='1"
    roots = plan("""query($c: String!, $s: String) {
      organization(code: $c) { code children { code } }
      search: organization(code: $s) { code }
    }""", SCHOOL, {"c": code, "s": "x'y"}, dialect)
    assert roots is not None and all(r.sql for r in roots)
    for root in roots:
        assert root.sql is not None
        sql = root.sql[0]
        assert "OR '1'" not in sql and "x'y" not in sql
        placeholder = "?1" if dialect.name == "sqlite" else "$1"
        assert placeholder in sql
    assert roots[0].sql is not None
    first_params = roots[0].sql[1]
    assert code in first_params
    assert SCHOOL.org_id in first_params  # the school's row rule, bound


async def test_dialects_differ_where_the_databases_do(db: None) -> None:
    # (the province's row rule has no parameter: the same SQL on both)
    query = '{ organization(code: "410100") { name children { name } } }'
    [sqlite] = plan(query, dialect=Sqlite()) or []
    [postgres] = plan(query, dialect=Postgres()) or []
    assert sqlite.sql and postgres.sql
    assert "json_quote(" in sqlite.sql[0] and "group_concat(" in sqlite.sql[0]
    assert "to_json(" in postgres.sql[0] and "string_agg(" in postgres.sql[0]
    assert "json_build_object" not in postgres.sql[0]  # it prints `"a" : 1`


async def test_a_filter_through_a_required_reference_reads_the_referenced_row(db: None
                                                                              ) -> None:
    # A school's form shows the undertakings of the campaign's items: the condition is on
    # each undertaking's own item, looked up by its reference, not the undertaking again by
    # its id and then its item (a tenth of the form on PostgreSQL).
    [root] = plan('{ declaration(organizationCode: "4199200001") {'
                  ' undertakings { quantity } } }', SCHOOL) or []
    assert root.sql is not None
    sql = root.sql[0]
    assert 'LEFT OUTER JOIN "task_entry"' not in sql
    assert re.search(r"FROM task_entry (t\d+) WHERE \1\.id = t\d+\.item_id AND", sql), sql


async def test_only_a_required_reference_is_taken_apart(db: None) -> None:
    campaigns = Subquery(Campaign.all().values("id"))
    through = _through_reference(Rows.of(Undertaking.filter(item__campaign_id__in=campaigns)),
                                 "undertaking")
    assert through is not None and through[:2] == ("task_entry", "item_id")
    # a reference that may be NULL: the LEFT JOIN keeps rows an EXISTS would not
    assert _through_reference(Rows.of(Organization.filter(parent__code__isnull=True)),
                              "organization") is None
    # a condition on the rows' own columns as well: not a condition on the referenced row
    assert _through_reference(Rows.of(Undertaking.filter(item__campaign_id=1, quantity=2)),
                              "undertaking") is None
    # rows limited: more than a condition follows the WHERE
    assert _through_reference(Rows.of(Undertaking.filter(item__campaign_id__in=campaigns)
                                      .limit(3)), "undertaking") is None
    # a column of the rows' own, written bare (an F()): inside the EXISTS it would be the
    # referenced row's
    assert _through_reference(Rows.of(Undertaking.filter(
        item__target_quantity__gte=F("id"))), "undertaking") is None
    assert _through_reference(Rows.of(Undertaking.filter(
        Q(item__campaign_id=1) | Q(item__target_quantity__gt=F("quantity")))),
        "undertaking") is None
    # ... while a subquery's own names are its own
    through = _through_reference(Rows.of(Undertaking.filter(
        Q(item__campaign_id__in=campaigns) | Q(item__number="1.1"))), "undertaking")
    assert through is not None and "campaign" in through[3]
    # rows of another table
    assert _through_reference(Rows.of(Undertaking.filter(item__campaign_id=1)),
                              "organization") is None
