"""ASGI middleware: the request id (taken or made, echoed in X-Request-ID), one access line
per request with its fields, and the request counts and latencies."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql.http_headers import request_headers
from gql.observability import metrics
from gql.observability.fields import RequestFields, current, request_id_from

access = logging.getLogger("gql.access")
HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower()


class Observe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        fields = RequestFields(request_id_from(request_headers(scope).get(_HEADER_KEY)))
        token = current.set(fields)
        if scope["type"] == "websocket":
            metrics.LIVE_SOCKETS.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                metrics.LIVE_SOCKETS.dec()
                current.reset(token)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"],
                                      (HEADER.lower().encode(), fields.request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            metrics.child(metrics.REQUESTS, route, scope["method"], str(status)).inc()
            operation = (metrics.operation_label(fields.operation) if fields.operation
                         else route)
            metrics.child(metrics.DURATION, operation).observe(elapsed)
            if status >= 500 and status != 503:
                metrics.count_error("INTERNAL_ERROR")
            # The path without its query string: a query string may hold anything.
            access.info("%s %s %d %.0f ms", scope["method"], scope.get("path", ""), status,
                        elapsed * 1000)
            current.reset(token)
