"""The 等保 2.0 level 3 password and session rules of issue 10, through the API: the
strength rule (8+ characters, 3 of 4 classes, not the user name), none of the last
passwords again, a forced change once a password is 90 days old, and the idle logout beside
the absolute lifetime. (Ending other sessions on a change or reset: tests/test_accounts.py
and tests/test_sockets.py.)"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest

from models import AccessToken, PasswordHistory, User
from models.clock import now_utc
from models.password_policy import HISTORY
from tests.conftest import (
    CHANGE_PASSWORD,
    INITIAL_PASSWORD,
    NEW_PASSWORD,
    ZZ_SCHOOL,
    Api,
    StatementCounter,
)
from tests.test_accounts import ME, error_codes, is_refused, payload_codes

CAMPAIGNS = "{ campaigns { code } }"


async def change(api: Api, token: str, old: str, new: str) -> list[str]:
    return payload_codes((await api.data(CHANGE_PASSWORD, {"old": old, "new": new},
                                         token))["changePassword"])


@pytest.mark.parametrize(("password", "accepted"), [
    ("abcdefg1", False),   # lower case and digits: 2 classes
    ("ABCDEFG1", False),   # upper case and digits
    ("abcdefg!", False),   # lower case and a symbol
    ("Abcdefg1", True),    # upper, lower, digit
    ("abcdef1!", True),    # lower, digit, symbol
    ("ABCDEF!1", True),    # upper, symbol, digit
    ("Abcdef!", False),    # 3 classes but 7 characters
    ("P@ssw0rd", False),   # well known, 4 classes
])
async def test_three_of_four_classes(api: Api, password: str, accepted: bool) -> None:
    token = (await api.login(ZZ_SCHOOL))["token"]

    codes = await change(api, token, INITIAL_PASSWORD, password)

    assert codes == ([] if accepted else ["WEAK_PASSWORD"])


async def test_the_user_name_in_any_case_is_refused(api: Api) -> None:
    token = (await api.login("410100"))["token"]

    assert await change(api, token, INITIAL_PASSWORD, "Ab!410100x") == ["WEAK_PASSWORD"]
    body = await api.data(CHANGE_PASSWORD, {"old": INITIAL_PASSWORD, "new": "Ab!4101x00"},
                          token)
    assert body["changePassword"]["errors"] == []


async def test_none_of_the_last_passwords_comes_back(api: Api) -> None:
    # Given a school that went through HISTORY + 2 passwords after the initial one
    token = await api.token(ZZ_SCHOOL)
    passwords = [NEW_PASSWORD, *(f"Round-{i}-pass" for i in range(HISTORY + 1))]
    for old, new in pairwise(passwords):
        assert await change(api, token, old, new) == []
    current = passwords[-1]

    # When it tries the current and each earlier password again, the oldest last
    again = {p: await change(api, token, current, p) for p in reversed(passwords)}

    # Then the current one and the last HISTORY before it are refused, the one before is not
    assert again == {p: (["PASSWORD_REUSED"] if i > 0 else [])
                     for i, p in enumerate(passwords)}
    # And only HISTORY old hashes are kept
    user = await User.get(username=ZZ_SCHOOL)
    assert await PasswordHistory.filter(user_id=user.id).count() == HISTORY


async def test_a_password_past_its_age_must_be_changed(api: Api) -> None:
    # Given a school whose password was changed 91 days ago, logged in before and after
    token = await api.token(ZZ_SCHOOL)
    await User.filter(username=ZZ_SCHOOL).update(
        password_changed_at=now_utc() - timedelta(days=91))

    # When it uses its open session, and when it logs in again
    during = await api.post(CAMPAIGNS, token=token)
    login = await api.login(ZZ_SCHOOL, NEW_PASSWORD)

    # Then both must change the password first; `me` says so
    assert error_codes(during) == ["PASSWORD_CHANGE_REQUIRED"], during
    assert login["errors"] == [] and login["user"]["mustChangePassword"] is True
    assert (await api.data(ME, token=token))["me"]["mustChangePassword"] is True
    # And after the change everything answers again, for 90 more days
    assert await change(api, login["token"], NEW_PASSWORD, "Fresh-pass-2021") == []
    assert "errors" not in await api.post(CAMPAIGNS, token=login["token"])


async def test_the_age_is_a_setting(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    token = await api.token(ZZ_SCHOOL)
    await User.filter(username=ZZ_SCHOOL).update(
        password_changed_at=now_utc() - timedelta(days=40))
    assert "errors" not in await api.post(CAMPAIGNS, token=token)

    monkeypatch.setenv("PASSWORD_MAX_AGE_DAYS", "30")
    assert error_codes(await api.post(CAMPAIGNS, token=token)) == ["PASSWORD_CHANGE_REQUIRED"]


@pytest.fixture
def idle_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default idle rule (tests/conftest.py sets a longer one for the rest)."""
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "30")


@pytest.mark.usefixtures("idle_rule")
async def test_an_idle_session_ends(api: Api) -> None:
    # Given two sessions of a city, one last used 31 minutes ago, one 29 minutes ago
    idle = await api.token("410100")
    busy = (await api.login("410100", NEW_PASSWORD))["token"]
    ids = await AccessToken.filter(user__username="410100", revoked_at=None).order_by(
        "id").values_list("id", flat=True)
    now = now_utc()
    await AccessToken.filter(id=ids[0]).update(last_seen_at=now - timedelta(minutes=31))
    await AccessToken.filter(id=ids[1]).update(last_seen_at=now - timedelta(minutes=29))

    # Then the idle one is refused, the other answers and its clock restarts
    assert await is_refused(api, idle)
    assert "errors" not in await api.post(CAMPAIGNS, token=busy)
    seen = (await AccessToken.get(id=ids[1])).last_seen_at
    assert seen is not None and seen > now - timedelta(seconds=30)
    # And the absolute lifetime still holds for a busy session
    await AccessToken.filter(id=ids[1]).update(expires_at=now - timedelta(seconds=1))
    assert await is_refused(api, busy)


@pytest.mark.usefixtures("idle_rule")
async def test_requests_within_a_minute_write_nothing(
        api: Api, count_sql: StatementCounter) -> None:
    # A read made soon after the last one costs no write for the idle clock
    token = await api.token("410100")
    count_sql.statements.clear()
    await api.post(CAMPAIGNS, token=token)
    assert not any(s.startswith("UPDATE") for s in count_sql.statements), count_sql.statements
    # While one made over a minute later moves the clock
    await AccessToken.filter(user__username="410100").update(
        last_seen_at=now_utc() - timedelta(minutes=2))
    count_sql.statements.clear()
    await api.post(CAMPAIGNS, token=token)
    assert sum(s.startswith("UPDATE") for s in count_sql.statements) == 1
