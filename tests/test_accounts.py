"""Accounts over HTTP: login and bearer tokens, logout and expiry, the first-login password
change and its policy, argon2 storage, brute-force locking with its journal, and the account
upkeep (createUser, setUserActive, resetPassword) as the province and the city bureaus use it.

Who may call what, and which rows each role sees, is tests/test_permissions.py."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from gql.app import create_app
from gql.settings import Settings
from models import AccessToken, LoginAttempt, Organization, TaskEntry, Undertaking, User
from models.clock import now_utc
from models.enums import TaskLevel
from models.seeding import INITIAL_PASSWORD
from tests.conftest import (
    CHANGE_PASSWORD,
    HIGHER_SCHOOL,
    LUOYANG,
    LY_SCHOOL,
    NEW_PASSWORD,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    Api,
)

CLIENT_ADDRESS = "203.0.113.7"  # the test client's address (tests/conftest.py)
OTHER_PASSWORD = "Second-pass42"
THIRD_PASSWORD = "Third-pass77"
NO_SUCH_ORGANISATION = "4199999999"

ME = """
{
  me {
    id username role isActive mustChangePassword lockedUntil lastLoginAt
    organization { code kind }
  }
}"""

LOGOUT = "mutation { logout { ok } }"

CAMPAIGNS = "{ campaigns { code } }"

USERS_OF = """
query($code: String!) {
  organization(code: $code) {
    users { id username isActive mustChangePassword lockedUntil }
    undertakings { quantity }
  }
}"""

CREATE_USER = """
mutation($org: String!, $username: String!, $name: String! = "") {
  createUser(organizationCode: $org, username: $username, displayName: $name) {
    user { username displayName role isActive mustChangePassword organization { code } }
    oneTimePassword
    errors { field code message }
  }
}"""

SET_USER_ACTIVE = """
mutation($id: ID!, $active: Boolean!) {
  setUserActive(userId: $id, active: $active) {
    user { username isActive }
    errors { field code message }
  }
}"""

RESET_PASSWORD = """
mutation($id: ID!) {
  resetPassword(userId: $id) {
    user { username mustChangePassword lockedUntil }
    oneTimePassword
    errors { field code message }
  }
}"""

# Walks from the caller's own unit down to what it manages: used to show that a user who
# must still change the initial password gets nothing beyond its own identity.
ME_WITH_SCHOOLS = """
{
  me {
    username
    organization { code children { code users { username } } }
  }
}"""

LOGIN_WITH_SCHOOLS = """
mutation($u: String!, $p: String!) {
  login(username: $u, password: $p) {
    token
    user { username organization { code children { code users { username } } } }
    errors { code }
  }
}"""


# --- helpers ---------------------------------------------------------------------------------


def error_codes(body: dict[str, Any]) -> list[str | None]:
    """The extensions.code of each top-level error."""
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def payload_codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(hours=8), f"not Beijing time: {value}"
    return parsed


def about(value: datetime, expected: datetime, slack: timedelta = timedelta(minutes=1)) -> bool:
    return abs(value - expected) < slack


async def user_id(api: Api, username: str) -> str:
    """The global id of a demo account (user name = its organisation's code), as the province
    reads it."""
    data = await api.data(USERS_OF, {"code": username}, await api.token(PROVINCE))
    ids = [u["id"] for u in data["organization"]["users"] if u["username"] == username]
    assert len(ids) == 1, data
    return str(ids[0])


async def is_refused(api: Api, token: str) -> bool:
    """Whether a token is refused (UNAUTHENTICATED) on `me`."""
    body = await api.post(ME, token=token)
    return error_codes(body) == ["UNAUTHENTICATED"] and body["data"] is None


async def wrong_logins(api: Api, username: str, count: int) -> list[dict[str, Any]]:
    return [await api.login(username, f"Wrong-pass{i}") for i in range(count)]


# --- login, tokens, logout, expiry -----------------------------------------------------------


async def test_login_returns_a_bearer_token_and_the_user(api: Api) -> None:
    # Given a demo school with its initial password
    # When it logs in with a wrong password, then with the right one
    refused = await api.login(ZZ_SCHOOL, "not-the-password1")
    result = await api.login(ZZ_SCHOOL)

    # Then the wrong password gets no token
    assert refused["token"] is None and refused["user"] is None
    assert payload_codes(refused) == ["INVALID_CREDENTIALS"]
    # And the right one a token, an expiry 8 hours out (the default TTL) and the user
    assert result["errors"] == []
    assert result["token"] and len(result["token"]) >= 32
    assert about(parse_time(result["expiresAt"]), now_utc() + timedelta(hours=8))
    assert result["user"] == {"username": ZZ_SCHOOL, "role": "SCHOOL", "mustChangePassword": True,
                              "organization": {"code": ZZ_SCHOOL}}
    # And the token is honoured as `Authorization: Bearer <token>`
    me = (await api.data(ME, token=result["token"]))["me"]
    assert me["username"] == ZZ_SCHOOL
    # But not as a bare header value
    bare = await api.client.post("/graphql", json={"query": ME},
                                 headers={"Authorization": result["token"]})
    assert error_codes(bare.json()) == ["UNAUTHENTICATED"]


async def test_the_token_lifetime_follows_token_ttl_hours(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a two-hour token lifetime
    monkeypatch.setenv("TOKEN_TTL_HOURS", "2")

    # When a user logs in
    result = await api.login(ZHENGZHOU)

    # Then the token expires in two hours, in the answer and in the database
    expires = parse_time(result["expiresAt"])
    assert about(expires, now_utc() + timedelta(hours=2))
    stored = await AccessToken.filter(user__username=ZHENGZHOU).get()
    assert about(stored.expires_at, expires, timedelta(seconds=1))
    # And the token itself is not stored, only its digest
    assert result["token"] not in stored.token_hash


async def test_logout_revokes_only_this_token_at_once(api: Api) -> None:
    # Given a user logged in twice (two devices)
    token = await api.token(ZZ_SCHOOL)
    second = (await api.login(ZZ_SCHOOL, NEW_PASSWORD))["token"]
    assert not await is_refused(api, token)

    # When the first session logs out
    logout = await api.data(LOGOUT, token=token)

    # Then that token is refused at once, the other one still works
    assert logout == {"logout": {"ok": True}}
    assert await is_refused(api, token)
    assert not await is_refused(api, second)
    # And logging out again with the dead token is refused too
    assert error_codes(await api.post(LOGOUT, token=token)) == ["UNAUTHENTICATED"]


async def test_an_expired_token_is_refused(api: Api) -> None:
    # Given a live token
    token = await api.token(LY_SCHOOL)
    assert not await is_refused(api, token)

    # When its expiry passes (moved into the past in the database)
    await AccessToken.filter(user_id=(await User.get(username=LY_SCHOOL)).id).update(
        expires_at=now_utc() - timedelta(seconds=1))

    # Then it is refused, with a message telling the user to log in again
    body = await api.post(ME, token=token)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert "重新登录" in body["errors"][0]["message"]
    # And a new login gives a working token
    fresh = (await api.login(LY_SCHOOL, NEW_PASSWORD))["token"]
    assert not await is_refused(api, fresh)


async def test_a_token_works_across_separately_created_apps(api: Api) -> None:
    # Given two independently created apps (two server processes) on the same database
    apps = [create_app(Settings(database_url="unused", demo_data=True), manage_database=False)
            for _ in range(2)]
    transports = [httpx.ASGITransport(app=app, client=(CLIENT_ADDRESS, 50000)) for app in apps]
    async with httpx.AsyncClient(transport=transports[0], base_url="http://a") as a_client, \
            httpx.AsyncClient(transport=transports[1], base_url="http://b") as b_client:
        first, second = Api(a_client), Api(b_client)

        # When a user logs in on the first one and changes the initial password there
        token = await first.token(ZHENGZHOU)

        # Then the second one knows the token and sees the changed password state
        me = (await second.data(ME, token=token))["me"]
        assert me["username"] == ZHENGZHOU and me["mustChangePassword"] is False
        # And a logout on the second one is refused at once by the first one
        await second.data(LOGOUT, token=token)
        assert await is_refused(first, token)


ROLES = {PROVINCE: ("PROVINCE_OFFICE", "PROVINCE"), ZHENGZHOU: ("CITY_BUREAU", "CITY"),
         ZZ_SCHOOL: ("SCHOOL", "SCHOOL"), HIGHER_SCHOOL: ("SCHOOL", "SCHOOL")}


async def test_me_answers_user_role_organisation_and_password_state(api: Api) -> None:
    for username, (role, kind) in ROLES.items():
        # Given a user of each role just logged in with the initial password
        token = (await api.login(username))["token"]

        # When it asks who it is, before and after replacing the password
        before = (await api.data(ME, token=token))["me"]
        await api.data(CHANGE_PASSWORD, {"old": INITIAL_PASSWORD, "new": NEW_PASSWORD}, token)
        after = (await api.data(ME, token=token))["me"]

        # Then `me` names the user, its role and organisation, and whether it must change
        assert (before["username"], before["role"]) == (username, role)
        assert before["organization"] == {"code": username, "kind": kind}
        assert before["isActive"] is True and before["lockedUntil"] is None
        assert about(parse_time(before["lastLoginAt"]), now_utc())
        assert (before["mustChangePassword"], after["mustChangePassword"]) == (True, False)
    # And without a token there is no `me`
    assert error_codes(await api.post(ME)) == ["UNAUTHENTICATED"]


# --- first login and the password policy -----------------------------------------------------


async def test_changing_the_initial_password_opens_the_api(api: Api) -> None:
    # Given a user who has not replaced the initial password
    token = (await api.login(ZHENGZHOU))["token"]
    refused = await api.post(CAMPAIGNS, token=token)

    # When it changes its password with the same token
    changed = await api.data(CHANGE_PASSWORD, {"old": INITIAL_PASSWORD, "new": NEW_PASSWORD},
                             token)

    # Then the token now opens the rest of the API
    assert error_codes(refused) == ["PASSWORD_CHANGE_REQUIRED"]
    assert refused["errors"][0]["message"]
    assert changed["changePassword"] == {"user": {"mustChangePassword": False}, "errors": []}
    campaigns = (await api.data(CAMPAIGNS, token=token))["campaigns"]
    assert [c["code"] for c in campaigns] == ["henan-2020"]
    # And the old password no longer opens the account, the new one does
    assert payload_codes(await api.login(ZHENGZHOU, INITIAL_PASSWORD)) == ["INVALID_CREDENTIALS"]
    assert (await api.login(ZHENGZHOU, NEW_PASSWORD))["user"]["mustChangePassword"] is False


@pytest.mark.parametrize(("query", "variables"), [
    (ME_WITH_SCHOOLS, None),
    (LOGIN_WITH_SCHOOLS, {"u": ZHENGZHOU, "p": INITIAL_PASSWORD}),
], ids=["me", "login-payload"])
async def test_the_initial_password_opens_nothing_beyond_ones_own_identity(
        api: Api, query: str, variables: dict[str, Any] | None) -> None:
    """Only me, changePassword and logout answer before the initial password is changed:
    walking from `me` (or the login payload) into the schools a city manages is the rest of
    the API, and must answer PASSWORD_CHANGE_REQUIRED too."""
    # Given a city bureau still on the initial password (the notice's 123456)
    token = (await api.login(ZHENGZHOU))["token"]

    # When it walks from its own account to its schools and their accounts
    body = await api.post(query, variables, token)

    # Then no school and no school account is revealed, and the client is told why
    assert ZZ_SCHOOL not in str(body["data"]), body
    assert "PASSWORD_CHANGE_REQUIRED" in error_codes(body), body
    # While after the change, the same walk shows its schools
    ready = await api.token(ZHENGZHOU)
    walk = (await api.data(ME_WITH_SCHOOLS, token=ready))["me"]["organization"]
    assert ZZ_SCHOOL in {c["code"] for c in walk["children"]}


WEAK_PASSWORDS = [
    "Ab1",  # too short
    "Abc1234",  # 7 characters
    "abcdefghij",  # no digit
    "1234567890",  # no letter
    f"x{ZZ_SCHOOL}y",  # contains the user name
    f"Ab{ZZ_SCHOOL}",  # the user name with letters
    "123456",  # the notice's initial password
    "123456ab",  # starts with it
    "password1",  # well known
]


async def test_change_password_refuses_weak_passwords(api: Api) -> None:
    # Given a school that must change the initial password
    token = (await api.login(ZZ_SCHOOL))["token"]

    # When it proposes each weak password, then a good one
    refused = {weak: (await api.data(CHANGE_PASSWORD, {"old": INITIAL_PASSWORD, "new": weak},
                                     token))["changePassword"] for weak in WEAK_PASSWORDS}
    accepted = (await api.data(CHANGE_PASSWORD, {"old": INITIAL_PASSWORD, "new": NEW_PASSWORD},
                               token))["changePassword"]

    # Then each weak one is refused on the newPassword field, with a message
    assert {weak: [(e["field"], e["code"]) for e in r["errors"]] for weak, r in refused.items()
            } == {weak: [(["newPassword"], "WEAK_PASSWORD")] for weak in WEAK_PASSWORDS}
    assert all(r["user"] is None and r["errors"][0]["message"] for r in refused.values())
    # And the good one is taken
    assert accepted == {"user": {"mustChangePassword": False}, "errors": []}


async def test_change_password_refuses_a_wrong_old_password(api: Api) -> None:
    # Given a school that must change the initial password
    token = (await api.login(ZZ_SCHOOL))["token"]

    # When it gives a wrong old password
    refused = (await api.data(CHANGE_PASSWORD, {"old": "Wrong-old-1", "new": NEW_PASSWORD},
                              token))["changePassword"]

    # Then INVALID_CREDENTIALS on oldPassword, and the initial password still stands
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        (["oldPassword"], "INVALID_CREDENTIALS")]
    assert (await api.data(ME, token=token))["me"]["mustChangePassword"] is True
    assert (await api.login(ZZ_SCHOOL))["errors"] == []
    # While the right old password works
    accepted = (await api.data(CHANGE_PASSWORD, {"old": INITIAL_PASSWORD, "new": NEW_PASSWORD},
                               token))["changePassword"]
    assert accepted["errors"] == []


async def test_change_password_refuses_the_current_and_the_previous_password(api: Api) -> None:
    # Given a user who went from the initial password to NEW_PASSWORD, then to OTHER_PASSWORD
    token = await api.token(LY_SCHOOL)
    same = (await api.data(CHANGE_PASSWORD, {"old": NEW_PASSWORD, "new": NEW_PASSWORD},
                           token))["changePassword"]
    await api.data(CHANGE_PASSWORD, {"old": NEW_PASSWORD, "new": OTHER_PASSWORD}, token)

    # When it tries to go back to NEW_PASSWORD, then picks a third one
    back = (await api.data(CHANGE_PASSWORD, {"old": OTHER_PASSWORD, "new": NEW_PASSWORD},
                           token))["changePassword"]
    third = (await api.data(CHANGE_PASSWORD, {"old": OTHER_PASSWORD, "new": THIRD_PASSWORD},
                            token))["changePassword"]

    # Then reusing the current or the previous password is PASSWORD_REUSED
    assert payload_codes(same) == ["PASSWORD_REUSED"]
    assert payload_codes(back) == ["PASSWORD_REUSED"]
    assert back["errors"][0]["field"] == ["newPassword"]
    # And a fresh one is accepted
    assert third["errors"] == []
    assert (await api.login(LY_SCHOOL, THIRD_PASSWORD))["errors"] == []


async def test_change_password_logs_the_other_sessions_out(api: Api) -> None:
    # Given a user logged in on two devices
    token = await api.token(ZZ_SCHOOL)
    other = (await api.login(ZZ_SCHOOL, NEW_PASSWORD))["token"]

    # When it changes its password on the first
    await api.data(CHANGE_PASSWORD, {"old": NEW_PASSWORD, "new": OTHER_PASSWORD}, token)

    # Then the other session is refused, this one keeps working
    assert await is_refused(api, other)
    assert not await is_refused(api, token)


async def test_passwords_are_stored_as_argon2id_hashes(api: Api) -> None:
    # Given a seeded account (initial password) and one that changed its password
    await api.token(ZZ_SCHOOL)

    # When we look at the stored hashes
    initial = await User.get(username=ZZ_SCHOOL_2)
    changed = await User.get(username=ZZ_SCHOOL)

    # Then both are argon2id hashes that verify the password but do not contain it
    hasher = PasswordHasher()
    for user, password in ((initial, INITIAL_PASSWORD), (changed, NEW_PASSWORD)):
        assert user.password_hash.startswith("$argon2id$"), user.password_hash
        assert password not in user.password_hash
        assert hasher.verify(user.password_hash, password)
    # And a hash verifies no other password
    with pytest.raises(VerifyMismatchError):
        hasher.verify(changed.password_hash, INITIAL_PASSWORD)


# --- brute force and the login journal -------------------------------------------------------


async def test_five_wrong_passwords_lock_the_account_for_15_minutes(api: Api) -> None:
    # Given a school with its initial password
    # When five wrong passwords are tried
    results = await wrong_logins(api, ZZ_SCHOOL, 5)

    # Then the first four are plain wrong passwords, the fifth locks the account
    assert [payload_codes(r) for r in results[:4]] == [["INVALID_CREDENTIALS"]] * 4
    # The warning names the rule, not how many tries are left: that would tell a guesser
    # that the user name exists.
    assert "连续5次错误将锁定15分钟" in results[3]["errors"][0]["message"]
    locked = results[4]
    assert payload_codes(locked) == ["ACCOUNT_LOCKED"] and locked["token"] is None
    until = parse_time(locked["lockedUntil"])
    assert about(until, now_utc() + timedelta(minutes=15))
    # And even the right password gets no token while it is locked
    right = await api.login(ZZ_SCHOOL)
    assert payload_codes(right) == ["ACCOUNT_LOCKED"]
    assert right["token"] is None and parse_time(right["lockedUntil"]) == until
    # While a neighbour school is untouched
    assert (await api.login(ZZ_SCHOOL_2))["errors"] == []


async def test_the_lock_opens_again_when_its_time_has_passed(api: Api) -> None:
    # Given an account hit by ten wrong passwords
    results = await wrong_logins(api, LY_SCHOOL, 10)
    assert [payload_codes(r) for r in results[4:]] == [["ACCOUNT_LOCKED"]] * 6
    assert payload_codes(await api.login(LY_SCHOOL)) == ["ACCOUNT_LOCKED"]

    # When the lock's time passes (the journal's guesses moved out of the 15 minutes)
    await LoginAttempt.filter(username=LY_SCHOOL).update(
        at=now_utc() - timedelta(minutes=15, seconds=1))

    # Then the right password works again, and a fresh count of failures starts
    opened = await api.login(LY_SCHOOL)
    assert opened["errors"] == [] and opened["token"]
    again = await wrong_logins(api, LY_SCHOOL, 4)
    assert [payload_codes(r) for r in again] == [["INVALID_CREDENTIALS"]] * 4


async def test_a_successful_login_resets_the_failure_count(api: Api) -> None:
    # Given four wrong passwords, then the right one
    await wrong_logins(api, ZZ_SCHOOL_2, 4)
    assert (await api.login(ZZ_SCHOOL_2))["errors"] == []

    # When four more wrong passwords follow
    again = await wrong_logins(api, ZZ_SCHOOL_2, 4)

    # Then the account is not locked: only consecutive failures count
    assert [payload_codes(r) for r in again] == [["INVALID_CREDENTIALS"]] * 4
    assert (await api.login(ZZ_SCHOOL_2))["errors"] == []
    # But a fifth consecutive one locks it
    assert payload_codes((await wrong_logins(api, ZZ_SCHOOL_2, 5))[-1]) == ["ACCOUNT_LOCKED"]


async def test_parallel_wrong_passwords_are_not_all_checked(api: Api) -> None:
    """The lock must bound the guesses, also when they arrive at once: after five wrong
    passwords no further password may be checked for 15 minutes."""
    # Given a school account
    # When twenty wrong passwords arrive at the same time
    results = await asyncio.gather(*(api.login(ZZ_SCHOOL, f"Guess-{i}xx") for i in range(20)))

    # Then none gets a token and the account ends locked
    assert all(r["token"] is None for r in results)
    assert payload_codes(await api.login(ZZ_SCHOOL)) == ["ACCOUNT_LOCKED"]
    # And at most five of the guesses were actually checked; the others were refused as locked
    checked = await LoginAttempt.filter(username=ZZ_SCHOOL, reason="wrong_password").count()
    assert checked <= 5, f"{checked} passwords checked in one burst despite the lock"


async def test_every_login_is_journalled_with_time_and_client_address(api: Api) -> None:
    # Given nothing in the journal
    assert await LoginAttempt.all().count() == 0
    start = now_utc()

    # When a school fails once, then succeeds, and an unknown user name is tried
    await api.login(ZZ_SCHOOL, "Wrong-pass1")
    await api.login(ZZ_SCHOOL)
    await api.login("no-such-user", "Whatever-1")

    # Then each attempt is recorded with its outcome, time and client address
    rows = await LoginAttempt.all().order_by("id")
    assert [(r.username, r.success) for r in rows] == [
        (ZZ_SCHOOL, False), (ZZ_SCHOOL, True), ("no-such-user", False)]
    school = await User.get(username=ZZ_SCHOOL)
    assert [r.user_id for r in rows] == [school.id, school.id, None]
    assert {r.client_address for r in rows} == {CLIENT_ADDRESS}
    assert all(start - timedelta(seconds=1) <= r.at <= now_utc() for r in rows)
    # And the unknown user name is refused like a wrong password
    assert payload_codes(await api.login("no-such-user", "Whatever-1")) == ["INVALID_CREDENTIALS"]


async def test_a_disabled_account_gets_no_token_even_with_the_right_password(api: Api) -> None:
    # Given a school disabled by the province
    province = await api.token(PROVINCE)
    target = await user_id(api, LY_SCHOOL)
    await api.data(SET_USER_ACTIVE, {"id": target, "active": False}, province)

    # When it logs in with the right password
    refused = await api.login(LY_SCHOOL)

    # Then it gets no token, and the journal records the refusal
    assert refused["token"] is None and payload_codes(refused) == ["ACCOUNT_DISABLED"]
    last = await LoginAttempt.filter(username=LY_SCHOOL).order_by("-id").first()
    assert last is not None and last.success is False and last.client_address == CLIENT_ADDRESS
    # And once re-enabled it logs in again
    await api.data(SET_USER_ACTIVE, {"id": target, "active": True}, province)
    assert (await api.login(LY_SCHOOL))["errors"] == []


# --- account upkeep: create, disable, reset --------------------------------------------------


@pytest.mark.parametrize(("org", "role"), [(ZZ_SCHOOL, "SCHOOL"), (LUOYANG, "CITY_BUREAU")])
async def test_the_province_creates_an_account_with_a_one_time_password(
        api: Api, org: str, role: str) -> None:
    # Given the province office
    province = await api.token(PROVINCE)

    # When it creates a second account for a school or a city bureau
    created = (await api.data(CREATE_USER, {"org": org, "username": "staff-2",
                                            "name": "王老师"}, province))["createUser"]

    # Then the account has the organisation's role and a one-time password
    assert created["errors"] == []
    assert created["user"] == {"username": "staff-2", "displayName": "王老师", "role": role,
                               "isActive": True, "mustChangePassword": True,
                               "organization": {"code": org}}
    one_time = created["oneTimePassword"]
    assert one_time and one_time != INITIAL_PASSWORD
    # And the one-time password logs in, but must be replaced before anything else
    login = await api.login("staff-2", one_time)
    assert login["errors"] == [] and login["user"]["role"] == role
    assert error_codes(await api.post(CAMPAIGNS, token=login["token"])) == [
        "PASSWORD_CHANGE_REQUIRED"]
    await api.data(CHANGE_PASSWORD, {"old": one_time, "new": NEW_PASSWORD}, login["token"])
    assert (await api.data(CAMPAIGNS, token=login["token"]))["campaigns"]
    # And its hash is argon2id, not the password
    stored = await User.get(username="staff-2")
    assert stored.password_hash.startswith("$argon2id$")


BAD_ACCOUNTS = [  # (organisation, user name): (field at fault, code)
    ((ZZ_SCHOOL, ZZ_SCHOOL_2), ("username", "DUPLICATE")),
    ((ZZ_SCHOOL, "no spaces allowed"), ("username", "INVALID_VALUE")),
    ((ZZ_SCHOOL, "ab"), ("username", "INVALID_VALUE")),
    ((NO_SUCH_ORGANISATION, "staff-9"), ("organizationCode", "NOT_FOUND")),
]


async def test_create_user_refuses_bad_input(api: Api) -> None:
    # Given the province office
    province = await api.token(PROVINCE)
    before = await User.all().count()

    # When it creates an account with a taken or malformed user name, or for no organisation
    refused = [(await api.data(CREATE_USER, {"org": org, "username": username},
                               province))["createUser"] for (org, username), _ in BAD_ACCOUNTS]

    # Then a payload error names the field, and no account is created
    assert [[(e["field"], e["code"]) for e in r["errors"]] for r in refused] == [
        [([field], code)] for _, (field, code) in BAD_ACCOUNTS]
    assert all(r["user"] is None and r["oneTimePassword"] is None for r in refused)
    assert await User.all().count() == before
    # While a valid request for the same organisation works
    valid = (await api.data(CREATE_USER, {"org": ZZ_SCHOOL, "username": "staff-ok"},
                            province))["createUser"]
    assert valid["errors"] == [] and valid["user"]["username"] == "staff-ok"


async def test_disabling_stops_the_account_at_once_and_keeps_its_history(api: Api) -> None:
    # Given a school that logged in and has an undertaking on record
    school = await api.token(LY_SCHOOL)
    org = await Organization.get(code=LY_SCHOOL)
    item = await TaskEntry.filter(level=TaskLevel.SCHOOL, is_group=False).order_by(
        "sort_key").first()
    assert item is not None
    await Undertaking.create(organization=org, item=item, quantity=3)
    province = await api.token(PROVINCE)
    target = await user_id(api, LY_SCHOOL)

    # When the province disables the account
    disabled = (await api.data(SET_USER_ACTIVE, {"id": target, "active": False},
                               province))["setUserActive"]

    # Then its token stops at once
    assert disabled == {"user": {"username": LY_SCHOOL, "isActive": False}, "errors": []}
    assert await is_refused(api, school)
    # And nothing is deleted: the account (shown as inactive), its journal and its data stay
    seen = (await api.data(USERS_OF, {"code": LY_SCHOOL}, province))["organization"]
    assert [(u["username"], u["isActive"]) for u in seen["users"]] == [(LY_SCHOOL, False)]
    assert seen["undertakings"] == [{"quantity": 3}]
    assert await LoginAttempt.filter(username=LY_SCHOOL, success=True).exists()
    assert await AccessToken.filter(user__username=LY_SCHOOL).exists()
    # And re-enabling lets it log in again (the old token stays dead)
    enabled = (await api.data(SET_USER_ACTIVE, {"id": target, "active": True},
                              province))["setUserActive"]
    assert enabled["user"]["isActive"] is True
    assert (await api.login(LY_SCHOOL, NEW_PASSWORD))["errors"] == []
    assert await is_refused(api, school)


async def test_the_province_cannot_disable_its_own_account(api: Api) -> None:
    # Given the province office
    province = await api.token(PROVINCE)
    own = await user_id(api, PROVINCE)

    # When it tries to disable itself, then another account
    refused = (await api.data(SET_USER_ACTIVE, {"id": own, "active": False},
                              province))["setUserActive"]
    other = (await api.data(SET_USER_ACTIVE, {"id": await user_id(api, ZHENGZHOU),
                                              "active": False}, province))["setUserActive"]

    # Then the first is refused and it stays logged in; the second works
    assert refused["user"] is None and payload_codes(refused) == ["FORBIDDEN"]
    assert not await is_refused(api, province)
    assert other == {"user": {"username": ZHENGZHOU, "isActive": False}, "errors": []}


async def test_a_city_resets_its_schools_password_to_a_one_time_password(api: Api) -> None:
    # Given a school that replaced its initial password and is logged in
    school = await api.token(ZZ_SCHOOL)
    city = await api.token(ZHENGZHOU)
    target = await user_id(api, ZZ_SCHOOL)

    # When its city bureau resets the password
    reset = (await api.data(RESET_PASSWORD, {"id": target}, city))["resetPassword"]

    # Then a one-time password is shown once, and the school's session ends
    assert reset["errors"] == []
    assert reset["user"] == {"username": ZZ_SCHOOL, "mustChangePassword": True,
                             "lockedUntil": None}
    one_time = reset["oneTimePassword"]
    assert one_time and one_time not in (INITIAL_PASSWORD, NEW_PASSWORD)
    assert await is_refused(api, school)
    # And the old password no longer works; the one-time one does, for me and a change only
    assert payload_codes(await api.login(ZZ_SCHOOL, NEW_PASSWORD)) == ["INVALID_CREDENTIALS"]
    login = await api.login(ZZ_SCHOOL, one_time)
    assert login["user"]["mustChangePassword"] is True
    assert error_codes(await api.post(CAMPAIGNS, token=login["token"])) == [
        "PASSWORD_CHANGE_REQUIRED"]
    changed = await api.data(CHANGE_PASSWORD, {"old": one_time, "new": OTHER_PASSWORD},
                             login["token"])
    assert changed["changePassword"]["errors"] == []
    assert (await api.data(CAMPAIGNS, token=login["token"]))["campaigns"]


async def test_a_reset_also_unlocks_the_account(api: Api) -> None:
    # Given a school locked by wrong passwords
    await wrong_logins(api, ZZ_SCHOOL_2, 5)
    assert payload_codes(await api.login(ZZ_SCHOOL_2)) == ["ACCOUNT_LOCKED"]

    # When its city bureau resets the password
    reset = (await api.data(RESET_PASSWORD, {"id": await user_id(api, ZZ_SCHOOL_2)},
                            await api.token(ZHENGZHOU)))["resetPassword"]

    # Then the one-time password logs in at once
    login = await api.login(ZZ_SCHOOL_2, reset["oneTimePassword"])
    assert login["errors"] == [] and login["user"]["mustChangePassword"] is True


async def test_after_a_reset_the_password_in_use_before_cannot_come_back(api: Api) -> None:
    """"Not the previous password": a reset happens because a password was forgotten or
    leaked, so the one replaced by the reset must not be set again right away."""
    # Given a school whose password NEW_PASSWORD was reset by its city bureau
    await api.token(ZZ_SCHOOL)
    reset = (await api.data(RESET_PASSWORD, {"id": await user_id(api, ZZ_SCHOOL)},
                            await api.token(ZHENGZHOU)))["resetPassword"]
    one_time = reset["oneTimePassword"]
    token = (await api.login(ZZ_SCHOOL, one_time))["token"]

    # When it replaces the one-time password with the one it had before the reset
    back = (await api.data(CHANGE_PASSWORD, {"old": one_time, "new": NEW_PASSWORD},
                           token))["changePassword"]

    # Then it is refused as reused, while a new one is accepted
    assert payload_codes(back) == ["PASSWORD_REUSED"], back
    fresh = (await api.data(CHANGE_PASSWORD, {"old": one_time, "new": THIRD_PASSWORD},
                            token))["changePassword"]
    assert fresh["errors"] == []
