"""Websockets that follow their session (graphql-transport-ws).

strawberry checks a socket's token once, at `connection_init`, but graphql-transport-ws also
carries queries and mutations: without more, a socket outlives logout, disable, a password
change or reset and the token's expiry. So a socket here
- re-reads its session from the database before every operation, and runs the operation as
  the caller is now (role, first-login state) or closes with 4401 when the session ended;
- re-checks the session every `check_seconds` even when the client sends nothing, so that a
  session ended in any server process (the database is the only shared state) closes its
  sockets within seconds (4401);
- closes with 4408 when no operation has run for `idle_seconds`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)

from gql.context import Context, bearer_token
from permissions.principal import principal_for_session, principal_for_token

log = logging.getLogger("gql.sockets")

SESSION_ENDED = (4401, "session ended")
IDLE = (4408, "idle timeout")


@dataclass(frozen=True)
class SocketRules:
    check_seconds: float = 5.0
    idle_seconds: float = 300.0


async def authenticate_websocket(context: Context) -> None:
    """connection_init must carry {"Authorization": "Bearer <token>"} (or the upgrade request
    its header); without a live token the connection is refused."""
    params = context.connection_params or {}
    token = bearer_token({"authorization": str(params.get("Authorization")
                                               or params.get("authorization") or "")})
    if token is None and context.request is not None:
        token = bearer_token(context.request.headers)
    principal = await principal_for_token(token) if token else None
    if principal is None:
        raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": "请先登录"})
    context.become(principal)


class SessionSocket(BaseGraphQLTransportWSHandler[Context, None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rules: SocketRules = getattr(self.view, "socket_rules", SocketRules())
        # The session the socket was opened with: a login run over the socket does not
        # change whose socket it is.
        self.session_id: int | None = None
        self.last_active = time.monotonic()

    async def handle(self) -> None:
        watchdog = asyncio.create_task(self._watch())
        try:
            await super().handle()
        finally:
            watchdog.cancel()
            with suppress(asyncio.CancelledError):
                await watchdog

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self.session_id is None:
            assert self.context.principal is not None
            self.session_id = self.context.principal.token_id

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        self.last_active = time.monotonic()
        if self.session_id is not None:
            principal = await principal_for_session(self.session_id, active=True)
            if principal is None:
                await self.websocket.close(*SESSION_ENDED)
                return
            self.context.become(principal)
        await super().handle_subscribe(message)

    async def _watch(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.rules.check_seconds)
                now = time.monotonic()
                if self.operations:
                    self.last_active = now
                elif now - self.last_active > self.rules.idle_seconds:
                    await self.websocket.close(*IDLE)
                    return
                if self.session_id is not None and (
                        await principal_for_session(self.session_id, active=False) is None):
                    await self.websocket.close(*SESSION_ENDED)
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            # Fail closed: a socket whose session cannot be checked does not stay open.
            log.exception("websocket session check failed")
            with suppress(Exception):
                await self.websocket.close(1011, "session check failed")
