"""Every download names its file twice (issue 13, point 10): an ASCII `filename="..."` with
the right extension for clients that read only that (`curl -OJ`, old browsers), and the
UTF-8 name in `filename*` (RFC 6266, RFC 5987). The header is read back by a real parser
(the standard library's RFC 2231 one), not by string matching."""

from __future__ import annotations

from email.message import Message
from email.utils import collapse_rfc2231_value
from pathlib import Path
from typing import Any

import pytest

from gql.exports.disposition import ascii_fallback, content_disposition
from models.importer import import_organizations
from tests.conftest import PROVINCE, ZHENGZHOU, ZZ_SCHOOL_2, Api
from tests.sample_files import PDF
from tests.test_evidence import download, reporting_school, upload
from tests.test_evidence import evidence_dir as evidence_dir  # a fixture, used by name
from tests.test_import import HEADER, write_csv


def parsed(header: str) -> tuple[str, str, str]:
    """(disposition type, the ASCII fallback, the decoded UTF-8 name) of a header value."""
    message = Message()  # compat32 keeps both parameters apart; RFC 2231 ones as tuples
    message["Content-Disposition"] = header
    params = message.get_params(header="content-disposition") or []
    (kind, _), *names = params
    plain = [v for k, v in names if k == "filename" and isinstance(v, str)]
    extended = [v for k, v in names if k == "filename" and isinstance(v, tuple)]
    assert len(plain) == 1 and len(extended) == 1 and len(names) == 2, header
    assert plain[0].isascii(), header
    assert extended[0][0] == "UTF-8", header
    return kind, plain[0], collapse_rfc2231_value(extended[0])


@pytest.mark.parametrize(("name", "stem", "fallback"), [
    ("承接任务汇总.xlsx", "summary", "summary.xlsx"),
    ("report-2021.pdf", "evidence-3", "report-2021.pdf"),  # plain ASCII stays itself
    ("扫描件 A.PDF", "evidence-3", "evidence-3.pdf"),
    ('a"b\\c.pdf', "evidence-3", "evidence-3.pdf"),  # a quote cannot end the parameter
    ("说明.文档", "evidence-3", "evidence-3"),  # no ASCII extension to keep
    ("名单/100%;x.csv", "list", "list.csv"),
])
def test_the_fallback_is_ascii_with_the_extension(name: str, stem: str, fallback: str) -> None:
    kind, ascii_name, utf8 = parsed(content_disposition(name, stem))
    assert (kind, ascii_name, utf8) == ("attachment", fallback, name)
    assert ascii_fallback(name, stem) == fallback


async def _get(api: Api, path: str, user: str) -> Any:
    response = await api.client.get(path, headers={
        "Authorization": f"Bearer {await api.token(user)}"})
    assert response.status_code == 200, response.text
    return response


async def test_every_download_sends_both_names(api: Api, tmp_path: Path) -> None:
    # Given a school with a report line and an evidence file, and an imported school whose
    # initial password waits for the province office
    undertaking = await reporting_school(api)
    evidence = (await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", PDF))["evidence"]
    imported = await import_organizations(write_csv(tmp_path / "orgs.csv", [
        HEADER, ["4101000001", "郑州市第一中等职业学校", "secondary", "410100", ""]]))
    assert imported.ok, imported.lines()

    # When each download is fetched
    downloads = {
        f"/exports/declarations/{ZZ_SCHOOL_2}.xlsx": ZZ_SCHOOL_2,
        "/exports/summary.xlsx": PROVINCE,
        "/exports/progress.csv": ZHENGZHOU,
        "/exports/sums.csv": PROVINCE,
        "/exports/performance.xlsx?year=2021": PROVINCE,
        f"/exports/initial-passwords/{ZHENGZHOU}.xlsx": PROVINCE,
    }
    headers = {path: (await _get(api, path, user)).headers["content-disposition"]
               for path, user in downloads.items()}
    evidence_response = await download(api, evidence["downloadUrl"], ZZ_SCHOOL_2)
    assert evidence_response.status_code == 200
    headers["evidence"] = evidence_response.headers["content-disposition"]

    # Then the ASCII name ends with the file's extension and the UTF-8 name is the real one
    names = {path: parsed(value) for path, value in headers.items()}
    assert {kind for kind, _, _ in names.values()} == {"attachment"}
    assert names[f"/exports/declarations/{ZZ_SCHOOL_2}.xlsx"][1:] == (
        f"declaration-{ZZ_SCHOOL_2}.xlsx",
        f"{ZZ_SCHOOL_2}-【演示】郑州市第2中等职业学校-承接任务.xlsx")
    assert names["/exports/summary.xlsx"][1:] == ("summary.xlsx", "承接任务汇总.xlsx")
    assert names["/exports/progress.csv"][1:] == ("progress.csv", "学校申报进度.csv")
    assert names["/exports/sums.csv"][1:] == ("sums.csv", "承接任务按地市汇总.csv")
    assert names["/exports/performance.xlsx?year=2021"][1:] == (
        "performance-2021.xlsx", "2021年度执行绩效汇总.xlsx")
    assert names[f"/exports/initial-passwords/{ZHENGZHOU}.xlsx"][1] == (
        f"initial-passwords-{ZHENGZHOU}.xlsx")
    assert names[f"/exports/initial-passwords/{ZHENGZHOU}.xlsx"][2].endswith("-初始密码.xlsx")
    fallback, utf8 = names["evidence"][1:]
    assert fallback.startswith("evidence-") and fallback.endswith(".pdf")
    assert utf8 == "认定文件.pdf"
