"""Which forms a total counts, and the totals a province reports upward.

Every sum counts only the undertakings of declarations in the statuses asked for, by default
submitted or beyond (a draft or a returned form is not a figure anyone has vouched for), and
only the lines of reports in the report statuses asked for, by default accepted ones. The
planned side of planned-against-achieved is taken over the same undertakings as the
achieved side, so the two compare like with like.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from tortoise.expressions import Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet, ValuesQuery

from models.aggregates import cents_sum, money
from models.catalog import Campaign, ReportingRound
from models.declaration import Declaration, DeclarationStatus
from models.errors import Code, DomainError
from models.performance import CertificationRound, PerformanceEntry
from models.undertaking import FUNDING_SOURCES, Undertaking
from models.workflow import SUBMITTED_OR_BEYOND

S = DeclarationStatus
ORDER = [S.NOT_STARTED, S.DRAFT, S.RETURNED, S.SUBMITTED, S.CITY_APPROVED, S.ACCEPTED]
DEFAULT_DECLARATIONS = sorted(SUBMITTED_OR_BEYOND, key=ORDER.index)
DEFAULT_REPORTS = [S.ACCEPTED]


def statuses_or_default(given: Iterable[DeclarationStatus] | None,
                        default: list[DeclarationStatus]) -> list[DeclarationStatus]:
    """The statuses to count, in the flow's order; an empty list is a mistake, not "all"."""
    if given is None:
        return list(default)
    chosen = set(given)
    if not chosen:
        raise DomainError(Code.INVALID_VALUE, "请至少选择一个状态", "statuses")
    return [s for s in ORDER if s in chosen]


CampaignRef = Campaign | QuerySet[Campaign]


def campaign_ids(campaign: CampaignRef) -> list[int] | Subquery:
    """A loaded campaign's id, or the id a campaign queryset selects, as a subquery (the
    read compiler plans its statement before anything is loaded)."""
    if isinstance(campaign, Campaign):
        return [campaign.id]
    return Subquery(campaign.values("id"))


# The two kinds of round of a campaign's year: both unique per campaign and year.
YearRound = TypeVar("YearRound", ReportingRound, CertificationRound)


def year_round_of(model: type[YearRound], campaign: CampaignRef | int, year: int
                  ) -> QuerySet[YearRound]:
    """The campaign's `model` round of `year` (at most one), of a loaded campaign, its id,
    or a campaign queryset (the read compiler's, whose statement is planned before anything
    is loaded): the one definition of this lookup, for both kinds of round."""
    ids = [campaign] if isinstance(campaign, int) else campaign_ids(campaign)
    return model.filter(campaign_id__in=ids, year=year)


def counted_undertakings(undertakings: QuerySet[Undertaking], campaign: CampaignRef,
                         statuses: list[DeclarationStatus]) -> QuerySet[Undertaking]:
    """The undertakings of the campaign whose declaration is in one of `statuses`."""
    declared = Declaration.filter(campaign_id__in=campaign_ids(campaign),
                                  status__in=list(statuses))
    return undertakings.filter(item__campaign_id__in=campaign_ids(campaign),
                               organization_id__in=Subquery(declared.values("organization_id")))


RoundRef = ReportingRound | QuerySet[ReportingRound]


def round_ids(round_: RoundRef) -> list[int] | Subquery:
    """A loaded round's id, or the id a round queryset selects, as a subquery (campaign_ids'
    counterpart for the read compiler)."""
    if isinstance(round_, ReportingRound):
        return [round_.id]
    return Subquery(round_.values("id"))


def counted_entries(entries: QuerySet[PerformanceEntry], round_: RoundRef,
                    statuses: list[DeclarationStatus]) -> QuerySet[PerformanceEntry]:
    """The year's report lines whose report is in one of `statuses`."""
    return entries.filter(report__round_id__in=round_ids(round_),
                          report__status__in=list(statuses))


def reported_undertakings(undertakings: QuerySet[Undertaking],
                          entries: QuerySet[PerformanceEntry]) -> QuerySet[Undertaking]:
    """The undertakings that have one of `entries`: the planned side of a comparison."""
    return undertakings.filter(id__in=Subquery(entries.values("undertaking_id")))


@dataclass
class CityFunding:
    """One city-level unit's (or the province's directly attached schools', or the province
    office's own) undertakings: how many, and planned funding per source."""

    group_id: int | None
    organizations: int
    undertakings: int
    funding: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.funding.values(), Decimal("0.00"))


async def city_funding(undertakings: QuerySet[Undertaking]) -> list[CityFunding]:
    """Per city-level unit x funding source (GROUP BY the undertaker's parent)."""
    rows = await city_funding_query(undertakings)
    return [CityFunding(group_id=r["organization__parent_id"], organizations=int(r["orgs"]),
                        undertakings=int(r["n"]),
                        funding={s: money(r[s]) for s in FUNDING_SOURCES}) for r in rows]


def city_funding_query(undertakings: QuerySet[Undertaking]) -> ValuesQuery[Any]:
    """The GROUP BY behind city_funding, one row per group: organization__parent_id, n,
    orgs and each funding source in integer cents. The read compiler runs the same query
    inside its statement."""
    return undertakings.annotate(
        n=Count("id"), orgs=Count("organization_id", distinct=True),
        **{s: cents_sum(Undertaking, s) for s in FUNDING_SOURCES},
    ).group_by("organization__parent_id").values("organization__parent_id", "n", "orgs",
                                                  *FUNDING_SOURCES)


async def school_item_rows(undertakings: QuerySet[Undertaking]) -> list[Undertaking]:
    """Every counted undertaking with its school and item, by school then item: the detail
    behind the totals."""
    return await undertakings.select_related("organization", "item").order_by(
        "organization__code", "item__sort_key")

