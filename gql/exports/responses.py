"""The two answers of a download: a file, or a JSON error with a code."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from gql.exports.disposition import content_disposition
from gql.observability.metrics import count_error


def error(status: int, code: str, message: str) -> JSONResponse:
    count_error(code)
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def attachment(content: bytes, filename: str, media_type: str, fallback: str) -> Response:
    """A download called `filename`; `fallback` is the stem of its ASCII name."""
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": content_disposition(filename, fallback)})
