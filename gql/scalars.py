"""Scalars checked where they are parsed, so bad input is a BAD_USER_INPUT with a reason.

Times travel in Asia/Shanghai (with their offset) and are stored in UTC. Decimals travel as
strings and must be plain finite numbers of sane size. Uploads must be files.

An `ApiError` raised by a parser reaches the client as it is, for a literal in the query and
for a variable alike (graphql-core keeps the original error's extensions), and the server
does not log it as an incident.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry
from starlette.datastructures import UploadFile

from gql.errors import ApiError
from models.clock import SHANGHAI
from models.errors import Code

EARLIEST_YEAR, LATEST_YEAR = 2000, 2999
MAX_INTEGER_DIGITS = 15  # 10^15 万元 is far beyond any budget; the domain sets tighter bounds
MAX_DECIMAL_PLACES = 10  # more than money needs, so "1.234" gets the domain's own message


def _bad(reason: str, message: str) -> ApiError:
    return ApiError(Code.BAD_USER_INPUT, message, reason=reason)


def serialize_datetime(value: datetime) -> str:
    return value.astimezone(SHANGHAI).isoformat()


def parse_datetime(value: Any) -> datetime:
    """ISO 8601; a time without an offset is Beijing time, the only one our users think in."""
    example = "例如 2020-11-13T23:59:59+08:00"
    if not isinstance(value, str) or len(value) > 40:
        raise _bad("INVALID_DATETIME", f"时间应为 ISO 8601 格式的字符串，{example}")
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=SHANGHAI)
        parsed.astimezone(UTC)  # an offset that crosses year 1 or 9999 fails here
    except (ValueError, OverflowError) as exc:
        raise _bad("INVALID_DATETIME", f"时间格式无效：{value}，{example}") from exc
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise _bad("INVALID_DATETIME",
                   f"时间应在 {EARLIEST_YEAR} 年至 {LATEST_YEAR} 年之间，收到 {value}")
    return parsed


def parse_decimal(value: Any) -> Decimal:
    """A decimal number such as "12.50": no NaN or infinity, no exponent that makes it huge
    or tiny (Decimal("1e999999") is legal Python, and rounding it raises)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad("INVALID_DECIMAL", "数值应为字符串形式的十进制数，例如 \"12.50\"")
    text = str(value).strip()
    try:
        number = Decimal(text) if len(text) <= 64 else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _bad("INVALID_DECIMAL", f"不是有效的十进制数：{text[:64]}，例如 \"12.50\"")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite numbers have an integer exponent
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise _bad("INVALID_DECIMAL", f"数值过大：整数部分最多 {MAX_INTEGER_DIGITS} 位")
    if exponent < -MAX_DECIMAL_PLACES:
        raise _bad("INVALID_DECIMAL", f"数值小数位过多：最多 {MAX_DECIMAL_PLACES} 位")
    return number


def parse_upload(value: Any) -> UploadFile:
    """A file of a multipart request; a string sent in its place is refused here, not in
    the resolver (that called `.close()` on a str)."""
    if not isinstance(value, UploadFile):
        raise _bad("NOT_A_FILE", "请以 multipart/form-data 请求上传文件，此处不能传字符串")
    return value


# For StrawberryConfig.scalar_map: every `datetime`, `Decimal` and `Upload` in the schema.
DATETIME = strawberry.scalar(
    name="DateTime",
    description="ISO 8601 date-time, shown in Asia/Shanghai (+08:00); a value sent without an"
    " offset is read as Beijing time.",
    serialize=serialize_datetime,
    parse_value=parse_datetime,
)
DECIMAL = strawberry.scalar(
    name="Decimal",
    description="Decimal (fixed-point), as a string such as \"12.50\"; finite, at most"
    f" {MAX_INTEGER_DIGITS} digits before the point and {MAX_DECIMAL_PLACES} after.",
    serialize=str,
    parse_value=parse_decimal,
)
UPLOAD = strawberry.scalar(
    name="Upload",
    description="Represents a file upload.",
    serialize=lambda value: None,
    parse_value=parse_upload,
)
