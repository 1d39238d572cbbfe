"""Password hashing with argon2id (argon2-cffi), always off the event loop.

One hash or verify costs about 90 ms of CPU: on the loop it would stall every request.
"""

from __future__ import annotations

import asyncio
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults (RFC 9106 low-memory profile). The test suite, which logs in
# hundreds of times, may ask for the cheapest parameters; never set this in production.
if os.environ.get("INSECURE_FAST_PASSWORD_HASHING") == "1":
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
else:
    _hasher = PasswordHasher()


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def hash_password_sync(password: str) -> str:
    return _hasher.hash(password)
