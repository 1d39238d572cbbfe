from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from gql.compiled.declare import Relation, SelectRows, declare
from gql.context import Info
from gql.enums import Role
from gql.errors import UserError
from models import User as UserModel
from models.declaration_history import event_lines
from models.object_history import EVENTS_ORDER, user_subject, user_subject_sql
from permissions.classes import IsActiveUser
from permissions.scoping import received_notices, visible_organizations, visible_users

if TYPE_CHECKING:
    from gql.declarations.types import HistoryEntry
    from gql.org.types import Organization


@strawberry.type(description="An account. Its user name is a school's code for a school.")
class User(relay.Node):
    id: relay.NodeID[int]
    username: str
    display_name: str
    role: Role
    is_active: bool = strawberry.field(description="False once disabled; history is kept.")
    must_change_password: bool = strawberry.field(
        description="True until the initial or reset password is replaced: until then only"
        " me, changePassword and logout answer.")
    locked_until: datetime | None = strawberry.field(
        description="Locked for every client after repeated wrong passwords from many"
        " addresses, until this time (one client's guesses lock out only that client).")
    last_login_at: datetime | None
    organization_id: strawberry.Private[int]

    @classmethod
    def of(cls, m: UserModel) -> User:
        return cls(id=m.id, **USER_SQL.values(m), organization_id=m.organization_id)

    @classmethod
    async def load(cls, info: Info, id: int) -> User | None:
        principal = info.context.principal
        m = await visible_users(principal).get_or_none(id=id) if principal else None
        return cls.of(m) if m else None

    @strawberry.field(description="Password resets of this account (who, when), oldest first.",
                      permission_classes=[IsActiveUser])
    async def history(self) -> list[
            Annotated[HistoryEntry, strawberry.lazy("gql.declarations.types")]]:
        from gql.declarations.types import events_of

        return await events_of(user_subject(self.id))

    @strawberry.field
    async def organization(
        self, info: Info
    ) -> Annotated[Organization, strawberry.lazy("gql.org.types")]:
        from gql.org.types import Organization

        org = await Organization.load(info, self.organization_id)
        assert org is not None, "a visible user belongs to a visible organisation"
        return org

    @strawberry.field(description="Unread notices of the caller's organisation (站内通知); only"
                      " on the caller's own account (`me`), null on others.")
    async def unread_notice_count(self, info: Info) -> int | None:
        principal = info.context.principal
        if principal is None or principal.user_id != self.id:
            return None
        return await received_notices(principal).filter(read_at__isnull=True).count()

    @classmethod
    def resolve_nodes(cls, *, info: Any, node_ids: Any, required: bool = False) -> Any:
        raise NotImplementedError("resolved by gql.nodes")


# What each field reads, for both paths (gql/compiled/declare.py).
USER_SQL = declare(
    "User", "app_user", node=True, scope=visible_users,
    columns=("username", "display_name", "role", "is_active", "must_change_password",
             "locked_until", "last_login_at"),
    organization=Relation("Organization", local="organization_id", remote="id",
                          scope=visible_organizations),
    # events_of(user_subject(id)) in SQL: whoever sees the user sees its events
    history=SelectRows("HistoryEntry", lambda row: event_lines(user_subject_sql(row)), None,
                       EVENTS_ORDER, view=None),
)


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(
        description="Send it as `Authorization: Bearer <token>`.")
    expires_at: datetime | None
    user: User | None
    locked_until: datetime | None = strawberry.field(
        description="Set when the account is locked: when it opens again.")
    errors: list[UserError]


@strawberry.type
class UserPayload:
    user: User | None
    errors: list[UserError]


@strawberry.type
class OneTimePasswordPayload:
    user: User | None
    one_time_password: str | None = strawberry.field(
        description="Shown once; the user must replace it at first login.")
    errors: list[UserError]


@strawberry.type
class LogoutPayload:
    ok: bool
