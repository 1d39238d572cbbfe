"""The action plan (campaign), its reporting years and its task catalog."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.enums import SchoolType, TaskLevel


def sort_key(number: str) -> str:
    """A string that sorts catalog numbers as numbers: 7.2 < 10, 3.9 < 3.10.

    Each part is zero-padded, so ordering by this column works in SQL on every database.
    """
    return ".".join(f"{int(part):04d}" for part in number.split("."))


# "The newest campaign": the default wherever a campaign is not named.
NEWEST_FIRST = ("-declaration_opens_at", "-id")
# A campaign's reporting rounds, in year order (both read paths).
YEAR_ORDER = ("year",)


class Campaign(Model):
    """An action plan round: its declaration window and the years it reports on.

    Later rounds are new rows, not new code.
    """

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=200)
    declaration_opens_at = fields.DatetimeField()
    declaration_closes_at = fields.DatetimeField()
    # Whether the schools under a city-level unit go through its bureau's review (审核通过)
    # before the province confirms; schools directly under the province never do.
    city_review = fields.BooleanField(default=True, db_default=True)
    # A form returned or reopened after its deadline gets this many days to be corrected.
    late_return_days = fields.IntField(default=7, db_default=7)
    # A row's quantity or funding more than this many times the province's median for its
    # item is flagged for a second look (models/soft_checks.py).
    median_factor = fields.IntField(default=5, db_default=5)
    created_at = fields.DatetimeField(auto_now_add=True)
    reporting_rounds: fields.ReverseRelation[ReportingRound]

    class Meta:
        table = "campaign"


class ReportingRound(Model):
    """One year-end performance collection (执行绩效) of a campaign."""

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="reporting_rounds", on_delete=fields.CASCADE
    )
    campaign_id: int
    year = fields.IntField()
    opens_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)

    class Meta:
        table = "reporting_round"
        unique_together = (("campaign_id", "year"),)


class TaskEntry(Model):
    """A catalog entry: a group heading (no text of its own) or a task item.

    Items carry the national target; `level` says who undertakes them, and the three
    `for_*` flags which school types see them.
    """

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="entries", on_delete=fields.CASCADE
    )
    campaign_id: int
    number = fields.CharField(max_length=16)
    sort_key = fields.CharField(max_length=40)
    parent: fields.ForeignKeyNullableRelation[TaskEntry] = fields.ForeignKeyField(
        "models.TaskEntry", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    is_group = fields.BooleanField(default=False)
    title = fields.TextField(null=True)
    level = fields.CharEnumField(TaskLevel, max_length=16, null=True)
    target_quantity = fields.IntField(null=True)
    target_unit = fields.CharField(max_length=8, null=True)
    for_higher = fields.BooleanField(default=True)
    for_secondary = fields.BooleanField(default=True)
    for_university = fields.BooleanField(default=True)
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "task_entry"
        unique_together = (("campaign_id", "number"),)

    @property
    def school_types(self) -> list[SchoolType]:
        flags = {
            SchoolType.HIGHER: self.for_higher,
            SchoolType.SECONDARY: self.for_secondary,
            SchoolType.UNIVERSITY: self.for_university,
        }
        return [t for t, on in flags.items() if on]

    def eligible_for(self, school_type: SchoolType | None) -> bool:
        return school_type in self.school_types
