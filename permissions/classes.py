"""Gates declared on fields and mutations (`permission_classes=[...]`).

Each gate raises our own error so the client gets the precise `extensions.code`:
UNAUTHENTICATED (no live token), PASSWORD_CHANGE_REQUIRED (initial or reset password still in
use, or the password reached its age), FORBIDDEN (wrong role).

The auditor (审计管理员) passes only IsAuthenticated (me, changePassword, logout) and IsAuditor:
every gate of the domain's data refuses it, whatever fields are added later.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from gql.errors import ApiError
from models.enums import Role
from models.errors import Code
from permissions.principal import Principal


def authenticated(context: Any) -> Principal:
    """The caller, or UNAUTHENTICATED."""
    principal: Principal | None = context.principal
    if principal is None:
        raise ApiError(Code.UNAUTHENTICATED, context.auth_problem or "请先登录")
    return principal


def active(context: Any) -> Principal:
    """The caller, who has replaced the initial password, or PASSWORD_CHANGE_REQUIRED."""
    principal = authenticated(context)
    if principal.must_change_password:
        raise ApiError(Code.PASSWORD_CHANGE_REQUIRED,
                       "请先修改密码（首次登录、密码被重置或密码已到使用期限）")
    return principal


AUDITOR_ONLY = "审计管理员只能查阅和导出操作日志"


def domain_user(context: Any) -> Principal:
    """An active caller of the platform's own work: anyone but an auditor."""
    principal = active(context)
    if principal.role is Role.AUDITOR:
        raise ApiError(Code.FORBIDDEN, AUDITOR_ONLY)
    return principal


def having_role(context: Any, roles: frozenset[Role], message: str) -> Principal:
    principal = active(context)
    if principal.role not in roles:
        raise ApiError(Code.FORBIDDEN, message)
    return principal


PROVINCE_OR_CITY = frozenset({Role.PROVINCE_OFFICE, Role.CITY_BUREAU})


class IsAuthenticated(BasePermission):
    """Any logged-in user, even one who must still change the initial password."""

    message = "请先登录"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        authenticated(info.context)
        return True


class IsActiveUser(BasePermission):
    """A logged-in user of the platform's work (not an auditor) who has replaced the
    initial or reset password."""

    message = "请先修改初始密码"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        domain_user(info.context)
        return True


class _RoleGate(IsActiveUser):
    roles: frozenset[Role] = frozenset()
    message = "无权执行此操作"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        having_role(info.context, self.roles, self.message)
        return True


class IsProvinceOffice(_RoleGate):
    roles = frozenset({Role.PROVINCE_OFFICE})
    message = "仅省教育厅可执行此操作"


class IsCityBureau(_RoleGate):
    roles = frozenset({Role.CITY_BUREAU})
    message = "仅地市教育局可执行此操作"


class IsProvinceOrCity(_RoleGate):
    roles = PROVINCE_OR_CITY
    message = "仅省教育厅或地市教育局可执行此操作"


class IsAuditor(_RoleGate):
    """The operation log's readers; the province office is not one of them."""

    roles = frozenset({Role.AUDITOR})
    message = "仅审计管理员可查阅操作日志"
