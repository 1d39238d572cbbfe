from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from gql.compiled.declare import (
    EditLock,
    Embedded,
    JsonObject,
    JsonRows,
    Lookup,
    OrConstant,
    Relation,
    RuleRows,
    SelectRows,
    Through,
    ViewRow,
    WindowPart,
    declare,
)
from gql.context import Info
from gql.errors import UserError
from gql.nodes import compose, decompose
from models import Campaign as CampaignModel
from models import Organization as OrganizationModel
from models.clock import now_utc
from models.declaration import Declaration as DeclarationModel
from models.declaration import DeclarationAction, DeclarationStatus, Reviewed, RowAction
from models.declaration_history import (
    HISTORY_ORDER,
    Line,
    Source,
    history_sql,
    in_history_order,
    sources_of,
)
from models.declarations import missing_mandatory_items
from models.mandatory import MISSING_ORDER, missing_items_sql
from models.object_history import EVENTS_ORDER, HistoryEvent, changes_of
from models.object_history import ObjectEvent as ObjectEventModel
from models.performance import CertificationResult
from models.undertaking import FUNDING_SOURCES
from models.workflow import Window, edit_lock_of, next_step
from permissions.scoping import visible_declarations, visible_extensions, visible_undertakings

if TYPE_CHECKING:
    from gql.catalog.types import Campaign, TaskEntry
    from gql.org.types import Organization
    from gql.undertakings.types import Undertaking

strawberry.enum(DeclarationStatus, description="NOT_STARTED (未填报: nothing saved yet),"
                " DRAFT (草稿), SUBMITTED (已提交: waiting for review),"
                " CITY_APPROVED (地市审核通过: waiting for the province),"
                " RETURNED (退回修改: sent back with a reason, editable),"
                " ACCEPTED (已确认: frozen by the province).")
strawberry.enum(DeclarationAction, name="DeclarationAction",
                description="SUBMIT (提交), WITHDRAW (撤回), APPROVE (审核通过, by the city"
                " bureau), RETURN (退回修改), ACCEPT (已确认, by the province), REOPEN (重新打开,"
                " the province sends a confirmed form back).")
strawberry.enum(RowAction, name="RowAction", description="What a change did to a row.")


# A stored form's columns, and what they read before anything is saved (both paths).
FORM_COLUMNS: dict[str, Any] = {
    "status": DeclarationStatus.NOT_STARTED, "version": 0, "submitted_at": None,
    "returned_at": None, "return_reason": None, "city_approved_at": None, "accepted_at": None,
    "updated_at": None}


@strawberry.type(description="Why a declaration cannot be changed now.")
class Lock:
    code: str = strawberry.field(description="DEADLINE_PASSED, NOT_OPEN_YET,"
                                 " DECLARATION_SUBMITTED, DECLARATION_CITY_APPROVED or"
                                 " DECLARATION_ACCEPTED.")
    message: str


@strawberry.type(description="A row as it was: quantity and funding (万元).")
class RowSnapshot:
    quantity: int
    school_self: str
    enterprise: str
    sponsor: str
    local_gov: str
    provincial: str

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> RowSnapshot | None:
        """From the stored JSON, by the keys its declaration reads (both paths)."""
        if not data:
            return None
        return cls(**{name: data[key] for name, key in ROW_SNAPSHOT_SQL.columns.items()})


@strawberry.type(description="Who did something: shown to everyone who sees the history.")
class Actor:
    username: str
    display_name: str
    organization_name: str = strawberry.field(
        description="The acting unit as it signs: a city-level unit as its education bureau"
        " (郑州市教育局).")


@strawberry.type(description="A field an event changed, before and after (as text).")
class FieldChange:
    field: str
    before: str | None
    after: str | None


@strawberry.type(description="One line of an object's history: a row change, a status change or"
                 " another event (an extension, a catalog change, a report line, an evidence"
                 " file, a password reset), with who and when.")
class HistoryEntry:
    at: datetime
    actor: Actor
    status_change: DeclarationAction | None = strawberry.field(
        description="Set for a status change: SUBMIT, WITHDRAW, APPROVE (the city's 审核通过),"
        " RETURN (退回修改), ACCEPT (已确认), REOPEN.")
    from_status: DeclarationStatus | None
    to_status: DeclarationStatus | None
    reason: str | None
    row_change: RowAction | None = strawberry.field(description="Set for a row change.")
    item_number: str | None
    before: RowSnapshot | None
    after: RowSnapshot | None
    comment: str | None = strawberry.field(
        default=None, description="Set for a reviewer's comment on the row of `itemNumber`.")
    certification_result: CertificationResult | None = strawberry.field(
        default=None, description="Set for a certification decision (遴选认定) on the row of"
        " `itemNumber`; `reason` holds its remarks.")
    certified_quantity: int | None = strawberry.field(
        default=None, description="With certificationResult: the quantity certified.")

    event: HistoryEvent | None = strawberry.field(
        default=None, description="Set for an event other than a row or status change.")
    until: datetime | None = strawberry.field(
        default=None, description="An extension's new deadline.")
    file_name: str | None = strawberry.field(default=None,
                                             description="An evidence file's name.")
    changes: list[FieldChange] = strawberry.field(
        default_factory=list, description="What the event changed (catalog entries, report"
        " lines), field by field.")

    @classmethod
    def of_event(cls, e: ObjectEventModel) -> HistoryEntry:
        return cls(at=e.at, actor=actor_of(e.actor) if e.actor else SYSTEM, status_change=None,
                   from_status=None, to_status=None, reason=e.reason, row_change=None,
                   item_number=e.item_number, before=None, after=None, event=e.event,
                   until=e.until, file_name=e.file_name,
                   changes=[FieldChange(**{name: c[key] for name, key in
                                           FIELD_CHANGE_SQL.columns.items()})
                            for c in changes_of(e)])

def comment_entries(comments: Any) -> list[HistoryEntry]:
    """Reviewers' row comments as history lines (models/row_comments.py)."""
    return [HistoryEntry(
        at=c.at, actor=actor_of(c.author), status_change=None, from_status=None,
        to_status=None, reason=None, row_change=None, item_number=c.undertaking.item.number,
        before=None, after=None, comment=c.text) for c in comments]
async def events_of(subject: str) -> list[HistoryEntry]:
    """The object-history events of one object, oldest first (models/object_history.py)."""
    found = await ObjectEventModel.filter(subject=subject).order_by(
        *EVENTS_ORDER).select_related("actor", "actor__organization")
    return [HistoryEntry.of_event(e) for e in found]


@strawberry.interface(description="A form reviewed upwards: a declaration, or a year's"
                      " performance report. DRAFT -> SUBMITTED -> CITY_APPROVED (schools under a"
                      " city-level unit, when the campaign has the city step) -> ACCEPTED;"
                      " RETURNED from any review step.")
class ReviewedForm:
    status: DeclarationStatus
    version: int = strawberry.field(
        description="Send it back with every change: a change made on an older version is"
        " refused with CONFLICT. 0 while nothing is saved.")
    submitted_at: datetime | None
    returned_at: datetime | None
    return_reason: str | None = strawberry.field(
        description="Why it was last returned or reopened; cleared when it is submitted again"
        " (the history keeps it).")
    city_approved_at: datetime | None = strawberry.field(
        description="When the city bureau approved it (审核通过).")
    accepted_at: datetime | None
    updated_at: datetime | None
    window: strawberry.Private[Window]

    @staticmethod
    def fields_of(model: Reviewed | None, window: Window) -> dict[str, Any]:
        """The interface's values from a stored form (None: nothing saved yet)."""
        return {**{name: getattr(model, name) if model else default
                   for name, default in FORM_COLUMNS.items()}, "window": window}

    @strawberry.field(description="The deadline for this organisation: the general one, or its"
                      " extension while that runs.")
    def deadline(self) -> datetime | None:
        return self.window.closes_at

    @strawberry.field
    def opens_at(self) -> datetime | None:
        return self.window.opens_at

    @strawberry.field(description="An extension granted by the province, while it runs.")
    def extension_until(self) -> datetime | None:
        return self.window.extension_until

    @strawberry.field(description="Why it cannot be changed now; null when it can.")
    def lock(self) -> Lock | None:
        problem = edit_lock_of(self.status, self.window, now_utc())
        return Lock(code=problem.code, message=problem.message) if problem else None

    @strawberry.field(description="Whether the organisation's own users can change it now.")
    def editable(self) -> bool:
        return self.lock() is None

    @strawberry.field(description="What the organisation is to do now, in words (e.g. 已退回修改："
                      "请按退回原因修改，并于 … 前重新提交).")
    def next_step(self) -> str:
        return next_step(self.status, self.window, now_utc())


@strawberry.type(description="One organisation's declaration for one campaign. Its id names"
                 " the organisation and campaign, so it is the same before and after the first"
                 " save: a client cache keeps one entry per declaration.")
class Declaration(ReviewedForm, relay.Node):
    id: relay.NodeID[str]
    org: strawberry.Private[OrganizationModel]
    campaign_model: strawberry.Private[CampaignModel]
    model: strawberry.Private[DeclarationModel | None]

    @classmethod
    def of(cls, org: OrganizationModel, campaign: CampaignModel,
           model: DeclarationModel | None, window: Window) -> Declaration:
        return cls(**cls.fields_of(model, window), id=compose(org.id, campaign.id), org=org,
                   campaign_model=campaign, model=model)

    @classmethod
    async def load_key(cls, info: Info, key: str) -> Declaration | None:
        from gql.declarations.resolve import declaration_of

        ids = decompose(key, 2)
        if ids is None:
            return None
        org = await info.context.loaders.organization_by_id.load(ids[0])
        campaign = await CampaignModel.get_or_none(id=ids[1])
        if org is None or campaign is None:
            return None
        return await declaration_of(info.context, org, campaign)

    @strawberry.field
    async def organization(
        self, info: Info
    ) -> Annotated[Organization, strawberry.lazy("gql.org.types")]:
        from gql.org.types import Organization

        return Organization.of(self.org)

    @strawberry.field
    async def campaign(
        self, info: Info
    ) -> Annotated[Campaign, strawberry.lazy("gql.catalog.types")]:
        from gql.catalog.types import Campaign

        years = await info.context.loaders.years_by_campaign_id.load(self.campaign_model.id)
        return Campaign.of(self.campaign_model, years)

    @strawberry.field(description="The rows of the form, by item number.")
    async def undertakings(
        self, info: Info
    ) -> list[Annotated[Undertaking, strawberry.lazy("gql.undertakings.types")]]:
        from gql.undertakings.types import Undertaking

        key = (self.org.id, self.campaign_model.id)
        return [Undertaking.of(u) for u in
                await info.context.loaders.undertakings_by_key.load(key)]

    @strawberry.field(description="For a school that must undertake every item shown to it:"
                      " the items it still lacks (submitting is refused until none is left).")
    async def missing_mandatory_items(
        self,
    ) -> list[Annotated[TaskEntry, strawberry.lazy("gql.catalog.types")]]:
        from gql.catalog.types import TaskEntry

        return [TaskEntry.of(e) for e in await missing_mandatory_items(self.org,
                                                                      self.campaign_model)]

    @strawberry.field(description="Every row change (before and after) and every status change,"
                      " oldest first.")
    async def history(self) -> list[HistoryEntry]:
        found = await sources_of(self.org.id, self.campaign_model.id,
                                 self.model.id if self.model else None)
        lines = [Line(e.at, Source.STATUS, e.id, HistoryEntry(
            at=e.at, actor=actor_of(e.actor), status_change=e.action, from_status=e.from_status,
            to_status=e.to_status, reason=e.reason, row_change=None, item_number=None,
            before=None, after=None)) for e in found.status]
        lines += [Line(c.at, Source.ROW, c.id, HistoryEntry(
            at=c.at, actor=actor_of(c.actor), status_change=None, from_status=None,
            to_status=None, reason=None, row_change=c.action, item_number=c.item.number,
            before=RowSnapshot.of(c.before), after=RowSnapshot.of(c.after)))
            for c in found.rows]
        lines += [Line(e.at, Source.CERTIFICATION, e.id, HistoryEntry(
            at=e.at, actor=actor_of(e.actor), status_change=None, from_status=None,
            to_status=None, reason=e.remarks or None, row_change=None,
            item_number=e.undertaking.item.number, before=None, after=None,
            certification_result=e.result, certified_quantity=e.certified_quantity))
            for e in found.certifications]
        lines += [Line(c.at, Source.COMMENT, c.id, entry) for c, entry in
                  zip(found.comments, comment_entries(found.comments), strict=True)]
        lines += [Line(e.at, Source.EVENT, e.id, HistoryEntry.of_event(e)) for e in found.events]
        return in_history_order(lines)


SYSTEM = Actor(username="taskplatform", display_name="系统（命令行）", organization_name="")


def actor_of(user: Any) -> Actor:
    return Actor(**ACTOR_SQL.values(user), organization_name=user.organization.office_name)


# What each field reads, for both paths (gql/compiled/declare.py): an actor is a user
# row, its unit as it signs (no row rule: whoever sees the history sees who acted).
ACTOR_SQL = declare(
    "Actor", "app_user", columns=("username", "display_name"),
    organization=Relation("Organization", local="organization_id", remote="id"),
    organization_name=Through("organization__office_name"))


# A history's lines (both paths): the columns of models/declaration_history.py's lines, its
# snapshots and field changes from the JSON they are stored as, who acted (SYSTEM when none).
ROW_SNAPSHOT_SQL = declare("RowSnapshot", None, columns=("quantity", *FUNDING_SOURCES))
FIELD_CHANGE_SQL = declare("FieldChange", None, columns=("field", "before", "after"))
HISTORY_ENTRY_SQL = declare(
    "HistoryEntry", None,
    columns=("at", "status_change", "from_status", "to_status", "reason", "row_change",
             "item_number", "comment", "certification_result", "certified_quantity", "event",
             "until", "file_name"),
    actor=OrConstant(Relation("Actor", local="actor_id", remote="id"), SYSTEM),
    before=JsonObject("RowSnapshot", "before"), after=JsonObject("RowSnapshot", "after"),
    changes=JsonRows("FieldChange", "changes"))


def _in_campaign(views: dict[str, Any]) -> Any:
    from tortoise.expressions import Subquery

    from models import Undertaking as UndertakingModel

    return UndertakingModel.filter(item__campaign_id__in=Subquery(views["campaign"].values("id")))


# What each field reads, for both paths (gql/compiled/declare.py): the row is the
# organisation's, the campaign is handed down by the root field.
_FORM = {name: Lookup("declaration", name, scope=visible_declarations,
                     default=getattr(default, "value", default))
         for name, default in FORM_COLUMNS.items()}
_DEADLINE = WindowPart("closes", "declaration_extension", visible_extensions)
DECLARATION_SQL = declare(
    "Declaration", "organization",
    each=_FORM,
    lock=EditLock(_FORM["status"], _DEADLINE),
    editable=EditLock(_FORM["status"], _DEADLINE, "editable"),
    next_step=EditLock(_FORM["status"], _DEADLINE, "next_step"),
    deadline=_DEADLINE,
    opens_at=WindowPart("opens", "declaration_extension", visible_extensions),
    extension_until=WindowPart("extension", "declaration_extension", visible_extensions),
    organization=Embedded("Organization"),
    campaign=ViewRow("Campaign"),
    missing_mandatory_items=RuleRows("TaskEntry", missing_items_sql,
                                     order=MISSING_ORDER),
    undertakings=Relation("Undertaking", local="id", remote="organization_id", many=True,
                          scope=visible_undertakings, order=("item__sort_key",),
                          view=_in_campaign),
    # the lines of the declaration the caller may read (none: its other events only)
    history=SelectRows("HistoryEntry", history_sql, visible_declarations, HISTORY_ORDER,
                       times=("at",)),
)


@strawberry.type
class DeclarationPayload:
    declaration: Declaration | None
    errors: list[UserError]
