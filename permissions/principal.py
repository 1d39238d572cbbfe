"""The caller, resolved once per request from its bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.enums import OrgKind, Role, SchoolType

if TYPE_CHECKING:
    from models.sessions import Session


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    org_id: int
    org_kind: OrgKind
    # The organisation's parent: a school's city (or the province), a city's province.
    org_parent_id: int | None
    must_change_password: bool
    token_id: int
    # A school's type: what the catalog shows it unless it asks for another.
    org_school_type: SchoolType | None = None
    # The organisation's code, for the operation log's records (gql/audit/recorder.py).
    org_code: str = ""

    @property
    def is_province(self) -> bool:
        return self.role is Role.PROVINCE_OFFICE

    @property
    def is_city(self) -> bool:
        return self.role is Role.CITY_BUREAU

    @property
    def is_school(self) -> bool:
        return self.role is Role.SCHOOL

    @property
    def is_auditor(self) -> bool:
        return self.role is Role.AUDITOR


async def principal_for_token(token: str) -> Principal | None:
    """The caller behind a bearer token, or None when the token is not live."""
    from models.sessions import session_for_token

    return principal_of(await session_for_token(token))


async def principal_for_session(token_id: int, *, active: bool) -> Principal | None:
    """The caller of a session known by its id, as it is now (None once the session ended):
    a websocket asks again before each operation (`active`: the user's doing, which keeps
    the session from idling out) and periodically (not the user's doing)."""
    from models.sessions import session_for_id

    return principal_of(await session_for_id(token_id, active=active))


def principal_of(found: Session | None) -> Principal | None:
    if found is None:
        return None
    return Principal(
        user_id=found.user_id, username=found.username, role=found.role, org_id=found.org_id,
        org_kind=found.org_kind, org_parent_id=found.org_parent_id,
        must_change_password=found.must_change_password, token_id=found.token_id,
        org_school_type=found.org_school_type, org_code=found.org_code,
    )
