"""A request's headers as the middlewares and the fast lane read them: decoded once.

Each layer of the stack (the request id, the browser guards, the body cap, the fast lane)
reads a header or two; starlette's `Headers(scope=...)` made per layer decodes and scans
the raw list again for every lookup, a dozen scans for a small read that costs the
database a tenth of a millisecond. Here the list is decoded once into the scope (a dict
shared by every layer of the same request). The first of a repeated header counts, as
with `Headers.get`; ASGI servers send names in lower case, so lookups are lower case.
"""

from __future__ import annotations

from starlette.types import Scope

_KEY = "taskplatform.headers"


def request_headers(scope: Scope) -> dict[str, str]:
    """Header name (lower case) -> value, of the request `scope` is about."""
    found: dict[str, str] | None = scope.get(_KEY)
    if found is None:
        found = {}
        for name, value in scope["headers"]:
            found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        scope[_KEY] = found
    return found
