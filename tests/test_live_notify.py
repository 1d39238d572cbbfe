"""Live progress across server processes (issue 13, point 7): on PostgreSQL a status change
reaches a dashboard held by another process through LISTEN/NOTIFY, at once; on SQLite the
dashboard's poll finds it.

Two real `taskplatform serve` processes on the suite's database; the school acts through
one, the province watches through the other. On PostgreSQL the poll is set to 30 s, so an
event that arrives within seconds came by NOTIFY. The latencies are printed (run with -s)
and recorded in BENCHMARKS.md; the test asserts arrival, generously timed, not speed.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.conftest import PROVINCE, ZHENGZHOU, ZZ_SCHOOL_2, Api
from tests.test_live import SUBSCRIBE
from tests.test_server import running_server

CHANGES = [
    ("SUBMIT", 'mutation { submitDeclaration(organizationCode: "4199200002", version: 0)'
               " { errors { code } } }"),
    ("WITHDRAW", 'mutation { withdrawDeclaration(organizationCode: "4199200002", version: 1)'
                 " { errors { code } } }"),
    ("SUBMIT", 'mutation { submitDeclaration(organizationCode: "4199200002", version: 2)'
               " { errors { code } } }"),
]


async def test_a_change_on_one_process_reaches_a_dashboard_on_another(
        api: Api, database_url: str, tmp_path: Path) -> None:
    postgres = database_url.startswith("postgres")
    # Polling every 30 s on PostgreSQL: only a notification explains an event within seconds.
    poll = "30" if postgres else "0.2"
    wait = 5.0 if postgres else 10.0
    province, school = await api.token(PROVINCE), await api.token(ZZ_SCHOOL_2)
    bureau = await api.token(ZHENGZHOU)  # a second dashboard on the same process
    env = {"DATABASE_URL": database_url, "LIVE_POLL_SECONDS": poll}
    with running_server(tmp_path / "a", **env) as a, running_server(tmp_path / "b", **env) as b:
        url = b.base.replace("http", "ws") + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws, \
                websockets.connect(url, subprotocols=["graphql-transport-ws"]) as city, \
                httpx.AsyncClient(base_url=a.base, headers={
                    "Authorization": f"Bearer {school}"}) as on_a:
            await ws.send(json.dumps({"type": "connection_init",
                                      "payload": {"Authorization": f"Bearer {province}"}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                      "payload": {"query": SUBSCRIBE}}))
            await city.send(json.dumps({"type": "connection_init",
                                        "payload": {"Authorization": f"Bearer {bureau}"}}))
            assert json.loads(await city.recv())["type"] == "connection_ack"
            await city.send(json.dumps({"id": "1", "type": "subscribe",
                                        "payload": {"query": SUBSCRIBE}}))
            await asyncio.sleep(1.0)  # subscribed, and the process's listener connected
            queue: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
            arrivals: list[tuple[float, dict[str, Any]]] = []

            async def receive() -> None:
                while True:
                    message = json.loads(await ws.recv())
                    queue.put_nowait((time.perf_counter(), message))

            reader = asyncio.create_task(receive())
            sent, answered = [], []
            for expected, mutation in CHANGES:
                sent.append(time.perf_counter())
                body = (await on_a.post("/graphql", json={"query": mutation})).json()
                answered.append(time.perf_counter())
                assert [v["errors"] for v in body["data"].values()] == [[]], body
                try:
                    arrivals.append(await asyncio.wait_for(queue.get(), wait))
                except TimeoutError:
                    raise AssertionError(f"no {expected} event within {wait} s") from None
                event = arrivals[-1][1]
                assert event["type"] == "next"
                assert event["payload"]["data"]["declarationStatusChanged"][
                    "action"] == expected
            reader.cancel()
            assert queue.empty()  # one event per change
            # ... and every subscriber of the process got them: the city's dashboard too
            city_events = [json.loads(await asyncio.wait_for(city.recv(), wait))
                           for _ in CHANGES]
            assert [e["payload"]["data"]["declarationStatusChanged"]["action"]
                    for e in city_events] == [expected for expected, _ in CHANGES]

    from_send = [(t - s) * 1000 for (t, _), s in zip(arrivals, sent, strict=True)]
    from_commit = [(t - r) * 1000 for (t, _), r in zip(arrivals, answered, strict=True)]
    print(f"\nlive event on another process ({'PostgreSQL NOTIFY' if postgres else 'SQLite poll'}"
          f" {poll} s): from the request {statistics.median(from_send):.0f} ms median, "
          f"{max(from_send):.0f} ms max; after its answer {max(from_commit):.0f} ms max")
    if postgres:
        # Generous (a loaded machine): the figure itself is in BENCHMARKS.md.
        assert max(from_send) < 2000, from_send
