"""The fast lane: a read that was answered wholly from SQL is answered again without
strawberry, from the plan that answer used.

Why: once a query is compiled, what is left of a small read (one school's form) is the
fixed cost of strawberry's request pipeline: parsing the body again, the extension hooks,
the execution context, the result processing; about 0.6 ms, three to five times the
statement itself. Clients send the same few documents with the same variables over and
over (a form is reloaded, a dashboard polled), so the second time round there is nothing
left to decide.

What makes skipping the pipeline safe: an entry is made only by the full path
(`CompiledReads`, after parsing, validation, the depth/alias/token/input limits and the
field gates, all of which passed), only when every root field of the operation came from
SQL with no error, and it is keyed by everything that answer depended on: the schema, the
document's text, the operation name, the variables, the caller as resolved from its
token for this very request (the session lookup runs every time, so a logout, an expired
password, a deactivated account take effect at once) and the database. The statements run
again each time with the clock bound afresh, so the answer is as of now, never cached.
Anything else (no token, another content type, an Idempotency-Key, a batch, a
statement that declines to answer) takes the full path.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from tortoise import connections

from gql.context import NOT_LOOKED_UP, bearer_token
from gql.idempotency import HEADER as IDEMPOTENCY_HEADER
from gql.observability import metrics
from gql.observability.fields import set_operation, set_user
from permissions.principal import Principal, principal_for_token

READY_SIZE = 512


@dataclass(frozen=True)
class Ready:
    """What the full path answered wholly from SQL: its root fields' statements (or
    constants), in the query's order, and the operation's name as strawberry found it."""

    operation_name: str | None
    roots: tuple[tuple[str, tuple[str, tuple[Any, ...]] | None, str | None], ...]


_ready: OrderedDict[tuple[Any, ...], Ready] = OrderedDict()


def key(schema: Any, query: str, operation_name: str | None, variables: Any,
        principal: Principal, dialect: str) -> tuple[Any, ...] | None:
    try:
        values = json.dumps(variables or {}, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    return (id(schema), query, operation_name, values, principal, dialect)


def remember(entry_key: tuple[Any, ...] | None, ready: Ready) -> None:
    if entry_key is None:
        return
    _ready[entry_key] = ready
    _ready.move_to_end(entry_key)
    while len(_ready) > READY_SIZE:
        _ready.popitem(last=False)


def forget_all() -> None:
    _ready.clear()


def _request_data(request: Request, body: bytes) -> tuple[str, str | None, Any] | None:
    """(query, operationName, variables) of a plain single JSON request, else None."""
    if request.method != "POST" or IDEMPOTENCY_HEADER.lower() in request.headers:
        return None
    content_type = request.headers.get("content-type", "")
    accept = request.headers.get("accept", "")
    if content_type.split(";")[0].strip().lower() != "application/json" or (
            "multipart" in accept or "event-stream" in accept):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.keys() - {"query", "operationName", "variables"}:
        return None
    query, name, variables = data.get("query"), data.get("operationName"), data.get("variables")
    if not isinstance(query, str) or not isinstance(name, str | None) or not isinstance(
            variables, dict | None):
        return None
    return query, name, variables


async def answer(request: Request, schema: Any) -> tuple[Response | None, Any]:
    """The response, when the fast lane can give it; else None, with the caller it found
    (a Principal, or None for no or a dead token) for the full path to reuse."""
    from gql.compiled.execute import RawJSON, encode_response, run_statement

    unknown: Any = NOT_LOOKED_UP
    if not _ready:
        return None, unknown
    data = _request_data(request, await request.body())
    token = bearer_token(request.headers)
    if data is None or token is None:
        return None, unknown
    principal = await principal_for_token(token)
    if principal is None:
        return None, principal
    dialect = connections.get("default").capabilities.dialect
    ready = _ready.get(key(schema, *data, principal, dialect) or ())
    if ready is None:
        return None, principal
    set_user(principal.user_id)
    set_operation(ready.operation_name)
    data_: dict[str, RawJSON] = {}
    for field, sql, constant in ready.roots:
        try:
            text = constant if sql is None else await run_statement(*sql)
        except Exception:  # the full path answers it, or reports what went wrong
            return None, principal
        if text is None:
            return None, principal
        data_[field] = RawJSON(text)
    metrics.FAST_LANE.inc()
    return Response(encode_response({"data": data_}), media_type="application/json"), \
        principal
