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

A single root field is read in the same statement as the session lookup (one round trip,
models/sessions.py session_with_answer), planned for the caller the token was last seen as;
the answer counts only if the session that statement found is still that caller (logged
out, disabled, idle, a password past its age: the full path decides, with its own error).
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import field as attribute
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from tortoise import connections

from gql.compiled import inline_sqlite
from gql.compiled.execute import RawJSON, bound, encode_response, prepared, run_statement
from gql.context import NOT_LOOKED_UP, bearer_token
from gql.http_headers import request_headers
from gql.idempotency import HEADER as IDEMPOTENCY_HEADER
from gql.observability import metrics
from gql.observability.fields import set_operation, set_user
from models.sessions import session_with_answer
from permissions.principal import Principal, principal_for_token, principal_of

READY_SIZE = 512


@dataclass
class Ready:
    """What the full path answered wholly from SQL: its root fields' statements (or
    constants), in the query's order, and the operation's name as strawberry found it."""

    operation_name: str | None
    roots: tuple[tuple[str, tuple[str, tuple[Any, ...]] | None, str | None], ...]
    # Seconds its one statement took last time (with the session lookup): a quick one runs
    # on the loop on SQLite (gql/compiled/inline_sqlite.py).
    last_s: float = attribute(default=math.inf, compare=False)


_ready: OrderedDict[tuple[Any, ...], Ready] = OrderedDict()


def _values(variables: Any) -> str | None:
    try:
        return json.dumps(variables or {}, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return None


def key(schema: Any, query: str, operation_name: str | None, variables: Any,
        principal: Principal, dialect: str) -> tuple[Any, ...] | None:
    values = _values(variables)
    return None if values is None else (id(schema), query, operation_name, values, principal,
                                        dialect)


def remember(entry_key: tuple[Any, ...] | None, ready: Ready, request: Any,
             principal: Principal) -> None:
    """What the full path answered wholly from SQL, for the caller of `request`."""
    if entry_key is None:
        return
    token = bearer_token(request.headers) if request is not None else None
    if token is not None:
        _hint(token, principal)
    _ready[entry_key] = ready
    _ready.move_to_end(entry_key)
    while len(_ready) > READY_SIZE:
        _ready.popitem(last=False)


def _request_data(request: Request, headers: dict[str, str], body: bytes
                  ) -> tuple[str, str | None, str] | None:
    """(query, operationName, variables as the key holds them) of a plain single JSON
    request, else None."""
    if request.method != "POST" or IDEMPOTENCY_HEADER.lower() in headers:
        return None
    content_type = headers.get("content-type", "")
    accept = headers.get("accept", "")
    if content_type.split(";")[0].strip().lower() != "application/json" or (
            "multipart" in accept or "event-stream" in accept):
        return None
    parsed = _bodies.get(body)
    if parsed is None:
        parsed = _parsed(body)
        if parsed is not None and len(body) <= BODY_SIZE:
            _bodies[body] = parsed
            while len(_bodies) > READY_SIZE:
                _bodies.popitem(last=False)
    else:
        _bodies.move_to_end(body)
    return parsed


# Bodies seen, parsed: the same few requests come again and again (a form reloaded, a
# dashboard polled), and reading one is a JSON parse and a canonical dump of its variables.
BODY_SIZE = 16 * 1024
_bodies: OrderedDict[bytes, tuple[str, str | None, str]] = OrderedDict()


def _parsed(body: bytes) -> tuple[str, str | None, str] | None:
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
    values = _values(variables)
    return None if values is None else (query, name, values)


async def answer(request: Request, schema: Any) -> tuple[Response | None, Any]:
    """The response, when the fast lane can give it; else None, with the caller it found
    (a Principal, or None for no or a dead token) for the full path to reuse."""
    if not _ready:
        return None, NOT_LOOKED_UP
    headers = request_headers(request.scope)
    data = _request_data(request, headers, await request.body())
    token = bearer_token(headers)
    if data is None or token is None:
        return None, NOT_LOOKED_UP
    # Looked up once and handed down: each `connections.get` is a few microseconds, and
    # the reader, the session lookup and the statement each asked for it again.
    client = connections.get("default")
    dialect = client.capabilities.dialect
    hinted = _hints.get(token)
    if hinted is not None:
        ready = _ready.get((id(schema), *data, hinted, dialect))
        if ready is not None and len(ready.roots) == 1 and ready.roots[0][1] is not None:
            return await _in_one_statement(token, hinted, ready, client)
    principal = await principal_for_token(token)
    _hint(token, principal)
    if principal is None:
        return None, principal
    ready = _ready.get((id(schema), *data, principal, dialect))
    if ready is None:
        return None, principal
    data_: dict[str, RawJSON] = {}
    for field, sql, constant in ready.roots:
        try:
            text = constant if sql is None else await run_statement(*sql)
        except Exception:  # the full path answers it, or reports what went wrong
            return None, principal
        if text is None:
            return None, principal
        data_[field] = RawJSON(text)
    return _respond(principal, ready, data_), principal


async def _in_one_statement(token: str, hinted: Principal, ready: Ready, client: Any
                            ) -> tuple[Response | None, Any]:
    """A single root field read together with the session lookup, in one statement: the
    answer counts only when the session, as found now, is the caller it was planned for."""
    field, sql, _ = ready.roots[0]
    assert sql is not None
    reader = (inline_sqlite.reader(client) if ready.last_s < inline_sqlite.INLINE_BELOW_S
              else None)
    began = time.perf_counter()
    try:
        if reader is not None:
            session, text = await session_with_answer(
                token, sql[0], bound(sql[1]), partial(inline_sqlite.fetch, reader), client)
        else:
            session, text = await session_with_answer(
                token, sql[0], await prepared(sql[1], client), client=client)
    except Exception:  # the full path answers it, or reports what went wrong
        ready.last_s = math.inf
        return None, NOT_LOOKED_UP
    ready.last_s = time.perf_counter() - began
    principal = principal_of(session)
    _hint(token, principal)
    if principal != hinted or text is None:
        return None, principal
    return _respond(principal, ready, {field: RawJSON(text)}), principal


def _respond(principal: Principal, ready: Ready, data: dict[str, RawJSON]) -> Response:
    set_user(principal.user_id)
    set_operation(ready.operation_name)
    metrics.FAST_LANE.inc()
    return Response(encode_response({"data": data}), media_type="application/json")


# The caller each token was last seen as: which plan to try in one statement with the
# session lookup. Only a hint: the statement's own lookup decides.
HINTS_SIZE = 4096
_hints: OrderedDict[str, Principal] = OrderedDict()


def _hint(token: str, principal: Principal | None) -> None:
    if principal is None:
        _hints.pop(token, None)
        return
    _hints[token] = principal
    _hints.move_to_end(token)
    while len(_hints) > HINTS_SIZE:
        _hints.popitem(last=False)
