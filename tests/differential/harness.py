"""The differential harness: every read document a test posts is answered by both read paths,
the read compiler (COMPILED_READS=1) and strawberry's resolvers (COMPILED_READS=0), over the
same database, and the two answers must be the same bytes.

It sits in the HTTP transport of the test client, so it sees what a client sends, whichever
helper or test posted it. Only documents that cannot change anything run twice: a query
operation, or a request that fails before any execution (unparsable JSON or document, an
unknown or ambiguous operation name). Mutations, subscriptions, batches and multipart uploads
run once, on the compiled app only.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass, field

import httpx
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.types import ASGIApp

from gql.observability import metrics

COMPILED = "compiled path (COMPILED_READS=1)"
MAX_COMPARED_BODY = 256 * 1024
REFERENCE = "resolver path (COMPILED_READS=0)"

# What ran through both paths in this test session, for the closing summary.
STATS: Counter[str] = Counter()

# True while the reference app answers: SQL counters of the tests count the compiled path,
# the one the test sees, not the reference run beside it.
in_reference: ContextVar[bool] = ContextVar("in_reference", default=False)


class AnswersDiffer(AssertionError):
    """The two read paths answered one document differently."""


def read_only(request: httpx.Request, body: bytes) -> bool:
    """Whether answering this request twice cannot change anything."""
    if request.method != "POST" or request.url.path != "/graphql":
        return False
    if not request.headers.get("content-type", "").startswith("application/json"):
        return False  # multipart: evidence uploads, always mutations
    try:
        payload = json.loads(body)
    except ValueError:
        return True  # refused before execution
    if not isinstance(payload, dict):
        return False  # a batch: refused today, but it could hold a mutation
    query = payload.get("query")
    if not isinstance(query, str):
        return True
    try:
        document = parse(query)
    except GraphQLError:
        return True
    name = payload.get("operationName")
    operation = get_operation_ast(document, name if isinstance(name, str) else None)
    if operation is None:
        return True  # no operation to run: both answer with an error
    return operation.operation is OperationType.QUERY


def errors_reordered(compiled: bytes, reference: bytes) -> bool:
    """Finding F1 (OPEN, /work/notes/difftest-findings.md): with several failing root fields
    the resolver path lists the errors in the order they happened (on PostgreSQL a race
    between concurrent fields), the compiled path in document order. Tolerated only while
    F1 is open: the same data, the same errors, only their order differs."""
    try:
        a, b = json.loads(compiled), json.loads(reference)
    except ValueError:
        return False
    if not (isinstance(a, dict) and isinstance(b, dict)) or list(a) != list(b):
        return False
    same_data = json.dumps(a.get("data")) == json.dumps(b.get("data"))
    errors = [sorted(json.dumps(e) for e in x.get("errors") or []) for x in (a, b)]
    if same_data and errors[0] == errors[1]:
        STATS["errors reordered (F1)"] += 1
        return True
    # The same race when a non-null root field fails: `data` is null on both paths, and the
    # executor reports only the errors of the fields that failed before it gave up: on
    # either path (a root field that falls back races too), one list is a subset of the
    # other (seen on PostgreSQL).
    ours, theirs = set(errors[0]), set(errors[1])
    if same_data and a.get("data") is None and ours and theirs and (
            ours <= theirs or theirs <= ours):
        STATS["errors reordered (F1)"] += 1
        return True
    return False


def describe(request_body: bytes, compiled: httpx.Response, compiled_body: bytes,
             reference: httpx.Response, reference_body: bytes,
             names: tuple[str, str] = (COMPILED, REFERENCE)) -> str:
    """A readable account of a mismatch: the request, where the bytes part, and a diff."""
    offset = next((i for i, (a, b) in enumerate(zip(compiled_body, reference_body, strict=False))
                   if a != b), min(len(compiled_body), len(reference_body)))
    first, second = names
    lines = [
        "the read paths answered differently",
        f"request: {request_body.decode(errors='replace')}",
        f"{first}: status {compiled.status_code}, {len(compiled_body)} bytes",
        f"{second}: status {reference.status_code}, {len(reference_body)} bytes",
        f"first difference at byte {offset}:",
        f"  {first}: ...{compiled_body[max(0, offset - 40):offset + 40]!r}",
        f"  {second}: ...{reference_body[max(0, offset - 40):offset + 40]!r}",
    ]
    lines += difflib.unified_diff(_pretty(reference_body), _pretty(compiled_body),
                                  fromfile=second, tofile=first, lineterm="")
    return "\n".join(lines)


def _pretty(body: bytes) -> list[str]:
    try:
        return json.dumps(json.loads(body), indent=1, ensure_ascii=False).splitlines()
    except ValueError:
        return body.decode(errors="replace").splitlines()


@dataclass
class DifferentialTransport(httpx.AsyncBaseTransport):
    """Sends each request to the compiled app and, when it is read-only, to the reference
    app as well; answers the compiled app's response and raises AnswersDiffer on a mismatch."""

    compiled: ASGIApp
    reference: ASGIApp
    client: tuple[str, int] = ("127.0.0.1", 50000)
    compared: int = 0
    _transports: list[httpx.ASGITransport] = field(init=False)

    def __post_init__(self) -> None:
        self._transports = [httpx.ASGITransport(app=app, client=self.client)
                            for app in (self.compiled, self.reference)]

    @property
    def app(self) -> ASGIApp:
        """The app under test, as httpx.ASGITransport names it (tests that build a client
        of their own, e.g. from another address, reach it through this)."""
        return self.compiled

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        compiled_transport, reference_transport = self._transports
        length = request.headers.get("content-length", "")
        if not (length.isdigit() and int(length) <= MAX_COMPARED_BODY):
            # Streamed or large bodies go through unread: the app's own body limits are
            # tested on them, and no read document is that large.
            return await compiled_transport.handle_async_request(request)
        body = await request.aread()
        compiled = await compiled_transport.handle_async_request(request)
        if not read_only(request, body):
            return compiled
        compiled_body = await compiled.aread()
        again = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        marker = in_reference.set(True)
        try:
            reference = await reference_transport.handle_async_request(again)
            reference_body = await reference.aread()
        finally:
            in_reference.reset(marker)
        if compiled.status_code != reference.status_code or (
                compiled_body != reference_body and not errors_reordered(compiled_body,
                                                                         reference_body)):
            raise AnswersDiffer(describe(body, compiled, compiled_body, reference,
                                         reference_body))
        self.compared += 1
        STATS["documents"] += 1
        # The same request again: a read answered wholly from SQL is now the fast lane's
        # (gql/compiled/fast_lane.py), which must give the same status and bytes.
        marker = in_reference.set(True)
        try:
            lane = metrics.FAST_LANE._value.get()
            replay = await compiled_transport.handle_async_request(httpx.Request(
                request.method, request.url, headers=request.headers, content=body))
            replay_body = await replay.aread()
        finally:
            in_reference.reset(marker)
        if metrics.FAST_LANE._value.get() > lane:
            STATS["fast lane"] += 1
            if (replay.status_code, replay.headers.get("content-type"), replay_body) != (
                    compiled.status_code, compiled.headers.get("content-type"), compiled_body):
                raise AnswersDiffer(describe(body, replay, replay_body, compiled,
                                             compiled_body, ("fast lane (the same request"
                                                             " again)", COMPILED)))
        return compiled  # its body is read: the client gets the same bytes


def summary(database: str) -> str:
    return (f"differential: {STATS['documents']} read documents answered byte-identically by "
            f"the compiled and the resolver path on {database}; {STATS['fast lane']} of them"
            f" answered again by the fast lane, byte-identically")
