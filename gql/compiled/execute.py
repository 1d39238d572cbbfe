"""Execution: plan the operation's root fields, run one statement per compiled root field,
let strawberry run the others, and merge both in the order the query asked for.

Runs as a schema extension around strawberry's execution step, so parsing, validation and
the depth/alias/token limits have already passed. The database's JSON text travels as
`RawJSON` to the HTTP view, which splices it into the response (`encode_response`).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution.values import get_variable_values
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension
from tortoise import connections

from gql.compiled import inline_sqlite
from gql.compiled.functions import register
from gql.compiled.plan import Fallback, Planner
from gql.compiled.render import NOW, Dialect, Renderer
from gql.compiled.roots import RootPlan, plan_root
from gql.compiled.sql_pg import Postgres
from gql.compiled.sql_sqlite import Sqlite
from models.clock import now_utc
from permissions.principal import Principal

log = logging.getLogger("gql.compiled")

DIALECTS: dict[str, Dialect] = {"postgres": Postgres(), "sqlite": Sqlite()}
CACHE_SIZE = 512


class RawJSON:
    """JSON text built by the database, spliced into the response as it is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


# One encoder, made once: json.dumps with options builds a new one on every call.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def encode_response(response: Any) -> str:
    """The HTTP body, for both paths: compact, UTF-8 as it is, database JSON spliced in."""
    data = response.get("data") if isinstance(response, dict) else None
    if not isinstance(data, dict) or not any(isinstance(v, RawJSON) for v in data.values()):
        return _dumps(response)
    body = ",".join(f"{_dumps(k)}:{v.text if isinstance(v, RawJSON) else _dumps(v)}"
                    for k, v in data.items())
    rest = "".join(f",{_dumps(k)}:{_dumps(v)}" for k, v in response.items() if k != "data")
    head = "{" if next(iter(response)) == "data" else None
    if head is None:  # keep the keys' order when data is not first
        parts = [f"{_dumps(k)}:{'{' + body + '}' if k == 'data' else _dumps(v)}"
                 for k, v in response.items()]
        return "{" + ",".join(parts) + "}"
    return '{"data":{' + body + "}" + rest + "}"


@dataclass(frozen=True)
class Root:
    """One root field of the operation: its SQL when compiled, else None."""

    key: str
    nodes: tuple[FieldNode, ...]
    sql: tuple[str, tuple[Any, ...]] | None
    constant: str | None = None
    reason: str = ""


_cache: OrderedDict[Any, list[Root]] = OrderedDict()


def plan_operation(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
                   variables: dict[str, Any] | None, principal: Principal, context: Any,
                   dialect: Dialect) -> list[Root] | None:
    """The operation's root fields, each compiled or not; None when nothing is compiled."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    coerced = get_variable_values(schema, operation.variable_definitions or (),
                                  variables or {})
    if isinstance(coerced, list):
        return None  # strawberry reports the bad variables
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    planner = Planner(schema, fragments, coerced, principal, context)
    query_type = schema.query_type
    assert query_type is not None
    roots: list[Root] = []
    for key, nodes in planner.collect(query_type, [operation.selection_set]).items():
        try:
            plan: RootPlan = plan_root(planner, query_type, key, nodes)
        except Fallback as exc:
            log.debug("strawberry answers %s: %s", key, exc)
            roots.append(Root(key, tuple(nodes), None, reason=str(exc)))
            continue
        except Exception as exc:  # the resolver path will meet (and report) the same
            log.debug("falling back for %s", key, exc_info=True)
            roots.append(Root(key, tuple(nodes), None, reason=f"planning failed: {exc}"))
            continue
        if plan.kind == "constant":
            roots.append(Root(key, tuple(nodes), None, constant=plan.constant))
            continue
        renderer = Renderer(dialect)
        sql = renderer.root(plan)
        roots.append(Root(key, tuple(nodes), (sql, tuple(renderer.params))))
    if all(r.sql is None and r.constant is None for r in roots):
        return None
    return roots


def cached_plan(schema: GraphQLSchema, query: str | None, document: DocumentNode,
                operation_name: str | None, variables: dict[str, Any] | None,
                principal: Principal, context: Any, dialect: Dialect) -> list[Root] | None:
    """Plans per (document, operation, variables, caller, database): the plan is a pure
    function of these, so a repeated request skips planning and rendering."""
    try:
        key = (query, operation_name, json.dumps(variables, sort_keys=True, default=str),
               principal, dialect.name)
    except (TypeError, ValueError):
        return plan_operation(schema, document, operation_name, variables, principal,
                              context, dialect)
    if query is not None and key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    roots = plan_operation(schema, document, operation_name, variables, principal, context,
                           dialect)
    if query is not None:
        _cache[key] = roots  # type: ignore[assignment]
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return roots


async def prepared(params: tuple[Any, ...], client: Any = None) -> list[Any]:
    """A plan's parameters bound for this execution (the clock read now), on a connection
    (`client`, the default one when not given) that knows the compiler's functions
    (SQLite)."""
    client = connections.get("default") if client is None else client
    if client.capabilities.dialect == "sqlite":
        connection = client._connection
        if connection is None:  # not yet opened: acquiring opens it
            async with client.acquire_connection() as connection:
                pass
        # Registered once per connection; not under the ORM's lock, which a transaction
        # holds (a read outside it runs on the reading connection: models/sqlite_client.py).
        await register(connection)
        reader = getattr(client, "reader", None)
        if reader is not None:
            await register(reader)
        inline_sqlite.reader(client)  # and the reads' own on the loop, `quick`
    return bound(params)


def bound(params: tuple[Any, ...]) -> list[Any]:
    """A plan's parameters with the clock read now."""
    now = now_utc()
    return [now if p is NOW else p for p in params]


async def run_statement(sql: str, params: tuple[Any, ...]) -> str | None:
    """The answer's JSON text; None when the statement found it must not answer (a row it
    requires is missing: strawberry then answers, with its own error)."""
    _, rows = await connections.get("default").execute_query(sql, await prepared(params))
    text: str | None = rows[0][0]
    return text


def pruned(document: DocumentNode, operation_name: str | None,
           nodes: list[FieldNode]) -> DocumentNode:
    """The document with only the root fields strawberry must run (fragments kept)."""
    operation = get_operation_ast(document, operation_name)
    assert operation is not None
    op: OperationDefinitionNode = replace(operation,
                                          selection_set=SelectionSetNode(selections=tuple(nodes)))
    others = tuple(d for d in document.definitions
                   if isinstance(d, FragmentDefinitionNode))
    return DocumentNode(definitions=(op, *others))


class CompiledReads(SchemaExtension):
    """Answers the compilable root fields of a query from SQL (see gql/compiled/)."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        ec = self.execution_context
        context = ec.context
        principal = getattr(context, "principal", None)
        document = ec.graphql_document
        if not getattr(context, "compiled_reads", False) or principal is None or document is None:
            yield
            return
        client = connections.get("default")
        dialect = DIALECTS.get(client.capabilities.dialect)
        try:
            roots = cached_plan(ec.schema._schema, ec.query, document, ec.operation_name,
                                ec.variables, principal, context, dialect) if dialect else None
        except Exception:  # a bug here must not cost the answer: strawberry gives it
            log.exception("planning failed; strawberry answers the whole operation")
            roots = None
        if roots is None:
            yield
            return
        answers: dict[str, RawJSON] = {}
        for root in roots:
            if root.constant is not None:
                answers[root.key] = RawJSON(root.constant)
            elif root.sql is not None:
                try:
                    text = await run_statement(*root.sql)
                    if text is not None:
                        answers[root.key] = RawJSON(text)
                except Exception as exc:
                    if "parser stack overflow" in str(exc):
                        # SQLite 3.40's fixed parser stack, on a very deeply nested read: a
                        # known limit, not an incident (the answer is strawberry's, in full)
                        log.warning("compiled read of %s is nested too deep for SQLite's"
                                    " parser; strawberry answers it", root.key)
                    else:
                        log.exception("compiled read of %s failed; strawberry answers it",
                                      root.key)
        rest = [n for r in roots if r.key not in answers for n in r.nodes]
        if not rest:
            ec.result = ExecutionResult(data={r.key: answers[r.key] for r in roots})
            if ec.query is not None:  # answered wholly from SQL: the fast lane may replay it
                from gql.compiled import fast_lane  # which builds on this module

                fast_lane.remember(
                    fast_lane.key(ec.schema, ec.query, ec._provided_operation_name,
                                  ec.variables, principal, client.capabilities.dialect),
                    fast_lane.Ready(ec.operation_name,
                                    tuple((r.key, r.sql, r.constant) for r in roots)),
                    context.request, principal)
            yield
            return
        ec.graphql_document = pruned(document, ec.operation_name, rest)
        try:
            yield
        finally:
            ec.graphql_document = document
        result = ec.result
        if isinstance(result, ExecutionResult) and result.data is not None:
            data = result.data
            result.data = {r.key: answers[r.key] if r.key in answers else data.get(r.key)
                           for r in roots}
