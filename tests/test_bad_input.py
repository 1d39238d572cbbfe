"""Bad input answers BAD_USER_INPUT with a Chinese message, never "internal error", and
leaves no traceback in the server log: the outside test's list, through the endpoint.

Every string argument has a length cap (gql/input_limits.py) checked before any resolver
runs, so a code longer than its column never reaches the ORM; cursors, decimals, dates and
uploads are checked where they are parsed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from gql import input_limits
from gql.pagination import encode_cursor
from tests.conftest import PROVINCE, ZHENGZHOU, ZZ_SCHOOL, Api

LONG_CODE = "4" * 21


@pytest.fixture
def server_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def assert_no_traceback(log: pytest.LogCaptureFixture) -> None:
    """No incident logged: no traceback, no "unexpected error" line."""
    bad = [r for r in log.records if r.exc_info or "unexpected" in r.getMessage()]
    assert bad == [], [r.getMessage() for r in bad]


def bad_input(body: dict[str, Any]) -> dict[str, Any]:
    """The one error of a refused request: BAD_USER_INPUT with a Chinese message."""
    assert body.get("data") is None or all(v is None for v in body["data"].values()), body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "internal error" not in error["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error
    return error  # type: ignore[no-any-return]


# (query, variables) that each used to answer "internal error", as the province (who may
# call every one of them).
TOO_LONG: list[tuple[str, str, dict[str, Any]]] = [
    ("cityCode", "query($c: String) { declarationProgress(cityCode: $c) { counts { submitted } } }",
     {"c": LONG_CODE}),
    ("organizationCode", "query($c: String) { declaration(organizationCode: $c) { status } }",
     {"c": LONG_CODE}),
    ("code", "query($c: String!) { organization(code: $c) { name } }", {"c": LONG_CODE}),
    ("parentCode", "query($c: String) { organizations(parentCode: $c) { totalCount } }",
     {"c": LONG_CODE}),
    ("number", "query($n: String!) { taskEntry(number: $n) { title } }", {"n": "3." * 20}),
    ("campaignCode", "query($c: String) { taskCatalog(campaignCode: $c) { number } }",
     {"c": "x" * 41}),
    ("search", "query($s: String) { organizations(search: $s) { totalCount } }",
     {"s": "郑" * 1_000_000}),
    ("itemNumber", """mutation($i: SaveUndertakingsInput!) { saveUndertakings(input: $i) {
        errors { code } } }""",
     {"i": {"organizationCode": PROVINCE, "version": 0,
            "rows": [{"itemNumber": "9" * 17, "quantity": 1}]}}),
]


@pytest.mark.parametrize(("argument", "query", "variables"), TOO_LONG,
                         ids=[t[0] for t in TOO_LONG])
async def test_a_string_longer_than_its_column_is_refused(
        api: Api, server_log: pytest.LogCaptureFixture, argument: str, query: str,
        variables: dict[str, Any]) -> None:
    token = await api.token(PROVINCE)
    server_log.clear()

    error = bad_input(await api.post(query, variables, token))

    assert error["extensions"]["argument"].split(".")[-1].startswith(argument)
    assert "超过" in error["message"]
    assert_no_traceback(server_log)


async def test_the_same_argument_inline_is_refused_too(api: Api) -> None:
    token = await api.token(PROVINCE)

    inline = await api.post(f'{{ organization(code: "{LONG_CODE}") {{ name }} }}', None, token)
    just_fits = await api.data(f'{{ organization(code: "{LONG_CODE[:20]}") {{ name }} }}',
                               None, token)

    bad_input(inline)
    assert just_fits == {"organization": None}


async def test_an_anonymous_login_with_a_long_user_name_is_refused(
        api: Api, server_log: pytest.LogCaptureFixture) -> None:
    long_name = await api.post(
        "mutation($u: String!) { login(username: $u, password: \"x\") { token } }",
        {"u": "a" * 65})
    fits = await api.login("a" * 64, "x")

    bad_input(long_name)
    assert fits["token"] is None and fits["errors"]
    assert_no_traceback(server_log)


async def test_a_cursor_far_beyond_any_row_is_refused(
        api: Api, server_log: pytest.LogCaptureFixture) -> None:
    token = await api.token(PROVINCE)
    query = "query($a: String) { organizations(after: $a) { edges { node { code } } } }"

    huge = await api.post(query, {"a": encode_cursor(("school", "4199", 10**23))}, token)
    garbage = await api.post(query, {"a": "not a cursor"}, token)
    last_page = await api.data(query, {"a": encode_cursor(("school", "9" * 10, 2**31 - 1))},
                               token)

    assert bad_input(huge)["extensions"]["reason"] == "INVALID_CURSOR"
    assert bad_input(garbage)["extensions"]["reason"] == "INVALID_CURSOR"
    assert last_page["organizations"]["edges"] == []
    assert_no_traceback(server_log)


SAVE = """mutation($i: SaveUndertakingsInput!) { saveUndertakings(input: $i) {
  declaration { version } errors { field code message } } }"""


@pytest.mark.parametrize("amount", ["1e999999", "NaN", "Infinity", "-1e-999999", "1" * 40,
                                    "0x10", "一百"])
async def test_funding_that_is_no_sane_decimal_is_refused(
        api: Api, server_log: pytest.LogCaptureFixture, amount: str) -> None:
    token = await api.token(ZZ_SCHOOL)
    variables = {"i": {"organizationCode": ZZ_SCHOOL, "version": 0, "rows": [
        {"itemNumber": "3.2", "quantity": 1, "funding": {"schoolSelf": amount}}]}}

    body = await api.post(SAVE, variables, token)
    inline = await api.post(
        "mutation { saveUndertakings(input: {organizationCode: ORG, version: 0, rows: ["
        "{itemNumber: \"3.2\", quantity: 1, funding: {schoolSelf: AMOUNT}}]}) {"
        " errors { code } } }".replace("ORG", json.dumps(ZZ_SCHOOL))
        .replace("AMOUNT", json.dumps(amount)), None, token)

    assert bad_input(body)["extensions"]["reason"] == "INVALID_DECIMAL"
    assert bad_input(inline)["extensions"]["reason"] == "INVALID_DECIMAL"
    saved = await api.data("{ declaration { version undertakings { quantity } } }", None, token)
    assert saved["declaration"]["undertakings"] == []
    assert_no_traceback(server_log)


async def test_a_sane_decimal_still_saves(api: Api) -> None:
    token = await api.token(ZZ_SCHOOL)
    variables = {"i": {"organizationCode": ZZ_SCHOOL, "version": 0, "rows": [
        {"itemNumber": "3.2", "quantity": 1, "funding": {"schoolSelf": "12.5"}}]}}

    saved = await api.data(SAVE, variables, token)

    assert saved["saveUndertakings"]["errors"] == []


EXTEND_INLINE = """mutation {
  grantExtension(organizationCode: "ORG", until: UNTIL) { errors { code } } }"""
EXTEND = EXTEND_INLINE.replace("mutation", "mutation($until: DateTime!)").replace(
    "UNTIL", "$until").replace("ORG", ZZ_SCHOOL)


@pytest.mark.parametrize("moment", ["11月20日", "9999-99-99", "2020-13-01T00:00:00",
                                    "", "2020-11-20T25:00:00+08:00", "9" * 5000])
async def test_a_date_that_is_no_date_is_refused(
        api: Api, server_log: pytest.LogCaptureFixture, moment: str) -> None:
    token = await api.token(PROVINCE)

    by_variable = await api.post(EXTEND, {"until": moment}, token)
    inline = await api.post(EXTEND_INLINE.replace("ORG", ZZ_SCHOOL).replace(
        "UNTIL", json.dumps(moment)), None, token)

    assert bad_input(by_variable)["extensions"]["reason"] in {"INVALID_DATETIME", "TOO_LONG"}
    assert bad_input(inline)["extensions"]["reason"] in {"INVALID_DATETIME", "TOO_LONG"}
    assert_no_traceback(server_log)


async def test_a_real_date_still_works(api: Api) -> None:
    token = await api.token(PROVINCE)

    granted = await api.data(EXTEND, {"until": "2099-11-20T18:00:00"}, token)

    assert granted["grantExtension"]["errors"] == []


UPLOAD = """mutation($u: ID!, $f: Upload!) {
  uploadEvidence(undertakingId: $u, year: 2021, file: $f) { errors { code } } }"""


async def test_an_upload_that_is_a_string_is_refused(
        api: Api, server_log: pytest.LogCaptureFixture) -> None:
    token = await api.token(ZZ_SCHOOL)
    headers = {"Authorization": f"Bearer {token}"}

    as_json = await api.post(UPLOAD, {"u": "x", "f": "just text"}, token)
    operations = json.dumps({"query": UPLOAD, "variables": {"u": "x", "f": None}})
    # (None, text): a plain field of a multipart form, not a file.
    as_form = await api.client.post("/graphql", headers=headers, files={
        "operations": (None, operations), "map": (None, "{}")})
    as_form_field = await api.client.post("/graphql", headers=headers, files={
        "operations": (None, operations), "map": (None, '{"0": ["variables.f"]}'),
        "0": (None, "not a file")})

    assert bad_input(as_json)["extensions"]["reason"] == "NOT_A_FILE"
    assert as_form.status_code == 200, as_form.text
    assert "Upload!" in as_form.json()["errors"][0]["message"]  # null for a non-null file
    assert bad_input(as_form_field.json())["extensions"]["reason"] == "NOT_A_FILE"
    assert_no_traceback(server_log)


@pytest.mark.parametrize("path", [
    f"/exports/declarations/{LONG_CODE}.xlsx",
    f"/exports/summary.xlsx?city={LONG_CODE}",
    f"/exports/progress.csv?city={LONG_CODE}",
    f"/exports/sums.csv?city={LONG_CODE}",
    f"/exports/performance.xlsx?year=2021&city={LONG_CODE}",
    "/exports/performance.xlsx?year=2021&campaign=" + "c" * 41,
    "/exports/performance.xlsx?year=" + "9" * 30,
    "/files/evidence/" + "9" * 30,
])
async def test_exports_refuse_codes_longer_than_their_column(
        api: Api, server_log: pytest.LogCaptureFixture, path: str) -> None:
    token = await api.token(PROVINCE)

    response = await api.client.get(path, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code in {400, 404}, response.text
    assert response.json()["error"]["code"] in {"BAD_USER_INPUT", "NOT_FOUND",
                                                "ROUND_NOT_FOUND"}
    assert_no_traceback(server_log)


async def test_exports_still_answer_a_real_code(api: Api) -> None:
    token = await api.token(ZHENGZHOU)

    response = await api.client.get("/exports/progress.csv?city=410100",
                                    headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


async def test_a_variable_default_and_a_fragment_are_checked_too(api: Api) -> None:
    token = await api.token(PROVINCE)

    default = await api.post(
        f'query($c: String! = "{LONG_CODE}") {{ organization(code: $c) {{ name }} }}',
        None, token)
    in_fragment = await api.post(
        "query($c: String!) { ...F } fragment F on Query { organization(code: $c) { name } }",
        {"c": LONG_CODE}, token)

    assert bad_input(default)["extensions"]["argument"] == "code"
    assert bad_input(in_fragment)["extensions"]["argument"] == "code"


async def test_a_value_no_cap_covers_is_still_bad_input_not_internal_error(
        api: Api, server_log: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The safety net: a new argument without a fitting cap reaches the ORM, whose own
    ValidationError then answers BAD_USER_INPUT and logs a warning, not a traceback."""
    token = await api.token(PROVINCE)
    monkeypatch.delitem(input_limits.MAX_LENGTH, "code")

    body = await api.post("query($c: String!) { organization(code: $c) { name } }",
                          {"c": LONG_CODE}, token)

    assert bad_input(body)["extensions"]["reason"] == "TOO_LONG"
    assert_no_traceback(server_log)
    assert any("add a cap" in r.getMessage() for r in server_log.records)


async def test_a_nul_character_is_refused_before_the_database(api: Api) -> None:
    """PostgreSQL text cannot hold U+0000 (the fuzz test found it answering internal error)."""
    token = await api.token(PROVINCE)

    body = await api.post("query($c: String) { compliance(cityCode: $c) { __typename } }",
                          {"c": "41\x000100"}, token)

    assert bad_input(body)["extensions"]["reason"] == "INVALID_CHARACTER"
