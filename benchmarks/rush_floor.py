"""The rush's flow as hand-written SQL: how close any server could come to the yardstick.

The yardstick (600 verifications alone) is what no server can skip; this is the other
side: each school's login, save and submit as the fewest statements PostgreSQL allows, on
the ORM's own asyncpg pool, with no HTTP, no GraphQL and no ORM. Seven round trips a flow:

- login: the account (1); the verification, on the server's hashing pool; the attempt,
  the token, the account's stamps and the chained audit record in one statement (2);
- save: the token (3); the form's school, campaign, declaration and items in one
  statement (4); the declaration, its 10 rows, their history and the audit record (5);
- submit: the token (6); the version-checked status change, its event and the audit
  record (7).

What it leaves out, to the floor's advantage: the throttle's count, the window and
eligibility checks (the product's rules in Python), the mandatory items, the
notifications. It is a lower bound to compare with, not a second implementation: nothing
in the product uses it.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from decimal import Decimal
from typing import Any

from tortoise import connections

from models.passwords import verify_password

ACCOUNT = "SELECT id, password_hash, organization_id FROM app_user WHERE username = $1"

# The chained audit record, as the product's (models/audit.py): the head's row lock orders
# the writers. $1: the record's operation, $2: its organization's code.
_AUDIT = """h AS (UPDATE audit_chain_head SET seq = seq + 1, prev_hash = hash,
   hash = encode(sha256(convert_to(hash || $1 || $2 || (seq + 1)::text, 'UTF8')), 'hex')
   WHERE id = 1 RETURNING seq, prev_hash, hash),
 r AS (INSERT INTO audit_record (seq, at, kind, operation, outcome, user_id, username, role,
   organization_id, organization_code, client_address, targets, detail, prev_hash, hash)
   SELECT h.seq, now(), CASE $1 WHEN 'login' THEN 'login' ELSE 'mutation' END, $1, 'OK',
   $3, $2, 'school', $4, $2, '', '[]', '{}',
   h.prev_hash, h.hash FROM h)"""

LOGIN = f"""WITH {_AUDIT},
 a AS (INSERT INTO login_attempt (username, success, reason, client_address, at, user_id)
   VALUES ($2, true, 'ok', $5, now(), $3)),
 t AS (INSERT INTO access_token (token_hash, created_at, expires_at, client_address, user_id)
   VALUES ($6, now(), now() + interval '8 hours', $5, $3))
UPDATE app_user SET last_login_at = now(), failures_cleared_at = now() WHERE id = $3"""

TOKEN = """SELECT u.id, o.id, o.code FROM access_token t JOIN app_user u ON u.id = t.user_id
 JOIN organization o ON o.id = u.organization_id
 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()"""

FORM = """SELECT o.kind, o.school_type, c.declaration_closes_at, d.version,
   (SELECT json_agg(json_build_array(e.id, e.number)) FROM task_entry e
     WHERE e.campaign_id = c.id AND e.number = ANY($3::text[]))
 FROM organization o JOIN campaign c ON c.id = $2
 LEFT JOIN declaration d ON d.organization_id = o.id AND d.campaign_id = c.id
 WHERE o.id = $1"""

SAVE = f"""WITH {_AUDIT},
 d AS (INSERT INTO declaration (status, version, created_at, updated_at, campaign_id,
   organization_id) VALUES ('draft', 1, now(), now(), $5, $4) RETURNING id),
 rows AS (SELECT * FROM unnest($6::int[], $7::int[], $8::numeric[], $9::numeric[])
   AS x(item, quantity, school_self, provincial)),
 u AS (INSERT INTO undertaking (organization_id, item_id, quantity, school_self,
   enterprise, sponsor, local_gov, provincial, created_at, updated_at)
   SELECT $4, item, quantity, school_self, 0, 0, 0, provincial, now(), now() FROM rows)
INSERT INTO undertaking_change (action, before, after, at, actor_id, declaration_id, item_id)
 SELECT 'create', NULL, jsonb_build_object('quantity', quantity, 'schoolSelf', school_self,
   'provincial', provincial), now(), $3, d.id, item FROM d, rows
RETURNING (SELECT id FROM d)"""

SUBMIT = f"""WITH {_AUDIT},
 d AS (UPDATE declaration SET status = 'submitted', version = version + 1,
   submitted_at = now(), updated_at = now()
   WHERE organization_id = $4 AND campaign_id = $5 AND version = $6 RETURNING id, version),
 e AS (INSERT INTO declaration_event (action, from_status, to_status, at, actor_id,
   declaration_id) SELECT 'submit', 'draft', 'submitted', now(), $3, id FROM d)
SELECT version FROM d"""


async def run_floor(codes: list[str], password: str, campaign_id: int,
                    items: list[tuple[int, str]], concurrency: int) -> float:
    """Seconds for every school's flow as hand-written SQL, `concurrency` at a time."""
    pool = connections.get("default")._pool
    gate = asyncio.Semaphore(concurrency)
    numbers = [number for _, number in items]
    ids = [item for item, _ in items]
    quantities = [1 + k % 3 for k in range(len(items))]
    school_self = [Decimal(f"{k}.50") for k in range(len(items))]
    provincial = [Decimal(2)] * len(items)

    async def flow(code: str) -> None:
        async with gate:
            async with pool.acquire() as connection:
                user, password_hash, org = await connection.fetchrow(ACCOUNT, code)
            if not await verify_password(password_hash, password):
                raise RuntimeError(f"floor login {code}")
            token = secrets.token_urlsafe(32)
            digest = hashlib.sha256(token.encode()).hexdigest()
            async with pool.acquire() as connection:
                await connection.execute(LOGIN, "login", code, user, org, "", digest)
            await _save(pool, digest, campaign_id, numbers, ids, quantities, school_self,
                        provincial)
            async with pool.acquire() as connection:
                user, org, code = await connection.fetchrow(TOKEN, digest)
                version = await connection.fetchval(SUBMIT, "submitDeclaration", code, user,
                                                    org, campaign_id, 1)
            if version != 2:
                raise RuntimeError(f"floor submit {code}: {version}")

    start = time.perf_counter()
    await asyncio.gather(*(flow(code) for code in codes))
    return time.perf_counter() - start


async def _save(pool: Any, digest: str, campaign_id: int, numbers: list[str],
                ids: list[int], quantities: list[int], school_self: list[Decimal],
                provincial: list[Decimal]) -> None:
    async with pool.acquire() as connection:
        user, org, code = await connection.fetchrow(TOKEN, digest)
        form = await connection.fetchrow(FORM, org, campaign_id, numbers)
        if form[3] is not None or form[4] is None:
            raise RuntimeError(f"floor save {code}: {form}")
        await connection.fetchval(SAVE, "saveUndertakings", code, user, org, campaign_id,
                                  ids, quantities, school_self, provincial)
