"""Websockets follow their session (real servers, real sockets, graphql-transport-ws).

Each operation on a socket is checked against the session as it is now, and an open socket
closes within seconds once its session ends, also when it ended through another server
process: the attacks of issue 10 (a disabled school's socket still saving, a socket
outliving logout) tried as an attacker would.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.protocol import State

from tests.test_live import SUBSCRIBE, _post, _ready_token
from tests.test_server import running_server

SAVE = """mutation($v: Int!) { saveUndertakings(input: {organizationCode: "4199200002",
  version: $v, rows: [{itemNumber: "3.2", quantity: 1}]}) {
  declaration { version } errors { code } } }"""
VERSION = '{ declaration(organizationCode: "4199200002") { version } }'
USER_ID = '{ organization(code: "4199200002") { users { id } } }'
DISABLE = ('mutation($id: ID!) { setUserActive(userId: $id, active: false)'
           ' { errors { code } } }')
ME = "{ me { username mustChangePassword } }"


class Socket:
    """One graphql-transport-ws connection, as a client library would hold it."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = 0

    @classmethod
    async def open(cls, url: str, token: str) -> Socket:
        ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        return cls(ws)

    async def close(self) -> None:
        await self.ws.close()

    async def send(self, query: str, **variables: Any) -> str:
        self.ids += 1
        with suppress(websockets.ConnectionClosed):  # then receive() tells the close code
            await self.ws.send(json.dumps({"id": str(self.ids), "type": "subscribe",
                                           "payload": {"query": query,
                                                       "variables": variables}}))
        return str(self.ids)

    async def request(self, query: str, **variables: Any) -> Any:
        """The first answer to one operation, or {"closed": code} when the socket closed."""
        await self.send(query, **variables)
        while True:
            message = await self.receive()
            if message.get("type") != "complete":  # the end of the previous operation
                return message

    async def receive(self, seconds: float = 10) -> Any:
        try:
            return json.loads(await asyncio.wait_for(self.ws.recv(), seconds))
        except websockets.ConnectionClosed as closed:
            return {"closed": closed.rcvd.code if closed.rcvd else None}

    async def closed_within(self, seconds: float) -> tuple[int | None, float]:
        """The close code the server sent and how long it took (messages are skipped)."""
        start = time.monotonic()
        while True:
            message = await self.receive(seconds)
            if "closed" in message:
                return message["closed"], time.monotonic() - start


def _user_id(base: str, province: str) -> str:
    return str(_post(base, USER_ID, province)["data"]["organization"]["users"][0]["id"])


def test_a_disabled_schools_socket_can_no_longer_save(tmp_path: Path) -> None:
    # The periodic check is slowed down: what refuses the second save is the check made
    # before every operation. The province acts on another server process.
    slow = {"WS_SESSION_CHECK_SECONDS": "600"}
    with running_server(tmp_path, **slow) as a, running_server(tmp_path, **slow) as b:
        school = _ready_token(a.base, "4199200002")
        province = _ready_token(a.base, "410000")
        url = a.base.replace("http", "ws") + "/graphql"

        async def scenario() -> tuple[Any, Any, Any]:
            socket = await Socket.open(url, school)
            try:
                saved = await socket.request(SAVE, v=0)
                disabled = await asyncio.to_thread(
                    _post, b.base, DISABLE, province, id=_user_id(b.base, province))
                assert disabled["data"]["setUserActive"]["errors"] == []
                return saved, await socket.request(SAVE, v=1), await socket.request(ME)
            finally:
                await socket.close()

        async def legacy_protocol() -> int | None:
            # Only graphql-transport-ws, whose handler re-checks sessions, is spoken.
            async with websockets.connect(url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
                with suppress(websockets.ConnectionClosed):
                    await ws.recv()
                return ws.close_code

        saved, refused, after = asyncio.run(scenario())
        legacy = asyncio.run(legacy_protocol())
        version = _post(a.base, VERSION, province)["data"]["declaration"]["version"]

    assert saved["type"] == "next"
    assert saved["payload"]["data"]["saveUndertakings"] == {
        "declaration": {"version": 1}, "errors": []}
    assert refused == {"closed": 4401}
    assert after == {"closed": 4401}
    assert version == 1  # the second save never ran
    assert legacy == 4406


def test_sockets_close_when_their_session_ends_elsewhere(tmp_path: Path) -> None:
    fast = {"WS_SESSION_CHECK_SECONDS": "0.3", "LIVE_POLL_SECONDS": "0.2"}
    with running_server(tmp_path, **fast) as a, running_server(tmp_path, **fast) as b:
        url = a.base.replace("http", "ws") + "/graphql"
        first = _ready_token(a.base, "410100")  # the city's password is now Live2020ok
        second, third = (_post(a.base, 'mutation { login(username: "410100", password:'
                               ' "Live2020ok") { token } }')["data"]["login"]["token"]
                         for _ in range(2))
        province = _ready_token(a.base, "410000")

        async def scenario() -> dict[str, Any]:
            sockets = [await Socket.open(url, t) for t in (first, second, third, province)]
            dashboard, other, changer, bystander = sockets
            try:
                for s in sockets:
                    await s.send(SUBSCRIBE)
                await asyncio.sleep(1.0)  # open and subscribed: nothing closes by itself
                assert all(s.ws.state is State.OPEN for s in sockets)
                # Logout through the other process: the dashboard closes by itself.
                await asyncio.to_thread(_post, b.base, "mutation { logout { ok } }", first)
                logout = await dashboard.closed_within(5)
                # A password change by one session ends the account's other sessions.
                changed = await asyncio.to_thread(
                    _post, b.base, 'mutation { changePassword(oldPassword: "Live2020ok",'
                    ' newPassword: "Live2021ok") { errors { code } } }', third)
                assert changed["data"]["changePassword"]["errors"] == [], changed
                ended = await other.closed_within(5)
                await asyncio.sleep(1.0)
                return {"logout": logout, "changed": ended,
                        "open": [s.ws.state for s in (changer, bystander)]}
            finally:
                for s in sockets:
                    await s.close()

        result = asyncio.run(scenario())

    assert result["logout"][0] == 4401 and result["logout"][1] < 3
    assert result["changed"][0] == 4401 and result["changed"][1] < 3
    # The session that changed the password and another user's stay open.
    assert result["open"] == [State.OPEN, State.OPEN]


def _code(message: dict[str, Any]) -> str | None:
    errors = message["payload"] if message["type"] == "error" else message["payload"].get(
        "errors")
    return errors[0]["extensions"]["code"] if errors else None


def test_sockets_follow_first_login_idle_and_expiry(tmp_path: Path) -> None:
    # Tokens live 7.2 s; a socket running no operation is closed after 1.8 s.
    env = {"WS_SESSION_CHECK_SECONDS": "0.3", "LIVE_POLL_SECONDS": "0.2",
           "TOKEN_TTL_HOURS": "0.002", "WS_IDLE_MINUTES": "0.03"}
    with running_server(tmp_path, **env) as server:
        url = server.base.replace("http", "ws") + "/graphql"
        login = _post(server.base, 'mutation { login(username: "410100", password: "123456")'
                      " { token } }")["data"]["login"]["token"]
        born = time.monotonic()

        async def scenario() -> dict[str, Any]:
            dashboard = await Socket.open(url, login)
            idle = await Socket.open(url, login)
            try:
                before = await dashboard.request(SUBSCRIBE)
                # The initial password is replaced over HTTP: the same socket now may.
                await asyncio.to_thread(
                    _post, server.base, 'mutation { changePassword(oldPassword: "123456",'
                    ' newPassword: "Live2020ok") { errors { code } } }', login)
                await dashboard.send(SUBSCRIBE)
                idle_closed = await idle.closed_within(5)
                open_after_idle = dashboard.ws.state
                expired = await dashboard.closed_within(15)
                return {"before": before, "idle": idle_closed, "open": open_after_idle,
                        "expired": expired, "expired_at": time.monotonic() - born}
            finally:
                await dashboard.close()
                await idle.close()

        result = asyncio.run(scenario())

    assert _code(result["before"]) == "PASSWORD_CHANGE_REQUIRED"
    assert result["idle"][0] == 4408 and result["idle"][1] < 4
    # A socket running a subscription is not idle; it closes when its token expires.
    assert result["open"] is State.OPEN
    assert result["expired"][0] == 4401
    assert 6.5 <= result["expired_at"] < 10  # measured from just after the login


RESET = "mutation($id: ID!) { resetPassword(userId: $id) { errors { code } } }"


def test_sockets_end_with_an_idle_session_and_with_a_reset(tmp_path: Path) -> None:
    # Sessions idle out after 6 s here (30 minutes by default). A subscription running on a
    # socket is not the user's doing: the session behind it idles out and the socket closes.
    env = {"WS_SESSION_CHECK_SECONDS": "0.3", "LIVE_POLL_SECONDS": "0.2",
           "SESSION_IDLE_MINUTES": "0.1"}
    with running_server(tmp_path, **env) as server:
        url = server.base.replace("http", "ws") + "/graphql"
        idle = _ready_token(server.base, "410100")
        busy = _post(server.base, 'mutation { login(username: "410100", password:'
                     ' "Live2020ok") { token } }')["data"]["login"]["token"]
        school = _ready_token(server.base, "4199200002")
        _ready_token(server.base, "410000")

        async def keep_busy(seconds: float) -> list[Any]:
            answers = []
            for _ in range(int(seconds)):
                answers.append(await asyncio.to_thread(_post, server.base, ME, busy))
                await asyncio.sleep(1)
            return answers

        async def scenario() -> dict[str, Any]:
            dashboard = await Socket.open(url, idle)
            school_socket = await Socket.open(url, school)
            try:
                await dashboard.send(SUBSCRIBE)
                await school_socket.send(SUBSCRIBE)
                closing = asyncio.create_task(dashboard.closed_within(15))
                answers = await keep_busy(9)
                # The province's session idled out meanwhile: it logs in again
                fresh = (await asyncio.to_thread(
                    _post, server.base, 'mutation { login(username: "410000", password:'
                    ' "Live2020ok") { token } }'))["data"]["login"]["token"]
                reset = await asyncio.to_thread(_post, server.base, RESET, fresh,
                                                id=_user_id(server.base, fresh))
                return {"idle": await closing, "busy": answers, "reset": reset,
                        "school": await school_socket.closed_within(5)}
            finally:
                await dashboard.close()
                await school_socket.close()

        result = asyncio.run(scenario())

    assert result["idle"][0] == 4401 and 5 <= result["idle"][1] < 9, result["idle"]
    # The session used over HTTP every second stayed live all along
    assert all("errors" not in a for a in result["busy"]), result["busy"]
    assert result["reset"]["data"]["resetPassword"]["errors"] == []
    assert result["school"][0] == 4401 and result["school"][1] < 3
