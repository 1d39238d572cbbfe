"""Vocabulary shared by the models, the API and the permissions.

Plain `str` enums: stored as their value by `CharEnumField`, wrapped by strawberry in gql/.
"""

from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    SCHOOL = "school"


class CityCategory(StrEnum):
    PREFECTURE = "prefecture"  # 省辖市
    DEMONSTRATION_ZONE = "demonstration_zone"  # 济源示范区
    DIRECT_COUNTY = "direct_county"  # 省直管市(县), as the notice says


class SchoolType(StrEnum):
    HIGHER = "higher"  # 高等职业学校
    SECONDARY = "secondary"  # 中等职业学校
    UNIVERSITY = "university"  # 职业大学 (本科层次)


class TaskLevel(StrEnum):
    PROVINCE = "province"  # 省级承接: the province office undertakes it, never a school
    SCHOOL = "school"


class Role(StrEnum):
    PROVINCE_OFFICE = "province_office"
    CITY_BUREAU = "city_bureau"
    SCHOOL = "school"
    # 审计管理员: reads and exports the operation log, nothing else (等保 2.0 keeps the
    # auditor apart from the administrators). Belongs to the province office's unit.
    AUDITOR = "auditor"


# Which role an organisation kind's users have: one rule, used by account creation.
ROLE_OF_KIND: dict[OrgKind, Role] = {
    OrgKind.PROVINCE: Role.PROVINCE_OFFICE,
    OrgKind.CITY: Role.CITY_BUREAU,
    OrgKind.SCHOOL: Role.SCHOOL,
}
