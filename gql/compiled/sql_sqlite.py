"""SQLite pieces: numbered `?n` parameters, JSON1's json_quote for strings, group_concat
over an ordered subquery (3.40 has no ORDER BY inside aggregates), base64 and old
Asia/Shanghai times by functions registered on the connection (functions.py)."""

from __future__ import annotations

from typing import Any

from gql.compiled.render import Dialect


class Sqlite(Dialect):
    name = "sqlite"

    def placeholder(self, number: int, value: Any) -> str:
        return f"?{number}"

    def renumber(self, sql: str, first: int) -> str:
        # Tortoise binds every value: a `?` outside a quoted name is a placeholder.
        out: list[str] = []
        number = first
        quote = ""
        for ch in sql:
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch == "?":
                out.append(f"?{number}")
                number += 1
                continue
            out.append(ch)
        return "".join(out)

    def quote(self, expr: str) -> str:
        return f"json_quote({expr})"

    def decimal_text(self, expr: str) -> str:
        # Stored as text with at most 2 decimals and at most 10^7 in total: a double
        # holds it exactly enough for printf's rounding to two places.
        return f"printf('%.2f', {expr})"

    def text_json(self, expr: str) -> str:
        return f"json_quote({expr})"  # 'null' for NULL already

    def decimal_json(self, expr: str) -> str:
        # One printf with the quotes in its format: `'"' || printf(..) || '"'` copied the
        # text twice more, and a form has six amounts per row.
        return f"printf('\"%.2f\"', {expr})"

    def cents_json(self, expr: str) -> str:
        return _cents(expr, '"')

    def cents_text(self, expr: str) -> str:
        return _cents(expr)

    def datetime_text(self, expr: str) -> str:
        return f"gql_shanghai({expr})"

    def datetime_json(self, expr: str) -> str:
        return f"gql_datetime_json({expr})"

    def minutes_text(self, expr: str) -> str:
        return f"gql_minutes({expr})"

    def days_before(self, expr: str, days: str) -> str:
        return f"gql_days_before({expr}, {days})"

    def utc_stamp(self, expr: str) -> str:
        return f"gql_utc_stamp({expr})"

    def binary_text(self, expr: str) -> str:
        return expr  # BINARY, SQLite's default: UTF-8 bytes, code point order

    def greatest_known(self, a: str, b: str) -> str:
        # max() is NULL when either is: the other one then, as greatest() does
        return f"coalesce(max({a}, {b}), {a}, {b})"

    def base64(self, expr: str) -> str:
        return f"gql_base64({expr})"

    def json_number(self, expr: str, key: str) -> str:
        return f"json_extract({expr}, '$.{key}')"

    def json_present(self, expr: str) -> str:
        return f"({expr} IS NOT NULL AND json({expr}) NOT IN ('null', '{{}}'))"

    def array(self, element: str, from_where: str, order: str) -> str:
        return (f"(SELECT '[' || coalesce(group_concat(gql_e, ','), '') || ']' FROM"
                f" (SELECT {element} AS gql_e {from_where} ORDER BY {order}))")

    def aggregate(self, element: str, order: str) -> str:
        return f"group_concat({element}, ',')"

    def ordered_rows(self, select: str, order: str) -> str:
        return f"(SELECT * FROM ({select}) ORDER BY {order})"

    def instant(self, expr: str) -> str:
        return f"gql_instant({expr})"

    def json_key(self, doc: str, key: str) -> str:
        return f"json_extract({doc}, '$.{key}')"

    def json_object_shown(self, doc: str) -> str:
        return f"(json_type({doc}) = 'object' AND json({doc}) <> '{{}}')"

    def json_elements(self, doc: str, alias: str) -> tuple[str, str, str]:
        return f"json_each({doc}) {alias}", f"{alias}.value", f"{alias}.key"


def _cents(expr: str, quote: str = "") -> str:
    # integers only: exact whatever the size (printf('%.2f') would go through a double)
    return (f"printf('{quote}%s%d.%02d{quote}', CASE WHEN {expr} < 0 THEN '-' ELSE '' END,"
            f" abs({expr}) / 100, abs({expr}) % 100)")
