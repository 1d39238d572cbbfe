from __future__ import annotations

import strawberry

from gql.declarations.inputs import FundingInput
from gql.enums import ProgressStatus


@strawberry.input(description="One line of a year's report.")
class ReportEntryInput:
    undertaking_id: strawberry.ID
    completed_quantity: int = strawberry.field(description="Completed to date (>= 0).")
    spent: FundingInput = strawberry.field(description="Actually spent to date, per source.")
    progress: ProgressStatus
    narrative: str = ""


@strawberry.input
class SaveReportInput:
    year: int
    version: int = strawberry.field(description="The report's version as last read (0 before"
                                    " anything is saved).")
    entries: list[ReportEntryInput]
    organization_code: str | None = strawberry.field(default=None,
                                                     description="Default: one's own.")
    campaign_code: str | None = None
