"""The four reads of issue 9, each as a GraphQL document and as its raw-SQL floor.

A floor is ONE hand-written statement that builds the very `data` the API answers, as
JSON text, in the database (PostgreSQL `json_build_object`/`json_agg`, SQLite JSON1
`json_object`/`json_group_array`). It is what the fastest possible server would send: the
benchmark reports the API's time as a ratio to it, and tests/test_benchmark_smoke.py keeps
each floor's JSON equal to the API's answer, so the floors stay honest. Rows are the
province office's view (it sees every row); amounts are two-decimal strings, as the API's
Decimal scalar sends them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.data import Sizes
from models.totals import DEFAULT_DECLARATIONS

SCHOOL = """query School($code: String!) { declaration(organizationCode: $code) {
  status version organization { code name }
  undertakings { quantity item { number title }
    funding { schoolSelf enterprise sponsor localGov provincial total } } } }"""

CITY = """query City($code: String!) { organization(code: $code) { code name
  children { code name schoolType
    undertakings { quantity item { number } funding { total } } } } }"""

PROVINCE = """query Province { organization(code: "410000") { code name
  children { code name kind
    children { code name undertakings { quantity item { number } funding { total } } } } } }"""

SUMS = """query Sums { undertakingSums { item { number } organizations quantity
  funding { schoolSelf enterprise sponsor localGov provincial total }
  byGroup { unit { code } label organizations quantity funding { total } } } }"""

SOURCES = ("school_self", "enterprise", "sponsor", "local_gov", "provincial")
CAMEL = ("schoolSelf", "enterprise", "sponsor", "localGov", "provincial")


def _pg_money(expr: str) -> str:
    # NUMERIC(14,2) and its sums keep two decimals: the text is what Decimal prints.
    return f"({expr})::text"


def _pg_total(alias: str) -> str:
    return _pg_money(" + ".join(f"{alias}.{s}" for s in SOURCES))


def _lite_cents(expr: str) -> str:
    # SQLite keeps the amounts as text: integer cents are exact, floats are not.
    return f"CAST(ROUND(({expr}) * 100) AS INTEGER)"


def _lite_money(cents: str) -> str:
    return f"printf('%d.%02d', ({cents}) / 100, ({cents}) % 100)"


def _lite_total(alias: str) -> str:
    return _lite_money(" + ".join(_lite_cents(f"{alias}.{s}") for s in SOURCES))


PG_SCHOOL = f"""
SELECT json_build_object('declaration', json_build_object(
  'status', upper(d.status), 'version', d.version,
  'organization', json_build_object('code', o.code, 'name', o.name),
  'undertakings', (SELECT coalesce(json_agg(json_build_object(
      'quantity', u.quantity, 'item', json_build_object('number', t.number, 'title', t.title),
      'funding', json_build_object({", ".join(f"'{c}', {_pg_money('u.' + s)}"
                                              for c, s in zip(CAMEL, SOURCES, strict=True))},
                                   'total', {_pg_total('u')})) ORDER BY t.sort_key), '[]')
    FROM undertaking u JOIN task_entry t ON t.id = u.item_id
    WHERE u.organization_id = o.id AND t.campaign_id = $2 AND u.withdrawn_at IS NULL)))::text
FROM organization o JOIN declaration d ON d.organization_id = o.id AND d.campaign_id = $2
WHERE o.code = $1"""

LITE_SCHOOL = f"""
SELECT json_object('declaration', json_object(
  'status', upper(d.status), 'version', d.version,
  'organization', json_object('code', o.code, 'name', o.name),
  'undertakings', json((SELECT json_group_array(json(x.row)) FROM (
    SELECT json_object('quantity', u.quantity,
      'item', json_object('number', t.number, 'title', t.title),
      'funding', json_object({", ".join(f"'{c}', {_lite_money(_lite_cents('u.' + s))}"
                                         for c, s in zip(CAMEL, SOURCES, strict=True))},
                             'total', {_lite_total('u')})) AS row
    FROM undertaking u JOIN task_entry t ON t.id = u.item_id
    WHERE u.organization_id = o.id AND t.campaign_id = ?2 AND u.withdrawn_at IS NULL
    ORDER BY t.sort_key) x))))
FROM organization o JOIN declaration d ON d.organization_id = o.id AND d.campaign_id = ?2
WHERE o.code = ?1"""


def _pg_undertakings(org: str) -> str:
    return f"""(SELECT coalesce(json_agg(json_build_object('quantity', u.quantity,
      'item', json_build_object('number', t.number),
      'funding', json_build_object('total', {_pg_total('u')})) ORDER BY t.sort_key), '[]')
    FROM undertaking u JOIN task_entry t ON t.id = u.item_id
    WHERE u.organization_id = {org}.id AND u.withdrawn_at IS NULL)"""


def _lite_undertakings(org: str) -> str:
    return f"""json((SELECT json_group_array(json(x.row)) FROM (
    SELECT json_object('quantity', u.quantity, 'item', json_object('number', t.number),
      'funding', json_object('total', {_lite_total('u')})) AS row
    FROM undertaking u JOIN task_entry t ON t.id = u.item_id
    WHERE u.organization_id = {org}.id AND u.withdrawn_at IS NULL ORDER BY t.sort_key) x))"""


PG_CITY = f"""
SELECT json_build_object('organization', json_build_object('code', c.code, 'name', c.name,
  'children', (SELECT coalesce(json_agg(json_build_object('code', s.code, 'name', s.name,
      'schoolType', upper(s.school_type), 'undertakings', {_pg_undertakings('s')})
    ORDER BY s.kind, s.code), '[]') FROM organization s WHERE s.parent_id = c.id)))::text
FROM organization c WHERE c.code = $1"""

LITE_CITY = f"""
SELECT json_object('organization', json_object('code', c.code, 'name', c.name,
  'children', json((SELECT json_group_array(json(x.row)) FROM (
    SELECT json_object('code', s.code, 'name', s.name, 'schoolType', upper(s.school_type),
      'undertakings', {_lite_undertakings('s')}) AS row
    FROM organization s WHERE s.parent_id = c.id ORDER BY s.kind, s.code) x))))
FROM organization c WHERE c.code = ?1"""

PG_PROVINCE = f"""
SELECT json_build_object('organization', json_build_object('code', p.code, 'name', p.name,
  'children', (SELECT coalesce(json_agg(json_build_object('code', c.code, 'name', c.name,
      'kind', upper(c.kind),
      'children', (SELECT coalesce(json_agg(json_build_object('code', s.code, 'name', s.name,
          'undertakings', {_pg_undertakings('s')}) ORDER BY s.kind, s.code), '[]')
        FROM organization s WHERE s.parent_id = c.id)) ORDER BY c.kind, c.code), '[]')
    FROM organization c WHERE c.parent_id = p.id)))::text
FROM organization p WHERE p.code = '410000'"""

LITE_PROVINCE = f"""
SELECT json_object('organization', json_object('code', p.code, 'name', p.name,
  'children', json((SELECT json_group_array(json(x.row)) FROM (
    SELECT json_object('code', c.code, 'name', c.name, 'kind', upper(c.kind),
      'children', json((SELECT json_group_array(json(y.row)) FROM (
        SELECT json_object('code', s.code, 'name', s.name,
          'undertakings', {_lite_undertakings('s')}) AS row
        FROM organization s WHERE s.parent_id = c.id ORDER BY s.kind, s.code) y))) AS row
    FROM organization c WHERE c.parent_id = p.id ORDER BY c.kind, c.code) x))))
FROM organization p WHERE p.code = '410000'"""

# The sums count the declarations at SUBMITTED or beyond by default (models/totals.py).
_COUNTED = "(" + ", ".join(f"'{s.value}'" for s in DEFAULT_DECLARATIONS) + ")"

_LABEL = "CASE WHEN g.kind = 'province' THEN '省直属学校' ELSE g.name END"

PG_SUMS = f"""
WITH u AS (SELECT u.*, o.parent_id FROM undertaking u
    JOIN organization o ON o.id = u.organization_id JOIN task_entry t ON t.id = u.item_id
    WHERE t.campaign_id = $1 AND u.withdrawn_at IS NULL AND u.organization_id IN (
      SELECT organization_id FROM declaration WHERE campaign_id = $1 AND status IN {_COUNTED})),
  per_item AS (SELECT item_id, count(*) AS n, sum(quantity) AS q,
    {", ".join(f"sum({s}) AS {s}" for s in SOURCES)} FROM u GROUP BY item_id),
  per_group AS (SELECT item_id, parent_id, count(*) AS n, sum(quantity) AS q,
    sum({" + ".join(SOURCES)}) AS total FROM u GROUP BY item_id, parent_id)
SELECT json_build_object('undertakingSums', coalesce(json_agg(json_build_object(
  'item', json_build_object('number', t.number), 'organizations', i.n, 'quantity', i.q,
  'funding', json_build_object({", ".join(f"'{c}', {_pg_money('i.' + s)}"
                                          for c, s in zip(CAMEL, SOURCES, strict=True))},
                               'total', {_pg_total('i')}),
  'byGroup', (SELECT json_agg(json_build_object('unit', json_build_object('code', g.code),
      'label', {_LABEL}, 'organizations', pg.n, 'quantity', pg.q,
      'funding', json_build_object('total', pg.total::text)) ORDER BY g.code)
    FROM per_group pg JOIN organization g ON g.id = pg.parent_id WHERE pg.item_id = i.item_id)
  ) ORDER BY t.sort_key), '[]'))::text
FROM per_item i JOIN task_entry t ON t.id = i.item_id"""

LITE_SUMS = f"""
WITH u AS (SELECT u.*, o.parent_id FROM undertaking u
    JOIN organization o ON o.id = u.organization_id JOIN task_entry t ON t.id = u.item_id
    WHERE t.campaign_id = ?1 AND u.withdrawn_at IS NULL AND u.organization_id IN (
      SELECT organization_id FROM declaration WHERE campaign_id = ?1 AND status IN {_COUNTED})),
  per_item AS (SELECT item_id, count(*) AS n, sum(quantity) AS q,
    {", ".join(f"sum({_lite_cents(s)}) AS {s}" for s in SOURCES)} FROM u GROUP BY item_id),
  per_group AS (SELECT item_id, parent_id, count(*) AS n, sum(quantity) AS q,
    sum({" + ".join(_lite_cents(s) for s in SOURCES)}) AS total
    FROM u GROUP BY item_id, parent_id)
SELECT json_object('undertakingSums', json((SELECT json_group_array(json(x.row)) FROM (
  SELECT json_object('item', json_object('number', t.number), 'organizations', i.n,
    'quantity', i.q,
    'funding', json_object({", ".join(f"'{c}', {_lite_money('i.' + s)}"
                                       for c, s in zip(CAMEL, SOURCES, strict=True))},
                           'total', {_lite_money(" + ".join("i." + s for s in SOURCES))}),
    'byGroup', json((SELECT json_group_array(json(y.row)) FROM (
      SELECT json_object('unit', json_object('code', g.code), 'label', {_LABEL},
        'organizations', pg.n, 'quantity', pg.q,
        'funding', json_object('total', {_lite_money('pg.total')})) AS row
      FROM per_group pg JOIN organization g ON g.id = pg.parent_id
      WHERE pg.item_id = i.item_id ORDER BY g.code) y))) AS row
  FROM per_item i JOIN task_entry t ON t.id = i.item_id ORDER BY t.sort_key) x)))"""


@dataclass(frozen=True)
class Read:
    name: str
    document: str
    variables: Callable[[Sizes], dict[str, Any]]
    sql: dict[str, str]  # by dialect: "postgres", "sqlite"
    args: Callable[[Sizes], list[Any]]


READS = [
    Read("one school's declaration", SCHOOL, lambda s: {"code": s.school_code},
         {"postgres": PG_SCHOOL, "sqlite": LITE_SCHOOL},
         lambda s: [s.school_code, s.campaign_id]),
    Read("one city's schools", CITY, lambda s: {"code": s.city_code},
         {"postgres": PG_CITY, "sqlite": LITE_CITY}, lambda s: [s.city_code]),
    Read("the whole province nested", PROVINCE, lambda s: {},
         {"postgres": PG_PROVINCE, "sqlite": LITE_PROVINCE}, lambda s: []),
    Read("per-item sums", SUMS, lambda s: {},
         {"postgres": PG_SUMS, "sqlite": LITE_SUMS}, lambda s: [s.campaign_id]),
]
