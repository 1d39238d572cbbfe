"""Importing cities and schools from CSV and XLSX (models/importer.py, `import-orgs`)."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from openpyxl import Workbook
from tortoise import connections

from models.account import InitialCredential, User
from models.enums import CityCategory, OrgKind, Role, SchoolType
from models.importer import import_organizations
from models.org import Organization
from models.passwords import verify_password
from models.seeding import INITIAL_PASSWORD
from tests.conftest import LY_SCHOOL, PROVINCE, ZZ_SCHOOL, ZZ_SCHOOL_2

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["code", "name", "type", "city", "must_undertake_all"]
SCHOOLS = [
    HEADER,
    ["4109230001", "南乐县职业中专", "secondary", "南乐县", "否"],  # its city comes later
    ["410922", "清丰县", "", "", ""],
    ["410923", "南乐县", "", "", ""],
    ["4101000001", "郑州市第一中等职业学校", "secondary", "郑州市", "yes"],
    ["4103000001", "洛阳职业技术学院", "higher", "410300", "no"],
    ["4109220001", "清丰县职业中专", "中职", "清丰县", ""],
    ["4100000001", "河南某职业大学", "university", "", "1"],
    ["4100000002", "河南某高等专科学校", "高职", "省直", "0"],
]
NEW_SCHOOLS = 6


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.create_sheet("说明").append(["只读第一个工作表"])
    book.save(path)
    return path


async def org(code: str) -> Organization:
    return await Organization.get(code=code)


async def parent(code: str) -> Organization:
    found = (await Organization.get(code=code).prefetch_related("parent")).parent
    assert found is not None
    return found


async def counts() -> tuple[int, int]:
    return await Organization.all().count(), await User.all().count()


async def test_csv_import_creates_cities_and_schools_with_accounts(db: None, tmp_path: Path
                                                                   ) -> None:
    before_orgs, before_users = await counts()
    report = await import_organizations(write_csv(tmp_path / "schools.csv", SCHOOLS))

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (8, 0, 0)
    assert report.accounts_created == NEW_SCHOOLS
    assert await counts() == (before_orgs + 8, before_users + NEW_SCHOOLS)

    county = await org("410922")
    assert county.kind == OrgKind.CITY and (await parent(county.code)).code == PROVINCE
    assert county.city_category == CityCategory.DIRECT_COUNTY
    assert not await User.exists(organization_id=county.id)

    zz = await org("4101000001")
    assert (zz.kind, zz.school_type, (await parent(zz.code)).name, zz.must_undertake_all) == (
        OrgKind.SCHOOL, SchoolType.SECONDARY, "郑州市", True)
    assert (await parent("4103000001")).code == "410300"
    assert (await parent("4109220001")).code == "410922"
    assert (await parent("4109230001")).code == "410923"
    university = await org("4100000001")
    assert (await parent(university.code)).code == PROVINCE and university.must_undertake_all
    assert university.school_type == SchoolType.UNIVERSITY
    assert (await parent("4100000002")).code == PROVINCE

    user = await User.get(username="4101000001")
    assert user.organization_id == zz.id and user.role == Role.SCHOOL
    assert user.must_change_password and user.display_name == zz.name
    # Its own random one-time password, waiting for the province office's download; never
    # the notice's 123456 (tests/test_initial_passwords.py hands it out).
    assert not await verify_password(user.password_hash, INITIAL_PASSWORD)
    waiting = await InitialCredential.get(user_id=user.id)
    assert waiting.password and await verify_password(user.password_hash, waiting.password)
    assert any("第5行 新增学校 4101000001" in line for line in report.lines())


async def test_reimport_is_idempotent_and_applies_updates(db: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "schools.csv", SCHOOLS)
    await import_organizations(path)
    after_first = await counts()
    first_user = await User.get(username="4101000001")
    demo_user = await User.get(username=ZZ_SCHOOL)

    again = await import_organizations(path)
    assert again.ok
    assert (again.created, again.updated, again.unchanged, again.accounts_created) == (0, 0, 8, 0)
    assert await counts() == after_first

    changed = [
        [*HEADER, "category"],
        ["410922", "清丰县（更名）", "", "", "", "省辖市"],
        ["4101000001", "郑州市第一职业学校", "secondary", "郑州市", "yes", ""],
        ["4103000001", "洛阳职业技术学院", "university", "410300", "no", ""],
        ["4100000002", "河南某高等专科学校", "高职", "洛阳市", "是", ""],
        ["4109220001", "清丰县职业中专", "中职", "清丰县", "", ""],
        [ZZ_SCHOOL, "【演示】郑州市第1中等职业学校（更名）", "secondary", "410100", "是", ""],
    ]
    report = await import_organizations(write_csv(tmp_path / "changed.csv", changed))
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged, report.accounts_created) == (
        0, 5, 1, 0)
    assert await counts() == after_first
    assert {c.code: c.fields for c in report.changes if c.action == "updated"} == {
        "410922": ("name", "city_category"),
        "4101000001": ("name",),
        "4103000001": ("school_type",),
        # A 高职 is bound from its first import (its "0" was imported as 是, with a warning).
        "4100000002": ("parent",),
        ZZ_SCHOOL: ("name",),
    }

    county = await org("410922")
    assert (county.name, county.city_category) == ("清丰县（更名）", CityCategory.PREFECTURE)
    assert (await org("4101000001")).name == "郑州市第一职业学校"
    assert (await org("4103000001")).school_type == SchoolType.UNIVERSITY
    moved = await org("4100000002")
    assert (await parent(moved.code)).code == "410300" and moved.must_undertake_all
    demo = await org(ZZ_SCHOOL)
    assert demo.name.endswith("（更名）") and demo.is_demo
    # Accounts are left as they were: same row, same password, same display name.
    for before in (first_user, demo_user):
        after = await User.get(id=before.id)
        assert (after.username, after.password_hash, after.display_name) == (
            before.username, before.password_hash, before.display_name)
    assert await User.filter(username="4101000001").count() == 1


async def test_bad_rows_refuse_the_whole_file(db: None, tmp_path: Path) -> None:
    province = await Organization.get(code=PROVINCE)
    # A unit whose code looks like a school's but which is city-level.
    await Organization.create(code="4199999999", name="测试地市", kind=OrgKind.CITY,
                              parent=province)
    before = await counts()
    ly_name = (await org(LY_SCHOOL)).name
    rows = [
        HEADER,
        ["4101000009", "郑州某新学校", "secondary", "郑州市", "否"],
        ["41010", "短代码学校", "secondary", "郑州市", "否"],
        ["4101000003", "某学校", "技校", "郑州市", "否"],
        ["4101000004", "某学校", "secondary", "火星市", "否"],
        ["4101000009", "重复的学校", "secondary", "郑州市", "否"],
        ["410000", "省教育厅", "", "", ""],
        [ZZ_SCHOOL, "", "secondary", "郑州市", "否"],
        [ZZ_SCHOOL_2, "某学校", "secondary", "郑州市", "也许"],
        ["4199999999", "冒名学校", "higher", "", "否"],
        [LY_SCHOOL, "洛阳某校（改名）", "secondary", "洛阳市", "否"],
        ["4101000005", "某学校", "", "郑州市", ""],
    ]
    report = await import_organizations(write_csv(tmp_path / "bad.csv", rows))

    assert not report.ok and report.changes == []
    found = [(e.line, e.column) for e in report.errors]
    assert found == [(3, "code"), (4, "type"), (5, "city"), (6, "code"), (7, "code"),
                     (8, "name"), (9, "must_undertake_all"), (10, "code"), (12, "type")]
    reasons = {e.line: e.message for e in report.errors}
    assert "10位数字" in reasons[3]
    assert "技校" in reasons[4]
    assert "火星市" in reasons[5]
    assert "第2行重复" in reasons[6]
    assert "省教育厅" in reasons[7]
    assert "不能为空" in reasons[8]
    assert "也许" in reasons[9]
    assert "地市级单位" in reasons[10]
    assert "学校类型不能为空" in reasons[12]
    assert await counts() == before
    assert (await org(LY_SCHOOL)).name == ly_name
    assert not await Organization.exists(code="4101000009")
    text = "\n".join(report.lines())
    assert "被拒绝" in text and "第12行" in text


async def test_accounts_only_for_schools_without_one(db: None, tmp_path: Path) -> None:
    province = await Organization.get(code=PROVINCE)
    bare = await Organization.create(code="4100000003", name="无账号学校", kind=OrgKind.SCHOOL,
                                     parent=province, school_type=SchoolType.SECONDARY)
    rows = [HEADER, ["4100000003", "无账号学校", "中职", "省直", "否"]]
    report = await import_organizations(write_csv(tmp_path / "bare.csv", rows))
    assert (report.unchanged, report.accounts_created) == (1, 1)
    assert (await User.get(username="4100000003")).organization_id == bare.id

    # A user name that another organisation's account already has cannot be given out.
    await User.create(username="4100000004", password_hash="x", role=Role.PROVINCE_OFFICE,
                      organization=province)
    rows = [HEADER, ["4100000004", "新学校", "中职", "", "否"]]
    taken = await import_organizations(write_csv(tmp_path / "taken.csv", rows))
    assert [(e.line, e.column) for e in taken.errors] == [(2, "code")]
    assert "已被其他单位的账号占用" in taken.errors[0].message
    assert not await Organization.exists(code="4100000004")


async def test_xlsx_import_with_numbers_and_blank_rows(db: None, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["学校代码", "学校名称", "学校类型", "所属地市", "须全部承接"],
        [4101000001, "郑州某职业学院", "高等职业学校", "郑州市", True],
        [],  # a blank line stays a line: numbers must match what the user sees
        [4103000001, "洛阳某中专", "中等职业学校", 410300, "否"],
        [4100000001, "省属某职业大学", "职业大学", "省属", 1],
        [41030, "坏代码", "中职", "洛阳市", "否"],
    ]
    bad = await import_organizations(write_xlsx(tmp_path / "bad.xlsx", rows))
    assert [(e.line, e.column) for e in bad.errors] == [(6, "学校代码")]

    report = await import_organizations(write_xlsx(tmp_path / "good.xlsx", rows[:-1]))
    assert report.ok, report.errors
    assert (report.created, report.accounts_created) == (3, 3)
    assert [c.line for c in report.changes] == [2, 4, 5]
    higher = await org("4101000001")
    assert (higher.school_type, (await parent(higher.code)).code, higher.must_undertake_all) == (
        SchoolType.HIGHER, "410100", True)
    assert (await parent("4103000001")).code == "410300"
    assert (await parent("4100000001")).code == PROVINCE
    assert await User.exists(username="4100000001")


async def test_chinese_headers_in_gbk_and_utf8_bom(db: None, tmp_path: Path) -> None:
    rows = [
        [" 学校代码 ", "学校名称", "学校类型", " 所属地市", "须全部承接", "类别"],
        ["419002", "某示范区", "", "", "否", "示范区"],
        ["4190020001", "某示范区职业学校", "中职", "某示范区", "是", ""],
        ["4107000001", "新乡某职业学院", "高职", "新乡市教育局", "否", ""],
    ]
    for n, encoding in enumerate(("gbk", "utf-8-sig")):
        report = await import_organizations(write_csv(tmp_path / f"{encoding}.csv", rows,
                                                      encoding))
        assert report.ok, report.errors
        assert (report.created, report.unchanged) == ((3, 0) if n == 0 else (0, 3))
    zone = await org("419002")
    assert (zone.name, zone.city_category) == ("某示范区", CityCategory.DEMONSTRATION_ZONE)
    school = await org("4190020001")
    assert (school.name, (await parent(school.code)).code, school.must_undertake_all) == (
        "某示范区职业学校", "419002", True)
    assert (await parent("4107000001")).name == "新乡市"


async def test_missing_or_unknown_columns_refuse_the_file(db: None, tmp_path: Path) -> None:
    rows = [["code", "name", "学校类型", "city", "备注"],
            ["4101000001", "郑州某职业学院", "高职", "郑州市", "无"]]
    report = await import_organizations(write_csv(tmp_path / "columns.csv", rows))
    assert [(e.line, e.column) for e in report.errors] == [(1, None), (1, "备注")]
    assert "须全部承接" in report.errors[0].message
    assert "无法识别" in report.errors[1].message
    assert not await Organization.exists(code="4101000001")

    empty = await import_organizations(write_csv(tmp_path / "empty.csv", [HEADER]))
    assert not empty.ok and "没有数据" in empty.errors[0].message


async def test_dry_run_writes_nothing(db: None, tmp_path: Path) -> None:
    before = await counts()
    report = await import_organizations(write_csv(tmp_path / "schools.csv", SCHOOLS),
                                        dry_run=True)
    assert report.ok and report.dry_run
    assert (report.created, report.accounts_created) == (8, NEW_SCHOOLS)
    assert "试运行" in "\n".join(report.lines())
    assert await counts() == before
    assert not await Organization.exists(code="410922")


SEED = """
import asyncio, sys
from tortoise import Tortoise
from models.config import tortoise_config
from models.seeding import seed_if_empty

async def seed(url):
    await Tortoise.init(config=tortoise_config(url))
    try:
        await seed_if_empty(demo=False)
    finally:
        await Tortoise.close_connections()

asyncio.run(seed(sys.argv[1]))
"""


def test_cli_exit_codes(tmp_path: Path) -> None:
    """In child processes: this one's ORM already points at the test database."""
    database = tmp_path / "cli.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite://{database}", "PYTHONIOENCODING": "utf-8"}

    def cli(*args: str) -> tuple[int, str]:
        done = subprocess.run([sys.executable, "-m", "gql.cli", "import-orgs", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True,
                              encoding="utf-8", timeout=60, check=False)
        return done.returncode, done.stdout + done.stderr

    def count(sql: str) -> int:
        with sqlite3.connect(database) as connection:
            value: int = connection.execute(sql).fetchone()[0]
        return value

    good = str(write_csv(tmp_path / "schools.csv", SCHOOLS))
    code, output = cli(good)  # migrates, but nobody has set the tree up yet
    assert code == 1 and "初始化" in output, output

    subprocess.run([sys.executable, "-c", SEED, env["DATABASE_URL"]], cwd=ROOT, env=env,
                   check=True, timeout=60)
    orgs = count("SELECT count(*) FROM organization")

    code, output = cli(good, "--dry-run")
    assert code == 0 and "试运行" in output, output
    assert count("SELECT count(*) FROM organization") == orgs

    code, output = cli(good)
    assert code == 0 and "新增 8" in output, output
    assert count("SELECT count(*) FROM organization") == orgs + 8
    assert count("SELECT count(*) FROM app_user WHERE username = '4101000001'") == 1

    bad = write_csv(tmp_path / "bad.csv", [HEADER, SCHOOLS[4], ["41010", "x", "中职", "", ""],
                                           ["4101000002", "y", "技校", "火星市", ""]])
    code, output = cli(str(bad))
    assert code == 1, output
    assert "第3行 (line 3)" in output and "第4行 (line 4)" in output
    assert output.count("第4行") == 2  # two reasons on that line

    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    code, output = cli(str(tmp_path / "old.xls"))
    assert code == 2 and ".xlsx" in output, output
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    assert cli(str(tmp_path / "broken.xlsx"))[0] == 2
    assert cli(str(tmp_path / "missing.csv"))[0] == 2


def test_cli_waits_for_a_saving_server_and_says_when_it_stays_busy(tmp_path: Path) -> None:
    """Another process (a server saving) holds SQLite's write lock: the importer takes its
    lock up front and waits; when the lock stays taken it says so in words, changing nothing."""
    database = tmp_path / "busy.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite://{database}", "PYTHONIOENCODING": "utf-8"}
    subprocess.run([sys.executable, "-m", "gql.cli", "migrate"], cwd=ROOT, env=env,
                   check=True, timeout=60, capture_output=True)
    subprocess.run([sys.executable, "-c", SEED, env["DATABASE_URL"]], cwd=ROOT, env=env,
                   check=True, timeout=60)
    good = str(write_csv(tmp_path / "schools.csv", SCHOOLS))

    def cli_while_locked(seconds: float) -> tuple[int, str]:
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE organization SET name = name WHERE id = 1")
        child = subprocess.Popen([sys.executable, "-m", "gql.cli", "import-orgs", good],
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, encoding="utf-8")
        time.sleep(seconds)
        holder.execute("COMMIT")
        holder.close()
        output, _ = child.communicate(timeout=90)
        return child.returncode, output

    code, output = cli_while_locked(2)
    assert code == 0 and "新增 8" in output, output

    code, output = cli_while_locked(25)
    assert code == 3, output
    assert "数据库正忙" in output and "Traceback" not in output, output


async def test_an_import_that_adds_schools_leaves_planner_statistics(db: None, tmp_path: Path
                                                                     ) -> None:
    """models/database.py analyze: a freshly imported province is read at once (the
    dashboards poll it), before PostgreSQL's autovacuum would have analyzed it."""
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":  # the planner's row count of the table
        statistics = "SELECT reltuples::int FROM pg_class WHERE relname = 'organization'"
    else:
        await client.execute_script("DROP TABLE IF EXISTS sqlite_stat1")
        statistics = "SELECT CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE tbl = 'organization'"

    async def planned() -> int | None:
        try:
            _, rows = await client.execute_query(statistics)
        except Exception:  # SQLite: no statistics table at all
            return None
        return int(rows[0][0]) if rows else None

    assert await planned() != await Organization.all().count() + 8
    report = await import_organizations(write_csv(tmp_path / "schools.csv", SCHOOLS))
    assert report.ok and report.created == 8
    assert await planned() == await Organization.all().count()
