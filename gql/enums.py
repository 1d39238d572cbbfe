"""The models' enums, registered as GraphQL enums.

strawberry.enum marks the very classes of models.enums, so resolvers pass model values
through unchanged and type checkers see plain enums.
"""

from __future__ import annotations

import strawberry

from models.enums import CityCategory, OrgKind, Role, SchoolType, TaskLevel
from models.mandatory import BreakSource
from models.object_history import HistoryEvent
from models.performance import CertificationResult, ChangeKind, ProgressStatus, RequestStatus

strawberry.enum(OrgKind, description="省教育厅 / 地市级单位 / 学校")
strawberry.enum(CityCategory, description="省辖市 / 济源示范区 / 省直管市(县)")
strawberry.enum(SchoolType, description="高等职业学校 / 中等职业学校 / 职业大学(本科层次)")
strawberry.enum(TaskLevel, description="PROVINCE: 省级承接任务, schools do not undertake it;"
                " SCHOOL: 学校可承接")
strawberry.enum(Role, description="省教育厅 / 地市教育局 / 学校 / 审计管理员 (the operation log"
                " only)")
strawberry.enum(ProgressStatus, description="ON_TRACK 按计划推进, DELAYED 滞后, COMPLETED 已完成.")
strawberry.enum(ChangeKind, description="CHANGE: new quantity and funding; WITHDRAW: give it up.")
strawberry.enum(RequestStatus)
strawberry.enum(HistoryEvent, description="Events in an object's history beside row and status"
                " changes: extensions, catalog changes, report lines, evidence, password resets.")
strawberry.enum(BreakSource, description="What left a must-undertake-all school without an"
                " item: CATALOG, a catalog change; CHANGE_REQUEST, an approved withdrawal.")
strawberry.enum(CertificationResult, description="遴选认定: CERTIFIED, NOT_CERTIFIED, PENDING.")

__all__ = ["BreakSource", "CertificationResult", "ChangeKind", "CityCategory", "OrgKind",
           "ProgressStatus", "RequestStatus", "Role", "SchoolType", "TaskLevel"]
