from __future__ import annotations

from decimal import Decimal

import strawberry

from models.declarations import RowInput


@strawberry.input(description="Planned funding in 10k yuan (万元), at most 2 decimals, >= 0."
                  " A source left out counts as 0.")
class FundingInput:
    school_self: Decimal = Decimal(0)
    enterprise: Decimal = Decimal(0)
    sponsor: Decimal = Decimal(0)
    local_gov: Decimal = Decimal(0)
    provincial: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, Decimal]:
        return {"school_self": self.school_self, "enterprise": self.enterprise,
                "sponsor": self.sponsor, "local_gov": self.local_gov,
                "provincial": self.provincial}


@strawberry.input(description="One row of the form: set it, or remove it with remove: true.")
class UndertakingRowInput:
    item_number: str = strawberry.field(description='The item, e.g. "3.2".')
    quantity: int | None = strawberry.field(default=None, description="承接数量, a whole number"
                                            " from 1; needed unless remove is true.")
    funding: FundingInput | None = None
    remove: bool = False

    def to_row(self) -> RowInput:
        return RowInput(item_number=self.item_number, quantity=self.quantity,
                        funding=self.funding.as_dict() if self.funding else None,
                        remove=self.remove)


@strawberry.input
class SaveUndertakingsInput:
    organization_code: str = strawberry.field(
        description="Whose declaration: one's own school, or the province office for the"
        " provincial items.")
    version: int = strawberry.field(description="The declaration's version as last read (0"
                                    " before anything is saved).")
    rows: list[UndertakingRowInput]
    campaign_code: str | None = strawberry.field(default=None,
                                                 description="Default: the newest campaign.")
