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

    def cents_text(self, expr: str) -> str:
        # integers only: exact whatever the size (printf('%.2f') would go through a double)
        return (f"printf('%s%d.%02d', CASE WHEN {expr} < 0 THEN '-' ELSE '' END,"
                f" abs({expr}) / 100, abs({expr}) % 100)")

    def datetime_text(self, expr: str) -> str:
        # Stored as Python's isoformat(" ") in UTC. Since 1991 Asia/Shanghai is +08:00 all
        # year; an older time goes through the tz database (gql_shanghai, functions.py).
        fraction = (f"CASE WHEN substr({expr}, 20, 1) = '.' THEN substr({expr}, 20, 7)"
                    " ELSE '' END")
        return (f"(CASE WHEN {expr} < '1992' THEN gql_shanghai({expr}) ELSE"
                f" strftime('%Y-%m-%dT%H:%M:%S', {expr}, '+8 hours') || {fraction} ||"
                " '+08:00' END)")

    def minutes_text(self, expr: str) -> str:
        return (f"(CASE WHEN {expr} < '1992' THEN replace(substr(gql_shanghai({expr}), 1, 16),"
                f" 'T', ' ') ELSE strftime('%Y-%m-%d %H:%M', {expr}, '+8 hours') END)")

    def base64(self, expr: str) -> str:
        return f"gql_base64({expr})"

    def greatest(self, a: str, b: str) -> str:
        return f"max({a}, {b})"

    def least(self, a: str, b: str) -> str:
        return f"min({a}, {b})"

    def array(self, element: str, from_where: str, order: str) -> str:
        return (f"(SELECT '[' || coalesce(group_concat(gql_e, ','), '') || ']' FROM"
                f" (SELECT {element} AS gql_e {from_where} ORDER BY {order}))")

    def aggregate(self, element: str, order: str) -> str:
        return f"group_concat({element}, ',')"

    def ordered_rows(self, select: str, order: str) -> str:
        return f"(SELECT * FROM ({select}) ORDER BY {order})"
