"""Password hashing with argon2id (argon2-cffi), off the event loop and bounded to the cores.

Cost: OWASP's Password Storage Cheat Sheet recommends argon2id with at least 19 MiB of
memory, 2 iterations and 1 degree of parallelism; that is what new hashes use. One hash
or verify is CPU-bound C code that releases the GIL: on the event loop it would stall
every request, and on asyncio's default executor a login rush runs as many at once as
there are threads, each holding its memory while they share the same cores (460 MiB of
peak RSS for 100 concurrent logins with the previous 64 MiB parameters). So hashing runs
in its own pool of one thread per core: throughput is the same, memory is cores x 19 MiB,
and the rest waits in the queue holding nothing but the password.

The hashing threads also run at a lower priority than the rest of the process (a higher
nice value, Linux's per-thread priority): with one per core they would otherwise take two
thirds of the cores from the event loop during a rush, and every request that is not a
login (a save, a submit, a read) would wait behind other schools' password checks. The loop
gets a core when it has work; the hashing gets every cycle the loop leaves, so a rush of
logins alone is as fast as before.

Hashes made with other parameters (argon2-cffi's former default, RFC 9106's low-memory
profile) still verify: the parameters are read from the hash itself. `needs_rehash` tells
the login to store a fresh hash of the right password with today's parameters.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

OWASP_MEMORY_KIB = 19 * 1024
OWASP_ITERATIONS = 2
OWASP_PARALLELISM = 1

# The test suite, which logs in hundreds of times, may ask for the cheapest parameters;
# never set this in production.
if os.environ.get("INSECURE_FAST_PASSWORD_HASHING") == "1":
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
else:
    _hasher = PasswordHasher(time_cost=OWASP_ITERATIONS, memory_cost=OWASP_MEMORY_KIB,
                             parallelism=OWASP_PARALLELISM)


def hashing_threads() -> int:
    """One hashing thread per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# How much lower than the process's own priority a hashing thread runs (nice steps).
HASHING_NICENESS = 10


def _lower_priority() -> None:
    """Run this (hashing) thread HASHING_NICENESS steps nicer than the process."""
    try:
        thread = threading.get_native_id()
        nice = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, nice + HASHING_NICENESS))
    except (AttributeError, OSError):  # no per-thread priority here (not Linux): as is
        pass


@cache
def _pool() -> ThreadPoolExecutor:
    # Made on first use, once per process (each server worker has its own).
    return ThreadPoolExecutor(max_workers=hashing_threads(), thread_name_prefix="argon2",
                              initializer=_lower_priority)


def _check(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool(), _hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(
        _pool(), _check, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash that just verified was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def hash_password_sync(password: str) -> str:
    return _hasher.hash(password)
