"""The fields of the request being served, for every log line and metric.

One mutable holder per request in a context variable: the middleware sets it, code deeper
down fills it in (the user once the token is checked, the operation once the document is
parsed), and the middleware reads it back for the access line, whatever task the inner code
ran in.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass

# A client's X-Request-ID is kept when it is a plain token (a UUID, a proxy's id): nothing
# that could forge a log line or smuggle text into one.
_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{8,128}")
# A GraphQL operation's name as the language allows, short; anything else is not a name.
_SANE_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")


@dataclass
class RequestFields:
    request_id: str
    user_id: int | None = None
    operation: str | None = None


current: ContextVar[RequestFields | None] = ContextVar("request_fields", default=None)


def request_id_from(header: str | None) -> str:
    if header and _SANE_ID.fullmatch(header):
        return header
    return secrets.token_hex(16)  # 128 random bits, as a uuid4's hex, without the UUID


def set_user(user_id: int | None) -> None:
    fields = current.get()
    if fields is not None and user_id is not None:
        fields.user_id = user_id


def set_operation(name: str | None) -> None:
    fields = current.get()
    if fields is not None:
        fields.operation = name if name and _SANE_NAME.fullmatch(name) else "anonymous"
