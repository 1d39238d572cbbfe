"""SQLite's reads outside a transaction run on a connection of their own
(models/sqlite_client.py): they answer while another request's transaction is open, they
read only what is committed, and a transaction still reads its own writes."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections

from models import Organization
from models.enums import OrgKind, SchoolType
from models.sqlite_client import ReadingSqliteClient, _is_read
from models.transaction import write_transaction
from tests.conftest import ZZ_SCHOOL, Api

CODE = "4199999901"

# Not a timing: without the reading connection the two tasks below wait for each other
# forever (the read queues behind the transaction, which waits for the read). The bound only
# turns that deadlock into a failure instead of a hung suite.
DEADLOCK = 120


def _reading_client() -> ReadingSqliteClient:
    client = connections.get("default")
    if not isinstance(client, ReadingSqliteClient) or client.reader is None:
        pytest.skip("the reading connection is SQLite's, on a file")
    return client


async def _add_school(name: str) -> None:
    await Organization.create(code=CODE, name=name, kind=OrgKind.SCHOOL,
                              school_type=SchoolType.SECONDARY)


async def _exists() -> bool:
    return await Organization.filter(code=CODE).exists()


async def test_a_read_answers_while_another_transaction_is_open(db: None) -> None:
    _reading_client()
    written = asyncio.Event()
    read = asyncio.Event()

    async def writer() -> bool:
        async with write_transaction():
            await _add_school("未提交的学校")
            own = await _exists()
            written.set()
            await read.wait()
        return own

    async def reader() -> bool:
        await written.wait()
        seen = await _exists()
        read.set()
        return seen

    # Both tasks are made here, outside the transaction: the reader's context has the
    # ORM's client, not the transaction's.
    own, seen = await asyncio.wait_for(
        asyncio.gather(asyncio.create_task(writer()), asyncio.create_task(reader())),
        DEADLOCK)
    assert own, "a transaction reads its own uncommitted row"
    assert not seen, "a read outside reads only what is committed"
    assert await _exists(), "and sees the row once it is"


FORM = """query Form($org: String) { declaration(organizationCode: $org) {
  status version organization { code name } } }"""


async def test_a_compiled_read_answers_while_another_transaction_is_open(api: Api) -> None:
    _reading_client()
    token = await api.token(ZZ_SCHOOL)
    expected = await api.data(FORM, {"org": ZZ_SCHOOL}, token)
    opened = asyncio.Event()
    answered = asyncio.Event()

    async def writer() -> None:
        async with write_transaction():
            await _add_school("未提交的学校")
            opened.set()
            await answered.wait()

    async def reader() -> list[dict[str, object]]:
        await opened.wait()
        # a document not seen before, twice: the full path (strawberry, the compiled
        # root's statement) the first time, the fast lane (the session looked up in the
        # same statement) the second
        answers = [await api.data(FORM.replace("Form(", "Again("), {"org": ZZ_SCHOOL}, token)
                   for _ in range(2)]
        answered.set()
        return answers

    _, answers = await asyncio.wait_for(
        asyncio.gather(asyncio.create_task(writer()), asyncio.create_task(reader())),
        DEADLOCK)
    assert answers == [expected, expected]


async def test_a_rolled_back_write_is_never_seen_outside(db: None) -> None:
    _reading_client()

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with write_transaction():
            await _add_school("回滚的学校")
            assert await _exists()
            raise Undo
    assert not await _exists()


async def test_the_reading_connection_refuses_writes(db: None) -> None:
    client = _reading_client()
    assert client.reader is not None
    with pytest.raises(Exception, match=r"readonly|read-only|query_only"):
        await client.reader.execute("DELETE FROM organization")
    assert await Organization.all().count() > 0


def test_only_a_plain_select_is_a_read() -> None:
    assert _is_read("SELECT 1")
    assert _is_read("select id FROM organization")
    # A WITH may end in a write; a PRAGMA may write; neither goes to the reading connection.
    assert not _is_read("WITH t AS (SELECT 1) DELETE FROM organization")
    assert not _is_read("PRAGMA journal_mode = DELETE")
    assert not _is_read("INSERT INTO organization (code) SELECT '1'")


async def test_a_write_transactions_quick_statements_run_on_the_event_loop(db: None) -> None:
    """Inside BEGIN IMMEDIATE, a statement whose SQL was quick before runs on the loop's
    own thread (no hand-off to aiosqlite's); one seen slow, one outside a transaction,
    BEGIN and COMMIT run on aiosqlite's thread. The answers, a savepoint rolled back and
    the commit are the same either way."""
    import threading

    from models import fixed_statements, sqlite_client

    client = _reading_client()
    ran: list[tuple[str, bool]] = []  # (statement, on the loop's thread)
    loop_thread = threading.get_ident()
    assert client._connection is not None
    raw = client._connection._conn
    raw.set_trace_callback(lambda sql: ran.append((sql, threading.get_ident() == loop_thread)))
    sqlite_client._took.clear()

    def where(fragment: str) -> list[bool]:
        return [here for sql, here in ran if fragment in sql]

    try:
        for _ in range(3):
            async with write_transaction():
                await fixed_statements.first(Organization, code=ZZ_SCHOOL)
                with pytest.raises(RuntimeError):
                    async with write_transaction():  # a savepoint, rolled back
                        await _add_school("回滚的学校")
                        raise RuntimeError
        on_loop = where('FROM "organization" WHERE "code"=')
        assert on_loop == [False, True, True], ran  # first seen on the thread, then quick
        assert where("INSERT INTO \"organization\"") == [False, True, True]
        assert where("BEGIN IMMEDIATE") == [False] * 3 and where("COMMIT") == [False] * 3
        assert where("ROLLBACK TO") == [True] * 3 and not await _exists()

        # A statement seen slow goes back to the thread; outside a transaction, the thread.
        query = next(sql for sql in sqlite_client._took if '"code"=' in sql)
        sqlite_client._took[query] = sqlite_client.INLINE_BELOW_S
        ran.clear()
        async with write_transaction():
            found = await fixed_statements.first(Organization, code=ZZ_SCHOOL)
        await Organization.filter(code=ZZ_SCHOOL).update(name=found.name if found else "")
        assert where('FROM "organization" WHERE "code"=') == [False], ran
        assert where('UPDATE "organization"') == [False], ran
    finally:
        raw.set_trace_callback(None)


async def test_a_quick_read_runs_on_the_event_loop_and_a_busy_one_on_the_readers_thread(
        db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a transaction, a read whose SQL was quick before runs on the `quick`
    connection, on the loop; when that connection finds the database busy (it waits for no
    lock), the read goes to the reading connection's thread and still answers."""
    import sqlite3

    from models import fixed_statements, sqlite_client

    client = _reading_client()
    quick = client.quick
    assert quick is not None
    on_loop: list[str] = []
    quick.set_trace_callback(on_loop.append)
    sqlite_client._took.clear()
    try:
        for _ in range(3):
            found = await fixed_statements.first(Organization, code=ZZ_SCHOOL)
            assert found is not None and found.code == ZZ_SCHOOL
        assert len([sql for sql in on_loop if '"code"=' in sql]) == 2, on_loop

        class Busy:
            def execute(self, *_: object) -> None:
                error = sqlite3.OperationalError("database is locked")
                error.sqlite_errorcode = sqlite3.SQLITE_BUSY
                raise error

        monkeypatch.setattr(client, "quick", Busy())
        found = await fixed_statements.first(Organization, code=ZZ_SCHOOL)
        assert found is not None and found.code == ZZ_SCHOOL
    finally:
        quick.set_trace_callback(None)
