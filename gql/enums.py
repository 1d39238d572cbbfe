"""The models' enums, exposed as GraphQL enums (strawberry wraps the same classes)."""

from __future__ import annotations

import strawberry

from models import enums

OrgKind = strawberry.enum(enums.OrgKind, description="省教育厅 / 地市级单位 / 学校")
CityCategory = strawberry.enum(
    enums.CityCategory, description="省辖市 / 济源示范区 / 省直管县(市)")
SchoolType = strawberry.enum(
    enums.SchoolType, description="高等职业学校 / 中等职业学校 / 职业大学(本科层次)")
TaskLevel = strawberry.enum(
    enums.TaskLevel,
    description="PROVINCE: 省级承接任务, schools do not undertake it; SCHOOL: 学校可承接")
Role = strawberry.enum(enums.Role, description="省教育厅 / 地市教育局 / 学校")
