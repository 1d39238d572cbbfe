"""PostgreSQL pieces: numbered `$n` parameters with explicit types, to_json for strings,
string_agg with ORDER BY, base64 by encode(), times through the server's tz database."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from gql.compiled.render import Dialect, Now
from models.clock import SHANGHAI

_PLACEHOLDER = re.compile(r"\$(\d+)")
_ZONE = SHANGHAI.key


def _type_of(value: Any) -> str:
    if isinstance(value, Now | datetime):
        return "timestamptz"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, Decimal):
        return "numeric"
    if isinstance(value, datetime):
        return "timestamptz"
    return "text"


class Postgres(Dialect):
    name = "postgres"

    def placeholder(self, number: int, value: Any) -> str:
        return f"${number}::{_type_of(value)}"

    def renumber(self, sql: str, first: int) -> str:
        # Tortoise binds every value: the subquery holds no string literal with a `$`.
        return _PLACEHOLDER.sub(lambda m: f"${int(m.group(1)) + first - 1}", sql)

    def quote(self, expr: str) -> str:
        return f"to_json({expr}::text)::text"

    def decimal_text(self, expr: str) -> str:
        return f"({expr})::numeric(16,2)::text"

    def cents_text(self, expr: str) -> str:
        return f"(({expr})::numeric / 100)::numeric(20,2)::text"

    def datetime_text(self, expr: str) -> str:
        # isoformat(): microseconds only when not zero, then the zone's offset at that time.
        local = f"({expr} AT TIME ZONE '{_ZONE}')"
        offset = f"({local} - ({expr} AT TIME ZONE 'UTC'))"
        return (f"(to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN"
                f" to_char({local}, 'US') = '000000' THEN '' ELSE '.' || to_char({local}, 'US')"
                f" END || CASE WHEN {offset} < interval '0' THEN '-' ELSE '+' END ||"
                f" to_char(floor(abs(extract(epoch FROM {offset})) / 3600)::int, 'FM00') || ':' ||"
                f" to_char((abs(extract(epoch FROM {offset}))::int % 3600) / 60, 'FM00'))")

    def days_before(self, expr: str, days: str) -> str:
        # hours, not days: a day of an interval follows the session zone's clock changes
        return f"({expr} - ({days}) * interval '24 hours')"

    def utc_stamp(self, expr: str) -> str:
        return f"to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"

    def binary_text(self, expr: str) -> str:
        return f'({expr}) COLLATE "C"'  # UTF-8 bytes: code point order

    def greatest_known(self, a: str, b: str) -> str:
        return f"greatest({a}, {b})"  # NULLs are ignored

    def minutes_text(self, expr: str) -> str:
        return f"to_char({expr} AT TIME ZONE '{_ZONE}', 'YYYY-MM-DD HH24:MI')"

    def base64(self, expr: str) -> str:
        # encode() wraps lines after 76 characters: our ids are far shorter, but be exact.
        return f"replace(encode(convert_to({expr}, 'UTF8'), 'base64'), E'\\n', '')"

    def json_number(self, expr: str, key: str) -> str:
        return f"(({expr})::jsonb ->> '{key}')::numeric"

    def json_present(self, expr: str) -> str:
        return (f"(({expr})::jsonb IS NOT NULL AND ({expr})::jsonb <> 'null'::jsonb AND"
                f" ({expr})::jsonb <> '{{}}'::jsonb)")

    def array(self, element: str, from_where: str, order: str) -> str:
        return (f"(SELECT '[' || coalesce(string_agg({element}, ',' ORDER BY {order}), '')"
                f" || ']' {from_where})")

    def aggregate(self, element: str, order: str) -> str:
        return f"string_agg({element}, ',' ORDER BY {order})"

    def ordered_rows(self, select: str, order: str) -> str:
        return f"({select})"

    def json_key(self, doc: str, key: str) -> str:
        return f"(({doc})::jsonb ->> '{key}')"

    def json_object_shown(self, doc: str) -> str:
        return f"(jsonb_typeof(({doc})::jsonb) = 'object' AND ({doc})::jsonb <> '{{}}'::jsonb)"

    def json_elements(self, doc: str, alias: str) -> tuple[str, str, str]:
        return (f"jsonb_array_elements(({doc})::jsonb) WITH ORDINALITY {alias}(value, n)",
                f"{alias}.value", f"{alias}.n")
