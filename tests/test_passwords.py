"""Password hashing: OWASP's argon2id cost, bounded to the cores, old hashes still open and
are replaced at login."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time

import pytest
from argon2 import PasswordHasher

from models import passwords
from models.account import User
from models.seeding import INITIAL_PASSWORD
from tests.conftest import ZZ_SCHOOL, Api

# The parameters this platform hashed with before (argon2-cffi's default, RFC 9106's
# low-memory profile: 64 MiB, 3 iterations, 4 lanes).
FORMER = PasswordHasher()


async def test_an_old_hash_still_logs_in_and_is_replaced_by_todays(api: Api) -> None:
    old = FORMER.hash(INITIAL_PASSWORD)
    await User.filter(username=ZZ_SCHOOL).update(password_hash=old)

    wrong = await api.login(ZZ_SCHOOL, "not-the-password1")
    assert [e["code"] for e in wrong["errors"]] == ["INVALID_CREDENTIALS"]
    assert (await User.get(username=ZZ_SCHOOL)).password_hash == old  # no rehash on failure

    result = await api.login(ZZ_SCHOOL)
    assert result["errors"] == [] and result["token"]
    fresh = (await User.get(username=ZZ_SCHOOL)).password_hash
    assert fresh != old and fresh.startswith("$argon2id$")
    assert not passwords.needs_rehash(fresh) and passwords.needs_rehash(old)
    assert await passwords.verify_password(fresh, INITIAL_PASSWORD)

    again = await api.login(ZZ_SCHOOL)
    assert again["errors"] == []
    assert (await User.get(username=ZZ_SCHOOL)).password_hash == fresh  # nothing to redo


async def test_hashing_never_runs_on_more_threads_than_cores(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    running = 0
    peak = 0
    lock = threading.Lock()

    def slow_check(password_hash: str, password: str) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return True

    monkeypatch.setattr(passwords, "_check", slow_check)
    results = await asyncio.gather(*(passwords.verify_password("h", "p") for _ in range(24)))
    assert all(results)
    cores = passwords.hashing_threads()
    assert cores == len(os.sched_getaffinity(0))
    assert peak == min(cores, 24), peak


async def test_hashing_threads_yield_the_cores_to_the_event_loop() -> None:
    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    loop = asyncio.get_running_loop()
    hashing = await loop.run_in_executor(passwords._pool(), niceness)
    assert hashing == min(19, niceness() + passwords.HASHING_NICENESS)
    assert hashing > niceness()


def test_server_parameters_are_owasps_argon2id() -> None:
    env = {k: v for k, v in os.environ.items() if k != "INSECURE_FAST_PASSWORD_HASHING"}
    code = ("from models.passwords import _hasher as h; "
            "print(h.type.name, h.memory_cost, h.time_cost, h.parallelism)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    # OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
    assert out == ["ID", str(19 * 1024), "2", "1"]
