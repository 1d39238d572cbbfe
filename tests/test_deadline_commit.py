"""The deadline holds at the commit, not only at the first check.

A save or a submit checked before the deadline whose write waits for the database (another
writer holds the lock) until after the deadline must keep nothing and answer
DEADLINE_PASSED; one covered by an extension is kept. Whatever is kept is stamped with its
transaction's time: the form, its history and its journal show one instant, before the close.
The other writer is real: a second SQLite connection holding the write lock (as another
server process would), or a PostgreSQL transaction holding the declaration's row.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from models import Campaign, Declaration, Extension, Undertaking, UndertakingChange, User
from models.declaration import DeclarationEvent
from tests.conftest import ZZ_SCHOOL_2, Api
from tests.test_deadline import SAVE, SUBMIT, codes, row

HOLD = 1.5  # how long the other writer keeps the lock; the deadline falls inside it


def now() -> datetime:
    return datetime.now(UTC)


async def closes_in(seconds: float) -> datetime:
    closes = now() + timedelta(seconds=seconds)
    await Campaign.all().update(declaration_opens_at=closes - timedelta(days=30),
                                declaration_closes_at=closes)
    return closes


@asynccontextmanager
async def other_writer(database_url: str) -> AsyncIterator[None]:
    """Another writer holding the lock the save needs, for HOLD seconds from entry."""
    if database_url.startswith("sqlite://"):
        taken, done = threading.Event(), threading.Event()

        def hold() -> None:
            connection = sqlite3.connect(database_url.removeprefix("sqlite://"),
                                         isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
            taken.set()
            done.wait(HOLD)
            connection.execute("COMMIT")
            connection.close()

        thread = threading.Thread(target=hold)
        thread.start()
        await asyncio.to_thread(taken.wait)
        try:
            yield
        finally:
            await asyncio.to_thread(thread.join)
        return
    locked = asyncio.Event()

    async def hold_row() -> None:
        async with in_transaction():
            await Declaration.filter(organization__code=ZZ_SCHOOL_2).select_for_update().first()
            locked.set()
            await asyncio.sleep(HOLD)

    task = asyncio.create_task(hold_row())
    await locked.wait()
    try:
        yield
    finally:
        await task


async def saved_once(api: Api, token: str) -> int:
    saved = (await api.data(SAVE, {"input": {"organizationCode": ZZ_SCHOOL_2, "version": 0,
                                             "rows": [row("3.1", 2)]}}, token))
    assert saved["saveUndertakings"]["errors"] == [], saved
    version: int = saved["saveUndertakings"]["declaration"]["version"]
    return version


async def save_again(api: Api, token: str, version: int) -> dict:
    body = await api.data(SAVE, {"input": {"organizationCode": ZZ_SCHOOL_2, "version": version,
                                           "rows": [row("3.1", 5)]}}, token)
    result: dict = body["saveUndertakings"]
    return result


async def test_a_save_that_waits_past_the_deadline_keeps_nothing(api: Api, orm: str) -> None:
    token = await api.token(ZZ_SCHOOL_2)
    version = await saved_once(api, token)
    history = await UndertakingChange.all().count()
    closes = await closes_in(HOLD / 2)
    async with other_writer(orm):
        result = await save_again(api, token, version)
    assert codes(result) == ["DEADLINE_PASSED"], result
    assert now() > closes
    declaration = await Declaration.get(organization__code=ZZ_SCHOOL_2)
    assert declaration.version == version
    assert [u.quantity for u in await Undertaking.filter(organization__code=ZZ_SCHOOL_2)] == [2]
    assert await UndertakingChange.all().count() == history


async def test_a_submit_that_waits_past_the_deadline_keeps_nothing(api: Api, orm: str) -> None:
    token = await api.token(ZZ_SCHOOL_2)
    version = await saved_once(api, token)
    closes = await closes_in(HOLD / 2)
    async with other_writer(orm):
        body = await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "version": version}, token)
    assert codes(body["submitDeclaration"]) == ["DEADLINE_PASSED"], body
    assert now() > closes
    declaration = await Declaration.get(organization__code=ZZ_SCHOOL_2)
    assert (declaration.status.value, declaration.version) == ("draft", version)
    assert await DeclarationEvent.all().count() == 0


async def test_an_extension_covers_the_wait(api: Api, orm: str) -> None:
    token = await api.token(ZZ_SCHOOL_2)
    version = await saved_once(api, token)
    closes = await closes_in(HOLD / 2)
    province = await User.get(username="410000")
    declaration = await Declaration.get(organization__code=ZZ_SCHOOL_2)
    await Extension.create(campaign_id=declaration.campaign_id,
                           organization_id=declaration.organization_id,
                           until=now() + timedelta(hours=1), granted_by=province)
    async with other_writer(orm):
        result = await save_again(api, token, version)
    assert result["errors"] == [], result
    assert now() > closes
    assert [u.quantity for u in await Undertaking.filter(organization__code=ZZ_SCHOOL_2)] == [5]


async def test_the_form_and_its_history_carry_the_transactions_time(api: Api) -> None:
    token = await api.token(ZZ_SCHOOL_2)
    version = await saved_once(api, token)
    result = await save_again(api, token, version)
    assert result["errors"] == [], result
    declaration = await Declaration.get(organization__code=ZZ_SCHOOL_2)
    last = await UndertakingChange.filter(declaration=declaration).order_by("-id").first()
    assert last is not None and last.at == declaration.updated_at

    submitted = await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "version": declaration.version},
                               token)
    assert submitted["submitDeclaration"]["errors"] == [], submitted
    declaration = await Declaration.get(organization__code=ZZ_SCHOOL_2)
    event = await DeclarationEvent.get(declaration=declaration)
    assert declaration.submitted_at == event.at == declaration.updated_at
