"""A declaration's history (gql/declarations/types.py Declaration.history): the lines of five
sources merged in one order, the same on both read paths.

The sources, in this order when lines share a time: status changes (DeclarationEvent), row
changes (UndertakingChange), certification decisions (CertificationEvent), reviewers'
comments on the declaration's rows (RowComment, year None) and the declaration's other
events (ObjectEvent: extensions). A declaration not saved yet has only the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from operator import attrgetter
from typing import Any

from models.declaration import DeclarationEvent, UndertakingChange
from models.object_history import ObjectEvent, declaration_subject
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
