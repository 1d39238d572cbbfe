from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gql.compiled.declare import (
    Column,
    Embedded,
    FormLock,
    JsonKey,
    LineWarnings,
    NowBetween,
    Relation,
    RowSql,
    ScopedId,
    SelectRows,
    Through,
    declare,
)
from gql.context import Info
from gql.declarations.types import (
    FORM_COLUMNS,
    Actor,
    HistoryEntry,
    ReviewedForm,
    actor_of,
    comment_entries,
)
from gql.enums import CertificationResult, ChangeKind, ProgressStatus, RequestStatus
from gql.nodes import compose, decompose, scoped_id
from gql.org.types import Organization
from gql.undertakings.types import Funding, Undertaking
from models import Certification as CertificationModel
from models import ChangeRequest as ChangeRequestModel
from models import Evidence as EvidenceModel
from models import Organization as OrganizationModel
from models import PerformanceEntry, ReportingRound
from models import PerformanceReport as ReportModel
from models import Undertaking as UndertakingModel
from models.clock import now_utc
from models.declaration_history import HISTORY_ORDER, Line, Source, in_history_order
from models.performance import EVIDENCE_ORDER
from models.report_history import report_history_sql, report_sources_of
from models.reports import prefill, previous_entries, reportable
from models.row_comments import COMMENT_ORDER, on_report_line, report_line_comments
from models.undertaking import FUNDING_SOURCES
from models.workflow import Window
from permissions.scoping import visible_change_requests, visible_evidence, visible_reports

if TYPE_CHECKING:
    from gql.reviews.checks import RowComment, SoftWarning


def funding_of(row: object) -> Funding:
    return Funding(**{s: Decimal(getattr(row, s)).quantize(Decimal("0.01"))
                      for s in FUNDING_SOURCES})


@strawberry.type(name="ReportingRound", description="One year's performance collection (执行绩效).")
class ReportingRoundType(relay.Node):
    id: relay.NodeID[int]
    year: int
    opens_at: datetime | None
    closes_at: datetime | None

    @strawberry.field(description="Open now, by the server's clock.")
    def open(self) -> bool:
        return Window(self.opens_at, self.closes_at, None).lock(now_utc()) is None

    @classmethod
    def of(cls, r: ReportingRound) -> ReportingRoundType:
        return cls(id=r.id, **REPORTING_ROUND_SQL.values(r))

    @classmethod
    async def load(cls, info: Info, id: int) -> ReportingRoundType | None:
        r = await ReportingRound.get_or_none(id=id)  # rounds are public to every user
        return cls.of(r) if r else None


# What each field reads, for both paths (gql/compiled/declare.py): `open` is its window's
# (Window.lock: none without both times), as NowBetween is null, so false, then.
REPORTING_ROUND_SQL = declare(
    "ReportingRound", "reporting_round", node=True, columns=("year", "opens_at", "closes_at"),
    open=NowBetween("opens_at", "closes_at"))


@strawberry.type(name="EvidenceFile", description="A file backing a report line.")
class EvidenceFile(relay.Node):
    id: relay.NodeID[int]
    filename: str
    content_type: str
    size: int = strawberry.field(description="Bytes.")
    sha256: str = strawberry.field(description="Checksum of the stored content.")
    uploaded_at: datetime

    @strawberry.field(description="GET it with the same bearer token.")
    def download_url(self) -> str:
        return f"{EVIDENCE_URL}{self.id}"  # its SQL form: EVIDENCE_FILE_SQL's

    @classmethod
    def of(cls, e: EvidenceModel) -> EvidenceFile:
        return cls(id=e.id, **EVIDENCE_FILE_SQL.values(e))

    @classmethod
    async def load(cls, info: Info, id: int) -> EvidenceFile | None:
        principal = info.context.principal
        e = await visible_evidence(principal).get_or_none(id=id) if principal else None
        return cls.of(e) if e else None


EVIDENCE_URL = "/files/evidence/"  # gql/exports/routes.py serves it
# What each field reads, for both paths (gql/compiled/declare.py): node(id:) and a report
# line's list (reached only from a line the caller sees, as the loader reads it).
EVIDENCE_FILE_SQL = declare(
    "EvidenceFile", "evidence", node=True, scope=visible_evidence,
    columns=("filename", "content_type", "size", "sha256", "uploaded_at"),
    download_url=RowSql(lambda alias: f"('{EVIDENCE_URL}' || CAST({alias}.id AS TEXT))"))


@strawberry.type(description="Last year's figures of a line, shown beside this year's.")
class PreviousFigures:
    completed_quantity: int
    spent: Funding
    progress: ProgressStatus


# What each field reads, for the compiled path (gql/compiled/declare.py): last year's
# figures are that year's entry row as it is (its amounts quantized, as funding_of does).
PREVIOUS_FIGURES_SQL = declare(
    "PreviousFigures", "performance_entry", columns=("completed_quantity", "progress"),
    spent=Embedded("Funding"))


@strawberry.type(description="One undertaking's line of a year's report. Until saved, it is"
                 " pre-filled with last year's figures (they are to date), or zeros. Its id"
                 " names the report's organisation, the year's round and the undertaking.")
class ReportLine:
    id: strawberry.ID
    undertaking: Undertaking
    saved: bool
    completed_quantity: int = strawberry.field(description="Completed to date.")
    spent: Funding = strawberry.field(description="Actually spent to date, per source (万元).")
    progress: ProgressStatus
    narrative: str
    previous: PreviousFigures | None
    entry_id: strawberry.Private[int | None]
    planned: strawberry.Private[UndertakingModel | None] = None
    year: strawberry.Private[int | None] = None

    @strawberry.field(description="Soft checks of the line as it stands (warnings, never"
                      " refusals): more completed than undertaken, more spent than planned.")
    def warnings(self) -> list[Annotated[SoftWarning, strawberry.lazy("gql.reviews.checks")]]:
        from gql.reviews.checks import SoftWarning
        from models import soft_checks

        if self.planned is None:
            return []
        spent = {s: getattr(self.spent, s) for s in FUNDING_SOURCES}
        return [SoftWarning.of(w) for w in soft_checks.line_warnings(
            self.planned, self.completed_quantity, spent)]

    @strawberry.field(description="Reviewers' comments (审核意见) on this year's line, oldest"
                      " first.")
    async def comments(
        self, info: Info
    ) -> list[Annotated[RowComment, strawberry.lazy("gql.reviews.checks")]]:
        from gql.reviews.checks import RowComment

        rows = await info.context.loaders.comments_by_undertaking_id.load(
            int(self.undertaking.id))
        assert self.year is not None
        return [RowComment.of(c) for c in rows if on_report_line(c, self.year)]

    @strawberry.field
    async def evidence(self, info: Info) -> list[EvidenceFile]:
        if self.entry_id is None:
            return []
        rows = await info.context.loaders.evidence_by_entry_id.load(self.entry_id)
        return [EvidenceFile.of(e) for e in rows]


@strawberry.type(description="An organisation's performance report for one year. Its id names"
                 " the organisation and the year's round: the same before and after the first"
                 " save.")
class PerformanceReport(ReviewedForm, relay.Node):
    id: relay.NodeID[str]
    year: int
    org: strawberry.Private[OrganizationModel]
    round: strawberry.Private[ReportingRound]
    model: strawberry.Private[ReportModel | None]

    @classmethod
    def of(cls, org: OrganizationModel, round_: ReportingRound, model: ReportModel | None,
           window: Window) -> PerformanceReport:
        return cls(**cls.fields_of(model, window), id=compose(org.id, round_.id),
                   year=round_.year, org=org, round=round_, model=model)

    @classmethod
    async def load_key(cls, info: Info, key: str) -> PerformanceReport | None:
        from gql.performance.resolve import report_of

        ids = decompose(key, 2)
        if ids is None:
            return None
        org = await info.context.loaders.organization_by_id.load(ids[0])
        round_ = await ReportingRound.get_or_none(id=ids[1])
        if org is None or round_ is None:
            return None
        return await report_of(info.context, org, round_)

    @strawberry.field
    def organization(self) -> Organization:
        return Organization.of(self.org)

    @strawberry.field(description="One line per accepted undertaking, by item number.")
    async def lines(self) -> list[ReportLine]:
        due = await reportable(self.org, self.round)
        saved = {e.undertaking_id: e for e in await PerformanceEntry.filter(
            report_id=self.model.id)} if self.model else {}
        previous = await previous_entries([u.id for u in due], self.round)
        lines = []
        for u in due:
            figures = prefill(saved.get(u.id), previous.get(u.id))
            before = previous.get(u.id)
            lines.append(ReportLine(
                id=scoped_id("ReportLine", self.org.id, self.round.id, u.id),
                undertaking=Undertaking.of(u), saved=u.id in saved,
                completed_quantity=figures["completed_quantity"],
                spent=Funding(**{s: figures[s].quantize(Decimal("0.01"))
                                 for s in FUNDING_SOURCES}),
                progress=figures["progress"], narrative=figures["narrative"],
                previous=PreviousFigures(completed_quantity=before.completed_quantity,
                                         spent=funding_of(before), progress=before.progress)
                if before else None,
                entry_id=saved[u.id].id if u.id in saved else None,
                planned=u, year=self.round.year))
        return lines

    @strawberry.field(description="Status changes, reviewers' comments, report lines saved"
                      " (field by field), evidence uploaded and deleted, extensions; oldest"
                      " first.")
    async def history(self) -> list[HistoryEntry]:
        found = await report_sources_of(self.org.id, self.round,
                                        self.model.id if self.model else None)
        lines = [Line(e.at, Source.STATUS, e.id, HistoryEntry(
            at=e.at, actor=actor_of(e.actor),
            status_change=e.action, from_status=e.from_status, to_status=e.to_status,
            reason=e.reason, row_change=None, item_number=None, before=None, after=None))
            for e in found.status]
        lines += [Line(c.at, Source.COMMENT, c.id, entry) for c, entry in
                  zip(found.comments, comment_entries(found.comments), strict=True)]
        lines += [Line(e.at, Source.EVENT, e.id, HistoryEntry.of_event(e)) for e in found.events]
        return in_history_order(lines)


# What each field reads, for the compiled path (gql/compiled/reports.py): a report and its
# lines are rows it derives for the one organisation and round asked for, as report_of and
# `lines` build them (the form's columns with FORM_COLUMNS's defaults, models/reports.py's
# reportable, previous_entries and prefill in their SQL forms, the window as window_for's).
# Its history: models/report_history.py's sources, for the organisation and the round handed
# down, the stored report within visible_reports (as report_of reads it).
REPORT_TABLE = "gql_report"
REPORT_LINES_TABLE = "gql_report_line"
REPORT_LINE_ORDER = ("sort_key", "undertaking_id")  # models/reports.py LINE_ORDER
PERFORMANCE_REPORT_SQL = declare(
    "PerformanceReport", REPORT_TABLE, columns=("year", *FORM_COLUMNS),
    id=ScopedId(("organization_id", "round_id")),  # = relay's id of compose(org, round)
    deadline=Column(), opens_at=Column(), extension_until=Column(),
    lock=FormLock(), editable=FormLock(shows="editable"), next_step=FormLock(shows="next_step"),
    organization=Relation("Organization", local="organization_id", remote="id"),
    lines=Relation("ReportLine", local="organization_id", remote="organization_id", many=True,
                   order=REPORT_LINE_ORDER, keeps_view=True),  # the round, for comments
    history=SelectRows("HistoryEntry", report_history_sql, visible_reports, HISTORY_ORDER,
                       times=("at",), row="organization_id", view="round"))
REPORT_LINE_SQL = declare(
    "ReportLine", REPORT_LINES_TABLE,
    columns=("saved", "completed_quantity", "progress", "narrative"),
    id=ScopedId(("organization_id", "round_id", "undertaking_id")),
    undertaking=Relation("Undertaking", local="undertaking_id", remote="id"),
    spent=Embedded("Funding"),
    previous=Relation("PreviousFigures", local="previous_id", remote="id"),
    comments=Relation("RowComment", local="undertaking_id", remote="undertaking_id", many=True,
                      order=COMMENT_ORDER, view=lambda views: report_line_comments(views["round"])),
    warnings=LineWarnings("undertaking"),
    # no saved entry (entry_id NULL): no evidence
    evidence=Relation("EvidenceFile", local="entry_id", remote="entry_id", many=True,
                      order=EVIDENCE_ORDER))


@strawberry.type(name="ChangeRequest",
                 description="A request to change an accepted undertaking after the deadline.")
class ChangeRequestType(relay.Node):
    id: relay.NodeID[int]
    kind: ChangeKind
    proposed_quantity: int | None
    proposed_funding: Funding | None
    reason: str
    status: RequestStatus
    requested_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    undertaking_id: strawberry.Private[int]
    requested_by: Actor
    decided_by: Actor | None

    @classmethod
    def of(cls, c: ChangeRequestModel) -> ChangeRequestType:
        # `proposed` as CHANGE_REQUEST_SQL reads it: its amounts in cents (models/ writes
        # them so: models/change_requests.py request), the object null when it is empty
        proposed = c.proposed or {}
        cents = Decimal("0.01")
        return cls(
            id=c.id, **CHANGE_REQUEST_SQL.values(c), proposed_quantity=proposed.get("quantity"),
            proposed_funding=Funding(**{s: Decimal(proposed[s]).quantize(cents)
                                        for s in FUNDING_SOURCES}) if proposed else None,
            undertaking_id=c.undertaking_id, requested_by=actor_of(c.requested_by),
            decided_by=actor_of(c.decided_by) if c.decided_by else None)

    @classmethod
    async def load(cls, info: Info, id: int) -> ChangeRequestType | None:
        principal = info.context.principal
        c = await visible_change_requests(principal).get_or_none(id=id).select_related(
            *ACTORS) if principal else None
        return cls.of(c) if c else None

    @strawberry.field(description="As it is now (after an approval: changed, or withdrawn).")
    async def undertaking(self, info: Info) -> Undertaking:
        u = await info.context.loaders.undertaking_by_id.load(self.undertaking_id)
        assert u is not None
        return Undertaking.of(u)


ACTORS = ("requested_by", "requested_by__organization", "decided_by",
          "decided_by__organization")

# What each field reads, for both paths (gql/compiled/declare.py). The undertaking as the
# loader reads it: no row rule (withdrawn ones too), reached from a request one sees.
CHANGE_REQUEST_SQL = declare(
    "ChangeRequest", "change_request", node=True, scope=visible_change_requests,
    columns=("kind", "reason", "status", "requested_at", "decided_at", "decision_reason"),
    proposed_quantity=JsonKey("proposed", "quantity"),
    proposed_funding=Embedded("Funding", json="proposed"),
    undertaking=Relation("Undertaking", local="undertaking_id", remote="id"),
    requested_by=Relation("Actor", local="requested_by_id", remote="id"),
    decided_by=Relation("Actor", local="decided_by_id", remote="id"))


@strawberry.type(name="Certification", description="遴选认定 of one undertaking.")
class CertificationType:
    result: CertificationResult
    remarks: str
    decided_at: datetime
    certified_quantity: int | None = strawberry.field(
        default=None, description="How many of the undertaken quantity are certified"
        " (0..quantity; null while pending).")
    year: int | None = strawberry.field(default=None,
                                        description="The certification round's year.")

    @classmethod
    def of(cls, c: CertificationModel, year: int | None) -> CertificationType:
        return cls(**CERTIFICATION_SQL.values(c), year=year)


# What each field reads, for both paths (gql/compiled/declare.py); `round` is no field of
# the type, only the way to the round's year.
CERTIFICATION_SQL = declare(
    "Certification", "certification",
    columns=("result", "remarks", "decided_at", "certified_quantity"),
    round=Relation("CertificationRound", local="round_id", remote="id"),
    year=Through("round__year"))
