"""Row visibility: the only home of "who sees which rows".

Every root field, connection, nested edge, node lookup and count starts from one of these
querysets. Default deny: a role not handled here sees nothing.

- The province office sees everything.
- A city bureau manages its own unit and the schools under it.
- A school manages only itself.
- A user who must still replace an initial or reset password sees its own organisation as
  a bare node and nothing else: the published initial password opens no data.
- An auditor reads the operation log only: its own unit as a bare node, its own account.
- Everyone else also sees the organisations above it (its city, the province office) as
  bare nodes, so a school can show who oversees it; what hangs below them (other
  schools, their undertakings, their users) stays filtered by the rules above.
"""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models import (
    ChangeRequest,
    Declaration,
    Evidence,
    Extension,
    Notice,
    NoticeAttachment,
    NoticeReceipt,
    Organization,
    PerformanceEntry,
    PerformanceReport,
    Reminder,
    Undertaking,
    User,
    fixed_statements,
)
from models.enums import OrgKind, Role
from permissions.principal import Principal

_NOTHING = Q(id__in=[])


def managed_org_filter(p: Principal, *, prefix: str = "") -> Q:
    """The organisations whose data (undertakings, users, declarations) `p` may read."""
    if p.must_change_password:
        return _NOTHING
    if p.role is Role.PROVINCE_OFFICE:
        return Q()
    if p.role is Role.CITY_BUREAU:
        return Q(**{f"{prefix}id": p.org_id}) | Q(**{f"{prefix}parent_id": p.org_id})  # type: ignore[arg-type]
    if p.role is Role.SCHOOL:
        return Q(**{f"{prefix}id": p.org_id})  # type: ignore[arg-type]
    return _NOTHING


def manages(p: Principal, org: Organization) -> bool:
    """The same rule as managed_org_filter, for one organisation already loaded."""
    if p.must_change_password:
        return False
    if p.role is Role.PROVINCE_OFFICE:
        return True
    if p.role is Role.CITY_BUREAU:
        return p.org_id in (org.id, org.parent_id)
    if p.role is Role.SCHOOL:
        return org.id == p.org_id
    return False


def sees(p: Principal, org: Organization) -> bool:
    """The same rule as visible_organizations, for one organisation already loaded."""
    if p.must_change_password or p.role is Role.AUDITOR:
        return org.id == p.org_id
    if p.role is Role.PROVINCE_OFFICE:
        return True
    return manages(p, org) or org.kind is OrgKind.PROVINCE or (
        p.org_parent_id is not None and org.id == p.org_parent_id)


async def visible_organization(p: Principal, code: str) -> Organization | None:
    """The organisation of that code, if `p` may see it: what a request names (a mutation's
    target, an export). Found by its code, then `sees`: building the scoped query took the
    event loop longer than the database took to run it, on every save and submit. Its
    parent comes in the same statement (a form's flow asks whether it is a city:
    models/workflow.py, city_review_applies)."""
    org = await fixed_statements.first_with(Organization, "parent", code=code)
    return org if org is not None and sees(p, org) else None


def visible_organizations(p: Principal) -> QuerySet[Organization]:
    if p.must_change_password or p.role is Role.AUDITOR:
        return Organization.filter(id=p.org_id)
    if p.role is Role.PROVINCE_OFFICE:
        return Organization.all()
    above = Q(kind=OrgKind.PROVINCE)
    if p.org_parent_id is not None:
        above |= Q(id=p.org_parent_id)
    return Organization.filter(managed_org_filter(p) | above)


def visible_undertakings(p: Principal) -> QuerySet[Undertaking]:
    """Current undertakings only: a withdrawn one lives on in the history, not in lists."""
    return Undertaking.filter(managed_org_filter(p, prefix="organization__"),
                              withdrawn_at__isnull=True)


def visible_users(p: Principal) -> QuerySet[User]:
    """The accounts of the managed organisations, and always one's own."""
    if p.role is Role.PROVINCE_OFFICE and not p.must_change_password:
        return User.all()  # (an empty Q() OR'ed with another would narrow, not widen)
    return User.filter(managed_org_filter(p, prefix="organization__") | Q(id=p.user_id))


def visible_declarations(p: Principal) -> QuerySet[Declaration]:
    return Declaration.filter(managed_org_filter(p, prefix="organization__"))


def visible_extensions(p: Principal) -> QuerySet[Extension]:
    return Extension.filter(managed_org_filter(p, prefix="organization__"))


def managed_organizations(p: Principal) -> QuerySet[Organization]:
    """The organisations whose data `p` may read (no ancestors): the base of oversight."""
    return Organization.filter(managed_org_filter(p))


def visible_reports(p: Principal) -> QuerySet[PerformanceReport]:
    return PerformanceReport.filter(managed_org_filter(p, prefix="organization__"))


def visible_performance_entries(p: Principal) -> QuerySet[PerformanceEntry]:
    return PerformanceEntry.filter(
        managed_org_filter(p, prefix="undertaking__organization__"),
        undertaking__withdrawn_at__isnull=True)


def visible_evidence(p: Principal) -> QuerySet[Evidence]:
    """Evidence is seen by whoever sees its undertaking."""
    return Evidence.filter(managed_org_filter(p, prefix="entry__undertaking__organization__"))


def visible_change_requests(p: Principal) -> QuerySet[ChangeRequest]:
    return ChangeRequest.filter(managed_org_filter(p, prefix="undertaking__organization__"))


def addressable_organizations(p: Principal) -> QuerySet[Organization]:
    """Who `p` may send a notice to (organizations_addressed_by its organisation); nobody
    while the initial password is unchanged."""
    if p.must_change_password or p.role not in (Role.PROVINCE_OFFICE, Role.CITY_BUREAU):
        return Organization.filter(_NOTHING)
    return organizations_addressed_by(p.org_id, p.org_kind)


def organizations_addressed_by(org_id: int, kind: OrgKind) -> QuerySet[Organization]:
    """Notices go downwards: the province office reaches every other organisation, a city
    bureau the schools under it, a school nobody. Also the scope of a sender's reminders."""
    if kind is OrgKind.PROVINCE:
        return Organization.exclude(id=org_id)
    if kind is OrgKind.CITY:
        return Organization.filter(parent_id=org_id, kind=OrgKind.SCHOOL)
    return Organization.filter(_NOTHING)


def may_send_notices(p: Principal) -> bool:
    return not p.must_change_password and p.role in (Role.PROVINCE_OFFICE, Role.CITY_BUREAU)


def received_notices(p: Principal) -> QuerySet[NoticeReceipt]:
    """The receipts of the caller's organisation: its inbox."""
    if p.must_change_password:
        return NoticeReceipt.filter(_NOTHING)
    return NoticeReceipt.filter(organization_id=p.org_id)


def _notice_filter(p: Principal, prefix: str = "") -> Q:
    """A notice is seen by its sender organisation and by its recipient organisations."""
    if p.must_change_password:
        return _NOTHING
    return (Q(**{f"{prefix}sender_org_id": p.org_id})  # type: ignore[arg-type]
            | Q(**{f"{prefix}receipts__organization_id": p.org_id}))  # type: ignore[arg-type]


def sent_notice_receipts(p: Principal) -> QuerySet[NoticeReceipt]:
    """Read receipts are for the sender organisation only, not for fellow recipients."""
    if p.must_change_password:
        return NoticeReceipt.filter(_NOTHING)
    return NoticeReceipt.filter(notice__sender_org_id=p.org_id)


def visible_notices(p: Principal) -> QuerySet[Notice]:
    return Notice.filter(_notice_filter(p)).distinct()


def sent_notices(p: Principal) -> QuerySet[Notice]:
    """Notices the caller's organisation sent: the only ones whose receipts it may read."""
    if p.must_change_password:
        return Notice.filter(_NOTHING)
    return Notice.filter(sender_org_id=p.org_id)


def visible_notice_attachments(p: Principal) -> QuerySet[NoticeAttachment]:
    """Attachments are for the sender and the recipients of their notice, nobody else."""
    return NoticeAttachment.filter(_notice_filter(p, prefix="notice__")).distinct()


def own_reminders(p: Principal) -> QuerySet[Reminder]:
    """A reminder is its sender organisation's: only it lists or cancels it."""
    if not may_send_notices(p):
        return Reminder.filter(_NOTHING)
    return Reminder.filter(sender_org_id=p.org_id)
