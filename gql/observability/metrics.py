"""Prometheus metrics (prometheus_client), served at /metrics when METRICS_TOKEN is set.

taskplatform_http_requests_total{route,method,status}   requests by route template
taskplatform_request_duration_seconds{operation}         latency by GraphQL operation name
                                                         (the route for other requests)
taskplatform_errors_total{code}                          errors answered, by their code
taskplatform_live_sockets                                open websockets (live dashboards)
taskplatform_fast_lane_answers_total                     reads answered again from their
                                                         compiled plan (gql/compiled/fast_lane.py)
taskplatform_db_pool_connections{state}                  PostgreSQL pool: idle / in_use / max
Several workers (`serve --workers N`) share their counts through PROMETHEUS_MULTIPROC_DIR,
which `serve` sets up; then the pool gauge is the scraped worker's.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

REQUESTS = Counter("taskplatform_http_requests", "HTTP requests answered",
                   ["route", "method", "status"])
DURATION = Histogram("taskplatform_request_duration_seconds",
                     "Time to answer a request, by GraphQL operation (or route)", ["operation"],
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
ERRORS = Counter("taskplatform_errors", "Errors answered, by code", ["code"])
FAST_LANE = Counter("taskplatform_fast_lane_answers",
                    "Reads answered again from their compiled plan, without strawberry")
LIVE_SOCKETS = Gauge("taskplatform_live_sockets", "Open websockets",
                     multiprocess_mode="livesum")

# Operation names are chosen by clients: past this many distinct ones, the rest are counted
# as "other", so a client cannot grow the metrics without bound.
MAX_OPERATIONS = 200
_operations: set[str] = set()
_CODE = re.compile(r"[A-Z][A-Z_]{1,39}")


def operation_label(name: str) -> str:
    if name in _operations or len(_operations) < MAX_OPERATIONS:
        _operations.add(name)
        return name
    return "other"


@lru_cache(maxsize=1024)
def child(metric: Any, *labels: str) -> Any:
    """`metric.labels(*labels)`, looked up once: the library checks the label names and
    takes a lock on every call, and every request asks twice."""
    return metric.labels(*labels)


def count_error(code: object) -> None:
    ERRORS.labels(code if isinstance(code, str) and _CODE.fullmatch(code) else "OTHER").inc()


class PoolCollector(Collector):
    """The ORM's PostgreSQL pool, read when scraped (SQLite has no pool: nothing)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from tortoise import connections

        try:
            pool = getattr(connections.get("default"), "_pool", None)
        except Exception:  # no ORM in this process yet
            pool = None
        if pool is None or not hasattr(pool, "get_size"):
            return
        family = GaugeMetricFamily("taskplatform_db_pool_connections",
                                   "Database pool connections", labels=["state"])
        size, idle = pool.get_size(), pool.get_idle_size()
        family.add_metric(["idle"], idle)
        family.add_metric(["in_use"], size - idle)
        family.add_metric(["max"], pool.get_max_size())
        yield family


_pool_collector = PoolCollector()
REGISTRY.register(_pool_collector)


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(_pool_collector)
        return registry
    return REGISTRY


def metrics_endpoint(token: str | None):  # type: ignore[no-untyped-def]
    """GET /metrics: 404 unless METRICS_TOKEN is set, then only with that bearer token."""
    async def endpoint(request: Request) -> Response:
        if not token:
            return JSONResponse({"error": {"code": "NOT_FOUND", "message": "未启用监控指标"}},
                                status_code=404)
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return JSONResponse({"error": {"code": "UNAUTHENTICATED",
                                           "message": "需要监控令牌（METRICS_TOKEN）"}},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)

    return endpoint
