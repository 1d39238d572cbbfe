"""The `Idempotency-Key` header on mutations: the same key answers the first answer again.

A mutation request (JSON body) carrying the header runs in one transaction together with
the keeping of its answer, so a crash after the commit cannot lose the key: a client
that never got the answer resends the same request with the same key and reads it. The
key belongs to the logged-in user; the same key with another request body is refused.
Queries, uploads (multipart) and requests without a valid token run as usual.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise.exceptions import IntegrityError

from gql.context import bearer_token
from models import idempotency
from models.errors import DomainError
from models.transaction import write_transaction
from permissions.principal import principal_for_token

HEADER = "idempotency-key"
REPLAYED = "Idempotent-Replayed"


def _is_mutation(body: bytes) -> bool:
    try:
        payload = json.loads(body)
        document = parse(payload["query"])
    except (ValueError, KeyError, TypeError, GraphQLError):
        return False  # strawberry answers what is wrong with it
    name = payload.get("operationName")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)
                  and (name is None or (d.name is not None and d.name.value == name))]
    return len(operations) == 1 and operations[0].operation is OperationType.MUTATION


def _refusal(error: DomainError) -> Response:
    return JSONResponse({"data": None, "errors": [
        {"message": error.message, "extensions": {"code": error.code}}]}, status_code=422)


def _replay(kept: idempotency.IdempotentRequest) -> Response:
    return Response(kept.response, status_code=kept.status_code,
                    media_type="application/json", headers={REPLAYED: "true"})


async def idempotent(request: Request, run: Callable[[], Awaitable[Response]]) -> Response:
    raw_key = request.headers.get(HEADER)
    if raw_key is None or request.method != "POST" or "json" not in request.headers.get(
            "content-type", ""):
        return await run()
    body = await request.body()  # kept by Starlette: strawberry reads the same bytes
    token = bearer_token(request.headers)
    principal = await principal_for_token(token) if token else None
    if principal is None or not _is_mutation(body):
        return await run()
    digest = hashlib.sha256(body).hexdigest()
    try:
        key = idempotency.check_key(raw_key)
        kept = await idempotency.first_answer(principal.user_id, key, digest)
    except DomainError as e:
        return _refusal(e)
    if kept is not None:
        return _replay(kept)
    try:
        async with write_transaction():
            response = await run()
            if response.status_code == 200:
                await idempotency.keep_answer(principal.user_id, key, digest,
                                              response.status_code, bytes(response.body).decode())
    except IntegrityError:
        # The same key sent twice at once: the other one won and its change stands alone.
        kept = await idempotency.first_answer(principal.user_id, key, digest)
        if kept is None:
            raise
        return _replay(kept)
    return response
