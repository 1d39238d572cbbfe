"""Rules on acting upon one object the caller can already see."""

from __future__ import annotations

from models import Organization
from models.enums import OrgKind, Role
from permissions.principal import Principal
from permissions.scoping import manages


def may_reset_password(p: Principal, org: Organization) -> bool:
    """The province resets anyone's; a city bureau resets its own schools' (not its own
    unit's: that goes through the province)."""
    if p.is_province:
        return True
    return p.is_city and org.kind is OrgKind.SCHOOL and manages(p, org)


def may_edit_declaration(p: Principal, org: Organization) -> bool:
    """A school fills in its own form; the province office fills in the provincial items as
    its own declaration. Nobody fills in someone else's."""
    return p.org_id == org.id and (p.is_school or p.is_province)


def may_return_declaration(p: Principal, org: Organization) -> bool:
    """A city bureau returns its own schools' declarations; the province anyone's."""
    if p.is_province:
        return True
    return p.is_city and org.kind is OrgKind.SCHOOL and manages(p, org)


def may_approve_declaration(p: Principal, org: Organization) -> bool:
    """The city step (审核通过) is the bureau's, for the schools under it."""
    return p.is_city and org.kind is OrgKind.SCHOOL and manages(p, org)


def may_accept_declaration(p: Principal) -> bool:
    return p.is_province


def may_reopen(p: Principal) -> bool:
    """Reopening a confirmed form undoes the province's own confirmation: the province's."""
    return p.is_province


def may_review(p: Principal, org: Organization, action: str) -> bool:
    """A reviewer's action by name (approve, accept, return, reopen): the rule of that action."""
    if action == "approve":
        return may_approve_declaration(p, org)
    if action == "accept":
        return may_accept_declaration(p)
    if action == "return":
        return may_return_declaration(p, org)
    if action == "reopen":
        return may_reopen(p)
    return False


def may_request_change(p: Principal, org: Organization) -> bool:
    """Changes to an accepted undertaking are asked for by its own organisation."""
    return may_edit_declaration(p, org)


def may_manage_deadlines(p: Principal, org: Organization) -> bool:
    """Deadlines and extensions are the province office's."""
    return p.is_province


def may_manage_account(role: Role) -> bool:
    """An auditor's account is never reset or disabled through the API: an administrator who
    could reset it would read the log it audits them by (等保: the auditor is kept apart).
    It is managed on the server (`taskplatform create-auditor`)."""
    return role is not Role.AUDITOR


AUDITOR_ACCOUNT = "审计管理员账号只能在服务器上用 taskplatform 命令管理"


def may_disable(p: Principal, user_id: int) -> bool:
    """Nobody disables their own account (a province could lock itself out)."""
    return p.is_province and user_id != p.user_id
