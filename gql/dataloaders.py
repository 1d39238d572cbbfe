"""Per-request loaders: nested lists cost one query per level, not one per row.

Built fresh for every request with the caller's scope, so nothing is cached across users.
Batch functions are named load_<things>_by_<key>.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.queryset import QuerySet

from models import (
    Campaign,
    Certification,
    ChangeRequest,
    Declaration,
    Evidence,
    Extension,
    NoticeReceipt,
    Organization,
    ReportingRound,
    TaskEntry,
    Undertaking,
    User,
    fixed_statements,
)
from models.catalog import NEWEST_FIRST
from models.performance import (
    CHANGE_REQUEST_ORDER,
    DECISION_ORDER,
    EVIDENCE_ORDER,
    CertificationEvent,
)
from models.row_comments import COMMENT_ORDER, RowComment
from models.soft_checks import Peers, peers_of
from permissions.principal import Principal
from permissions.scoping import (
    sent_notice_receipts,
    visible_declarations,
    visible_extensions,
    visible_organizations,
    visible_undertakings,
    visible_users,
)

RowT = TypeVar("RowT")


def _by_id(rows: Iterable[Any], keys: Sequence[int]) -> list[Any]:
    found = {row.id: row for row in rows}
    return [found.get(key) for key in keys]


def _declared_order(type_name: str, field: str) -> tuple[str, ...]:
    """A relation's order, as declared beside its type (gql/compiled/declare.py): the
    compiled path orders by the same terms."""
    from gql.compiled.declare import REGISTRY, Relation

    relation = REGISTRY[type_name].fields[field]
    assert isinstance(relation, Relation)
    return relation.order


def _grouped(rows: Iterable[RowT], keys: Sequence[int], key: Callable[[RowT], int | None]
             ) -> list[list[RowT]]:
    groups: dict[int | None, list[RowT]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(k, []) for k in keys]


class Loaders:
    """The request's loaders, each made on first use: a request needs a few of them, and
    making all nineteen, twice for a mutation (before it and after, reset_loaders), was
    some seventy objects per request for nothing."""

    organization_by_id: DataLoader[int, Organization | None]
    organizations_by_parent_id: DataLoader[int, list[Organization]]
    undertakings_by_organization_id: DataLoader[int, list[Undertaking]]
    users_by_organization_id: DataLoader[int, list[User]]
    task_entry_by_id: DataLoader[int, TaskEntry | None]
    task_entries_by_parent_id: DataLoader[int, list[TaskEntry]]
    # Keyed by (organization id, campaign id).
    declaration_by_key: DataLoader[tuple[int, int], Declaration | None]
    extension_by_key: DataLoader[tuple[int, int], Extension | None]
    undertakings_by_key: DataLoader[tuple[int, int], list[Undertaking]]
    certification_by_undertaking_id: DataLoader[int, Certification | None]
    # Withdrawn ones included: reached only from a change request the caller already sees.
    undertaking_by_id: DataLoader[int, Undertaking | None]
    change_requests_by_undertaking_id: DataLoader[int, list[ChangeRequest]]
    certification_events_by_undertaking_id: DataLoader[int, list[CertificationEvent]]
    # Every year's (and the declaration row's) reviewer comments, oldest first.
    comments_by_undertaking_id: DataLoader[int, list[RowComment]]
    # The figures of every undertaker of an item, and its campaign's median factor.
    peers_by_item_id: DataLoader[int, tuple[Peers | None, int]]
    years_by_campaign_id: DataLoader[int, list[int]]
    evidence_by_entry_id: DataLoader[int, list[Evidence]]
    # "" asks for the newest campaign.
    campaign_by_code: DataLoader[str, Campaign | None]
    # A sent notice's recipients, with their organisation and first reader.
    receipts_by_notice_id: DataLoader[int, list[NoticeReceipt]]

    def __init__(self, batches: dict[str, Callable[[Any], Any]]) -> None:
        self._batches = batches

    def __getattr__(self, name: str) -> Any:
        # Called only for an attribute not set yet: the loader's first use.
        batches = self.__dict__.get("_batches", {})
        if name not in batches:
            raise AttributeError(name)
        loader: DataLoader[Any, Any] = DataLoader(batches[name])
        setattr(self, name, loader)
        return loader


def build_loaders(principal: Principal | None) -> Loaders:
    def scoped(make: Callable[[Principal], QuerySet[Any]], model: Any) -> QuerySet[Any]:
        # Without a caller nothing is visible (the gates stop such requests before this).
        return make(principal) if principal is not None else model.filter(id__in=[])

    async def load_organizations_by_id(keys: list[int]) -> list[Organization | None]:
        return _by_id(await scoped(visible_organizations, Organization).filter(id__in=keys), keys)

    async def load_organizations_by_parent_id(keys: list[int]) -> list[list[Organization]]:
        rows = await scoped(visible_organizations, Organization).filter(
            parent_id__in=keys).order_by(*_declared_order("Organization", "children"))
        return _grouped(rows, keys, lambda o: o.parent_id)

    async def load_undertakings_by_organization_id(keys: list[int]) -> list[list[Undertaking]]:
        rows = await scoped(visible_undertakings, Undertaking).filter(
            organization_id__in=keys).order_by(
                "organization_id", *_declared_order("Organization", "undertakings"))
        return _grouped(rows, keys, lambda u: u.organization_id)

    async def load_users_by_organization_id(keys: list[int]) -> list[list[User]]:
        rows = await scoped(visible_users, User).filter(
            organization_id__in=keys).order_by(*_declared_order("Organization", "users"))
        return _grouped(rows, keys, lambda u: u.organization_id)

    async def load_task_entries_by_id(keys: list[int]) -> list[TaskEntry | None]:
        return _by_id(await TaskEntry.filter(id__in=keys), keys)

    async def load_task_entries_by_parent_id(keys: list[int]) -> list[list[TaskEntry]]:
        rows = await TaskEntry.filter(parent_id__in=keys).order_by(
            *_declared_order("TaskEntry", "children"))
        return _grouped(rows, keys, lambda e: e.parent_id)

    async def load_declarations_by_key(keys: list[tuple[int, int]]) -> list[Declaration | None]:
        rows = await scoped(visible_declarations, Declaration).filter(
            organization_id__in={o for o, _ in keys}, campaign_id__in={c for _, c in keys})
        found = {(d.organization_id, d.campaign_id): d for d in rows}
        return [found.get(k) for k in keys]

    async def load_extensions_by_key(keys: list[tuple[int, int]]) -> list[Extension | None]:
        rows = await scoped(visible_extensions, Extension).filter(
            organization_id__in={o for o, _ in keys}, campaign_id__in={c for _, c in keys})
        found = {(e.organization_id, e.campaign_id): e for e in rows}
        return [found.get(k) for k in keys]

    async def load_undertakings_by_key(keys: list[tuple[int, int]]) -> list[list[Undertaking]]:
        rows = await scoped(visible_undertakings, Undertaking).filter(
            organization_id__in={o for o, _ in keys}, item__campaign_id__in={c for _, c in keys}
        ).select_related("item").order_by(
            "organization_id", *_declared_order("Declaration", "undertakings"))
        groups: dict[tuple[int, int], list[Undertaking]] = defaultdict(list)
        for u in rows:
            groups[(u.organization_id, u.item.campaign_id)].append(u)
        return [groups.get(k, []) for k in keys]

    async def load_campaigns_by_code(keys: list[str]) -> list[Campaign | None]:
        rows = await fixed_statements.every(Campaign, *NEWEST_FIRST)
        by_code = {c.code: c for c in rows}
        return [by_code.get(k) if k else (rows[0] if rows else None) for k in keys]

    # Keyed by undertakings the caller already sees: an undertaking's own detail.
    async def load_certifications_by_undertaking_id(keys: list[int]
                                                    ) -> list[Certification | None]:
        rows = await Certification.filter(undertaking_id__in=keys).select_related("round")
        found = {c.undertaking_id: c for c in rows}
        return [found.get(k) for k in keys]

    async def load_change_requests_by_undertaking_id(keys: list[int]
                                                     ) -> list[list[ChangeRequest]]:
        rows = await ChangeRequest.filter(undertaking_id__in=keys).order_by(
            *CHANGE_REQUEST_ORDER).select_related(
            "requested_by", "requested_by__organization", "decided_by",
            "decided_by__organization")
        return _grouped(rows, keys, lambda c: c.undertaking_id)

    async def load_certification_events_by_undertaking_id(
            keys: list[int]) -> list[list[CertificationEvent]]:
        rows = await CertificationEvent.filter(undertaking_id__in=keys).order_by(
            *DECISION_ORDER).select_related("round", "actor", "actor__organization")
        return _grouped(rows, keys, lambda e: e.undertaking_id)

    async def load_comments_by_undertaking_id(keys: list[int]) -> list[list[RowComment]]:
        rows = await RowComment.filter(undertaking_id__in=keys).order_by(
            *COMMENT_ORDER).select_related(
            "author", "author__organization")
        return _grouped(rows, keys, lambda c: c.undertaking_id)

    async def load_peers_by_item_id(keys: list[int]) -> list[tuple[Peers | None, int]]:
        # Medians are the province's: over every undertaker, whoever the caller is; only
        # the verdict on the caller's own row leaves the server.
        peers = await peers_of(keys)
        factors = dict(await TaskEntry.filter(id__in=keys).values_list(
            "id", "campaign__median_factor"))
        return [(peers.get(k), int(factors.get(k) or 5)) for k in keys]

    async def load_undertakings_by_id(keys: list[int]) -> list[Undertaking | None]:
        return _by_id(await Undertaking.filter(id__in=keys), keys)

    async def load_years_by_campaign_id(keys: list[int]) -> list[list[int]]:
        rows = await ReportingRound.filter(campaign_id__in=keys).order_by("year")
        years: dict[int, list[int]] = defaultdict(list)
        for r in rows:
            years[r.campaign_id].append(r.year)
        return [years.get(k, []) for k in keys]

    # Keyed by report lines the caller already sees.
    async def load_evidence_by_entry_id(keys: list[int]) -> list[list[Evidence]]:
        rows = await Evidence.filter(entry_id__in=keys).order_by(*EVIDENCE_ORDER)
        return _grouped(rows, keys, lambda e: e.entry_id)

    async def load_receipts_by_notice_id(keys: list[int]) -> list[list[NoticeReceipt]]:
        rows = await scoped(sent_notice_receipts, NoticeReceipt).filter(
            notice_id__in=keys).select_related("organization", "read_by").order_by(
            "organization__kind", "organization__code")
        return _grouped(rows, keys, lambda r: r.notice_id)

    return Loaders({
        "organization_by_id": load_organizations_by_id,
        "organizations_by_parent_id": load_organizations_by_parent_id,
        "undertakings_by_organization_id": load_undertakings_by_organization_id,
        "users_by_organization_id": load_users_by_organization_id,
        "task_entry_by_id": load_task_entries_by_id,
        "task_entries_by_parent_id": load_task_entries_by_parent_id,
        "declaration_by_key": load_declarations_by_key,
        "extension_by_key": load_extensions_by_key,
        "undertakings_by_key": load_undertakings_by_key,
        "campaign_by_code": load_campaigns_by_code,
        "years_by_campaign_id": load_years_by_campaign_id,
        "evidence_by_entry_id": load_evidence_by_entry_id,
        "certification_by_undertaking_id": load_certifications_by_undertaking_id,
        "undertaking_by_id": load_undertakings_by_id,
        "change_requests_by_undertaking_id": load_change_requests_by_undertaking_id,
        "receipts_by_notice_id": load_receipts_by_notice_id,
        "comments_by_undertaking_id": load_comments_by_undertaking_id,
        "certification_events_by_undertaking_id": load_certification_events_by_undertaking_id,
        "peers_by_item_id": load_peers_by_item_id,
    })
