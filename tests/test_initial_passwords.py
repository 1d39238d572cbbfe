"""Initial passwords that cannot be guessed (issue 10, point 2).

Imported and province-made accounts get a random one-time password each; the import's are
handed to the province office once, as a spreadsheet per city-level unit; unused ones expire.
Only the demo data keeps the notice's 123456."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from models.account import InitialCredential, User
from models.clock import now_utc
from models.importer import import_organizations
from tests import log_secrecy
from tests.conftest import CHANGE_PASSWORD, LUOYANG, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, Api
from tests.test_import import HEADER, write_csv

ROWS = [HEADER,
        ["4101000001", "郑州市第一中等职业学校", "secondary", "郑州市", "yes"],
        ["4101000002", "郑州市第二中等职业学校", "secondary", "410100", ""],
        ["4103000001", "洛阳职业技术学院", "higher", "410300", "no"],
        ["4100000001", "河南某职业大学", "university", "", "1"]]
ORGS = '{ organizations(kind: SCHOOL) { totalCount } }'
CREATE = """mutation($org: String!, $u: String!) { createUser(organizationCode: $org,
  username: $u) { oneTimePassword user { username mustChangePassword } errors { code } } }"""


async def _sheet(api: Api, code: str, who: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {await api.token(who)}"} if who else {}
    response = await api.client.get(f"/exports/initial-passwords/{code}.xlsx", headers=headers)
    if response.status_code != 200:
        return response.status_code, response.json()["error"]
    assert response.headers["cache-control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[str(c) if c is not None else "" for c in r] for r in sheet.iter_rows(
        min_row=3, values_only=True)]
    for r in rows:
        log_secrecy.remember(r[2] if len(r) > 2 else None)
    return 200, {r[0]: r for r in rows if r and r[0].isdigit()}


async def test_an_imported_school_opens_only_with_its_own_handed_out_password(
        api: Api, tmp_path: Path) -> None:
    report = await import_organizations(write_csv(tmp_path / "orgs.csv", ROWS))
    assert report.ok, report.lines()

    # The notice's password opens none of the imported accounts.
    guessed = [await api.login(code) for code in ("4101000001", "4103000001", "4100000001")]
    # Only the province office may fetch the sheet.
    anonymous = await _sheet(api, ZHENGZHOU, None)
    city = await _sheet(api, ZHENGZHOU, ZHENGZHOU)
    school = await _sheet(api, ZHENGZHOU, ZZ_SCHOOL)
    status, zhengzhou = await _sheet(api, ZHENGZHOU, PROVINCE)
    again = await _sheet(api, ZHENGZHOU, PROVINCE)
    _, direct = await _sheet(api, PROVINCE, PROVINCE)
    _, luoyang = await _sheet(api, LUOYANG, PROVINCE)

    assert [g["errors"][0]["code"] for g in guessed] == ["INVALID_CREDENTIALS"] * 3
    assert anonymous[0] == 401 and city[0] == 403 and school[0] == 403
    assert status == 200 and sorted(zhengzhou) == ["4101000001", "4101000002"]
    assert list(direct) == ["4100000001"] and list(luoyang) == ["4103000001"]
    passwords = [r[2] for r in (*zhengzhou.values(), *direct.values(), *luoyang.values())]
    assert len(set(passwords)) == 4 and all(len(p) >= 12 for p in passwords)
    # Once: the second download finds nothing, and says who fetched it when.
    assert again[0] == 404 and again[1]["code"] == "NOTHING_PENDING"
    assert PROVINCE in again[1]["message"]
    assert not await InitialCredential.filter(password__isnull=False).exists()
    record = await InitialCredential.filter(handed_out_at__isnull=False).count()
    assert record == 4

    # The handed-out password opens the account, for the password change only.
    login = await api.login("4101000001", zhengzhou["4101000001"][2])
    assert login["errors"] == [] and login["user"]["mustChangePassword"] is True
    refused = await api.post(ORGS, token=login["token"])
    changed = await api.data(CHANGE_PASSWORD, {"old": zhengzhou["4101000001"][2],
                                               "new": "Zhengzhou-2020"}, login["token"])
    assert refused["errors"][0]["extensions"]["code"] == "PASSWORD_CHANGE_REQUIRED"
    assert changed["changePassword"]["errors"] == []


async def test_unused_one_time_passwords_expire(api: Api, tmp_path: Path,
                                                monkeypatch: Any) -> None:
    monkeypatch.setenv("INITIAL_PASSWORD_DAYS", "3")
    created = (await api.data(CREATE, {"org": ZHENGZHOU, "u": "zz-staff"},
                              await api.token(PROVINCE)))["createUser"]
    password = created["oneTimePassword"]
    user = await User.get(username="zz-staff")
    assert user.one_time_password_expires_at is not None
    left = user.one_time_password_expires_at - now_utc()
    assert timedelta(days=2, hours=23) < left <= timedelta(days=3)

    # Three days later, unused: the right password no longer opens it; a wrong one says
    # only that it is wrong.
    await User.filter(id=user.id).update(one_time_password_expires_at=now_utc())
    expired = await api.login("zz-staff", password)
    wrong = await api.login("zz-staff", "not-it-at-all")
    # Once replaced in time, the date no longer matters.
    await User.filter(id=user.id).update(
        one_time_password_expires_at=now_utc() + timedelta(days=1))
    first = await api.login("zz-staff", password)
    changed = await api.data(CHANGE_PASSWORD, {"old": password, "new": "Henan-Office-2020"},
                             first["token"])
    assert changed["changePassword"]["errors"] == []
    await User.filter(id=user.id).update(one_time_password_expires_at=now_utc())
    later = await api.login("zz-staff", "Henan-Office-2020")

    assert expired["token"] is None and expired["errors"][0]["code"] == "PASSWORD_EXPIRED"
    assert wrong["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert later["errors"] == [] and later["user"]["mustChangePassword"] is False


async def test_the_import_prints_where_to_fetch_no_password(db: None, tmp_path: Path) -> None:
    # What `taskplatform import-orgs` prints is the report's lines.
    report = await import_organizations(write_csv(tmp_path / "orgs.csv", ROWS))
    printed = "\n".join(report.lines())
    waiting = await InitialCredential.filter(password__isnull=False).values_list(
        "password", flat=True)
    assert report.ok and len(waiting) == 4
    assert "/exports/initial-passwords/410100.xlsx" in printed
    assert "123456" not in printed
    assert not any(str(p) in printed for p in waiting)
