"""The organisation tree: the province office, city-level units, schools."""

from __future__ import annotations

import re
from typing import Any

from tortoise import fields
from tortoise.exceptions import ValidationError
from tortoise.models import Model

from models.enums import CityCategory, OrgKind, SchoolType

SCHOOL_CODE = re.compile(r"^\d{10}$")


def validate_school_code(code: str) -> None:
    """A school code (学校标识码) is exactly ten digits."""
    if not SCHOOL_CODE.fullmatch(code or ""):
        raise ValidationError(f"学校代码必须是10位数字: {code!r}")


class Organization(Model):
    """One node of the tree.

    The tree is shallow by rule: the province office at the root, city-level units under it,
    schools under a city-level unit or directly under the province. `models.orgs` keeps that
    shape; permissions rely on it.
    """

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=20, unique=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(OrgKind, max_length=16)
    parent: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    school_type = fields.CharEnumField(SchoolType, max_length=16, null=True)
    city_category = fields.CharEnumField(CityCategory, max_length=24, null=True)
    must_undertake_all = fields.BooleanField(default=False)
    is_demo = fields.BooleanField(default=False)
    # Who to reach (联系人, 电话, 邮箱): reminders go by e-mail to contact_email.
    contact_name = fields.CharField(max_length=50, default="", db_default="")
    contact_phone = fields.CharField(max_length=30, default="", db_default="")
    contact_email = fields.CharField(max_length=254, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "organization"
        indexes = (("parent_id", "kind"),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        # Every path that writes a school (seed, import, API) meets the same rule here.
        if self.kind is OrgKind.SCHOOL:
            validate_school_code(self.code)
            if self.school_type is None:
                raise ValidationError(f"学校 {self.code} 缺少学校类型")
        await super().save(*args, **kwargs)

    @property
    def office_name(self) -> str:
        """How the unit signs what it does: a city-level unit acts as its education bureau
        (郑州市 -> 郑州市教育局); the province office and schools by their own names.
        Its SQL form, for the compiled reads, is office_name_sql below."""
        if self.kind is OrgKind.CITY and not self.name.endswith(BUREAU):
            return f"{self.name}{BUREAU}"
        return self.name

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


BUREAU = "教育局"


def office_name_sql(alias: str) -> str:
    """Organization.office_name of the organisation row at `alias`, in SQL (a LIKE pattern
    of a fixed suffix: no wildcard in it but the leading one)."""
    return (f"(CASE WHEN {alias}.kind = '{OrgKind.CITY.value}' AND {alias}.name NOT LIKE"
            f" '%{BUREAU}' THEN {alias}.name || '{BUREAU}' ELSE {alias}.name END)")
