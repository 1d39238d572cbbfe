"""The 2024 selection and certification (遴选认定) of undertakings."""

from __future__ import annotations

from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from models.declaration import Declaration, DeclarationStatus
from models.errors import Code, DomainError
from models.performance import Certification, CertificationResult
from models.undertaking import Undertaking

MAX_REMARKS = 2000


async def certify(actor_id: int, undertaking: Undertaking, result: CertificationResult,
                  remarks: str) -> Certification:
    accepted = await Declaration.exists(
        organization_id=undertaking.organization_id, status=DeclarationStatus.ACCEPTED,
        campaign__entries__id=undertaking.item_id)
    if not accepted or undertaking.withdrawn_at is not None:
        raise DomainError(Code.INVALID_TRANSITION, "只能认定已确认申报中的承接任务",
                          "undertakingId")
    if len(remarks) > MAX_REMARKS:
        raise DomainError(Code.INVALID_VALUE, f"备注不能超过{MAX_REMARKS}字", "remarks")
    certification, _ = await Certification.update_or_create(
        defaults={"result": result, "remarks": remarks.strip(), "decided_by_id": actor_id},
        undertaking_id=undertaking.id)
    return certification


async def sums(undertakings: QuerySet[Undertaking]) -> dict[int, dict[str, int]]:
    """Per item id, over undertakings of accepted declarations: certified undertakings and
    their quantity, and how many are not yet decided or not certified (GROUP BY)."""
    rows = await undertakings.filter(
        organization__declarations__status=DeclarationStatus.ACCEPTED,
    ).annotate(n=Count("id"), q=Sum("quantity")).group_by(
        "item_id", "certification__result").values("item_id", "certification__result", "n", "q")
    result: dict[int, dict[str, int]] = {}
    for r in rows:
        item = result.setdefault(r["item_id"], {"certified": 0, "certified_quantity": 0,
                                                "not_certified": 0, "pending": 0})
        outcome = r["certification__result"]
        if outcome == CertificationResult.CERTIFIED:
            item["certified"] += int(r["n"])
            item["certified_quantity"] += int(r["q"] or 0)
        elif outcome == CertificationResult.NOT_CERTIFIED:
            item["not_certified"] += int(r["n"])
        else:
            item["pending"] += int(r["n"])
    return result
