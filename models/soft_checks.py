"""Soft checks: figures worth a second look, said as warnings, never refused.

A declaration row is flagged when it is undertaken with no planned funding at all, or when
its quantity or its planned funding is far above the province's median for that item ("far":
more than the campaign's `median_factor` times the median, over the other organisations'
undertakings of the item, once at least MIN_PEERS of them exist: a median of one or two
figures says nothing). A report line is flagged when more is achieved than was planned or
more spent than was planned (in total, or from one source).

The same rules answer on save (the row's `warnings`) and in a reviewer's list
(`softChecks`); they are computed from the figures as they stand, so nothing is stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from models.declaration import DeclarationStatus
from models.undertaking import FUNDING_SOURCES, Undertaking
from models.workflow import SUBMITTED_OR_BEYOND

MIN_PEERS = 3
# What a reviewer's list (softChecks) covers, of declarations and of year reports alike: the
# forms sent up for review, submitted or beyond. For reports this is not the totals' default
# (models/totals.py DEFAULT_REPORTS, accepted only): a reviewer needs the warnings of a
# report while deciding on it, before it is accepted.
LISTED_STATUSES: list[DeclarationStatus] = sorted(SUBMITTED_OR_BEYOND)
SOURCE_WORDS = {"school_self": "学校自筹", "enterprise": "行业企业投入", "sponsor": "举办方投入",
                "local_gov": "地市县投入", "provincial": "省财政投入"}


class Check:
    """Stable codes of the warnings; clients switch on these."""

    ZERO_FUNDING = "ZERO_FUNDING"
    QUANTITY_FAR_ABOVE_MEDIAN = "QUANTITY_FAR_ABOVE_MEDIAN"
    FUNDING_FAR_ABOVE_MEDIAN = "FUNDING_FAR_ABOVE_MEDIAN"
    ACHIEVED_ABOVE_PLAN = "ACHIEVED_ABOVE_PLAN"
    SPENT_ABOVE_PLAN = "SPENT_ABOVE_PLAN"


@dataclass(frozen=True)
class Finding:
    code: str
    field: str
    message: str


@dataclass(frozen=True)
class Figure:
    organization_id: int
    quantity: int
    funding: Decimal


@dataclass(frozen=True)
class Peers:
    """The figures of every organisation undertaking one item."""

    figures: tuple[Figure, ...]

    def medians(self, excluding: int) -> tuple[Decimal, Decimal] | None:
        others = [f for f in self.figures if f.organization_id != excluding]
        if len(others) < MIN_PEERS:
            return None
        return (Decimal(median(f.quantity for f in others)),
                Decimal(median(f.funding for f in others)))


def _total(row: object) -> Decimal:
    return sum((Decimal(getattr(row, s)) for s in FUNDING_SOURCES), Decimal("0"))


async def peers_of(item_ids: Iterable[int]) -> dict[int, Peers]:
    """Per item: the figures of its live undertakings, whatever their form's status (one
    query over the items asked for)."""
    ids = list(set(item_ids))
    if not ids:
        return {}
    found: dict[int, list[Figure]] = defaultdict(list)
    for r in await Undertaking.filter(item_id__in=ids, withdrawn_at__isnull=True).values(
            "item_id", "organization_id", "quantity", *FUNDING_SOURCES):
        found[r["item_id"]].append(Figure(
            r["organization_id"], int(r["quantity"]),
            sum((Decimal(r[s]) for s in FUNDING_SOURCES), Decimal("0"))))
    return {item: Peers(tuple(figures)) for item, figures in found.items()}


def _times(value: Decimal, of: Decimal) -> str:
    return f"{(value / of).quantize(Decimal('0.1'))}"


def row_warnings(row: Undertaking, peers: Peers | None, factor: int) -> list[Finding]:
    """What a declaration row is flagged for."""
    found: list[Finding] = []
    total = _total(row)
    if total == 0:
        found.append(Finding(Check.ZERO_FUNDING, "funding",
                             "已承接但预计投入经费均为0，请核实"))
    medians = peers.medians(row.organization_id) if peers else None
    if medians is not None:
        quantity_median, funding_median = medians
        if quantity_median > 0 and row.quantity > factor * quantity_median:
            found.append(Finding(
                Check.QUANTITY_FAR_ABOVE_MEDIAN, "quantity",
                f"承接数量{row.quantity}为全省该任务中位数{quantity_median.normalize()}的"
                f"{_times(Decimal(row.quantity), quantity_median)}倍（超过{factor}倍），请核实"))
        if funding_median > 0 and total > factor * funding_median:
            found.append(Finding(
                Check.FUNDING_FAR_ABOVE_MEDIAN, "funding",
                f"预计投入经费{total}万元为全省该任务中位数{funding_median.normalize()}万元的"
                f"{_times(total, funding_median)}倍（超过{factor}倍），请核实"))
    return found


# A report line's words, shared with their SQL form (gql/compiled/line_checks.py); `{}`
# is a quantity or an amount as Decimal prints it.
ACHIEVED_ABOVE = "完成数量{}超过承接数量{}，请核实"
SPENT_ABOVE = "实际投入{}万元超过预计投入{}万元，请核实"
SOURCES_ABOVE = "{}的实际投入超过预计投入，请核实"
SOURCES_JOINED = "、"


def line_warnings(planned: Undertaking, completed: int, spent: Mapping[str, Decimal]
                  ) -> list[Finding]:
    """What a report line is flagged for, against the undertaking it reports on. Its SQL
    form, for the compiled reads, is gql/compiled/line_checks.py (the same checks in order)."""
    found: list[Finding] = []
    if completed > planned.quantity:
        found.append(Finding(Check.ACHIEVED_ABOVE_PLAN, "completedQuantity",
                             ACHIEVED_ABOVE.format(completed, planned.quantity)))
    spent_total = sum((Decimal(spent.get(s, 0)) for s in FUNDING_SOURCES), Decimal("0"))
    planned_total = _total(planned)
    over = [SOURCE_WORDS[s] for s in FUNDING_SOURCES
            if Decimal(spent.get(s, 0)) > Decimal(getattr(planned, s))]
    if spent_total > planned_total:
        found.append(Finding(Check.SPENT_ABOVE_PLAN, "spent",
                             SPENT_ABOVE.format(spent_total, planned_total)))
    elif over:
        found.append(Finding(Check.SPENT_ABOVE_PLAN, "spent",
                             SOURCES_ABOVE.format(SOURCES_JOINED.join(over))))
    return found
