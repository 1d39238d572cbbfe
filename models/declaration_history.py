"""A declaration's history (gql/declarations/types.py Declaration.history): the lines of five
sources merged in one order, the same on both read paths.

The sources, in this order when lines share a time: status changes (DeclarationEvent), row
changes (UndertakingChange), certification decisions (CertificationEvent), reviewers'
comments on the declaration's rows (RowComment, year None) and the declaration's other
events (ObjectEvent: extensions). A declaration not saved yet has only the last.

Which rows each source holds is written twice, side by side: sources_of (the ORM's queries,
the resolver path) and history_sql (one UNION ALL, the compiled read); HISTORY_ORDER orders
both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from operator import attrgetter
from typing import Any

from models.declaration import DeclarationEvent, UndertakingChange
from models.object_history import ObjectEvent, declaration_subject, declaration_subject_sql
from models.performance import CertificationEvent
from models.row_comments import RowComment


class Source(IntEnum):
    """Where a line comes from; lines at the same time follow this order."""

    STATUS = 1
    ROW = 2
    CERTIFICATION = 3
    COMMENT = 4
    EVENT = 5


# A history's order (both read paths): by time, then source, then the source row's id.
HISTORY_ORDER = ("at", "source", "id")


@dataclass(frozen=True)
class Line:
    """One line before it is shown: its place in the order and what it shows."""

    at: datetime
    source: Source
    id: int
    entry: Any


def in_history_order(lines: Sequence[Line]) -> list[Any]:
    return [line.entry for line in sorted(lines, key=attrgetter(*HISTORY_ORDER))]


@dataclass(frozen=True)
class Sources:
    status: list[DeclarationEvent]
    rows: list[UndertakingChange]
    certifications: list[CertificationEvent]
    comments: list[RowComment]
    events: list[ObjectEvent]


async def sources_of(org_id: int, campaign_id: int, declaration_id: int | None) -> Sources:
    """The rows of each source, by id, with who acted (`declaration_id`: the stored
    declaration the caller may read, None when there is none)."""
    events = await ObjectEvent.filter(subject=declaration_subject(org_id, campaign_id)).order_by(
        "id").select_related("actor", "actor__organization")
    if declaration_id is None:
        return Sources([], [], [], [], events)
    status = await DeclarationEvent.filter(declaration_id=declaration_id).order_by(
        "id").select_related("actor", "actor__organization")
    rows = await UndertakingChange.filter(declaration_id=declaration_id).order_by(
        "id").select_related("actor", "actor__organization", "item")
    certifications = await CertificationEvent.filter(
        undertaking__organization_id=org_id,
        undertaking__item__campaign_id=campaign_id).order_by("id").select_related(
        "actor", "actor__organization", "undertaking__item")
    comments = await RowComment.filter(
        year=None, undertaking__organization_id=org_id,
        undertaking__item__campaign_id=campaign_id).order_by("id").select_related(
        "author", "author__organization", "undertaking__item")
    return Sources(status, rows, certifications, comments, events)


# The columns of a line in SQL (HistoryEntry's declaration reads them), each with the type
# its NULL is cast to: PostgreSQL types a UNION's columns pair by pair, an untyped NULL as text.
LINE_COLUMNS = (
    ("at", "TIMESTAMPTZ"), ("source", "INTEGER"), ("id", "INTEGER"), ("actor_id", "INTEGER"),
    ("status_change", "TEXT"), ("from_status", "TEXT"), ("to_status", "TEXT"),
    ("reason", "TEXT"), ("row_change", "TEXT"), ("item_number", "TEXT"), ("before", "TEXT"),
    ("after", "TEXT"), ("comment", "TEXT"), ("certification_result", "TEXT"),
    ("certified_quantity", "INTEGER"), ("event", "TEXT"), ("until", "TIMESTAMPTZ"),
    ("file_name", "TEXT"), ("changes", "TEXT"))


def line_sql(source: Source, values: dict[str, str], from_where: str) -> str:
    """One source's lines as LINE_COLUMNS (`values`: SQL of the columns it fills)."""
    values = {"source": str(int(source)), "changes": "CAST('[]' AS TEXT)", **values}
    columns = ", ".join(f"{values.get(name, f'CAST(NULL AS {kind})')} AS {name}"
                        for name, kind in LINE_COLUMNS)
    return f"SELECT {columns} {from_where}"


def history_sql(org_id: str, campaigns: str, declarations: str) -> str:
    """sources_of in SQL (the two side by side): the lines of every source, one row each with
    LINE_COLUMNS, given SQL for the organisation's id, the ids of the campaign and the ids of
    the declarations the caller may read (the stored declaration's sources need one)."""
    declaration = (f"SELECT d.id FROM declaration d WHERE d.organization_id = {org_id} AND"
                   f" d.campaign_id IN {campaigns} AND d.id IN {declarations}")
    of_rows = (f"JOIN undertaking u ON u.id = x.undertaking_id JOIN task_entry i ON i.id ="
               f" u.item_id WHERE u.organization_id = {org_id} AND i.campaign_id IN {campaigns}"
               f" AND EXISTS ({declaration})")
    subjects = (f"SELECT {declaration_subject_sql(org_id, 'c.id')} FROM campaign c"
                f" WHERE c.id IN {campaigns}")
    return " UNION ALL ".join([
        line_sql(Source.STATUS, {
            "at": "x.at", "id": "x.id", "actor_id": "x.actor_id", "status_change": "x.action",
            "from_status": "x.from_status", "to_status": "x.to_status", "reason": "x.reason"},
            f"FROM declaration_event x WHERE x.declaration_id IN ({declaration})"),
        line_sql(Source.ROW, {
            "at": "x.at", "id": "x.id", "actor_id": "x.actor_id", "row_change": "x.action",
            "item_number": "i.number", "before": "CAST(x.before AS TEXT)",
            "after": "CAST(x.after AS TEXT)"},
            "FROM undertaking_change x JOIN task_entry i ON i.id = x.item_id"
            f" WHERE x.declaration_id IN ({declaration})"),
        line_sql(Source.CERTIFICATION, {
            "at": "x.at", "id": "x.id", "actor_id": "x.actor_id",
            "reason": "NULLIF(x.remarks, '')", "item_number": "i.number",
            "certification_result": "x.result", "certified_quantity": "x.certified_quantity"},
            f"FROM certification_event x {of_rows}"),
        line_sql(Source.COMMENT, {
            "at": "x.at", "id": "x.id", "actor_id": "x.author_id", "item_number": "i.number",
            "comment": "x.text"},
            f"FROM row_comment x {of_rows} AND x.year IS NULL"),
        event_lines(subjects),
    ])


def event_lines(subjects: str) -> str:
    """The lines of the object-history events whose subject `subjects` (SQL) selects: the
    SQL form of gql/declarations/types.py events_of and of each history's events."""
    return line_sql(Source.EVENT, {
        "at": "x.at", "id": "x.id", "actor_id": "x.actor_id", "reason": "x.reason",
        "item_number": "x.item_number", "event": "x.event", "until": "x.until",
        "file_name": "x.file_name", "changes": "x.changes"},
        f"FROM object_event x WHERE x.subject IN ({subjects})")
