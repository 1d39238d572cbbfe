from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from gql.accounts.types import (
    LoginPayload,
    LogoutPayload,
    OneTimePasswordPayload,
    User,
    UserPayload,
)
from gql.context import Info
from gql.errors import UserError
from gql.nodes import decode_id
from models import Organization as OrganizationModel
from models import accounts, sessions
from models.enums import OrgKind
from models.errors import Code, DomainError
from models.sessions import Session
from permissions.actions import (
    AUDITOR_ACCOUNT,
    may_disable,
    may_manage_account,
    may_reset_password,
)
from permissions.classes import IsAuthenticated, IsProvinceOffice, IsProvinceOrCity
from permissions.principal import principal_of
from permissions.scoping import visible_organization, visible_users


def _journal(info: Info) -> Callable[[Session], Awaitable[None]] | None:
    """The operation log's record of this login, written in the login's own transaction as
    the user it opens (gql/audit/recorder.py sets it for the login field)."""
    journal = info.context.journal
    if journal is None:
        return None

    async def then(session: Session) -> None:
        principal = principal_of(session)
        assert principal is not None
        await journal(principal)

    return then


def _not_found(field: str, what: str) -> UserError:
    return UserError(field=[field], code=Code.NOT_FOUND, message=f"{what}不存在")


async def _visible_user(info: Info, user_id: strawberry.ID):  # type: ignore[no-untyped-def]
    principal = info.context.principal
    pk = decode_id(str(user_id), "User")
    if principal is None or pk is None:
        return None
    return await visible_users(principal).get_or_none(id=pk).prefetch_related("organization")


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Log in with a user name (a school: its 10-digit code) and"
                         " password. Five wrong passwords from one client lock that client"
                         " out of the account for 15 minutes; at most one login or"
                         " changePassword per request.")
    async def login(self, info: Info, username: str, password: str) -> LoginPayload:
        try:
            result = await accounts.login(username, password, info.context.client_address,
                                          then=_journal(info))
        except DomainError as e:
            return LoginPayload(token=None, expires_at=None, user=None,
                                locked_until=e.details.get("locked_until"),  # type: ignore[arg-type]
                                errors=[UserError.of(e)])
        principal = principal_of(result.session)
        assert principal is not None
        info.context.become(principal)
        return LoginPayload(token=result.token, expires_at=result.expires_at,
                            user=User.of(result.user), locked_until=None, errors=[])

    @strawberry.mutation(description="Revoke the token of this request.",
                         permission_classes=[IsAuthenticated])
    async def logout(self, info: Info) -> LogoutPayload:
        assert info.context.principal is not None
        await sessions.logout(info.context.principal.token_id)
        return LogoutPayload(ok=True)

    @strawberry.mutation(description="Replace one's password: at least 8 characters with letters"
                         " and digits, not the user name, not 123456, not the previous one."
                         " Other sessions of the account are logged out.",
                         permission_classes=[IsAuthenticated])
    async def change_password(self, info: Info, old_password: str,
                              new_password: str) -> UserPayload:
        p = info.context.principal
        assert p is not None
        try:
            user = await accounts.change_password(p.user_id, p.token_id, old_password,
                                                  new_password, info.context.client_address)
        except DomainError as e:
            return UserPayload(user=None, errors=[UserError.of(e)])
        return UserPayload(user=User.of(user), errors=[])

    @strawberry.mutation(description="Province office: create an account for a city-level unit"
                         " or a school, with a one-time password.",
                         permission_classes=[IsProvinceOffice])
    async def create_user(self, info: Info, organization_code: str, username: str,
                          display_name: str = "") -> OneTimePasswordPayload:
        p = info.context.principal
        assert p is not None
        org = await visible_organization(p, organization_code)
        if org is None:
            return OneTimePasswordPayload(user=None, one_time_password=None,
                                          errors=[_not_found("organizationCode", "单位")])
        try:
            user, password = await accounts.create_account(org, username, display_name)
        except DomainError as e:
            return OneTimePasswordPayload(user=None, one_time_password=None,
                                          errors=[UserError.of(e)])
        return OneTimePasswordPayload(user=User.of(user), one_time_password=password, errors=[])

    @strawberry.mutation(description="Province office: disable or re-enable an account. A"
                         " disabled account cannot log in and its tokens stop at once; nothing"
                         " it did is deleted.", permission_classes=[IsProvinceOffice])
    async def set_user_active(self, info: Info, user_id: strawberry.ID,
                              active: bool) -> UserPayload:
        user = await _visible_user(info, user_id)
        if user is None:
            return UserPayload(user=None, errors=[_not_found("userId", "用户")])
        p = info.context.principal
        assert p is not None
        if not may_manage_account(user.role):
            return UserPayload(user=None, errors=[UserError(
                field=["userId"], code=Code.FORBIDDEN, message=AUDITOR_ACCOUNT)])
        if not may_disable(p, user.id):
            return UserPayload(user=None, errors=[UserError(
                field=["userId"], code=Code.FORBIDDEN, message="不能停用自己的账号")])
        return UserPayload(user=User.of(await accounts.set_active(user, active)), errors=[])

    @strawberry.mutation(description="Reset a password to a one-time password that must be"
                         " changed at first login (a city bureau: its own schools' accounts)."
                         " Also unlocks the account.", permission_classes=[IsProvinceOrCity])
    async def reset_password(self, info: Info, user_id: strawberry.ID) -> OneTimePasswordPayload:
        p = info.context.principal
        assert p is not None
        user = await _visible_user(info, user_id)
        if user is None:
            return OneTimePasswordPayload(user=None, one_time_password=None,
                                          errors=[_not_found("userId", "用户")])
        org: OrganizationModel = user.organization
        if not may_manage_account(user.role):
            return OneTimePasswordPayload(user=None, one_time_password=None, errors=[UserError(
                field=["userId"], code=Code.FORBIDDEN, message=AUDITOR_ACCOUNT)])
        if not may_reset_password(p, org):
            who = "本单位" if org.kind is not OrgKind.SCHOOL else "该学校"
            return OneTimePasswordPayload(user=None, one_time_password=None, errors=[UserError(
                field=["userId"], code=Code.FORBIDDEN, message=f"无权重置{who}账号的密码")])
        password = await accounts.reset_password(user)
        return OneTimePasswordPayload(user=User.of(user), one_time_password=password, errors=[])
