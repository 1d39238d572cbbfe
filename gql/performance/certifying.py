"""The certification round (遴选认定) in the API: its window, each decision as history.

Recording a result stays `certifyUndertaking` (gql/performance/mutations.py); the results
table and the 公示 list are workbooks over HTTP (gql/exports/routes.py).
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from gql.catalog.queries import campaign_or_latest
from gql.compiled.declare import NowBetween, Relation, Through, declare
from gql.context import Info
from gql.declarations.types import Actor, actor_of
from gql.enums import CertificationResult
from gql.errors import UserError
from models import certification
from models.clock import now_utc
from models.errors import DomainError
from models.performance import CertificationEvent, CertificationRound
from permissions.classes import IsActiveUser, IsProvinceOffice

ROUND_YEAR = 2024  # the notice: "2024 年初对有关项目进行遴选认定"


@strawberry.type(name="CertificationRound",
                 description="A year's selection and certification (遴选认定) and its window.")
class CertificationRoundType(relay.Node):
    id: relay.NodeID[int]
    year: int
    opens_at: datetime
    closes_at: datetime

    @strawberry.field(description="Open for results now, by the server's clock.")
    def open(self) -> bool:
        return self.opens_at <= now_utc() <= self.closes_at

    @classmethod
    def of(cls, r: CertificationRound) -> CertificationRoundType:
        return cls(id=r.id, **CERTIFICATION_ROUND_SQL.values(r))

    @classmethod
    async def load(cls, info: Info, id: int) -> CertificationRoundType | None:
        r = await CertificationRound.get_or_none(id=id)  # rounds are public to every user
        return cls.of(r) if r else None


# What each field reads, for both paths (gql/compiled/declare.py).
CERTIFICATION_ROUND_SQL = declare(
    "CertificationRound", "certification_round", node=True,
    columns=("year", "opens_at", "closes_at"), open=NowBetween("opens_at", "closes_at"))


@strawberry.type(description="One certification decision on an undertaking.")
class CertificationDecision:
    year: int
    result: CertificationResult
    certified_quantity: int | None
    remarks: str
    actor: Actor
    at: datetime

    @classmethod
    def of(cls, e: CertificationEvent) -> CertificationDecision:
        return cls(**CERTIFICATION_DECISION_SQL.values(e), year=e.round.year,
                   actor=actor_of(e.actor))


CERTIFICATION_DECISION_SQL = declare(
    "CertificationDecision", "certification_event",
    columns=("result", "certified_quantity", "remarks", "at"),
    round=Relation("CertificationRound", local="round_id", remote="id"),
    year=Through("round__year"),
    actor=Relation("Actor", local="actor_id", remote="id"))


@strawberry.type
class CertificationRoundPayload:
    round: CertificationRoundType | None
    errors: list[UserError]


@strawberry.type
class CertificationRoundQueries:
    @strawberry.field(description="The campaign's certification round of a year (default"
                      " 2024); null before the province opens it.",
                      permission_classes=[IsActiveUser])
    async def certification_round(self, info: Info, year: int = ROUND_YEAR,
                                  campaign_code: str | None = None
                                  ) -> CertificationRoundType | None:
        campaign = await campaign_or_latest(info.context.loaders, campaign_code)
        # null, not round_of's ROUND_NOT_FOUND: a round not opened yet is an answer here
        found = await certification.year_round(campaign, year).get_or_none()
        return CertificationRoundType.of(found) if found else None


@strawberry.type
class CertificationRoundMutations:
    @strawberry.mutation(description="Province office: open (or move the window of) a year's"
                         " certification round (default 2024); results are recorded within it.",
                         permission_classes=[IsProvinceOffice])
    async def open_certification_round(self, info: Info, opens_at: datetime,
                                       closes_at: datetime, year: int = ROUND_YEAR,
                                       campaign_code: str | None = None
                                       ) -> CertificationRoundPayload:
        campaign = await campaign_or_latest(info.context.loaders, campaign_code)
        try:
            found = await certification.open_round(campaign, year, opens_at, closes_at)
        except DomainError as e:
            return CertificationRoundPayload(round=None, errors=[UserError.of(e)])
        return CertificationRoundPayload(round=CertificationRoundType.of(found), errors=[])
