"""Login abuse (issue 10, point 3), tried as the attacker would: aliased logins in one
request, a client locking a school out, an existence oracle in the lock, guessing old
passwords through changePassword, and a forged X-Forwarded-For."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from models.account import LoginAttempt, User
from models.clock import now_utc
from tests.conftest import (
    CHANGE_PASSWORD,
    LOGIN,
    NEW_PASSWORD,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    Api,
)
from tests.test_server import running_server

ATTACKER = "198.51.100.9"
TWO_LOGINS = """mutation { a: login(username: "4199200001", password: "x1") { token }
                           b: login(username: "4199200002", password: "x2") { token } }"""
BY_FRAGMENT = """mutation { ...Guess b: login(username: "4199200002", password: "x3") { token } }
fragment Guess on Mutation { a: login(username: "4199200001", password: "x4") { token } }"""
LOGIN_AND_CHANGE = """mutation { login(username: "4199200001", password: "x5") { token }
  changePassword(oldPassword: "x", newPassword: "Abcdefg-123") { errors { code } } }"""


@asynccontextmanager
async def client_at(api: Api, address: str) -> AsyncIterator[Api]:
    """The same app, reached from another client address."""
    transport = httpx.ASGITransport(app=api.client._transport.app,  # type: ignore[attr-defined]
                                    client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client)


def codes(result: dict[str, Any]) -> list[str]:
    return [e["code"] for e in result["errors"]]


async def test_one_login_or_password_change_per_request(api: Api) -> None:
    refused = [await api.post(q) for q in (TWO_LOGINS, BY_FRAGMENT, LOGIN_AND_CHANGE)]
    one = (await api.data(LOGIN, {"u": ZZ_SCHOOL, "p": "123456"}))["login"]

    for body in refused:
        assert body.get("data") is None, body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["ONE_LOGIN_PER_REQUEST"]
    # None of the refused guesses was even tried; the single login was.
    assert [a.reason for a in await LoginAttempt.all()] == ["ok"]
    assert one["token"]


async def test_one_client_cannot_lock_a_school_out(api: Api) -> None:
    async with client_at(api, ATTACKER) as attacker:
        guesses = [await attacker.login(ZZ_SCHOOL, f"Guess-{i}x") for i in range(8)]
        even_right = await attacker.login(ZZ_SCHOOL)
    school = await api.login(ZZ_SCHOOL)

    assert [codes(g) for g in guesses[:4]] == [["INVALID_CREDENTIALS"]] * 4
    assert [codes(g) for g in guesses[4:]] == [["ACCOUNT_LOCKED"]] * 4
    assert codes(even_right) == ["ACCOUNT_LOCKED"] and even_right["token"] is None
    # Only five of them reached the password check.
    assert await LoginAttempt.filter(reason="wrong_password").count() == 5
    # The school, from its own address, logs in.
    assert school["errors"] == [] and school["token"]


async def test_the_lock_is_the_same_for_unknown_and_existing_user_names(api: Api) -> None:
    async with client_at(api, ATTACKER) as attacker:
        real = [await attacker.login(ZZ_SCHOOL_2, f"Guess-{i}x") for i in range(7)]
        unknown = [await attacker.login("4199299999", f"Guess-{i}x") for i in range(7)]

    def shape(result: dict[str, Any]) -> tuple[Any, ...]:
        error = result["errors"][0]
        return (error["code"], error["field"], result["lockedUntil"] is not None,
                error["message"].split("锁定至")[0])

    assert [shape(r) for r in real] == [shape(r) for r in unknown]
    assert shape(real[-1])[0] == "ACCOUNT_LOCKED"


async def test_one_client_spraying_many_accounts_is_throttled(api: Api) -> None:
    async with client_at(api, ATTACKER) as attacker:
        sprayed = [await attacker.login(f"41992{n:05d}", "123457") for n in range(1, 31)]
        then_right = await attacker.login(ZZ_SCHOOL)
    elsewhere = await api.login(ZZ_SCHOOL)

    # One wrong guess per account, 30 accounts: the 30th guess uses up the client's limit.
    assert [codes(r) for r in sprayed[:29]] == [["INVALID_CREDENTIALS"]] * 29
    assert codes(sprayed[29]) == ["TOO_MANY_ATTEMPTS"] and sprayed[29]["lockedUntil"]
    assert codes(then_right) == ["TOO_MANY_ATTEMPTS"]
    assert elsewhere["errors"] == []


async def test_guesses_from_many_addresses_lock_the_account_for_everyone(api: Api) -> None:
    # 4 guesses from each of 5 addresses: under the per-client limit, 20 in all.
    answers = []
    for n in range(5):
        async with client_at(api, f"198.51.100.{20 + n}") as guesser:
            answers += [codes(await guesser.login(ZZ_SCHOOL, f"G-{i}x")) for i in range(4)]
    assert answers == [["INVALID_CREDENTIALS"]] * 19 + [["ACCOUNT_LOCKED"]]
    locked = await api.login(ZZ_SCHOOL)
    user = await User.get(username=ZZ_SCHOOL)

    assert codes(locked) == ["ACCOUNT_LOCKED"]
    assert user.locked_until is not None and user.locked_until > now_utc()
    # When the window has passed, the account opens again.
    await LoginAttempt.all().update(at=now_utc() - timedelta(minutes=16))
    assert (await api.login(ZZ_SCHOOL))["errors"] == []


async def test_change_password_counts_wrong_old_passwords_like_logins(api: Api) -> None:
    token = await api.token(ZZ_SCHOOL)
    tries = [(await api.data(CHANGE_PASSWORD, {"old": f"Wrong-{i}x", "new": "Another-2020x"},
                             token))["changePassword"] for i in range(5)]
    right_old = (await api.data(CHANGE_PASSWORD, {"old": NEW_PASSWORD, "new": "Another-2020x"},
                                token))["changePassword"]
    login = await api.login(ZZ_SCHOOL, NEW_PASSWORD)

    assert [codes(t) for t in tries[:4]] == [["INVALID_CREDENTIALS"]] * 4
    assert codes(tries[4]) == ["ACCOUNT_LOCKED"]
    assert codes(right_old) == ["ACCOUNT_LOCKED"]
    assert codes(login) == ["ACCOUNT_LOCKED"]
    assert await LoginAttempt.filter(reason="wrong_old_password").count() == 5


def _journal_addresses(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "platform.sqlite3") as db:
        return [r[0] for r in db.execute("SELECT client_address FROM login_attempt ORDER BY id")]


def _forged_login(base: str) -> None:
    httpx.post(f"{base}/graphql", headers={"X-Forwarded-For": "203.0.113.99, 192.0.2.1"},
               json={"query": 'mutation { login(username: "410000", password: "x") { token } }'})


def test_the_client_address_ignores_x_forwarded_for_unless_from_a_trusted_proxy(
        tmp_path: Path) -> None:
    (tmp_path / "direct").mkdir()
    (tmp_path / "proxied").mkdir()
    with running_server(tmp_path / "direct") as direct:
        _forged_login(direct.base)
    with running_server(tmp_path / "proxied", TRUSTED_PROXIES="127.0.0.1") as proxied:
        _forged_login(proxied.base)

    assert _journal_addresses(tmp_path / "direct") == ["127.0.0.1"]
    # Behind the trusted proxy: the nearest address the proxy did not vouch for.
    assert _journal_addresses(tmp_path / "proxied") == ["192.0.2.1"]
