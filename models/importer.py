"""Importing city-level units and schools from a spreadsheet (CSV or XLSX).

The province office keeps its list of schools in a spreadsheet. Every row is checked before
anything is written and one bad row refuses the whole file: a half-imported tree would leave
schools without their city, or accounts for schools that were never meant to exist. Rows are
matched by code, so importing the same (or a corrected) file again updates in place.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TextIO, cast

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from tortoise import Tortoise
from tortoise.exceptions import ValidationError

from models import audit, initial_passwords
from models.account import User
from models.audit import Entry, Kind
from models.config import tortoise_config
from models.database import analyze, is_unavailable, migrate_database
from models.enums import CityCategory, OrgKind, SchoolType
from models.errors import Code, DomainError
from models.org import Organization, validate_school_code
from models.seeding import PROVINCE_CODE
from models.transaction import write_transaction

SUFFIXES = (".csv", ".xlsx")

# Accepted spellings of each column, compared after `_header_key`.
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("code", "学校代码", "代码", "单位代码", "学校标识码"),
    "name": ("name", "学校名称", "名称", "单位名称"),
    "type": ("type", "school_type", "学校类型", "类型"),
    "city": ("city", "所属地市", "地市"),
    "must_undertake_all": ("must_undertake_all", "须全部承接", "是否须全部承接"),
    "category": ("category", "city_category", "类别", "地市类别"),
}
# `city` and `must_undertake_all` are required although they may be empty on a row: a file
# without them would silently move every school under the province and clear every flag.
REQUIRED = ("code", "name", "type", "city", "must_undertake_all")
COLUMN_LABELS = {
    "code": "学校代码(code)", "name": "学校名称(name)", "type": "学校类型(type)",
    "city": "所属地市(city)", "must_undertake_all": "须全部承接(must_undertake_all)",
    "category": "类别(category)",
}

SCHOOL_TYPES: dict[str, SchoolType] = {
    "higher": SchoolType.HIGHER, "高职": SchoolType.HIGHER,
    "高等职业学校": SchoolType.HIGHER, "高等职业院校": SchoolType.HIGHER,
    "secondary": SchoolType.SECONDARY, "中职": SchoolType.SECONDARY,
    "中等职业学校": SchoolType.SECONDARY, "中等职业院校": SchoolType.SECONDARY,
    "university": SchoolType.UNIVERSITY, "职业大学": SchoolType.UNIVERSITY,
}
CITY_CATEGORIES: dict[str, CityCategory] = {
    "prefecture": CityCategory.PREFECTURE, "省辖市": CityCategory.PREFECTURE,
    "demonstration_zone": CityCategory.DEMONSTRATION_ZONE,
    "示范区": CityCategory.DEMONSTRATION_ZONE,
    "direct_county": CityCategory.DIRECT_COUNTY, "省直管县": CityCategory.DIRECT_COUNTY,
    "省直管县(市)": CityCategory.DIRECT_COUNTY, "省直管县（市）": CityCategory.DIRECT_COUNTY,
    # The notice's own wording; the spellings above stay accepted in files.
    "省直管市(县)": CityCategory.DIRECT_COUNTY, "省直管市（县）": CityCategory.DIRECT_COUNTY,
    "省直管市": CityCategory.DIRECT_COUNTY,
}
# 高职 and the vocational university undertake every item shown to them (the notice).
MUST_UNDERTAKE_ALL_TYPES = frozenset({SchoolType.HIGHER, SchoolType.UNIVERSITY})
YES = {"是", "yes", "y", "true", "1"}
NO = {"否", "no", "n", "false", "0", ""}
# What a school directly under the province office may say in its `city` cell.
PROVINCE_WORDS = {"", "省直", "省属", "省教育厅", "province"}

DIVISION_CODE = re.compile(r"^\d{6}$")
MAX_NAME = 200  # Organization.name

KIND_NAMES = {OrgKind.PROVINCE: "省教育厅", OrgKind.CITY: "地市级单位", OrgKind.SCHOOL: "学校"}
FIELD_LABELS = {"name": "名称", "school_type": "学校类型", "parent": "所属地市",
                "must_undertake_all": "须全部承接", "city_category": "类别"}


class UnreadableFile(DomainError):
    """The file cannot be read at all (missing, wrong format, broken): nothing to check."""

    def __init__(self, message: str) -> None:
        super().__init__(Code.INVALID_VALUE, message, "file")


@dataclass(frozen=True)
class Table:
    """A file's cells as text, with the line numbers its user sees (the header is line 1)."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    header_line: int = 1


@dataclass(frozen=True)
class RowError:
    line: int | None  # None: the file as a whole
    column: str | None  # the column's header as written in the file
    message: str

    def __str__(self) -> str:
        where = f"第{self.line}行 (line {self.line})" if self.line else "文件 (file)"
        column = f" [{self.column}]" if self.column else ""
        return f"{where}{column} {self.message}"


@dataclass(frozen=True)
class Change:
    line: int
    code: str
    name: str
    kind: OrgKind
    action: str  # "created", "updated" or "unchanged"
    fields: tuple[str, ...] = ()  # what an update changes (keys of FIELD_LABELS)
    account: bool = False  # an account is created for it
    parent_code: str = ""  # whose sheet of initial passwords its account is on


@dataclass
class ImportReport:
    source: str
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    # What was imported otherwise than written (a 高职 marked 否 is imported as 须全部承接).
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def _count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def created(self) -> int:
        return self._count("created")

    @property
    def updated(self) -> int:
        return self._count("updated")

    @property
    def unchanged(self) -> int:
        return self._count("unchanged")

    @property
    def accounts_created(self) -> int:
        return sum(1 for c in self.changes if c.account)

    def lines(self) -> list[str]:
        """The report for the operator, in Chinese with the English in brackets."""
        if self.errors:
            out = [f"文件 {self.source} 被拒绝，数据库未做任何修改 (file refused, nothing changed)"
                   f"：共 {len(self.errors)} 处错误 ({len(self.errors)} errors)"]
            out += [f"  {e}" for e in self.errors]
            out.append("请修改以上各处后重新导入 (fix the rows above and import again)")
            return out
        out = [f"文件 {self.source}：共 {len(self.changes)} 行数据 ({len(self.changes)} rows)"]
        if self.dry_run:
            out.append("试运行，未写入数据库 (dry run: nothing written)")
        if self.warnings:
            out.append(f"提示 {len(self.warnings)} 处 ({len(self.warnings)} warnings)：")
            out += [f"  {w}" for w in self.warnings]
        out.append(f"新增 {self.created} (created)，更新 {self.updated} (updated)，"
                   f"未变 {self.unchanged} (unchanged)；"
                   f"新建账号 {self.accounts_created} (accounts created)")
        for c in self.changes:
            if c.action == "created":
                line = f"  第{c.line}行 新增{KIND_NAMES[c.kind]} {c.code} {c.name}"
            elif c.action == "updated":
                what = "、".join(FIELD_LABELS[f] for f in c.fields)
                line = f"  第{c.line}行 更新{KIND_NAMES[c.kind]} {c.code} {c.name}：{what}"
            else:
                continue
            if c.account:
                line += f"（账号 {c.code}）"
            out.append(line)
        if self.accounts_created and not self.dry_run:
            out.append(f"新账号的用户名为学校代码，各有一个随机的一次性初始密码"
                       f"（{initial_passwords.valid_days()}天内有效，首次登录须修改）"
                       "(user name = school code, a random one-time password each)")
            out.append("省教育厅登录后按上级单位下载分发（每表只下载一次）(the province office"
                       " downloads them once, per city-level unit):")
            out += [f"  GET /exports/initial-passwords/{code}.xlsx  {count}个账号"
                    for code, count in sorted(Counter(
                        c.parent_code for c in self.changes if c.account).items())]
        if not self.dry_run:
            out.append("导入完成 (import done)")
        return out


# Reading ---------------------------------------------------------------------------------


def read_table(path: Path) -> Table:
    """The cells of a .csv or .xlsx file; raises UnreadableFile."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UnreadableFile(f"不支持的文件格式“{path.suffix or path.name}”，"
                             "请另存为 .xlsx 或 .csv 后再导入")
    try:
        records = _read_csv(path.read_bytes()) if suffix == ".csv" else _read_xlsx(path)
    except OSError as exc:
        raise UnreadableFile(f"无法打开文件：{exc.strerror or exc}") from exc
    numbered = [(n, cells) for n, cells in enumerate(records, 1) if any(cells)]
    if not numbered:
        return Table(path.name, [], [])
    (header_line, header), rows = numbered[0], numbered[1:]
    return Table(path.name, header, rows, header_line)


def _read_csv(data: bytes) -> list[list[str]]:
    # Excel on Chinese Windows saves "CSV" in GBK; gb18030 is its superset.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile("无法识别文件编码，请另存为 UTF-8 编码的 CSV 或 .xlsx 文件")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        # Each record is one spreadsheet row, even with a line break inside a quoted cell.
        return [[_text(c) for c in r] for r in csv.reader(io.StringIO(text, newline=""),
                                                         delimiter=delimiter)]
    except csv.Error as exc:
        raise UnreadableFile(f"CSV 格式错误：{exc}") from exc


def _read_xlsx(path: Path) -> list[list[str]]:
    try:
        # Workbooks saved by WPS and older tools draw style warnings that say nothing to us.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        raise UnreadableFile("不是有效的 .xlsx 文件（旧版 .xls 请在 Excel 中另存为 .xlsx）"
                             ) from exc
    try:
        sheet = book.worksheets[0]
        # The stored dimensions are wrong in files from some tools: they would cut rows off.
        sheet.reset_dimensions()
        return [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        # A code typed into a number-formatted cell arrives as 4101000001.0.
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).replace("\ufeff", "").strip()


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


# Checking --------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    code: str
    name: str
    kind: OrgKind
    city: str
    school_type: SchoolType | None = None
    category: CityCategory | None = None
    must_undertake_all: bool = False
    parent_code: str | None = None


class _Checker:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.errors: list[tuple[int, int, RowError]] = []
        self.warnings: list[RowError] = []
        self.columns: dict[str, int] = {}

    def error(self, line: int | None, column: str | int | None, message: str) -> None:
        """One error; `column` is a field key, a column index, or None for the whole row."""
        header = self.table.header
        if isinstance(column, str):
            index = self.columns.get(column, len(header))
            heading: str | None = (header[index] if column in self.columns
                                   else COLUMN_LABELS[column])
        elif column is not None:
            index = column
            heading = (header[index] if index < len(header) else "") or f"第{index + 1}列"
        else:
            index, heading = -1, None
        self.errors.append((line or 0, index, RowError(line, heading, message)))

    def sorted_errors(self) -> list[RowError]:
        return [e for _, _, e in sorted(self.errors, key=lambda t: (t[0], t[1]))]

    def read_header(self) -> bool:
        header = self.table.header
        if not header:
            self.error(None, None, "文件是空的：第1行须为表头（学校代码、学校名称、学校类型、"
                                   "所属地市、须全部承接）")
            return False
        line = self.table.header_line
        spellings = {_header_key(s): key for key, names in HEADERS.items() for s in names}
        for index, text in enumerate(header):
            if not text:
                continue
            key = spellings.get(_header_key(text))
            if key is None:
                self.error(line, index, "无法识别的列名，可用的列名："
                           + "、".join(COLUMN_LABELS.values()))
            elif key in self.columns:
                first = self.columns[key]
                self.error(line, index, f"与第{first + 1}列“{header[first]}”重复")
            else:
                self.columns[key] = index
        for key in REQUIRED:
            if key not in self.columns:
                self.error(line, None, f"缺少必需的列：{COLUMN_LABELS[key]}")
        return not self.errors

    def cell(self, cells: list[str], key: str) -> str:
        index = self.columns.get(key)
        return cells[index] if index is not None and index < len(cells) else ""

    def parse(self, line: int, cells: list[str]) -> _Row:
        """The row's own values; what depends on other rows or the database comes later.

        A bad row is still returned, so that its other cells are checked too."""
        for index, value in enumerate(cells):
            if value and index not in self.columns.values():
                self.error(line, index, f"该列没有可识别的列名，内容“{value}”无法导入")
        code, name = self.cell(cells, "code"), self.cell(cells, "name")
        type_text, city = self.cell(cells, "type"), self.cell(cells, "city")
        if not name:
            self.error(line, "name", "名称不能为空")
        elif len(name) > MAX_NAME:
            self.error(line, "name", f"名称过长（最多{MAX_NAME}个字）")
        must = _flag(self.cell(cells, "must_undertake_all"))
        if must is None:
            self.error(line, "must_undertake_all",
                       f"无法识别“{self.cell(cells, 'must_undertake_all')}”，应填 是 或 否")
        category_text = self.cell(cells, "category")
        category = CITY_CATEGORIES.get(_header_key(category_text)) if category_text else None

        if not code:
            self.error(line, "code", "代码不能为空")
        # The type says it is a school; so does a ten-digit code whose type was forgotten.
        if type_text or _is_school_code(code):
            kind = OrgKind.SCHOOL
            school_type = SCHOOL_TYPES.get(_header_key(type_text))
            if not type_text:
                self.error(line, "type", "学校类型不能为空，应为 高职、中职 或 职业大学"
                                         "（10位代码是学校；地市级单位的代码为6位）")
            elif school_type is None:
                self.error(line, "type",
                           f"未知的学校类型“{type_text}”，应为 高职、中职 或 职业大学")
            if code and not _is_school_code(code):
                hint = "；地市级单位请将学校类型留空" if DIVISION_CODE.fullmatch(code) else ""
                self.error(line, "code", f"学校代码必须是10位数字：“{code}”{hint}")
            if category_text:
                self.error(line, "category", "学校不填类别（类别只用于地市级单位）")
            if school_type in MUST_UNDERTAKE_ALL_TYPES and must is False:
                # The notice binds every 高职 and the 职业大学; a blank or 否 is a slip of the
                # file, imported as 是 and said so, rather than refusing the whole file.
                must = True
                column = (self.table.header[self.columns["must_undertake_all"]]
                          if "must_undertake_all" in self.columns else None)
                self.warnings.append(RowError(
                    line, column, "高职和职业大学须全部承接所显示的任务（通知要求），"
                                  "已按“是”导入 (imported as must undertake all)"))
        else:
            kind, school_type = OrgKind.CITY, None
            if code and not DIVISION_CODE.fullmatch(code):
                self.error(line, "code", f"代码“{code}”无效：地市级单位为6位行政区划代码，"
                                         "学校为10位学校标识码（并须填写学校类型）")
            if category_text and category is None:
                self.error(line, "category", f"未知的类别“{category_text}”，应为 省辖市、示范区 "
                                             "或 省直管市(县)")
            if must:
                self.error(line, "must_undertake_all",
                           "地市级单位不承接任务，须全部承接应为空或“否”")
        return _Row(line, code, name, kind, city, school_type, category, bool(must))


def _is_school_code(code: str) -> bool:
    try:
        validate_school_code(code)
    except ValidationError:
        return False
    return True


def _flag(text: str) -> bool | None:
    word = text.strip().lower()
    return True if word in YES else False if word in NO else None


class _Cities:
    """City-level units by code and by name: the database's and the file's."""

    def __init__(self) -> None:
        self.names: dict[str, set[str]] = {}
        self.codes: set[str] = set()

    def add(self, code: str, name: str) -> None:
        self.codes.add(code)
        self.names.setdefault(name, set()).add(code)

    def find(self, text: str) -> tuple[str | None, str | None]:
        """(code, None) or (None, why not)."""
        if text in self.codes:
            return text, None
        bare = text.removesuffix("教育局")
        for candidate in dict.fromkeys([text, bare, bare + "市"]):
            codes = self.names.get(candidate)
            if codes and len(codes) == 1:
                return next(iter(codes)), None
            if codes:
                return None, (f"地市名称“{text}”对应多个单位（{'、'.join(sorted(codes))}），"
                              "请填写代码")
        return None, (f"未知的地市“{text}”：请填写地市级单位的名称或6位代码；"
                      "直属省教育厅的学校填“省直”或留空")


# Importing -------------------------------------------------------------------------------


async def import_organizations(rows_source: Path | Table, *, dry_run: bool = False
                               ) -> ImportReport:
    """Check every row of the file, then (all or nothing) create or update its cities and
    schools by code, with an account for each school that has none.

    Raises UnreadableFile when the file cannot be read; a readable file with bad rows comes
    back as a report with errors, and nothing is changed.
    """
    table = rows_source if isinstance(rows_source, Table) else read_table(rows_source)
    if dry_run:
        return await _import(table, write=False)
    # Read and write in one transaction: the checks hold for what is written. It takes the
    # write lock up front (SQLite: BEGIN IMMEDIATE, waiting for a saving server within the
    # busy timeout) instead of failing at its first write after reading.
    async with write_transaction():
        report = await _import(table, write=True)
        if report.ok:  # a refused file rolled back: nothing happened to record
            await audit.append(Entry(
                kind=Kind.SYSTEM, operation="importOrgs", username="taskplatform",
                targets={"codes": [c.code for c in report.changes
                                   if c.action != "unchanged"][:500]},
                detail={"source": report.source, "created": report.created,
                        "updated": report.updated, "unchanged": report.unchanged}))
    if report.ok and report.created:
        await analyze()  # the new schools are read at once: the dashboards poll them
    return report


@dataclass
class _Tree:
    """What the database holds, as far as checking and applying a file needs it."""

    by_code: dict[str, Organization]
    code_of_id: dict[int, str]
    province: Organization
    with_account: set[int]  # organisation ids
    usernames: set[str]

    @classmethod
    async def load(cls) -> _Tree | None:
        """None when the province office does not exist yet (the database was never seeded)."""
        # Whole tables: a province has a few thousand organisations at most, and this stays
        # clear of the databases' limits on the number of parameters of an IN (...).
        orgs = await Organization.all()
        by_code = {o.code: o for o in orgs}
        province = by_code.get(PROVINCE_CODE) or next(
            (o for o in orgs if o.kind == OrgKind.PROVINCE), None)
        if province is None:
            return None
        # (values_list(..., flat=True) gives plain values; its stubs say tuples.)
        with_account = cast("list[int]", await User.all().distinct().values_list(
            "organization_id", flat=True))
        usernames = cast("list[str]", await User.all().values_list("username", flat=True))
        return cls(by_code=by_code, code_of_id={o.id: o.code for o in orgs},
                   province=province, with_account=set(with_account), usernames=set(usernames))

    def needs_account(self, row: _Row) -> bool:
        existing = self.by_code.get(row.code)
        return row.kind == OrgKind.SCHOOL and (existing is None
                                               or existing.id not in self.with_account)


async def _import(table: Table, *, write: bool) -> ImportReport:
    report = ImportReport(source=table.name, dry_run=not write)
    checker = _Checker(table)
    if checker.read_header():
        if not table.rows:
            checker.error(None, None, "文件中没有数据行（第1行为表头，数据从第2行开始）")
        elif (tree := await _Tree.load()) is None:
            checker.error(None, None, "系统中还没有省教育厅机构：请先启动一次服务"
                                      "（taskplatform serve）完成数据库初始化，再导入")
        else:
            rows = _check_rows(checker, table, tree)
            if not checker.errors:
                report.changes = await _apply(rows, tree, write=write)
    report.errors = checker.sorted_errors()
    report.warnings = [] if report.errors else checker.warnings
    return report


def _check_rows(checker: _Checker, table: Table, tree: _Tree) -> list[_Row]:
    rows: list[_Row] = []
    first_line: dict[str, int] = {}
    for line, cells in table.rows:
        row = checker.parse(line, cells)
        rows.append(row)
        if row.code in first_line:
            checker.error(line, "code", f"代码 {row.code} 与第{first_line[row.code]}行重复")
        elif row.code:
            first_line[row.code] = line

    cities = _Cities()
    for org in tree.by_code.values():
        if org.kind == OrgKind.CITY:
            cities.add(org.code, org.name)
    for row in rows:
        if row.kind == OrgKind.CITY:
            cities.add(row.code, row.name)
    province_words = PROVINCE_WORDS | {tree.province.code, tree.province.name}

    for row in rows:
        existing = tree.by_code.get(row.code)
        if existing is not None and existing.kind != row.kind:
            checker.error(row.line, "code", f"代码 {row.code} 在系统中是{KIND_NAMES[existing.kind]}"
                                            f"“{existing.name}”，不能作为{KIND_NAMES[row.kind]}导入")
        if row.city.lower() in province_words:
            row.parent_code = tree.province.code
        elif row.kind == OrgKind.CITY:
            checker.error(row.line, "city", "地市级单位直属省教育厅，所属地市应留空")
        else:
            row.parent_code, why = cities.find(row.city)
            if why:
                checker.error(row.line, "city", why)
        if tree.needs_account(row) and row.code in tree.usernames:
            checker.error(row.line, "code", f"用户名 {row.code} 已被其他单位的账号占用，"
                                            "无法为该校创建账号")
    return rows


async def _apply(rows: list[_Row], tree: _Tree, *, write: bool) -> list[Change]:
    """What each (checked) row changes; with `write`, the changes made."""
    need_account: list[Organization] = []
    changes: dict[int, Change] = {}
    # Cities first: a school's new parent may be a city of the same file.
    for row in sorted(rows, key=lambda r: r.kind != OrgKind.CITY):
        existing = tree.by_code.get(row.code)
        wanted: dict[str, Any] = {"name": row.name, "parent": row.parent_code}
        if row.kind == OrgKind.CITY:
            wanted["city_category"] = row.category or (
                existing.city_category if existing else CityCategory.DIRECT_COUNTY)
        else:
            wanted["school_type"] = row.school_type
            wanted["must_undertake_all"] = row.must_undertake_all
        account = tree.needs_account(row)
        changed: tuple[str, ...] = ()
        if existing is None:
            action = "created"
        else:
            have = {"parent": tree.code_of_id.get(existing.parent_id or 0)}
            changed = tuple(k for k, v in wanted.items()
                            if v != have.get(k, getattr(existing, k, None)))
            action = "updated" if changed else "unchanged"
        changes[row.line] = Change(row.line, row.code, row.name, row.kind, action, changed,
                                   account, row.parent_code or tree.province.code)
        if not write:
            continue
        values = {k: v for k, v in wanted.items() if k != "parent"}
        parent = tree.by_code[row.parent_code or tree.province.code]
        if existing is None:
            org = await Organization.create(code=row.code, kind=row.kind, parent=parent,
                                            **values)
            tree.by_code[org.code] = org
        else:
            org = existing
            if changed:
                for key, value in values.items():
                    setattr(org, key, value)
                org.parent = parent
                await org.save(update_fields=[*values, "parent_id", "updated_at"])
        if account:
            need_account.append(org)
    if need_account:
        await initial_passwords.create_accounts(need_account)
    return [changes[row.line] for row in rows]


BUSY_MESSAGE = ("数据库正忙（服务器正在保存数据）或无法连接，已重试仍未成功，本次未导入任何数据；"
                "请稍后重新运行 (the database is busy or unreachable: nothing was imported)")
BUSY_ATTEMPTS = 3


class DatabaseBusy(Exception):
    pass


async def _busy_retried(run: Callable[[], Awaitable[ImportReport]]) -> ImportReport:
    """Each attempt waits for the write lock within the busy timeout; a busy or unreachable
    database is tried again a little later, then reported in words, not a traceback."""
    for attempt in range(BUSY_ATTEMPTS):
        try:
            return await run()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            if attempt + 1 == BUSY_ATTEMPTS:
                raise DatabaseBusy from exc
            await asyncio.sleep(1 + attempt)
    raise AssertionError("unreachable")


async def run_import(path: Path, database_url: str, *, dry_run: bool, out: TextIO) -> int:
    """The `import-orgs` command: 0 imported (or, dry, would be), 1 refused, 2 unreadable,
    3 the database stayed busy or unreachable (nothing imported)."""
    try:
        table = read_table(path)
    except UnreadableFile as exc:
        print(f"无法读取 {path} (cannot read the file)：{exc.message}", file=out)
        return 2
    try:
        await migrate_database(database_url)
        await Tortoise.init(config=tortoise_config(database_url))
        report = await _busy_retried(lambda: import_organizations(table, dry_run=dry_run))
    except DatabaseBusy:
        print(BUSY_MESSAGE, file=out)
        return 3
    finally:
        # Also when the migration fails: an open SQLite connection keeps the process alive.
        await Tortoise.close_connections()
    for line in report.lines():
        print(line, file=out)
    return 0 if report.ok else 1

