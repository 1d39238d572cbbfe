from __future__ import annotations

import strawberry

from gql.accounts.types import User
from gql.context import Info
from permissions.classes import IsAuthenticated


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The logged-in user, with role, organisation and"
                      " mustChangePassword. Answers even before the initial password is changed.",
                      permission_classes=[IsAuthenticated])
    async def me(self, info: Info) -> User:
        assert info.context.principal is not None
        user = await User.load(info, info.context.principal.user_id)
        assert user is not None
        return user
