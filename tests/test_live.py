"""A submission made in another window appears on a subscribed dashboard (real server,
real websocket, graphql-transport-ws)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests import log_secrecy
from tests.test_server import running_server

SUBSCRIBE = ("subscription { declarationStatusChanged { organization { code } action"
             " fromStatus toStatus actor { username } } }")


def _post(base: str, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    log_secrecy.remember_request(query, variables)
    body: dict[str, Any] = httpx.post(f"{base}/graphql", headers=headers,
                                      json={"query": query, "variables": variables}).json()
    log_secrecy.remember_response(body)
    return body


def _ready_token(base: str, username: str) -> str:
    token = _post(base, "mutation($u: String!) { login(username: $u, password: \"123456\")"
                  " { token } }", u=username)["data"]["login"]["token"]
    _post(base, 'mutation { changePassword(oldPassword: "123456", newPassword: "Live2020ok")'
          " { errors { code } } }", token)
    return str(token)


async def _first_event(url: str, token: str | None) -> Any:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            ack = json.loads(await ws.recv())
        except websockets.ConnectionClosed as closed:
            return {"closed": closed.rcvd.code if closed.rcvd else None}
        if ack["type"] != "connection_ack":
            return ack
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": SUBSCRIBE}}))
        return json.loads(await asyncio.wait_for(ws.recv(), timeout=15))


def test_dashboard_sees_a_submission_as_it_happens(tmp_path: Path) -> None:
    with running_server(tmp_path, LIVE_POLL_SECONDS="0.2") as server:
        ws_url = server.base.replace("http", "ws") + "/graphql"
        province = _ready_token(server.base, "410000")
        neighbour_city = _ready_token(server.base, "410300")
        school = _ready_token(server.base, "4199200002")

        async def scenario() -> tuple[Any, Any, Any]:
            dashboard = asyncio.create_task(_first_event(ws_url, province))
            neighbour = asyncio.create_task(_first_event(ws_url, neighbour_city))
            await asyncio.sleep(1.0)  # both subscribed
            submitted = await asyncio.to_thread(
                _post, server.base, 'mutation { submitDeclaration(organizationCode:'
                ' "4199200002", version: 0) { errors { code } } }', school)
            assert submitted["data"]["submitDeclaration"]["errors"] == []
            event = await dashboard
            try:
                other = await asyncio.wait_for(neighbour, timeout=1.5)
            except TimeoutError:
                other = None
            refused = await _first_event(ws_url, None)
            return event, other, refused

        event, other, refused = asyncio.run(scenario())

    assert event["type"] == "next"
    assert event["payload"]["data"]["declarationStatusChanged"] == {
        "organization": {"code": "4199200002"}, "action": "SUBMIT",
        "fromStatus": "NOT_STARTED", "toStatus": "SUBMITTED",
        "actor": {"username": "4199200002"}}
    assert other is None  # 洛阳 does not see a 郑州 school's submission
    assert refused == {"closed": 4403}  # no token, no feed
