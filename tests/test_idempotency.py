"""The Idempotency-Key header: a save whose answer was lost is sent again with the same key
and answers the first result instead of CONFLICT; the answer is kept in the change's own
transaction, per user, for a day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from models import Declaration, IdempotentRequest, UndertakingChange
from models.clock import now_utc
from tests.conftest import ZZ_SCHOOL, ZZ_SCHOOL_2, Api
from tests.test_deadline import SAVE, open_window, row


def save_body(org: str, version: int, quantity: int) -> dict[str, Any]:
    return {"query": SAVE, "variables": {"input": {"organizationCode": org, "version": version,
                                                   "rows": [row("3.1", quantity)]}}}


async def send(api: Api, user: str, body: dict[str, Any], key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {await api.token(user)}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await api.client.post("/graphql", json=body, headers=headers)


def errors(response: httpx.Response) -> list[str]:
    return [e["code"] for e in response.json()["data"]["saveUndertakings"]["errors"]]


async def test_the_same_key_answers_the_first_result_again(api: Api) -> None:
    await open_window()
    body = save_body(ZZ_SCHOOL_2, 0, 2)
    first = await send(api, ZZ_SCHOOL_2, body, "save-1")
    assert first.status_code == 200 and errors(first) == []
    history = await UndertakingChange.all().count()

    again = await send(api, ZZ_SCHOOL_2, body, "save-1")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (await Declaration.get(organization__code=ZZ_SCHOOL_2)).version == 1
    assert await UndertakingChange.all().count() == history
    # without the key the resent save is what it always was: a stale version
    assert errors(await send(api, ZZ_SCHOOL_2, body, None)) == ["CONFLICT"]


async def test_a_key_belongs_to_one_request_and_one_user(api: Api) -> None:
    await open_window()
    assert errors(await send(api, ZZ_SCHOOL_2, save_body(ZZ_SCHOOL_2, 0, 2), "k")) == []

    other_request = await send(api, ZZ_SCHOOL_2, save_body(ZZ_SCHOOL_2, 1, 5), "k")
    other_user = await send(api, ZZ_SCHOOL, save_body(ZZ_SCHOOL, 0, 2), "k")

    assert other_request.status_code == 422
    assert other_request.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert errors(other_user) == []  # its own first result, not the other school's
    assert (await Declaration.get(organization__code=ZZ_SCHOOL)).version == 1
    for bad in (" ", "x" * 101, "a\tb"):
        refused = await send(api, ZZ_SCHOOL_2, save_body(ZZ_SCHOOL_2, 1, 5), bad)
        assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad


async def test_the_answer_and_the_change_are_kept_together(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    await open_window()
    await api.token(ZZ_SCHOOL_2)

    async def crash(*args: Any) -> None:
        raise RuntimeError("the server died before the answer was kept")

    monkeypatch.setattr("gql.idempotency.idempotency.keep_answer", crash)
    with pytest.raises(RuntimeError):
        await send(api, ZZ_SCHOOL_2, save_body(ZZ_SCHOOL_2, 0, 2), "lost")
    assert not await Declaration.exists(organization__code=ZZ_SCHOOL_2)
    monkeypatch.undo()
    assert errors(await send(api, ZZ_SCHOOL_2, save_body(ZZ_SCHOOL_2, 0, 2), "lost")) == []


async def test_keys_expire(api: Api) -> None:
    await open_window()
    body = save_body(ZZ_SCHOOL_2, 0, 2)
    assert errors(await send(api, ZZ_SCHOOL_2, body, "old")) == []
    await IdempotentRequest.all().update(expires_at=now_utc() - timedelta(seconds=1))

    assert errors(await send(api, ZZ_SCHOOL_2, body, "old")) == ["CONFLICT"]
    assert await IdempotentRequest.filter(key="old").count() == 1  # the expired one made room
