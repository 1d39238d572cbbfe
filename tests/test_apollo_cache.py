"""A real normalising client: Apollo Client (Node) saves a declaration twice in a row.

Without stable ids Apollo cannot tell that the declaration a save answers is the one the
form shows: the cached form keeps version 0 and the next save answers CONFLICT, and a second
screen reading the declaration with another selection overwrites the form's entry. Node
and npm are needed (the client is installed from tests/apollo/package-lock.json into the
git-ignored tests/apollo/node_modules); without them the test is skipped with a message.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from models import Undertaking
from tests.conftest import ZZ_SCHOOL_2, Api
from tests.live_server import served
from tests.test_deadline import open_window

CLIENT = Path(__file__).parent / "apollo"


async def run(*command: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=CLIENT, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


@pytest.fixture(scope="session")
def apollo() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Apollo Client check skipped: node and npm are needed")
    if not (CLIENT / "node_modules" / "@apollo" / "client").exists():
        code, out = asyncio.run(run(npm, "ci", "--no-audit", "--no-fund"))
        if code != 0:
            pytest.skip(f"Apollo Client check skipped: npm ci failed: {out[-500:]}")
    return Path(node)


async def test_apollo_saves_twice_without_conflict(api: Api, apollo: Path) -> None:
    await open_window()
    token = await api.token(ZZ_SCHOOL_2)
    async with served() as base:
        env = {**os.environ, "URL": f"{base}/graphql", "TOKEN": token, "ORG": ZZ_SCHOOL_2}
        code, out = await run(str(apollo), "save_twice.mjs", env=env)
    assert code == 0, out
    seen = json.loads(out.strip().splitlines()[-1])

    # The first save answers the declaration; the cached form follows it
    assert seen["first"] == {"sentVersion": 0, "errors": []}, seen
    assert seen["afterFirst"]["version"] == 1
    assert [u["quantity"] for u in seen["afterFirst"]["undertakings"]] == [2]
    # another screen's selection merges into the same entry instead of replacing it
    assert seen["afterBadge"] == seen["afterFirst"]
    # so the second save sends the version the server has: no CONFLICT
    assert seen["second"] == {"sentVersion": 1, "errors": []}, seen
    assert seen["afterSecond"]["version"] == 2
    assert [u.quantity for u in await Undertaking.filter(organization__code=ZZ_SCHOOL_2)] == [3]
