"""Rules on acting upon one object the caller can already see."""

from __future__ import annotations

from models import Organization
from models.enums import OrgKind
from permissions.principal import Principal
from permissions.scoping import manages


def may_reset_password(p: Principal, org: Organization) -> bool:
    """The province resets anyone's; a city bureau resets its own schools' (not its own
    unit's: that goes through the province)."""
    if p.is_province:
        return True
    return p.is_city and org.kind is OrgKind.SCHOOL and manages(p, org)
