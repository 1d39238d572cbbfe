"""Nothing secret in the logs, whatever the request (issue 10, point 5).

The whole suite's logs are searched at the end of the session (tests/log_secrecy.py, wired
in conftest.py); here the requests that used to leak are sent on purpose, and their own
secrets are looked for at once."""

from __future__ import annotations

import pytest

from models.audit import AuditRecord
from tests import log_secrecy
from tests.conftest import LOGIN, PROVINCE, ZZ_SCHOOL, Api

SECRET = "Do-Not-Log-Me-4711"
ATTEMPTS = [
    # A login document that fails validation: it used to be logged whole.
    (f'mutation {{ login(username: "{ZZ_SCHOOL}", password: "{SECRET}") {{ tokn }} }}', None),
    (f'mutation {{ login(username: "{ZZ_SCHOOL}", password: "{SECRET}") {{ token }}', None),
    (f'mutation {{ login(username: 4199200001, password: "{SECRET}") {{ token }} }}', None),
    # Variables of the wrong type, and a password over its length cap.
    (LOGIN, {"u": 4199200001, "p": SECRET}),
    (LOGIN, {"u": ZZ_SCHOOL, "p": SECRET * 20}),
    (LOGIN, {"u": ZZ_SCHOOL, "p": SECRET}),
    ('mutation($old: String!) { changePassword(oldPassword: $old, newPassword: 7) '
     "{ errors { code } } }", {"old": SECRET}),
]


@pytest.mark.parametrize(("query", "variables"), ATTEMPTS)
async def test_a_failing_login_logs_no_password(api: Api, query: str,
                                                variables: dict[str, object] | None) -> None:
    before = len(log_secrecy.CAPTURE.lines)
    log_secrecy.remember(SECRET)

    await api.client.post("/graphql", json={"query": query, "variables": variables or {}})

    logged = log_secrecy.CAPTURE.lines[before:]
    assert not [line for line in logged if SECRET in line]


async def test_tokens_and_passwords_of_a_session_are_not_logged(api: Api) -> None:
    before = len(log_secrecy.CAPTURE.lines)
    token = await api.token(ZZ_SCHOOL)
    await api.post("mutation { logout { ok } }", token=token)
    await api.post("{ me { username } }", token=token)  # a dead token, refused

    logged = "\n".join(log_secrecy.CAPTURE.lines[before:])
    assert token in log_secrecy.SECRETS and token not in logged


def test_the_capture_would_see_a_leak() -> None:
    # The check itself: a secret in a log line is found (and masked in the report).
    log_secrecy.remember("Leak-Check-Secret-1")
    record = log_secrecy.CAPTURE.lines
    record.append("login failed for password Leak-Check-Secret-1")
    try:
        assert log_secrecy.leaks() == ["login failed for password <secret>"]
    finally:
        record.remove("login failed for password Leak-Check-Secret-1")


async def test_an_unexpected_failure_in_a_login_logs_no_password(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("models.accounts.login", broken)
    before = len(log_secrecy.CAPTURE.lines)
    log_secrecy.remember(SECRET)

    body = await api.post(f'mutation {{ login(username: "{ZZ_SCHOOL}", password: "{SECRET}")'
                          " { token } }")

    logged = log_secrecy.CAPTURE.lines[before:]
    assert body["errors"][0]["message"] == "internal error"
    assert any("the database went away" in line for line in logged)  # the incident is logged
    assert not [line for line in logged if SECRET in line]  # but not the password


async def test_the_operation_log_holds_no_password_token_or_one_time_password(api: Api) -> None:
    # Every request above that used to leak, and the ones that hand out secrets, recorded.
    log_secrecy.remember(SECRET)
    for query, variables in ATTEMPTS:
        await api.client.post("/graphql", json={"query": query, "variables": variables or {}})
    province = await api.token(PROVINCE)
    created = await api.post('mutation { createUser(organizationCode: "410100", username:'
                             ' "zz-clerk") { user { id } oneTimePassword } }', token=province)
    user_id = created["data"]["createUser"]["user"]["id"]
    await api.post("mutation($id: ID!) { resetPassword(userId: $id) { oneTimePassword } }",
                   {"id": user_id}, province)
    await api.client.get("/exports/initial-passwords/410100.xlsx",
                         headers={"Authorization": f"Bearer {province}"})

    records = [f"{r.username} {r.targets} {r.detail}" for r in await AuditRecord.all()]

    assert len(records) >= 6  # the documents that fail validation run nothing to record
    assert log_secrecy.leaks_in(records) == []
    assert province in log_secrecy.SECRETS and SECRET in log_secrecy.SECRETS
