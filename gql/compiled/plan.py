"""Plan: (validated operation, variables, principal) -> one plan per root field, or a reason
to fall back. Pure: it reads the schema and the declarations, never the database.

Row filters arrive as `Rows`: the SQL of a scoping QuerySet (permissions/scoping.py, the same
one the resolver path starts from) selecting the ids a level may show, with its parameters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values
from graphql.type import GraphQLIncludeDirective, GraphQLSkipDirective
from tortoise.queryset import QuerySet

from gql.compiled.declare import (
    REGISTRY,
    Column,
    EditLock,
    Embedded,
    FlagList,
    Form,
    FormLock,
    Given,
    JsonKey,
    JsonObject,
    JsonRows,
    LineWarnings,
    Lookup,
    NowBetween,
    OrConstant,
    Paged,
    Percent,
    Relation,
    RowSql,
    RuleRows,
    ScopedId,
    SelectRows,
    SqlType,
    SumOf,
    Through,
    ValueList,
    ViewRow,
    ViewRows,
    WindowPart,
)
from permissions.principal import Principal

SCALAR_CODECS = {"String": "text", "ID": "text", "Int": "int", "Boolean": "bool",
                 "Decimal": "decimal", "DateTime": "datetime"}


class Fallback(Exception):
    """This root field runs through strawberry; the message says why (for tests and logs)."""


@dataclass(frozen=True)
class Rows:
    """SELECT of the ids a level may show: Tortoise's SQL with its own placeholders."""

    sql: str
    params: tuple[Any, ...]
    # The column holding the ids, when known: a flat values_list names it "0".
    column: str | None = None

    @classmethod
    def of(cls, queryset: QuerySet[Any]) -> Rows:
        ids = queryset.values_list("id", flat=True)
        ids._choose_db_if_not_chosen()
        ids._make_query()
        sql, params = ids.query.get_parameterized_sql()
        named = re.match(r'SELECT (?:"\w+"\.)?"id" "0" FROM ', sql) is not None
        return cls(sql, tuple(params), '"0"' if named else None)

    def every_row_of(self, table: str) -> bool:
        """The rule lets every row of `table` through (the province's scope): a row of
        that table needs no test against it."""
        return not self.params and self.sql == f'SELECT "id" "0" FROM "{table}"'

    @classmethod
    def select(cls, query: Any) -> Rows:
        """Any Tortoise query's SQL as it is (a GROUP BY `values(...)` query)."""
        query._choose_db_if_not_chosen()
        query._make_query()
        sql, params = query.query.get_parameterized_sql()
        return cls(sql, tuple(params))


@dataclass(frozen=True)
class Leaf:
    key: str
    # typename | global_id | scoped_id | column | through | sum | flags | percent | values |
    # now_between | json (columns: the JSON column and its key) | connection | given
    # (default: its JSON text)
    kind: str
    column: str = ""  # a sum's: its JSON column, when it sums keys of one
    codec: str = ""  # text | int | bool | decimal | cents | datetime | enum
    names: tuple[tuple[str, str], ...] = ()  # enum: stored value -> GraphQL name
    columns: tuple[str, ...] = ()
    type_name: str = ""
    lookup: Lookup | None = None
    window: WindowPart | None = None
    rows: tuple[Rows, ...] = ()
    default: Any = None
    window_rows: tuple[Rows, ...] = ()  # an edit lock's: its window's (rows: its status's)
    element: str = ""  # line_warnings: its objects' type
    connection: Any = None  # kind connection: a Paged field's ConnectionPlan


@dataclass(frozen=True)
class ObjectPlan:
    type_name: str
    table: str | None
    fields: tuple[Leaf | Nested, ...]


@dataclass(frozen=True)
class Nested:
    key: str
    target: ObjectPlan
    relation: Relation | None  # None: embedded in the same row
    rows: tuple[Rows, ...]  # the relation's row rule for this principal, its view's filter
    order: tuple[tuple[str, bool], ...] = ()  # (SQL term on the target alias, descending)
    # With no relation: the one row of this table that `rows` selects (a ViewRow); None:
    # the same row as the parent's (an Embedded or a Form).
    table: str | None = None
    # With no relation: the rows a rule selects (`rows`: the campaign handed down).
    rule: RuleRows | None = None
    # A SelectRows, JsonObject, JsonRows or OrConstant (selected.py); `constant`: the
    # OrConstant's object as JSON text for this selection.
    source: Any = None
    constant: str = ""
    # An Embedded over the keys of this JSON column: null when it is null or empty.
    json: str | None = None


@dataclass
class Planner:
    """Walks one operation's selections for one principal."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues
    principal: Principal
    context: Any
    # What a root field hands down to its relations' `view`: "catalog" (CatalogView),
    # "campaign" (a Campaign queryset).
    views: dict[str, Any] = dataclass_field(default_factory=dict)
    # Inside an Embedded(cents=True): decimal columns hold integer cents.
    cents: bool = False
    # Inside an Embedded(json=...): its columns are keys of this JSON column.
    json: str | None = None
    # Inside an Embedded(prefix=...): its columns are named with this prefix.
    prefix: str = ""
    # Rows the root's answer needs (a campaign a nested field names): without them the
    # resolver path raises its error, so the root field goes to strawberry (roots.py).
    requires: list[Rows] = dataclass_field(default_factory=list)

    # -- selections ---------------------------------------------------------------------
    def collect(self, type_: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode | None]
                ) -> dict[str, list[FieldNode]]:
        """Fields by response key, in query order, after fragments and @skip/@include."""
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            if selection_set is not None:
                self._collect(type_, selection_set, fields, visited)
        return fields

    def _collect(self, type_: GraphQLObjectType, selection_set: SelectionSetNode,
                 fields: dict[str, list[FieldNode]], visited: set[str]) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, type_):
                    self._collect(type_, selection.selection_set, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition.name.value, type_):
                    self._collect(type_, fragment.selection_set, fields, visited)

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def _applies(self, condition: str, type_: GraphQLObjectType) -> bool:
        if condition == type_.name:
            return True
        abstract = self.schema.get_type(condition)
        return abstract is not None and any(i.name == condition for i in type_.interfaces)

    def arguments(self, field: GraphQLField, node: FieldNode) -> dict[str, Any]:
        return get_argument_values(field, node, self.variables)

    # -- gates ----------------------------------------------------------------------------
    def check_gates(self, field: GraphQLField, name: str) -> None:
        """The field's permission classes, as strawberry would run them: a denial (or
        anything unusual) falls back so the error is strawberry's own."""
        definition = field.extensions.get("strawberry-definition")
        for gate in getattr(definition, "permission_classes", None) or ():
            try:
                allowed = gate().has_permission(None, self)
            except Exception as exc:
                raise Fallback(f"{name}: gate {gate.__name__} denies") from exc
            if allowed is not True:
                raise Fallback(f"{name}: gate {gate.__name__} is not a plain yes")

    # -- objects --------------------------------------------------------------------------
    def object(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> ObjectPlan:
        sql = REGISTRY.get(type_.name)
        if sql is None:
            raise Fallback(f"{type_.name} has no SQL declaration")
        fields: list[Leaf | Nested] = []
        for key, field_nodes in self.collect(type_, (n.selection_set for n in nodes)).items():
            fields.append(self.field(type_, sql, key, field_nodes))
        return ObjectPlan(type_.name, sql.table, tuple(fields))

    def field(self, type_: GraphQLObjectType, sql: SqlType, key: str,
              nodes: list[FieldNode]) -> Leaf | Nested:
        name = nodes[0].name.value
        if name == "__typename":
            return Leaf(key, "typename", type_name=type_.name)
        gql_field = type_.fields[name]
        where = f"{type_.name}.{name}"
        self.check_gates(gql_field, where)
        definition = gql_field.extensions.get("strawberry-definition")
        python_name = getattr(definition, "python_name", name)
        if name == "id" and python_name == "_id":  # relay.Node's id, of a node not loaded
            python_name = "id"                     # by node(id:) here (a ScopedId)
        declared = sql.fields.get(python_name)
        if isinstance(declared, Form):
            return self.form(key, declared, gql_field, nodes, where)
        if isinstance(declared, Paged):
            if len(nodes) > 1 and any(n.arguments != nodes[0].arguments for n in nodes[1:]):
                raise Fallback(f"{where}: merged with other arguments")
            return Leaf(key, "connection", connection=declared.plan(self, key, gql_field, nodes))
        if gql_field.args:
            raise Fallback(f"{where} takes arguments")
        if isinstance(declared, Given):
            return Leaf(key, "given", default=self.given_json(gql_field, declared, where))
        if name == "id" and sql.node:
            return Leaf(key, "global_id", column="id", type_name=type_.name)
        if self.json is not None:  # an Embedded(json=...): its columns and sums only
            if isinstance(declared, Column):
                return Leaf(key, "json", columns=(self.json, declared.name or python_name),
                            **self.json_codec(gql_field, where))
            if not isinstance(declared, SumOf):
                raise Fallback(f"{where}: no SQL form inside a JSON column")
        if self.prefix and not isinstance(declared, Column | SumOf):
            raise Fallback(f"{where}: no SQL form among prefixed columns")
        if isinstance(declared, JsonKey):
            return Leaf(key, "json", columns=(declared.column, declared.key),
                        **self.json_codec(gql_field, where))
        if isinstance(declared, Column):
            codec = self.codec(gql_field, where)
            if (self.cents or declared.cents) and codec["codec"] == "decimal":
                codec["codec"] = "cents"
            return Leaf(key, "column", column=self.prefix + (declared.name or python_name),
                        **codec)
        if isinstance(declared, RowSql):
            return Leaf(key, "through", column=python_name, type_name=type_.name,
                        **self.codec(gql_field, where))
        if isinstance(declared, Through):
            return Leaf(key, "through", column=declared.path, type_name=type_.name,
                        **self.codec(gql_field, where))
        if isinstance(declared, SumOf):
            return Leaf(key, "sum", columns=tuple(self.prefix + c for c in declared.columns),
                        column=self.json or "",
                        codec="cents" if self.cents else "decimal")
        if isinstance(declared, ScopedId):
            if declared.type_name is not None and len(declared.columns) != 1:
                raise Fallback(f"{where}: another type's id over several columns")
            return Leaf(key, "scoped_id", columns=declared.columns,
                        type_name=declared.type_name or type_.name,
                        codec="nullable" if declared.type_name else "")
        if isinstance(declared, Percent):
            return Leaf(key, "percent", columns=(declared.numerator, declared.denominator),
                        type_name=type_.name)
        if isinstance(declared, ValueList):
            element, many = unwrap(gql_field.type)
            scalar = SCALAR_CODECS.get(getattr(element, "name", ""))
            if not many or scalar not in ("int", "text"):
                raise Fallback(f"{where}: no SQL form for its list")
            return Leaf(key, "values", column=declared.column, codec=scalar,
                        columns=(declared.table, declared.remote))
        if isinstance(declared, NowBetween):
            return Leaf(key, "now_between", columns=(declared.low, declared.high))
        if isinstance(declared, FlagList):
            return Leaf(key, "flags", names=tuple((c, m.name) for c, m in declared.flags))
        if isinstance(declared, Lookup):
            found = [Rows.of(self.campaign_view(where))]
            if declared.scope:
                found.append(Rows.of(declared.scope(self.principal)))
            return Leaf(key, "lookup", column=declared.column, lookup=declared,
                        rows=tuple(found), default=declared.default,
                        **self.codec(gql_field, where))
        if isinstance(declared, WindowPart):
            window_rows = (Rows.of(self.campaign_view(where)),
                           Rows.of(declared.extension_scope(self.principal)))
            return Leaf(key, "window", window=declared, rows=window_rows,
                        **self.codec(gql_field, where))
        if isinstance(declared, EditLock):
            return self.edit_lock(key, declared, gql_field, nodes, where)
        if isinstance(declared, FormLock):
            target, _ = unwrap(gql_field.type)
            return Leaf(key, declared.shows, names=self.lock_parts(gql_field, nodes, where),
                        columns=(declared.status, declared.opens, declared.closes),
                        type_name=getattr(target, "name", ""))
        if isinstance(declared, LineWarnings):
            element, many = unwrap(gql_field.type)
            if not many or not isinstance(element, GraphQLObjectType):
                raise Fallback(f"{where} is not a list of objects")
            names = self.lock_parts(gql_field, nodes, where, ("code", "field", "message"))
            return Leaf(key, "line_warnings", names=names, columns=(declared.planned,),
                        type_name=type_.name, element=element.name)
        if isinstance(declared, ViewRow):
            return self.view_row(key, declared, gql_field, nodes, where)
        if isinstance(declared, RuleRows):
            return self.rule_rows(key, declared, gql_field, nodes, where)
        if isinstance(declared, SelectRows | JsonObject | JsonRows | OrConstant | ViewRows):
            from gql.compiled.selected import plan_selected

            return plan_selected(self, type_, sql, key, declared, gql_field, nodes, where)
        if isinstance(declared, Embedded | Relation):
            target, many = unwrap(gql_field.type)
            if not isinstance(target, GraphQLObjectType):
                raise Fallback(f"{where} is not an object")
            views = self.views
            rows: tuple[Rows, ...] = ()
            if isinstance(declared, Relation):
                if many != declared.many:
                    raise Fallback(f"{where}: declaration and schema disagree on a list")
                rows = tuple(Rows.of(qs) for qs in (
                    declared.scope(self.principal) if declared.scope else None,
                    declared.view(views) if declared.view else None) if qs is not None)
            # Views go on only where the resolver path hands them down (catalog children).
            self.views = views if isinstance(declared, Relation) and declared.keeps_view else {}
            cents, json, prefix = self.cents, self.json, self.prefix
            self.cents = isinstance(declared, Embedded) and declared.cents
            self.json = declared.json if isinstance(declared, Embedded) else None
            self.prefix = declared.prefix if isinstance(declared, Embedded) else ""
            try:
                plan = self.object(target, nodes)
            finally:
                self.views = views
                self.cents, self.json, self.prefix = cents, json, prefix
            if isinstance(declared, Embedded):
                return Nested(key, plan, None, (), json=declared.json)
            return Nested(key, plan, declared, rows, self.order(target.name, declared.order))
        raise Fallback(f"{where} has no SQL form")

    def object_under(self, type_: GraphQLObjectType, nodes: list[FieldNode],
                     views: dict[str, Any]) -> ObjectPlan:
        """`object` with these views handed down (none: `{}`) instead of the current ones."""
        current, self.views = self.views, views
        try:
            return self.object(type_, nodes)
        finally:
            self.views = current

    def form(self, key: str, declared: Form, gql_field: GraphQLField, nodes: list[FieldNode],
             where: str) -> Nested:
        from gql.catalog.queries import campaign_named

        if len(nodes) > 1 and any(n.arguments != nodes[0].arguments for n in nodes[1:]):
            raise Fallback(f"{where}: merged with other arguments")
        target, _ = unwrap(gql_field.type)
        if not isinstance(target, GraphQLObjectType):
            raise Fallback(f"{where} is not an object")
        campaign = campaign_named(self.arguments(gql_field, nodes[0]).get("campaignCode"))
        self.requires.append(Rows.of(campaign))
        plan = self.object_under(target, nodes, {"campaign": campaign})
        return Nested(key, plan, None, (Rows.of(declared.scope(self.principal)),))

    def view_row(self, key: str, declared: ViewRow, gql_field: GraphQLField,
                 nodes: list[FieldNode], where: str) -> Nested:
        target, many = unwrap(gql_field.type)
        if many or not isinstance(target, GraphQLObjectType):
            raise Fallback(f"{where} is not one object")
        view = self.views.get(declared.view)
        if view is None:
            raise Fallback(f"{where}: no {declared.view} handed down")
        plan = self.object_under(target, nodes, {})
        return Nested(key, plan, None, (Rows.of(view),),
                      table=REGISTRY[declared.type_name].table)

    def rule_rows(self, key: str, declared: RuleRows, gql_field: GraphQLField,
                  nodes: list[FieldNode], where: str) -> Nested:
        target, many = unwrap(gql_field.type)
        if not many or not isinstance(target, GraphQLObjectType):
            raise Fallback(f"{where} is not a list of objects")
        campaign = Rows.of(self.campaign_view(where))
        plan = self.object_under(target, nodes, {})
        return Nested(key, plan, None, (campaign,), self.order(target.name, declared.order),
                      rule=declared)

    def edit_lock(self, key: str, declared: EditLock, gql_field: GraphQLField,
                  nodes: list[FieldNode], where: str) -> Leaf:
        """`lock { code message }` (kind lock, `names`: its keys and fields in query order),
        `editable` or `nextStep` (kinds editable, next_step)."""
        campaign = Rows.of(self.campaign_view(where))
        status = declared.status
        status_rows = (campaign, *((Rows.of(status.scope(self.principal)),)
                                   if status.scope else ()))
        window_rows = (campaign, Rows.of(declared.window.extension_scope(self.principal)))
        target, _ = unwrap(gql_field.type)
        return Leaf(key, declared.shows, names=self.lock_parts(gql_field, nodes, where),
                    lookup=status, window=declared.window, rows=status_rows,
                    window_rows=window_rows, default=status.default,
                    type_name=getattr(target, "name", ""))

    def lock_parts(self, gql_field: GraphQLField, nodes: list[FieldNode], where: str,
                   shown: tuple[str, ...] = ("code", "message")
                   ) -> tuple[tuple[str, str], ...]:
        """A `lock { code message }`'s keys and fields (of `shown`, or __typename) in query
        order (none: a scalar)."""
        target, _ = unwrap(gql_field.type)
        parts: list[tuple[str, str]] = []
        if isinstance(target, GraphQLObjectType):
            for part_key, part_nodes in self.collect(
                    target, (n.selection_set for n in nodes)).items():
                name = part_nodes[0].name.value
                if name not in (*shown, "__typename"):
                    raise Fallback(f"{where}.{name} has no SQL form")
                if name != "__typename":
                    self.check_gates(target.fields[name], f"{target.name}.{name}")
                parts.append((part_key, name))
        return tuple(parts)

    def given_json(self, field: GraphQLField, declared: Given, where: str) -> str:
        """A Given's value as JSON text, serialized by the field's GraphQL type as strawberry
        serializes it (scalars and enums, or a list of them)."""
        if declared.view not in self.views:
            raise Fallback(f"{where}: no {declared.view} handed down")
        value = self.views[declared.view]
        type_, many = unwrap(field.type)
        if not isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            raise Fallback(f"{where}: no SQL form for its type")
        shown = ([None if v is None else type_.serialize(v) for v in value] if many
                 else None if value is None else type_.serialize(value))
        return json.dumps(shown, ensure_ascii=False, separators=(",", ":"))

    def campaign_view(self, where: str) -> Any:
        campaign = self.views.get("campaign")
        if campaign is None:
            raise Fallback(f"{where}: no campaign handed down")
        return campaign

    def codec(self, field: GraphQLField, where: str) -> dict[str, Any]:
        type_, many = unwrap(field.type)
        if many:
            raise Fallback(f"{where} is a list of scalars")
        if isinstance(type_, GraphQLEnumType):
            names = tuple((stored_value(v.value), n) for n, v in type_.values.items())
            return {"codec": "enum", "names": names}
        codec = SCALAR_CODECS.get(getattr(type_, "name", ""))
        if codec is None:
            raise Fallback(f"{where}: no SQL form for its scalar")
        return {"codec": codec}

    def json_codec(self, field: GraphQLField, where: str) -> dict[str, Any]:
        """A JSON key's codec: numbers only (what models/ writes there)."""
        codec = self.codec(field, where)
        if codec["codec"] not in ("int", "decimal"):
            raise Fallback(f"{where}: no SQL form for a JSON key of its type")
        return codec

    def order(self, type_name: str, terms: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
        """Tortoise order_by terms as (column or `relation.column` path, descending)."""
        return tuple((term.lstrip("-"), term.startswith("-")) for term in terms)


def unwrap(type_: Any) -> tuple[Any, bool]:
    """The named type under NonNull/List wrappers, and whether it is a list."""
    many = False
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        many = many or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, many


def stored_value(value: Any) -> str:
    """What the database holds for an enum's internal value (a str enum's value)."""
    return str(value.value if hasattr(value, "value") else value)
