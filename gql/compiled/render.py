"""SQL: a root plan rendered to ONE statement whose single value is the answer's JSON text.

The JSON is concatenated from text pieces (not json_build_object, which PostgreSQL prints as
`"a" : 1`), so the bytes equal Python's `json.dumps(..., separators=(",", ":"),
ensure_ascii=False)` of the resolver path's answer. What differs between databases (quoting a
string, base64, ordered aggregation, parameters) is a `Dialect` (sql_pg.py, sql_sqlite.py).

Values are always bound parameters. What is pasted into the SQL text comes from the code or
the GraphQL grammar only: table and column names of the declarations, enum names and values,
type names, and response keys (GraphQL names: `[_A-Za-z][_0-9A-Za-z]*`, checked again here).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from tortoise import Tortoise

from gql.compiled.declare import REGISTRY, Relation, RowSql
from gql.compiled.plan import Leaf, Nested, ObjectPlan, Rows
from gql.compiled.roots import RootPlan

NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


def key_text(key: str) -> str:
    """`"key":` as an SQL literal; a GraphQL name needs no escaping."""
    if not NAME.fullmatch(key):
        raise ValueError(f"not a GraphQL name: {key!r}")
    return f"'\"{key}\":'"


class Now:
    """A parameter bound to the time of each execution (never cached)."""

    def __repr__(self) -> str:
        return "NOW"


NOW = Now()


class Dialect:
    """The SQL pieces that differ between databases."""

    name = ""

    def placeholder(self, number: int, value: Any) -> str:
        raise NotImplementedError

    def renumber(self, sql: str, first: int) -> str:
        """Tortoise's placeholders in a scoping subquery, renumbered from `first`."""
        raise NotImplementedError

    def quote(self, expr: str) -> str:
        """A text value as a JSON string (NULL stays NULL)."""
        raise NotImplementedError

    def int_text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"

    def text_json(self, expr: str) -> str:
        """A text value as a JSON string, `null` for NULL."""
        return f"coalesce({self.quote(expr)}, 'null')"

    def decimal_text(self, expr: str) -> str:
        raise NotImplementedError

    def decimal_json(self, expr: str) -> str:
        """decimal_text as a JSON string (a NULL `expr` as decimal_text prints it)."""
        return f"('\"' || {self.decimal_text(expr)} || '\"')"

    def cents_json(self, expr: str) -> str:
        """cents_text as a JSON string."""
        return f"('\"' || {self.cents_text(expr)} || '\"')"

    def datetime_text(self, expr: str) -> str:
        raise NotImplementedError

    def datetime_json(self, expr: str) -> str:
        """A DateTime field's JSON value: the quoted text, or null."""
        return f"(CASE WHEN {expr} IS NULL THEN 'null' ELSE ('\"' || {self.datetime_text(expr)}" \
               " || '\"') END)"

    def greatest_known(self, a: str, b: str) -> str:
        """The later of two times, either of which may be NULL (NULL when both are)."""
        raise NotImplementedError

    def minutes_text(self, expr: str) -> str:
        """A stored time as models/clock.py beijing() prints it: `YYYY-MM-DD HH:MM`, Beijing."""
        raise NotImplementedError

    def utc_stamp(self, expr: str) -> str:
        """A stored time as gql/oversight/types.py _stamp prints it (UTC, microseconds)."""
        raise NotImplementedError

    def binary_text(self, expr: str) -> str:
        """Text that compares and sorts by code point, as Python's str does."""
        raise NotImplementedError

    def cents_text(self, expr: str) -> str:
        """Integer hundredths as the two-decimal text Decimal prints ("-0.05", "12.50")."""
        raise NotImplementedError

    def base64(self, expr: str) -> str:
        raise NotImplementedError

    def json_number(self, expr: str, key: str) -> str:
        """The number under `key` of the JSON value `expr` (NULL without one)."""
        raise NotImplementedError

    def json_present(self, expr: str) -> str:
        """Whether the JSON value `expr` is neither NULL, JSON null nor an empty object (an
        object Python takes for true)."""
        raise NotImplementedError

    def array(self, element: str, from_where: str, order: str) -> str:
        """`[e1,e2,...]` (`[]` when no row) of `element` over `FROM ... WHERE ...`."""
        raise NotImplementedError

    def aggregate(self, element: str, order: str) -> str:
        """Comma-joined `element` in `order`, over the rows of the enclosing FROM."""
        raise NotImplementedError

    def ordered_rows(self, select: str, order: str) -> str:
        """A FROM source whose row order the aggregate keeps."""
        raise NotImplementedError

    def days_before(self, expr: str, days: str) -> str:
        """A stored time less `days` whole days of 24 hours (NULL when either is)."""
        raise NotImplementedError

    def instant(self, expr: str) -> str:
        """A stored time as a term that orders as the instants do."""
        return expr

    def json_key(self, doc: str, key: str) -> str:
        """The scalar at `key` of the JSON object `doc` (text or a number; NULL for null)."""
        raise NotImplementedError

    def json_object_shown(self, doc: str) -> str:
        """Whether `doc` holds a JSON object with at least one key."""
        raise NotImplementedError

    def json_elements(self, doc: str, alias: str) -> tuple[str, str, str]:
        """A FROM source of the elements of the JSON array `doc` at `alias`: (the source,
        an element, its position)."""
        raise NotImplementedError


class Renderer:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.params: list[Any] = []
        self.aliases = 0
        # To-one relations by primary key are LEFT JOINed into the FROM of the rows they
        # hang from instead of a correlated subquery per row: PostgreSQL ran those as a scan
        # of the (small) catalog per undertaking, twice (the item and its sort key), most of
        # the time of a province-wide read. An alias that heads a FROM (or is joined to one)
        # maps to that FROM's head; its joins collect in `joins` while its row is rendered.
        self.head: dict[str, str] = {}
        self.joins: dict[str, list[str]] = {}
        # (alias, table, what selects the row) -> the alias of a joined one-row lookup
        self.shared: dict[tuple[Any, ...], str] = {}

    def from_rows(self, alias: str) -> None:
        """`alias` heads a FROM: relations of its rows may join to it."""
        self.head[alias] = alias
        self.joins[alias] = []

    def from_clause(self, table: str, alias: str) -> str:
        return " ".join([f"FROM {table} {alias}", *self.joins.pop(alias, [])])

    def join(self, alias: str, rel: Relation, table: str, rows: tuple[Rows, ...]) -> str | None:
        """The alias of `rel`'s row LEFT JOINed to `alias`'s FROM (its row rule in the ON:
        no row, or one it may not see, gives NULLs, as the subquery gave no row); None when
        the relation is not by the target's id or `alias` heads no FROM."""
        if rel.many or rel.remote != "id":
            return None
        local = checked(rel.local)

        def on(inner: str) -> str:
            found = f"{inner}.id = {alias}.{local}"
            for r in rows:
                if not r.every_row_of(table):
                    found += " AND " + self.among(inner, r, table)
            return found

        return self.one_row(alias, table, on, ("id =", local, *rows))

    # -- parameters and subqueries -----------------------------------------------------
    def param(self, value: Any) -> str:
        self.params.append(value)
        return self.dialect.placeholder(len(self.params), value)

    def rows(self, rows: Rows) -> str:
        sql = self.dialect.renumber(rows.sql, len(self.params) + 1)
        self.params.extend(rows.params)
        return f"({sql})"

    def among(self, alias: str, rows: Rows, table: str | None = None) -> str:
        """`alias`'s row (of `table`, when given) is one of `rows`, for a level correlated
        with its parent's row: a condition for a WHERE, an ON or a WHEN (where a NULL is as
        false; never to be negated).

        As `EXISTS (... WHERE ids = alias.id)` when the ids' column is known: SQLite runs
        `alias.id IN (subquery)` by collecting the whole subquery first (every undertaking
        of the campaign: 302,500 at national size, 300 ms for one school's form), while the
        correlated EXISTS is flattened into a lookup per row (0.9 ms); PostgreSQL plans
        both as the same semi-join.

        Rows of that very table by a plain condition on its own columns (an undertaking
        not withdrawn) are that condition on `alias`'s row itself: the EXISTS read the row
        again by its id, per row (on PostgreSQL a school's form read each undertaking
        twice more for it).

        Rows of that table by a condition on the row a required reference of theirs points
        to (an undertaking of the campaign's items: Tortoise's `LEFT OUTER JOIN` through
        `item`) are that condition on the referenced row, looked up by `alias`'s own
        reference: the EXISTS looked up `alias`'s row by its id, then its item (a tenth of a
        school's form on PostgreSQL)."""
        own = _own_condition(rows, table)
        if own is not None:
            condition = self.dialect.renumber(own, len(self.params) + 1)
            self.params.extend(rows.params)
            return "(" + _COLUMN.sub(lambda m: f"{alias}.{m.group(0)}", condition) + ")"
        through = _through_reference(rows, table)
        if through is not None:
            target, reference, joined, condition = through
            row = self.alias()
            condition = self.dialect.renumber(condition, len(self.params) + 1)
            self.params.extend(rows.params)
            condition = condition.replace(f'"{joined}".', f"{row}.")
            return (f"EXISTS (SELECT 1 FROM {target} {row} WHERE {row}.id = {alias}.{reference}"
                    f" AND ({condition}))")
        if rows.column is None:
            return f"{alias}.id IN {self.rows(rows)}"
        ids = self.alias()
        return (f"EXISTS (SELECT 1 FROM {self.rows(rows)} {ids}"
                f" WHERE {ids}.{rows.column} = {alias}.id)")

    def alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"

    # -- values ---------------------------------------------------------------------------
    def nullable(self, expr: str, text: str) -> str:
        return f"(CASE WHEN {expr} IS NULL THEN 'null' ELSE {text} END)"

    def leaf(self, leaf: Leaf, alias: str) -> str:
        d = self.dialect
        if leaf.kind in ("lookup", "window"):
            return self.value(leaf, self.looked_up(leaf, alias))
        if leaf.kind in ("lock", "editable", "next_step"):
            from gql.compiled.locks import render_lock

            return render_lock(self, leaf, alias)
        if leaf.kind == "line_warnings":
            from gql.compiled.line_checks import render_line_warnings

            return render_line_warnings(self, leaf, alias)
        if leaf.kind == "typename":
            return f"'\"{checked(leaf.type_name)}\"'"
        if leaf.kind == "given":
            return self.param(leaf.default)
        if leaf.kind == "connection":
            from gql.compiled.connections import render_connection

            return f"({render_connection(self, leaf.connection)})"
        if leaf.kind == "global_id":
            return self.global_id(leaf.type_name, f"{alias}.{leaf.column}")
        if leaf.kind == "json":
            column, key = (checked(c) for c in leaf.columns)
            return self.value(leaf, d.json_number(f"{alias}.{column}", key))
        if leaf.kind == "sum":
            total = " + ".join(
                d.json_number(f"{alias}.{checked(leaf.column)}", checked(c)) if leaf.column
                else f"{alias}.{checked(c)}" for c in leaf.columns)
            as_json = d.cents_json if leaf.codec == "cents" else d.decimal_json
            return as_json(f"({total})")
        if leaf.kind == "scoped_id":
            parts = " || ':' || ".join(d.int_text(f"{alias}.{checked(c)}") for c in leaf.columns)
            text = f"'{checked(leaf.type_name)}:' || {parts}"
            shown = f"('\"' || {d.base64(text)} || '\"')"
            if leaf.codec == "nullable":
                return self.nullable(f"{alias}.{checked(leaf.columns[0])}", shown)
            return shown
        if leaf.kind == "percent":
            return self.percent(leaf, alias)
        if leaf.kind == "through":
            return self.value(leaf, self.term(leaf.type_name, leaf.column, alias))
        if leaf.kind == "values":
            table, remote = (checked(c) for c in leaf.columns)
            x, column = self.alias(), checked(leaf.column)
            return d.array(self.value(leaf, f"{x}.{column}"),
                           f"FROM {table} {x} WHERE {x}.{remote} = {alias}.id", f"{x}.{column}")
        if leaf.kind == "now_between":
            low, high = (f"{alias}.{checked(c)}" for c in leaf.columns)
            return (f"(CASE WHEN {low} <= {self.param(NOW)} AND {self.param(NOW)} <= {high}"
                    " THEN 'true' ELSE 'false' END)")
        if leaf.kind == "flags":
            items = " || ".join(f"(CASE WHEN {alias}.{c} THEN '\"{checked(n)}\",' ELSE '' END)"
                                for c, n in leaf.names)
            return f"('[' || rtrim({items}, ',') || ']')"
        return self.value(leaf, f"{alias}.{checked(leaf.column)}")

    def percent(self, leaf: Leaf, alias: str) -> str:
        """models/oversight.py target_percent in integers: hundredths of n * 100 / d, rounded
        half to even as Decimal.quantize does, so no float or database rounding mode."""
        numerator, denominator = leaf.columns
        n = f"(coalesce({self.term(leaf.type_name, numerator, alias)}, 0) * 10000)"
        d = self.term(leaf.type_name, denominator, alias)
        down, left = f"({n} / {d})", f"({n} % {d})"
        rounded = (f"({down} + CASE WHEN 2 * {left} > {d} OR (2 * {left} = {d} AND {down} % 2"
                   " = 1) THEN 1 ELSE 0 END)")
        return (f"(CASE WHEN coalesce({d}, 0) = 0 THEN 'null' ELSE"
                f" {self.dialect.cents_json(rounded)} END)")

    def one_row(self, alias: str, table: str, on: Callable[[str], str],
                share: tuple[Any, ...]) -> str | None:
        """The alias of the (at most) one `table` row `on(x)` selects, LEFT JOINed to the FROM
        that `alias` belongs to, once per `share` key; None when `alias` heads no FROM (then
        the caller reads it by a correlated subquery). The columns a form reads (status,
        version, dates: one row each of its declaration, campaign and extension) were a
        subquery each: eighteen for one school's form."""
        head = self.head.get(alias)
        if head is None:
            return None
        key = (alias, table, *share)
        if key not in self.shared:
            x = self.alias()
            self.joins[head].append(f"LEFT JOIN {table} {x} ON {on(x)}")
            self.head[x] = head
            self.shared[key] = x
        return self.shared[key]

    def view_row(self, alias: str, table: str, rows: Rows) -> str | None:
        """The alias of the one `table` row of a view (the campaign asked for) joined to
        `alias`'s FROM: one join for the form's dates and its `campaign` alike."""
        return self.one_row(alias, table, lambda x: f"{x}.id IN {self.rows(rows)}", (rows,))

    def looked_up(self, leaf: Leaf, alias: str) -> str:
        """The SQL value of a Lookup or WindowPart leaf, for the row at `alias`."""
        campaign, *scopes = leaf.rows
        if leaf.lookup is not None:
            lk = leaf.lookup

            def where(x: str) -> str:
                found = (f"{x}.{checked(lk.remote)} = {alias}.id AND"
                         f" {x}.{checked(lk.campaign)} IN {self.rows(campaign)}")
                for scope in scopes:
                    if not scope.every_row_of(lk.table):
                        found += f" AND {x}.id IN {self.rows(scope)}"
                return found

            table = checked(lk.table)
            joined = self.one_row(alias, table, where, (lk.remote, lk.campaign, *leaf.rows))
            if joined is not None:
                found = f"{joined}.{checked(lk.column)}"
            else:
                x = self.alias()
                found = f"(SELECT {x}.{checked(lk.column)} FROM {table} {x} WHERE {where(x)})"
            if lk.default is None:
                return found
            return f"coalesce({found}, {self.param(lk.default)})"
        w = leaf.window
        assert w is not None

        def campaign_column(column: str) -> str:
            joined = self.view_row(alias, "campaign", campaign)
            if joined is not None:
                return f"{joined}.{checked(column)}"
            c = self.alias()
            return (f"(SELECT {c}.{checked(column)} FROM campaign {c} WHERE {c}.id IN"
                    f" {self.rows(campaign)})")

        if w.part == "opens":  # (every piece rendered is used: it binds its parameters)
            return campaign_column(w.opens)

        def extension(x: str) -> str:  # an extension counts only while it runs
            seen = ("" if scopes[0].every_row_of(w.extension_table) else
                    f" AND {x}.id IN {self.rows(scopes[0])}")
            return (f"{x}.organization_id = {alias}.id AND {x}.campaign_id IN"
                    f" {self.rows(campaign)}{seen} AND {x}.until > {self.param(NOW)}")

        table = checked(w.extension_table)
        joined = self.one_row(alias, table, extension, (campaign, scopes[0]))
        if joined is not None:
            running = f"{joined}.until"
        else:
            x = self.alias()
            running = f"(SELECT {x}.until FROM {table} {x} WHERE {extension(x)})"
        if w.part == "extension":
            return running
        return self.dialect.greatest_known(campaign_column(w.closes), running)

    def value(self, leaf: Leaf, column: str) -> str:
        """A stored value as JSON text, by the field's codec."""
        d = self.dialect
        # coalesce rather than nullable's CASE where the text of NULL is NULL: the value
        # is computed once (twice in the CASE), and a form has one per field per row.
        if leaf.codec == "text":
            return d.text_json(column)
        if leaf.codec == "int":
            return f"coalesce({d.int_text(column)}, 'null')"
        if leaf.codec == "bool":
            return f"(CASE WHEN {column} IS NULL THEN 'null' WHEN {column} THEN 'true' ELSE" \
                   " 'false' END)"
        if leaf.codec == "decimal":
            return self.nullable(column, d.decimal_json(column))
        if leaf.codec == "cents":
            return self.nullable(column, d.cents_json(column))
        if leaf.codec == "datetime":
            return d.datetime_json(column)
        if leaf.codec == "enum":
            whens = " ".join(f"WHEN '{checked(v)}' THEN '\"{checked(n)}\"'"
                             for v, n in leaf.names)
            return f"(CASE {column} {whens} ELSE 'null' END)"
        raise ValueError(leaf.codec)

    def global_id(self, type_name: str, column: str) -> str:
        text = f"'{checked(type_name)}:' || {self.dialect.int_text(column)}"
        return f"('\"' || {self.dialect.base64(text)} || '\"')"

    # -- objects --------------------------------------------------------------------------
    def object(self, plan: ObjectPlan, alias: str) -> str:
        parts: list[str] = []
        for i, field in enumerate(plan.fields):
            # The object's `{` in its first key's literal, as `,` in the others': one piece
            # fewer to join per object (each `||` makes a new text on SQLite).
            key = ("'," if i else "'{") + key_text(field.key)[1:]
            value = self.leaf(field, alias) if isinstance(field, Leaf) else self.nested(
                field, alias)
            parts.append(f"{key} || {value}")
        return "(" + " || ".join(parts) + " || '}')" if parts else "'{}'"

    def nested(self, nested: Nested, alias: str) -> str:
        if nested.source is not None:  # rows a rule builds, JSON, a relation or a constant
            from gql.compiled.selected import render_selected

            return render_selected(self, nested, alias)
        if nested.rule is not None:  # the rows a rule of models/ selects, in its own SQL
            rule = nested.rule
            table = checked(REGISTRY[rule.type_name].table or "")
            (campaign,) = nested.rows
            inner = self.alias()
            where = f"{inner}.id IN ({rule.ids(f'{alias}.id', self.rows(campaign))})"
            self.from_rows(inner)
            element = self.object(nested.target, inner)
            order = self.order(rule.type_name, nested.order, inner)
            return self.dialect.array(element, f"{self.from_clause(table, inner)} WHERE {where}",
                                      order)
        if nested.relation is None and nested.table is not None:  # a view's row
            table = checked(nested.table)
            (rows,) = nested.rows
            joined = self.view_row(alias, table, rows)
            if joined is not None:
                return f"(CASE WHEN {joined}.id IS NULL THEN 'null' ELSE" \
                       f" {self.object(nested.target, joined)} END)"
            inner = self.alias()
            where = f"{inner}.id IN {self.rows(rows)}"
            self.from_rows(inner)
            element = self.object(nested.target, inner)
            return f"coalesce((SELECT {element} {self.from_clause(table, inner)} WHERE" \
                   f" {where}), 'null')"
        if nested.relation is None:  # the same row; shown only when among nested.rows
            shown = " AND ".join(self.among(alias, rows) for rows in nested.rows)
            if nested.json is not None:
                present = self.dialect.json_present(f"{alias}.{checked(nested.json)}")
                shown = f"{shown} AND {present}" if shown else present
            element = self.object(nested.target, alias)
            return f"(CASE WHEN {shown} THEN {element} ELSE 'null' END)" if shown else element
        rel: Relation = nested.relation
        table = checked(REGISTRY[rel.type_name].table or "")
        joined = self.join(alias, rel, table, nested.rows)
        if joined is not None:
            return f"(CASE WHEN {joined}.id IS NULL THEN 'null' ELSE" \
                   f" {self.object(nested.target, joined)} END)"
        inner = self.alias()
        where = f"{inner}.{checked(rel.remote)} = {alias}.{checked(rel.local)}"
        for rows in nested.rows:
            if not rows.every_row_of(table):
                where += " AND " + self.among(inner, rows, table)
        self.from_rows(inner)
        element = self.object(nested.target, inner)
        if rel.many:
            order = self.order(rel.type_name, nested.order, inner)
            return self.dialect.array(element, f"{self.from_clause(table, inner)} WHERE {where}",
                                      order)
        return f"coalesce((SELECT {element} {self.from_clause(table, inner)} WHERE {where})," \
               " 'null')"

    def order(self, type_name: str, terms: tuple[tuple[str, bool], ...], alias: str) -> str:
        out = []
        for path, descending in terms:
            # Tortoise order_by terms name stored columns: a field of the same name shown
            # otherwise (a comment's id as text) must not change the order ("10" < "9").
            out.append(self.term(type_name, path, alias, stored=True)
                       + (" DESC" if descending else ""))
        return ", ".join(out) or f"{alias}.id"

    def term(self, type_name: str, path: str, alias: str, stored: bool = False) -> str:
        """A column, or `relation__column` through a declared to-one relation (`stored`: the
        column itself, never a RowSql field of that name)."""
        head, _, rest = path.partition("__")
        if not rest:
            computed = REGISTRY[type_name].fields.get(head)
            if isinstance(computed, RowSql) and not stored:
                return computed.sql(alias)
            return f"{alias}.{checked(head)}"
        rel = REGISTRY[type_name].fields[head]
        assert isinstance(rel, Relation) and not rel.many
        table = checked(REGISTRY[rel.type_name].table or "")
        joined = self.join(alias, rel, table, ())
        if joined is not None:
            return self.term(rel.type_name, rest, joined, stored)
        inner = self.alias()
        value = self.term(rel.type_name, rest, inner, stored)
        return (f"(SELECT {value} FROM {table} {inner} WHERE {inner}.{checked(rel.remote)}"
                f" = {alias}.{checked(rel.local)})")

    # -- roots ----------------------------------------------------------------------------
    def root(self, plan: RootPlan) -> str:
        assert plan.kind != "constant"
        if plan.kind == "connection":
            from gql.compiled.connections import render_connection

            assert plan.connection is not None
            connection = render_connection(self, plan.connection)
            return self.with_sources(plan) + connection
        assert plan.target is not None
        table = checked(REGISTRY[plan.target.type_name].table or "")
        # Without a row `requires` names (a city, a campaign), the resolver path raises its
        # error: NULL hands the field to strawberry.
        guard = " AND ".join(f"EXISTS {self.rows(r)}" for r in plan.requires) or None
        alias = self.alias()
        if plan.rows is not None:
            where = f" WHERE {alias}.id IN {self.rows(plan.rows)}"
        elif plan.id_equals is not None:
            where = f" WHERE {alias}.id = {self.param(plan.id_equals)}"
        else:  # every row of a derived table (its WITH query holds the filters)
            where = ""
        self.from_rows(alias)
        element = self.object(plan.target, alias)
        if plan.kind == "list":
            order = self.order(plan.target.type_name, plan.order, alias)
            value = self.dialect.array(element, f"{self.from_clause(table, alias)}{where}",
                                       order)
        else:
            value = f"coalesce((SELECT {element} {self.from_clause(table, alias)}{where})," \
                    " 'null')"
        if guard:
            value = f"CASE WHEN {guard} THEN {value} END"
        return self.with_sources(plan) + f"SELECT {value}"

    def with_sources(self, plan: RootPlan) -> str:
        """`WITH name AS MATERIALIZED (...), ...`: the derived tables the plan reads, each
        computed once (a correlated subquery scans it per row, it must not rerun it)."""
        if not plan.sources:
            return ""
        parts = []
        for source in plan.sources:
            pieces = {f"r{i}": self.rows(r) for i, r in enumerate(source.rows)}
            pieces.update({f"p{i}": self.param(v) for i, v in enumerate(source.values)})
            text = source.select(self.dialect) if callable(source.select) else source.select
            select = text.format(**pieces)
            parts.append(f"{checked(source.name)} AS MATERIALIZED ({select})")
        return "WITH " + ", ".join(parts) + " "


IDENT = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")

# Tortoise's SELECT of a table's ids by a condition on that table's own columns only: quoted
# column names, placeholders (values are always bound), comparisons and the words below; no
# subquery, join, qualified name, literal or clause after the WHERE.
_OWN = re.compile(r'SELECT "id" "0" FROM "(\w+)" WHERE ((?:\s+|"\w+"|\?|\$\d+|[()=<>!,]'
                  r"|\b(?:IS|NOT|NULL|AND|OR|IN|TRUE|FALSE)\b)+)")
_COLUMN = re.compile(r'"\w+"')


def _own_condition(rows: Rows, table: str | None) -> str | None:
    """The WHERE of `rows` when it is a plain condition on `table`'s own columns, else None."""
    found = _OWN.fullmatch(rows.sql)
    if table is None or found is None or found.group(1) != table:
        return None
    return found.group(2)


# Tortoise's SQL of a filter through a to-one relation: the rows' ids, the related row
# LEFT JOINed by the reference, the condition on it.
_THROUGH = re.compile(r'SELECT "(\w+)"\."id" "0" FROM "(\w+)" LEFT OUTER JOIN "(\w+)" "(\w+)"'
                      r' ON "(\w+)"\."id"="(\w+)"\."(\w+)" WHERE (.+)', re.S)


def _through_reference(rows: Rows, table: str | None) -> tuple[str, str, str, str] | None:
    """(referenced table, reference column, the join's alias, the condition on it) when
    `rows` are the rows of `table` whose referenced row meets a condition, the reference a
    required foreign key (every row has its referenced row, so the LEFT JOIN finds exactly
    that one); else None. A condition that names `table` itself (its own columns, or a
    subquery of that table) is not taken apart."""
    found = _THROUGH.fullmatch(rows.sql)
    if table is None or found is None:
        return None
    own, head, target, joined, joined_again, own_again, reference, condition = found.groups()
    if {own, head, own_again} != {table} or joined != joined_again or f'"{table}"' in condition:
        return None
    top = _outside_subqueries(condition)
    if top is None or _CLAUSE.search(top):  # the rows ordered, limited, ...
        return None
    # Outside its subqueries the condition may name only the joined row's columns: a bare
    # name (Tortoise writes an F() on the rows' own columns as `"id"`) would be looked up
    # in the referenced table first once inside the EXISTS.
    if '"' in re.sub(re.escape(f'"{joined}".') + r'"\w+"', "", top):
        return None
    if not _required_reference(table, reference, target):
        return None
    return checked(target), checked(reference), joined, condition


# What may follow a WHERE in a SELECT: then the text after WHERE is more than a condition.
_CLAUSE = re.compile(r"\b(?:ORDER|GROUP|LIMIT|OFFSET|HAVING|UNION|EXCEPT|INTERSECT|WINDOW)\b",
                     re.I)
_SELECT = re.compile(r"\s*SELECT\b", re.I)


def _outside_subqueries(sql: str) -> str | None:
    """`sql` without the subqueries it holds (`(SELECT ...)`, whatever they hold), other
    parentheses kept; None when they do not pair up."""
    kept: list[str] = []
    inside: list[bool] = []  # per open parenthesis: within a subquery
    for at, ch in enumerate(sql):
        if ch == "(":
            inside.append(bool(inside and inside[-1]) or bool(_SELECT.match(sql, at + 1)))
            if not inside[-1]:
                kept.append(ch)
        elif ch == ")":
            if not inside:
                return None
            if not inside.pop():
                kept.append(ch)
        elif not (inside and inside[-1]):
            kept.append(ch)
    return None if inside else "".join(kept)


@cache
def _required_reference(table: str, column: str, target: str) -> bool:
    """Whether `table.column` is a NOT NULL foreign key to `target`'s id."""
    for app in Tortoise.apps.values():
        for model in app.values():
            if model._meta.db_table != table:
                continue
            for name in model._meta.fk_fields:
                field = model._meta.fields_map[name]
                if (getattr(field, "source_field", None) == column and not field.null
                        and getattr(field, "to_field", None) == "id"
                        and field.related_model._meta.db_table == target):
                    return True
    return False


def checked(name: str) -> str:
    """A name from the code (table, column, enum value, type name): pasted, so checked."""
    if not IDENT.fullmatch(name):
        raise ValueError(f"not a plain name: {name!r}")
    return name
