"""A year's performance report's history (gql/performance/types.py PerformanceReport.history):
the lines of three sources merged in models/declaration_history.py's HISTORY_ORDER, the same
on both read paths.

The sources, in this order when lines share a time: status changes (ReportEvent), reviewers'
comments on that year's lines of the organisation's rows (RowComment, the round's year) and
the report's other events (ObjectEvent: report lines saved, evidence, extensions). A report
not saved yet has only the last.

Which rows each source holds is written twice, side by side: report_sources_of (the ORM's
queries, the resolver path) and report_history_sql (one UNION ALL, the compiled read).
"""

from __future__ import annotations

from dataclasses import dataclass

from models.catalog import ReportingRound
from models.declaration_history import Source, event_lines, line_sql
from models.object_history import ObjectEvent, report_subject, report_subject_sql
from models.performance import ReportEvent
from models.row_comments import RowComment


@dataclass(frozen=True)
class ReportSources:
    status: list[ReportEvent]
    comments: list[RowComment]
    events: list[ObjectEvent]


async def report_sources_of(org_id: int, round_: ReportingRound, report_id: int | None
                            ) -> ReportSources:
    """The rows of each source, by id, with who acted (`report_id`: the stored report the
    caller may read, None when there is none)."""
    events = await ObjectEvent.filter(subject=report_subject(org_id, round_.id)).order_by(
        "id").select_related("actor", "actor__organization")
    if report_id is None:
        return ReportSources([], [], events)
    status = await ReportEvent.filter(report_id=report_id).order_by("id").select_related(
        "actor", "actor__organization")
    comments = await RowComment.filter(
        year=round_.year, undertaking__organization_id=org_id,
        undertaking__item__campaign_id=round_.campaign_id).order_by("id").select_related(
        "author", "author__organization", "undertaking__item")
    return ReportSources(status, comments, events)


def report_history_sql(org_id: str, rounds: str, reports: str) -> str:
    """report_sources_of in SQL (the two side by side): the lines of every source, one row
    each with models/declaration_history.py's LINE_COLUMNS, given SQL for the organisation's
    id, the ids of the round and the ids of the reports the caller may read (the stored
    report's sources need one)."""
    report = (f"SELECT f.id FROM performance_report f WHERE f.organization_id = {org_id} AND"
              f" f.round_id IN {rounds} AND f.id IN {reports}")
    subjects = (f"SELECT {report_subject_sql(org_id, 'r.id')} FROM reporting_round r"
                f" WHERE r.id IN {rounds}")
    return " UNION ALL ".join([
        line_sql(Source.STATUS, {
            "at": "x.at", "id": "x.id", "actor_id": "x.actor_id", "status_change": "x.action",
            "from_status": "x.from_status", "to_status": "x.to_status", "reason": "x.reason"},
            f"FROM report_event x WHERE x.report_id IN ({report})"),
        line_sql(Source.COMMENT, {
            "at": "x.at", "id": "x.id", "actor_id": "x.author_id", "item_number": "i.number",
            "comment": "x.text"},
            "FROM row_comment x JOIN undertaking u ON u.id = x.undertaking_id"
            " JOIN task_entry i ON i.id = u.item_id JOIN reporting_round r ON r.id IN"
            f" {rounds} AND r.year = x.year AND r.campaign_id = i.campaign_id"
            f" WHERE u.organization_id = {org_id} AND EXISTS ({report})"),
        event_lines(subjects),
    ])
