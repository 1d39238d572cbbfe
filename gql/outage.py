"""When the database cannot be reached: HTTP 503 with a GraphQL error body, one log line
per outage (not a traceback per request), and recovery by itself.

The ORM's pool reconnects on its own once the database is back; what this module adds is
the answer clients and load balancers understand (503, code SERVICE_UNAVAILABLE,
Retry-After) and an operator's log that says "down" once and "back" once.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.database import is_unavailable

__all__ = ["DatabaseGuard", "failing", "is_unavailable", "noticed", "reached",
           "unavailable_response"]
from models.errors import Code

log = logging.getLogger("gql.database")

MESSAGE = "数据库暂时无法连接，请稍后重试（您的修改未保存）"
RETRY_AFTER_SECONDS = 5
@dataclass
class _State:
    down_since: float | None = None


_state = _State()
# Set while a request runs: whether the database failed it (seen where strawberry catches a
# resolver's exception, far from the HTTP response).
_failed: ContextVar[list[BaseException] | None] = ContextVar("database_failed", default=None)


def noticed(exc: BaseException) -> None:
    """The database failed a request: log it once per outage, flag the request."""
    failed = _failed.get()
    if failed is not None:
        failed.append(exc)
    if _state.down_since is None:
        _state.down_since = time.monotonic()
        log.error("database unavailable, answering 503 until it is back: %s: %s",
                  type(exc).__name__, exc)


def failing() -> bool:
    """Whether the database has failed the request being served (it will answer 503)."""
    return bool(_failed.get())


def reached() -> None:
    """The database answered: the end of an outage, if there was one."""
    if _state.down_since is not None:
        log.warning("database reachable again after %.1f s",
                    time.monotonic() - _state.down_since)
        _state.down_since = None


def unavailable_response() -> Response:
    return JSONResponse({"data": None, "errors": [{"message": MESSAGE, "extensions": {
        "code": Code.SERVICE_UNAVAILABLE}}]}, status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class DatabaseGuard:
    """ASGI middleware: a request the database failed answers 503, wherever it failed (the
    GraphQL endpoint's resolvers, its context, the exports and file downloads)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        failed: list[BaseException] = []
        token = _failed.set(failed)

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                if failed:
                    return  # the GraphQL answer is replaced by the 503 below
                started = True
            if not failed:
                await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started or not is_unavailable(exc):
                raise
            noticed(exc)
        finally:
            _failed.reset(token)
        if failed and not started:
            await unavailable_response()(scope, receive, send)
        elif not failed and scope.get("path") == "/graphql":
            reached()
