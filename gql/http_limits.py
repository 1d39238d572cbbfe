"""Request body caps, enforced before the body is read (ASGI middleware).

Why: strawberry reads and parses a JSON body whole, and Starlette spools a multipart upload
to disk whole, before any resolver can say "请先登录"; an anonymous 300 MB JSON body took
1 GB of memory. Here a body whose Content-Length passes its cap is refused with 413 at once,
and a body sent without one (chunked) is counted while it streams in and refused as soon as
it passes the cap, so no more than the cap is ever read.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql.http_headers import request_headers
from models.errors import Code

PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"


class _BodyTooLarge(Exception):
    pass


def _refusal(status: int, code: str, message: str) -> JSONResponse:
    # The shape of a GraphQL error, so clients read it like any other refusal.
    return JSONResponse({"data": None, "errors": [{"message": message,
                                                   "extensions": {"code": code}}]},
                        status_code=status)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


class BodyLimit:
    """Caps a request body: `multipart_bytes` for multipart/form-data (the evidence upload
    plus its form), `json_bytes` for everything else."""

    def __init__(self, app: ASGIApp, *, json_bytes: int, multipart_bytes: int) -> None:
        self.app = app
        self.json_bytes = json_bytes
        self.multipart_bytes = multipart_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = request_headers(scope)
        multipart = headers.get("content-type", "").lower().startswith("multipart/")
        cap = self.multipart_bytes if multipart else self.json_bytes

        def too_large() -> JSONResponse:
            return _refusal(413, PAYLOAD_TOO_LARGE, f"请求内容过大：不能超过 {_megabytes(cap)}")

        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await _refusal(400, Code.BAD_USER_INPUT, "Content-Length 无效")(
                    scope, receive, send)
                return
            if int(declared) > cap:
                await too_large()(scope, receive, send)
                return

        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise _BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _BodyTooLarge:
            if not started:
                await too_large()(scope, receive, send)
