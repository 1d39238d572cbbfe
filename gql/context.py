"""The per-request context: the caller and its loaders. A dataclass, never a dict."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import HTTPConnection
from starlette.responses import Response

from gql.dataloaders import Loaders, build_loaders
from gql.observability.fields import set_user
from permissions.principal import Principal, principal_for_token

BEARER = "bearer "


@dataclass
class Context:
    request: HTTPConnection | None
    response: Response | None
    principal: Principal | None
    # Why a presented token was refused (expired, revoked); None when none was presented.
    auth_problem: str | None = None
    # Set by strawberry from a websocket's connection_init payload.
    connection_params: dict[str, Any] | None = None
    # Answer compilable read fields from SQL (gql/compiled/): HTTP requests when the
    # COMPILED_READS setting is on; websockets always take the resolver path.
    compiled_reads: bool = False
    # While a login runs: the operation log's record of its success, for the login to
    # write in its own last transaction as the user it opens (gql/audit/recorder.py).
    journal: Callable[[Principal], Awaitable[None]] | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = build_loaders(self.principal)

    def become(self, principal: Principal) -> None:
        """After a login in this request, the rest of the answer is seen as the new user."""
        self.principal = principal
        self.auth_problem = None
        set_user(principal.user_id)
        self.loaders = build_loaders(principal)

    def reset_loaders(self) -> None:
        """After a mutation: what it changed must not be answered from the loaders' cache."""
        self.loaders = build_loaders(self.principal)

    @property
    def client_address(self) -> str | None:
        if self.request is None or self.request.client is None:
            return None
        return self.request.client.host


def bearer_token(headers: Any) -> str | None:
    value: str = headers.get("authorization", "")
    if value.lower().startswith(BEARER):
        return value[len(BEARER):].strip() or None
    return None


NOT_LOOKED_UP: Any = object()


async def build_context(request: HTTPConnection | None, response: Response | None,
                        token: str | None, known: Any = NOT_LOOKED_UP) -> Context:
    """`known`: the caller already looked up for this token in this request (a Principal,
    or None for a dead token); anything else means not looked up yet."""
    if token is None:
        return Context(request, response, None)
    principal = (await principal_for_token(token)) if known is NOT_LOOKED_UP else known
    set_user(principal.user_id if principal else None)  # on every log line from here on
    problem = None if principal else "登录已失效（已退出、已过期或账号已停用），请重新登录"
    return Context(request, response, principal, problem)


Info = strawberry.Info[Context, None]
