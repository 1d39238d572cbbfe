"""The must-undertake-all rule, held over time.

A higher vocational school, a school of the provincial high-level programme or the
vocational university undertakes every item shown to it (the notice). The submit check
holds the rule at submission; afterwards the catalog can change (an item made a school item,
a new item added or brought back) and the province can approve the withdrawal of an
undertaking. Such a change that would leave a school whose form is submitted or beyond
missing an item is refused (MANDATORY_RULE_BROKEN, with the schools), unless the province
confirms it with a reason: the reason is kept per school and item, the school is flagged in
`compliance`, and the confirmed item is no longer asked of it at submission.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from tortoise import connections, fields
from tortoise.expressions import Subquery
from tortoise.models import Model

from models.account import User
from models.catalog import Campaign, TaskEntry
from models.declaration import Declaration
from models.enums import OrgKind, SchoolType, TaskLevel
from models.errors import Code, DomainError
from models.org import Organization
from models.raw_sql import placeholder
from models.undertaking import Undertaking
from models.workflow import SUBMITTED_OR_BEYOND

MAX_REASON = 2000
# pg_advisory_xact_lock's key for the rule (models/audit.py's chain uses 812_012).
RULE_LOCK_KEY = 812_013


class BreakSource(StrEnum):
    CATALOG = "catalog"  # a correction of the catalog
    CHANGE_REQUEST = "change_request"  # an approved withdrawal


class MandatoryConfirmation(Model):
    """The province's confirmation that one bound school may lack one item, and why."""

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="mandatory_confirmations", on_delete=fields.CASCADE)
    campaign_id: int
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="mandatory_confirmations",
        on_delete=fields.CASCADE)
    organization_id: int
    item: fields.ForeignKeyRelation[TaskEntry] = fields.ForeignKeyField(
        "models.TaskEntry", related_name="mandatory_confirmations", on_delete=fields.CASCADE)
    item_id: int
    source = fields.CharEnumField(BreakSource, max_length=16)
    reason = fields.TextField()
    confirmed_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="mandatory_confirmations", on_delete=fields.RESTRICT)
    confirmed_by_id: int
    confirmed_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mandatory_confirmation"
        unique_together = (("organization_id", "item_id"),)


@dataclass(frozen=True)
class Confirm:
    """Who confirms a rule-breaking change, and why (None reason: not confirmed)."""

    actor_id: int
    reason: str | None = None


@dataclass(frozen=True)
class Break:
    school: Organization
    item: TaskEntry


def missing_items_sql(organization: str, campaigns: str, *, exempt: bool = True) -> str:
    """The rule in SQL, the one definition the submit check, both read paths of a form's
    `missingMandatoryItems` and the province's compliance list use: the ids of the items
    the organisation whose id is the SQL expression `organization` lacks in the campaigns
    of `campaigns` (a parenthesised SQL set: `(7)`, a subquery).

    Only a school that must undertake all is asked anything. Asked are the items shown to
    its type (`_shown`: school level, not a heading, not retired), but for those it
    undertakes (not withdrawn) and, when `exempt`, those the province confirmed it may lack
    (compliance lists those too, beside their confirmations). What is pasted comes from the
    code: the caller's expressions, column names and enum values."""
    flags = " ".join(f"WHEN '{t.value}' THEN e.for_{t.value}" for t in SchoolType)
    sql = (
        "SELECT e.id FROM task_entry e JOIN organization o ON o.id = " + organization +
        f" WHERE e.campaign_id IN {campaigns} AND NOT e.is_group AND e.retired_at IS NULL"
        f" AND e.level = '{TaskLevel.SCHOOL.value}' AND o.kind = '{OrgKind.SCHOOL.value}'"
        f" AND o.must_undertake_all AND (CASE o.school_type {flags} ELSE false END)"
        " AND NOT EXISTS (SELECT 1 FROM undertaking u WHERE u.organization_id = o.id"
        " AND u.item_id = e.id AND u.withdrawn_at IS NULL)")
    if exempt:
        sql += (" AND NOT EXISTS (SELECT 1 FROM mandatory_confirmation c"
                " WHERE c.organization_id = o.id AND c.item_id = e.id)")
    return sql


# The order the missing items are listed in, on both read paths: the catalog's.
MISSING_ORDER = ("sort_key",)


async def missing_items(org_id: int, campaign_id: int) -> list[TaskEntry]:
    """The items a must-undertake-all school still lacks, in catalog order (none for any
    other organisation)."""
    # Bound values, not pasted ones: one statement text for every school, prepared once per
    # connection. With the ids pasted, each submission was a new text, parsed and planned
    # anew, one more round trip on asyncpg (prepare, then execute), and a stranger in its
    # statement cache.
    db = TaskEntry._choose_db()
    postgres = db.capabilities.dialect == "postgres"
    rule = missing_items_sql(placeholder(1, postgres), f"({placeholder(2, postgres)})")
    _, rows = await db.execute_query(
        f"SELECT * FROM task_entry WHERE id IN ({rule}) ORDER BY {', '.join(MISSING_ORDER)}",
        [org_id, campaign_id])
    return [TaskEntry._init_from_db(**row) for row in rows]


async def missing_pairs(org_ids: Iterable[int], campaign_id: int) -> dict[int, list[int]]:
    """Per organisation of `org_ids`: the ids of the items it lacks, in catalog order, the
    confirmed ones included (the compliance list shows them beside their reasons)."""
    ids = ", ".join(str(int(i)) for i in org_ids)
    if not ids:
        return {}
    rule = missing_items_sql("s.id", f"({int(campaign_id)})", exempt=False)
    _, rows = await connections.get("default").execute_query(
        f"SELECT s.id, t.id FROM organization s JOIN task_entry t ON t.id IN ({rule})"
        f" WHERE s.id IN ({ids}) ORDER BY s.id, t.sort_key")
    pairs: dict[int, list[int]] = {}
    for org_id, item_id in rows:
        pairs.setdefault(int(org_id), []).append(int(item_id))
    return pairs


def _shown(item: TaskEntry, school_type: SchoolType | None) -> bool:
    return (not item.is_group and item.retired_at is None and item.level is TaskLevel.SCHOOL
            and item.eligible_for(school_type))


async def rule_lock(*, exclusive: bool) -> None:
    """Submissions and the changes the rule guards do not interleave. Without it, on
    PostgreSQL, a submission checked against the catalog before a change committed, and the
    change, checking the submitted schools before the submission committed, would both pass
    and leave a submitted school missing an item (write skew under READ COMMITTED). A
    submission takes the lock shared (submissions do not wait for each other), a change
    exclusive; both hold it to the end of their transaction. SQLite needs nothing: a writing
    transaction holds the database's one write lock from its start (models/transaction.py).
    """
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        await connection.execute_query(f"SELECT {function}({RULE_LOCK_KEY})")


async def _bound_schools(campaign_id: int) -> list[Organization]:
    """Must-undertake-all schools whose form has passed the submit check (read under the
    rule's lock, which submissions share)."""
    await rule_lock(exclusive=True)
    return await Organization.filter(
        kind=OrgKind.SCHOOL, must_undertake_all=True,
        id__in=Subquery(Declaration.filter(
            campaign_id=campaign_id, status__in=list(SUBMITTED_OR_BEYOND)).values(
            "organization_id"))).order_by("code")


async def _confirmed(item_id: int) -> set[int]:
    ids = await MandatoryConfirmation.filter(item_id=item_id).values_list(
        "organization_id", flat=True)
    return {int(i) for i in ids}  # type: ignore[call-overload]


async def breaks_if_shown(item: TaskEntry, shown_before: Iterable[SchoolType]) -> list[Break]:
    """The bound schools that `item`, as saved in the running transaction, newly shows to
    (their type was not in `shown_before`) and that do not undertake it."""
    before = set(shown_before)
    schools = [s for s in await _bound_schools(item.campaign_id)
               if _shown(item, s.school_type) and s.school_type not in before]
    if not schools:
        return []
    holders = set(await Undertaking.filter(
        item_id=item.id, withdrawn_at__isnull=True,
        organization_id__in=[s.id for s in schools]).values_list("organization_id", flat=True))
    exempt = await _confirmed(item.id)
    return [Break(s, item) for s in schools if s.id not in holders and s.id not in exempt]


def shown_types(item: TaskEntry) -> list[SchoolType]:
    """The school types an item is asked of now (none for a heading, a provincial or a
    retired item)."""
    return [t for t in SchoolType if _shown(item, t)]


async def breaks_if_withdrawn(undertaking: Undertaking, item: TaskEntry) -> list[Break]:
    school = await Organization.get(id=undertaking.organization_id)
    bound = {s.id for s in await _bound_schools(item.campaign_id)}
    if school.id not in bound or not _shown(item, school.school_type):
        return []
    if school.id in await _confirmed(item.id):
        return []
    return [Break(school, item)]


async def hold(breaks: list[Break], confirm: Confirm, source: BreakSource,
               field: str = "confirmReason") -> None:
    """Refuse the change, or keep the province's confirmation of each break. Call it inside
    the change's transaction, after the change is written: a refusal rolls it back, a
    confirmation lands with it."""
    if not breaks:
        return
    reason = (confirm.reason or "").strip()
    if not reason:
        names = "、".join(f"{b.school.name}（{b.school.code}）" for b in breaks[:20])
        more = f"等{len(breaks)}所学校" if len(breaks) > 20 else ""
        items = "、".join(sorted({b.item.number for b in breaks}))
        raise DomainError(
            Code.MANDATORY_RULE_BROKEN,
            f"以下须全部承接的学校已提交申报，此项修改将使其缺少任务 {items}：{names}{more}。"
            "如确需修改，请填写确认原因（confirmReason）", field,
            organizations=[b.school.code for b in breaks])
    if len(reason) > MAX_REASON:
        raise DomainError(Code.INVALID_VALUE, f"确认原因不能超过{MAX_REASON}字", field)
    for b in breaks:
        await MandatoryConfirmation.update_or_create(
            defaults={"source": source, "reason": reason, "confirmed_by_id": confirm.actor_id,
                      "campaign_id": b.item.campaign_id},
            organization_id=b.school.id, item_id=b.item.id)


async def confirmed_items(org_ids: Iterable[int], campaign_id: int
                          ) -> dict[int, list[MandatoryConfirmation]]:
    """Per school: the items the province confirmed it may lack, with their reasons."""
    result: dict[int, list[MandatoryConfirmation]] = {}
    for c in await MandatoryConfirmation.filter(
            organization_id__in=list(org_ids), campaign_id=campaign_id).select_related(
            "item", "confirmed_by", "confirmed_by__organization").order_by("item__sort_key"):
        result.setdefault(c.organization_id, []).append(c)
    return result
