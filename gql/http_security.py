"""Browser-facing protections, as ASGI middleware around the whole app.

- Security headers on every response: nosniff, no framing, no referrer, and a CSP that
  allows nothing (the API answers JSON and files); the GraphiQL page sets its own CSP.
- Cross-site request forgery: a browser sends multipart/form-data cross-site without a
  preflight, so (as Apollo's CSRF prevention does) a multipart request must carry a header
  no simple request can: Authorization, Apollo-Require-Preflight or X-Apollo-Operation-Name.
  It is refused before its body is read.
Websockets from another origin than the server's own are refused by strawberry itself
(its `allowed_origins`, given CORS_ORIGINS in gql/app.py, the list HTTP CORS uses too).
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql.http_headers import request_headers

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
# As ASGI sends them: lower-case names, bytes; a header the response set is kept.
_RAW_HEADERS = tuple((name.lower().encode(), value.encode()) for name, value in HEADERS.items())
PREFLIGHT_HEADERS = ("authorization", "apollo-require-preflight", "x-apollo-operation-name")
CSRF_REFUSED = "CSRF_PREFLIGHT_REQUIRED"


def graphiql_csp(html: str) -> str:
    """The GraphiQL page's CSP: its vendored scripts from here, its one inline script by
    hash (no 'unsafe-inline' for scripts), inline styles (the editor sets style attributes),
    requests and sockets to this server only."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL))
    return ("default-src 'none'; "
            f"script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
            "worker-src 'self' blob:; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


class BrowserGuards:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan and websockets have no headers to add
            await self.app(scope, receive, send)
            return
        headers = request_headers(scope)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = message.get("headers") or []
                present = {name.lower() for name, _ in given}
                message["headers"] = [*given, *(pair for pair in _RAW_HEADERS
                                                if pair[0] not in present)]
            await send(message)

        content_type = headers.get("content-type", "").lower()
        if content_type.startswith("multipart/") and not any(
                headers.get(h) for h in PREFLIGHT_HEADERS):
            refusal = JSONResponse({"data": None, "errors": [{
                "message": "上传文件的请求须带 Authorization 或 Apollo-Require-Preflight 请求头",
                "extensions": {"code": CSRF_REFUSED}}]}, status_code=400)
            await refusal(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)
