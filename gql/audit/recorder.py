"""The one place that writes the operation log for the API: every root mutation field
(accepted or refused) and every HTTP download (gql/exports).

A mutation runs inside one writing transaction that also appends its record, so the change
and its record are kept or lost together; the domain operations' own transactions nest in it
as savepoints (a refused change is rolled back by its own savepoint, then recorded with its
error code). A mutation that raises (a gate's FORBIDDEN, a bug) is rolled back whole and
recorded after, in a transaction of its own. `login` and `changePassword` are recorded right
after they ran, in their own transaction: they hash passwords (about 90 ms of argon2), and
on SQLite a transaction holds the ORM's only connection, stopping every other request.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from graphql import GraphQLError, OperationType
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.utils.await_maybe import await_maybe

from models import audit
from models.audit import Entry, Kind
from models.errors import Code
from models.transaction import write_transaction
from permissions.principal import Principal

OWN_TRANSACTION = frozenset({"login", "changePassword"})
TARGET_NAMES = frozenset({"username", "year", "number", "id"})


def _identifying(name: str) -> bool:
    return name in TARGET_NAMES or name.endswith(("Id", "Ids", "Code", "Codes"))


def _readable_id(value: Any) -> Any:
    """A global id as "Type:pk" (what an auditor can search for); other values as they are."""
    if isinstance(value, list):
        return [_readable_id(v) for v in value]
    if isinstance(value, str):
        try:
            parsed = relay.GlobalID.from_id(value)
            return f"{parsed.type_name}:{parsed.node_id}"
        except Exception:  # not a global id: a code, kept as sent
            return value
    return value


def targets_of(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The objects an operation names: its identifying arguments, also inside one input."""
    found: dict[str, Any] = {}
    for name, value in arguments.items():
        if isinstance(value, Mapping):
            found.update(targets_of(value))
        elif _identifying(name) and value is not None:
            found[name] = _readable_id(value)
    return found


def actor(principal: Principal | None, client: str | None,
                username: str = "") -> dict[str, Any]:
    """Who acts: the Entry fields of the caller (or of an anonymous client)."""
    if principal is None:
        return {"username": username, "client_address": client}
    return {"user_id": principal.user_id, "username": principal.username,
            "role": principal.role.value, "organization_id": principal.org_id,
            "organization_code": principal.org_code or None, "client_address": client}


def outcome_of(result: Any) -> str:
    """OK, the first payload error's code, or PARTIAL when some items of a batch failed."""
    errors = getattr(result, "errors", None)
    if errors:
        return str(errors[0].code)
    for value in vars(result).values() if hasattr(result, "__dict__") else ():
        if isinstance(value, list) and any(getattr(v, "errors", None) for v in value):
            return audit.PARTIAL
    return audit.OK


def error_code(error: BaseException) -> str:
    if isinstance(error, GraphQLError):
        return str((error.extensions or {}).get("code", Code.BAD_USER_INPUT))
    return Code.INTERNAL_ERROR


class OperationLog(SchemaExtension):
    """Records each root field of a mutation operation (see the module's docstring)."""

    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any,
                **kwargs: Any) -> Any:
        if info.path.prev is not None or info.operation.operation is not OperationType.MUTATION:
            return _next(root, info, *args, **kwargs)
        return self._recorded(_next, root, info, *args, **kwargs)

    async def _recorded(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any,
                        **kwargs: Any) -> Any:
        name = info.field_name
        context = info.context

        async def record(outcome: str, principal: Principal | None = None) -> None:
            who = actor(principal or context.principal, context.client_address,
                        str(kwargs.get("username", ""))[:64])
            detail: dict[str, Any] = {"arguments": kwargs}
            # A refused change was rolled back by its own savepoint: what it noted is void.
            if changes and outcome in (audit.OK, audit.PARTIAL):
                detail["changes"] = changes
            await audit.append(Entry(kind=Kind.LOGIN if name == "login" else Kind.MUTATION,
                                     operation=name, outcome=outcome,
                                     targets=targets_of(kwargs), detail=detail, **who))

        principal = context.principal
        changes = audit.collect(principal.user_id if principal else None)
        run: Callable[[], Awaitable[Any]] = lambda: await_maybe(  # noqa: E731
            _next(root, info, *args, **kwargs))
        journaled = False

        async def journal(principal: Principal) -> None:
            nonlocal journaled
            await record(audit.OK, principal)
            journaled = True

        try:
            if name in OWN_TRANSACTION:
                # A successful login writes its record in its own last transaction (one
                # commit, not two); anything else about it is recorded below.
                context.journal = journal if name == "login" else None
                try:
                    result = await run()
                finally:
                    context.journal = None
                if journaled:
                    return result
            else:
                async with write_transaction():
                    result = await run()
                    await record(outcome_of(result))
                return result
        except Exception as e:
            changes.clear()  # rolled back: nothing changed
            await record(error_code(e))
            raise
        await record(outcome_of(result))
        return result


def http_outcome(response: Any) -> str:
    """OK for a file sent; else the code of the JSON error it answered."""
    if response.status_code < 400:
        return audit.OK
    try:
        return str(json.loads(bytes(response.body))["error"]["code"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"HTTP_{response.status_code}"


async def record_download(context: Any, operation: str, request: Any, response: Any) -> None:
    """A download over HTTP (an export, a file): who fetched what, with its answer."""
    kind = Kind.DOWNLOAD if operation.startswith("download") else Kind.EXPORT
    arguments = {**request.path_params, **request.query_params}
    who = actor(context.principal, context.client_address)
    await audit.append(Entry(kind=kind, operation=operation, outcome=http_outcome(response),
                             targets=targets_of({_target_name(k): v for k, v in
                                                 arguments.items()}),
                             detail={"arguments": arguments, "path": request.url.path}, **who))


def _target_name(parameter: str) -> str:
    """Query parameters named like the API's arguments: ?city= is a cityCode, {code} an
    organizationCode."""
    return {"code": "organizationCode", "city": "cityCode", "campaign": "campaignCode",
            "id": "evidenceId"}.get(parameter, parameter)


async def recorded(request: Any, context: Any, handler: Callable[[Any, Any], Awaitable[Any]],
                   operation: str, *, same_transaction: bool) -> Any:
    """Run a download's handler and record it: in one transaction with what it changes, or
    after it (a workbook of sums changes nothing, and must not hold SQLite's write lock
    while it is built)."""
    try:
        if same_transaction:
            async with write_transaction():
                response = await handler(request, context)
                await record_download(context, operation, request, response)
            return response
        response = await handler(request, context)
    except Exception:
        await record_download(context, operation, request, _Failed())
        raise
    await record_download(context, operation, request, response)
    return response


class _Failed:
    """The answer of a handler that raised (the server answers 500)."""

    status_code = 500
    body = b'{"error": {"code": "INTERNAL_ERROR"}}'
