"""Gates declared on fields and mutations (`permission_classes=[...]`).

Each gate raises our own error so the client gets the precise `extensions.code`:
UNAUTHENTICATED (no live token), PASSWORD_CHANGE_REQUIRED (initial or reset password still in
use), FORBIDDEN (wrong role).
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from gql.errors import ApiError
from models.enums import Role
from models.errors import Code
from permissions.principal import Principal


def _principal(info: Any) -> Principal:
    principal: Principal | None = info.context.principal
    if principal is None:
        message = info.context.auth_problem or "请先登录"
        raise ApiError(Code.UNAUTHENTICATED, message)
    return principal


class IsAuthenticated(BasePermission):
    """Any logged-in user, even one who must still change the initial password."""

    message = "请先登录"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        _principal(info)
        return True


class IsActiveUser(BasePermission):
    """A logged-in user who has replaced the initial or reset password."""

    message = "请先修改初始密码"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        if _principal(info).must_change_password:
            raise ApiError(Code.PASSWORD_CHANGE_REQUIRED, "首次登录或密码被重置后，请先修改密码")
        return True


class _RoleGate(IsActiveUser):
    roles: frozenset[Role] = frozenset()
    message = "无权执行此操作"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        super().has_permission(source, info, **kwargs)
        if _principal(info).role not in self.roles:
            raise ApiError(Code.FORBIDDEN, self.message)
        return True


class IsProvinceOffice(_RoleGate):
    roles = frozenset({Role.PROVINCE_OFFICE})
    message = "仅省教育厅可执行此操作"


class IsProvinceOrCity(_RoleGate):
    roles = frozenset({Role.PROVINCE_OFFICE, Role.CITY_BUREAU})
    message = "仅省教育厅或地市教育局可执行此操作"
