"""The server as an operator starts it: `taskplatform serve` on an empty database, then again."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests import log_secrecy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    output: str = ""  # what it printed, once stopped


@contextmanager
def running_server(data_dir: Path, **env: str) -> Iterator[Server]:
    port = _free_port()
    environ = {**os.environ, "DATABASE_URL": f"sqlite://{data_dir}/platform.sqlite3",
               "HOST": "127.0.0.1", "PORT": str(port), **env}
    environ.pop("TEST_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "gql.cli", "serve"], env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = Server(f"http://127.0.0.1:{port}")
    base = server.base
    try:
        deadline = time.monotonic() + 90  # a loaded CI machine starts it slowly
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        yield server
    finally:
        proc.send_signal(signal.SIGINT)
        server.output, _ = proc.communicate(timeout=20)
        log_secrecy.SERVER_OUTPUTS.append(server.output)


LOGIN = ('mutation { login(username: "4199000001", password: "123456") '
         "{ token user { mustChangePassword } errors { code } } }")
COUNT = "{ organizations(kind: SCHOOL) { totalCount } }"


def test_first_start_seeds_demo_and_second_start_keeps_data(tmp_path: Path) -> None:
    with running_server(tmp_path) as first:
        base = first.base
        page = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"})
        assets = [httpx.get(f"{base}{path}") for path in
                  re.findall(r'(?:src|href)="(/static/vendor/[^"]+)"', page.text)]
        login = httpx.post(f"{base}/graphql", json={"query": LOGIN}).json()["data"]["login"]
        province = httpx.post(f"{base}/graphql", json={
            "query": 'mutation { login(username: "410000", password: "123456") { token } }'
        }).json()["data"]["login"]["token"]
        httpx.post(f"{base}/graphql", headers={"Authorization": f"Bearer {province}"}, json={
            "query": 'mutation { changePassword(oldPassword: "123456",'
                     ' newPassword: "Sheng2020ok") { errors { code } } }'})
        schools = httpx.post(f"{base}/graphql", json={"query": COUNT},
                             headers={"Authorization": f"Bearer {province}"}).json()
    first_output = first.output

    assert page.status_code == 200 and "graphiql" in page.text.lower()
    # GraphiQL works offline: every script and style comes from the server itself.
    assert "unpkg.com" not in page.text
    assert len(assets) == 7 and all(a.status_code == 200 for a in assets)
    assert login["errors"] == [] and login["user"]["mustChangePassword"] is True
    assert schools["data"]["organizations"]["totalCount"] == 30
    assert "/graphql" in first_output and "4199000001" in first_output
    assert "123456" in first_output

    with running_server(tmp_path) as second:
        again = httpx.post(f"{second.base}/graphql", json={"query": COUNT},
                           headers={"Authorization": f"Bearer {province}"}).json()
    second_output = second.output

    # The same token still works: sessions live in the database, not in a process.
    assert again["data"]["organizations"]["totalCount"] == 30
    assert "existing database kept" in second_output


def test_notice_dates_are_one_setting_away(tmp_path: Path) -> None:
    with running_server(tmp_path, CAMPAIGN_DATES="notice", DEMO_DATA="0") as server:
        pass
    output = server.output

    assert "2020-11-13 23:59" in output
    assert "demo school" not in output
