"""Fields over rows a rule of models/ builds in its own SQL (declare.py SelectRows: a form's
history, a UNION of its sources), objects stored as JSON in such rows (JsonObject, JsonRows),
a to-one relation shown as a constant where the row names none (OrConstant) and the rows of
a queryset a root field hands down (ViewRows)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLScalarType,
)

from gql.compiled.declare import (
    REGISTRY,
    JsonObject,
    JsonRows,
    OrConstant,
    SelectRows,
    SqlType,
    ViewRows,
)
from gql.compiled.plan import Fallback, Leaf, Nested, ObjectPlan, Planner, Rows, unwrap

if TYPE_CHECKING:
    from gql.compiled.render import Renderer

# What a field of an object stored as JSON may be: its text or number, as the resolver path
# reads it from the parsed JSON.
JSON_CODECS = ("text", "int")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def plan_selected(planner: Planner, type_: GraphQLObjectType, sql: SqlType, key: str,
                  declared: SelectRows | JsonObject | JsonRows | OrConstant | ViewRows,
                  gql_field: GraphQLField, nodes: list[FieldNode], where: str) -> Nested:
    target, many = unwrap(gql_field.type)
    if not isinstance(target, GraphQLObjectType):
        raise Fallback(f"{where} is not an object")
    if isinstance(declared, OrConstant):
        if many or declared.relation.many:
            raise Fallback(f"{where} is not one object")
        definition = gql_field.extensions.get("strawberry-definition")
        python_name = getattr(definition, "python_name", nodes[0].name.value)
        relation = planner.field(type_, SqlType(sql.type_name, sql.table,
                                                {python_name: declared.relation}), key, nodes)
        assert isinstance(relation, Nested)
        return replace(relation, source=declared,
                       constant=constant_json(planner, target, nodes, declared.constant, where))
    if isinstance(declared, ViewRows):
        view = planner.views.get(declared.view)
        if not many or view is None:
            raise Fallback(f"{where}: not a list, or no {declared.view} handed down")
        plan = planner.object_under(target, nodes, {})
        return Nested(key, plan, None, (view if isinstance(view, Rows) else Rows.of(view),),
                      planner.order(target.name, declared.order), source=declared)
    if isinstance(declared, SelectRows):
        if not many:
            raise Fallback(f"{where} is not a list of objects")
        given: list[Rows] = []
        if declared.view is not None:
            viewed = planner.views.get(declared.view)
            if viewed is None:
                raise Fallback(f"{where}: no {declared.view} handed down")
            given.append(Rows.of(viewed))
        if declared.scope is not None:
            given.append(Rows.of(declared.scope(planner.principal)))
        plan = planner.object_under(target, nodes, {})
        return Nested(key, plan, None, tuple(given),
                      planner.order(target.name, declared.order), source=declared)
    if many != isinstance(declared, JsonRows):
        raise Fallback(f"{where}: declaration and schema disagree on a list")
    plan = planner.object_under(target, nodes, {})
    for part in plan.fields:
        if not (isinstance(part, Leaf) and (part.kind == "typename" or (
                part.kind == "column" and part.codec in JSON_CODECS))):
            raise Fallback(f"{where}.{part.key}: no SQL form over JSON")
    return Nested(key, plan, None, (), source=declared)


def constant_json(planner: Planner, type_: GraphQLObjectType, nodes: list[FieldNode],
                  value: Any, where: str) -> str:
    """`value` (an object of `type_`) as the selection shows it, as JSON text: its scalar
    fields serialized by their GraphQL types, as strawberry does."""
    parts = []
    for key, field_nodes in planner.collect(type_, (n.selection_set for n in nodes)).items():
        name = field_nodes[0].name.value
        shown: Any = type_.name
        if name != "__typename":
            field = type_.fields[name]
            planner.check_gates(field, f"{type_.name}.{name}")
            named, many = unwrap(field.type)
            definition = field.extensions.get("strawberry-definition")
            raw = getattr(value, getattr(definition, "python_name", name), None)
            if (field.args or many or callable(raw)
                    or not isinstance(named, GraphQLScalarType | GraphQLEnumType)):
                raise Fallback(f"{where}.{name}: no constant form")
            shown = None if raw is None else named.serialize(raw)
        parts.append(f"{_dumps(key)}:{_dumps(shown)}")
    return "{" + ",".join(parts) + "}"


def render_selected(r: Renderer, nested: Nested, alias: str) -> str:
    from gql.compiled.render import checked

    d = r.dialect
    source = nested.source
    if isinstance(source, OrConstant):
        local = f"{alias}.{checked(source.relation.local)}"
        shown = r.nested(replace(nested, source=None), alias)
        return f"(CASE WHEN {local} IS NULL THEN {r.param(nested.constant)} ELSE {shown} END)"
    if isinstance(source, ViewRows):
        inner = r.alias()
        r.from_rows(inner)
        element = r.object(nested.target, inner)
        order = r.order(source.type_name, nested.order, inner)
        # `IN`, not among()'s correlated EXISTS: the rows are few of the whole table (no
        # parent row narrows it), so the subquery runs once and drives lookups by id
        where = " AND ".join(f"{inner}.id IN {r.rows(rows)}" for rows in nested.rows)
        table = checked(REGISTRY[source.type_name].table or "")
        return d.array(element, f"{r.from_clause(table, inner)} WHERE {where}", order)
    if isinstance(source, SelectRows):
        inner = r.alias()
        select = source.select(f"{alias}.{checked(source.row)}",
                               *(r.rows(given) for given in nested.rows))
        r.from_rows(inner)
        element = r.object(nested.target, inner)
        order = ", ".join(
            (d.instant(term) if path in source.times else term) + (" DESC" if down else "")
            for path, down in nested.order for term in [f"{inner}.{checked(path)}"])
        return d.array(element, r.from_clause(f"({select})", inner), order or f"{inner}.id")
    if isinstance(source, JsonObject):
        doc = f"{alias}.{checked(source.column)}"
        return (f"(CASE WHEN {d.json_object_shown(doc)} THEN {json_object(r, nested.target, doc)}"
                " ELSE 'null' END)")
    assert isinstance(source, JsonRows)
    from_, element, position = d.json_elements(f"{alias}.{checked(source.column)}", r.alias())
    return d.array(json_object(r, nested.target, element), f"FROM {from_}", position)


def json_object(r: Renderer, plan: ObjectPlan, doc: str) -> str:
    """An object whose fields are keys of the JSON object `doc` (planned: columns, by the
    codecs of JSON_CODECS, and __typename)."""
    from gql.compiled.render import checked, key_text

    parts = []
    for i, leaf in enumerate(plan.fields):
        assert isinstance(leaf, Leaf)
        key = key_text(leaf.key)
        if i:
            key = "'," + key[1:]
        value = r.leaf(leaf, doc) if leaf.kind == "typename" else r.value(
            leaf, r.dialect.json_key(doc, checked(leaf.column)))
        parts.append(f"{key} || {value}")
    return "('{' || " + " || ".join(parts) + " || '}')"
