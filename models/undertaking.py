"""One organisation's commitment to one catalog item."""

from __future__ import annotations

from decimal import Decimal

from tortoise import fields
from tortoise.models import Model

from models.catalog import TaskEntry
from models.org import Organization


def money() -> fields.DecimalField[Decimal]:
    """预计投入经费 in 10k yuan: two decimals, exact. 12 integer digits is far above any plan."""
    return fields.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))


FUNDING_SOURCES = ("school_self", "enterprise", "sponsor", "local_gov", "provincial")


class Undertaking(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="undertakings", on_delete=fields.RESTRICT
    )
    organization_id: int
    item: fields.ForeignKeyRelation[TaskEntry] = fields.ForeignKeyField(
        "models.TaskEntry", related_name="undertakings", on_delete=fields.RESTRICT
    )
    item_id: int
    quantity = fields.IntField()
    school_self = money()  # 学校自筹
    enterprise = money()  # 行业企业投入
    sponsor = money()  # 举办方投入
    local_gov = money()  # 地市县投入
    provincial = money()  # 省财政投入
    # Set when the province approves a request to give it up; the row stays for history.
    withdrawn_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "undertaking"
        unique_together = (("organization_id", "item_id"),)

    @property
    def funding_total(self) -> Decimal:
        return sum((Decimal(getattr(self, s)) for s in FUNDING_SOURCES), Decimal("0"))
