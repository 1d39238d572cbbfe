"""The selection and certification (遴选认定) of undertakings, as a round.

The province opens a round for a year (2024 in the notice) with its window; within it, it
records per undertaking of an accepted declaration a result and the certified quantity,
0..the undertaken quantity ("1 of 2 studios"), with remarks. Each decision is kept as an
event (the undertaking's history); the latest is the undertaking's result. The sums and the
公示 list count certified quantities against the national target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet, ValuesQuery
from tortoise.transactions import in_transaction

from models.catalog import Campaign
from models.clock import now_utc
from models.declaration import Declaration, DeclarationStatus
from models.errors import Code, DomainError
from models.performance import (
    Certification,
    CertificationEvent,
    CertificationResult,
    CertificationRound,
)
from models.totals import CampaignRef, counted_undertakings, year_round_of
from models.undertaking import Undertaking

MAX_REMARKS = 2000
YEARS = (2021, 2030)
RESULT_WORDS = {CertificationResult.CERTIFIED: "予以认定",
                CertificationResult.NOT_CERTIFIED: "不予认定",
                CertificationResult.PENDING: "待定"}


async def open_round(campaign: Campaign, year: int, opens_at: datetime,
                     closes_at: datetime) -> CertificationRound:
    """Open (or move the window of) the campaign's certification round of `year`."""
    if not YEARS[0] <= year <= YEARS[1]:
        raise DomainError(Code.INVALID_VALUE, f"认定年度应在{YEARS[0]}至{YEARS[1]}年之间", "year")
    if closes_at <= opens_at:
        raise DomainError(Code.INVALID_VALUE, "截止时间必须晚于开始时间", "closesAt")
    round_, _ = await CertificationRound.update_or_create(
        defaults={"opens_at": opens_at, "closes_at": closes_at},
        campaign_id=campaign.id, year=year)
    return round_


def year_round(campaign: CampaignRef | int, year: int) -> QuerySet[CertificationRound]:
    """The campaign's certification round of `year` (totals.year_round_of): what round_of
    loads, the `certificationRound` resolver reads and the read compiler embeds."""
    return year_round_of(CertificationRound, campaign, year)


async def round_of(campaign: Campaign, year: int) -> CertificationRound:
    round_ = await year_round(campaign, year).get_or_none()
    if round_ is None:
        raise DomainError(Code.ROUND_NOT_FOUND, f"{year}年度的遴选认定尚未开启", "year")
    return round_


def _window_error(round_: CertificationRound, at: datetime) -> DomainError | None:
    if at < round_.opens_at:
        return DomainError(Code.NOT_OPEN_YET, f"{round_.year}年度遴选认定尚未开始", "year")
    if at > round_.closes_at:
        return DomainError(Code.DEADLINE_PASSED, f"{round_.year}年度遴选认定已截止；如需更正，"
                           "请先延长认定期限（openCertificationRound）", "year")
    return None


def _checked_quantity(result: CertificationResult, quantity: int | None,
                      planned: int) -> int | None:
    if result is CertificationResult.PENDING:
        if quantity is not None:
            raise DomainError(Code.INVALID_QUANTITY, "待定时不填认定数量", "certifiedQuantity")
        return None
    if result is CertificationResult.NOT_CERTIFIED:
        if quantity not in (None, 0):
            raise DomainError(Code.INVALID_QUANTITY, "不予认定时认定数量应为0",
                              "certifiedQuantity")
        return 0
    value = planned if quantity is None else quantity
    if not 1 <= value <= planned:
        raise DomainError(Code.INVALID_QUANTITY,
                          f"认定数量应为1至承接数量{planned}之间的整数", "certifiedQuantity")
    return value


async def certify(actor_id: int, undertaking: Undertaking, result: CertificationResult,
                  remarks: str, *, year: int, certified_quantity: int | None = None
                  ) -> Certification:
    item_campaign = await Campaign.get(entries__id=undertaking.item_id)
    round_ = await round_of(item_campaign, year)
    accepted = await Declaration.exists(
        organization_id=undertaking.organization_id, status=DeclarationStatus.ACCEPTED,
        campaign_id=item_campaign.id)
    if not accepted or undertaking.withdrawn_at is not None:
        raise DomainError(Code.INVALID_TRANSITION, "只能认定已确认申报中的承接任务",
                          "undertakingId")
    if len(remarks) > MAX_REMARKS:
        raise DomainError(Code.INVALID_VALUE, f"备注不能超过{MAX_REMARKS}字", "remarks")
    quantity = _checked_quantity(result, certified_quantity, undertaking.quantity)
    async with in_transaction():
        # The window is checked at the time the decision is stamped with.
        at = now_utc()
        late = _window_error(round_, at)
        if late:
            raise late
        values = {"result": result, "remarks": remarks.strip(), "decided_by_id": actor_id,
                  "round_id": round_.id, "certified_quantity": quantity}
        certification, _ = await Certification.update_or_create(
            defaults=values, undertaking_id=undertaking.id)
        await CertificationEvent.create(
            undertaking_id=undertaking.id, round_id=round_.id, result=result,
            certified_quantity=quantity, remarks=values["remarks"], actor_id=actor_id, at=at)
    return certification


async def sums(undertakings: QuerySet[Undertaking], campaign: CampaignRef
               ) -> dict[int, dict[str, int]]:
    """Per item id of the campaign, over undertakings of accepted declarations: certified
    undertakings and their certified quantity, and how many are not yet decided or not
    certified (GROUP BY)."""
    result: dict[int, dict[str, int]] = {}
    # SUMS_SQL below is this loop in SQL: change both
    for r in await sums_query(undertakings, campaign):
        item = result.setdefault(r["item_id"], {"certified": 0, "certified_quantity": 0,
                                                "not_certified": 0, "pending": 0})
        outcome = r["certification__result"]
        if outcome == CertificationResult.CERTIFIED:
            item["certified"] += int(r["n"])
            # Results recorded before rounds had no quantity: all of it, as then.
            item["certified_quantity"] += int(r["c"] if r["c"] is not None else r["q"] or 0)
        elif outcome == CertificationResult.NOT_CERTIFIED:
            item["not_certified"] += int(r["n"])
        else:
            item["pending"] += int(r["n"])
    return result


def sums_query(undertakings: QuerySet[Undertaking], campaign: CampaignRef) -> ValuesQuery[Any]:
    """The GROUP BY behind sums: per item_id and certification__result, n undertakings of
    the campaign's items whose school's declaration of that campaign is accepted, q their
    quantity, c their certified quantity (the read compiler runs it in its statement)."""
    # counted_undertakings, not a join to the school's declarations: a join meets every
    # accepted declaration of the school, in any campaign, and counts each undertaking once
    # per campaign (and counts it at all when only another campaign's form was accepted).
    accepted = counted_undertakings(undertakings, campaign, [DeclarationStatus.ACCEPTED])
    return accepted.annotate(
        n=Count("id"), q=Sum("quantity"), c=Sum("certification__certified_quantity")
    ).group_by("item_id", "certification__result").values(
        "item_id", "certification__result", "n", "q", "c")


# sums' loop in SQL (the read compiler's rows): per item_id of sums_query's rows at {rows},
# the four counts; CAST: PostgreSQL's sum of bigints is numeric. An outcome is compared with
# its stored value (bound at {certified} and {not_certified}); anything else, no result
# included, is pending.
SUMS_SQL = (
    "SELECT s.item_id,"
    " CAST(sum(CASE WHEN s.certification__result = {certified} THEN s.n ELSE 0 END) AS BIGINT)"
    " AS certified,"
    " CAST(sum(CASE WHEN s.certification__result = {certified} THEN coalesce(s.c, s.q, 0)"
    " ELSE 0 END) AS BIGINT) AS certified_quantity,"
    " CAST(sum(CASE WHEN s.certification__result = {not_certified} THEN s.n ELSE 0 END)"
    " AS BIGINT) AS not_certified,"
    " CAST(sum(CASE WHEN s.certification__result = {certified}"
    " OR s.certification__result = {not_certified} THEN 0 ELSE s.n END) AS BIGINT) AS pending"
    " FROM {rows} s GROUP BY s.item_id")


@dataclass(frozen=True)
class CertifiedRow:
    """One line of the results table and, when certified, of the 公示 list."""

    undertaking: Undertaking
    certification: Certification | None


async def result_rows(undertakings: QuerySet[Undertaking], campaign: Campaign
                      ) -> list[CertifiedRow]:
    """Every undertaking of an accepted declaration of the campaign, with its result."""
    rows = await undertakings.filter(
        item__campaign_id=campaign.id, withdrawn_at__isnull=True,
        organization__declarations__campaign_id=campaign.id,
        organization__declarations__status=DeclarationStatus.ACCEPTED,
    ).select_related("organization", "organization__parent", "item").order_by(
        "item__sort_key", "organization__code")
    found = {c.undertaking_id: c for c in await Certification.filter(
        undertaking_id__in=[u.id for u in rows])}
    return [CertifiedRow(u, found.get(u.id)) for u in rows]
