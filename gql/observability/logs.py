"""Logging: every record carries the request's fields; text for people, JSON for machines.

LOG_FORMAT=text (the default) writes
  2026-12-02 06:01:02,345 INFO gql.access [req=3f2a… user=12 op=SaveForm] POST /graphql 200 41 ms
LOG_FORMAT=json writes one object per line with the same facts as keys (`ts`, `level`,
`logger`, `message`, `request_id`, `user_id`, `operation`, `exception`), for Loki, ELK or
journald. What is logged is the message a module wrote: request bodies, variables and headers
never are (tests/test_log_secrecy.py searches every line of the suite for its secrets).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from gql.observability.fields import current


class RequestFieldsFilter(logging.Filter):
    """Copies the current request's fields onto each record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = current.get()
        record.request_id = fields.request_id if fields else None
        record.user_id = fields.user_id if fields else None
        record.operation = fields.operation if fields else None
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(request)s%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        record.request = (f"[req={rid} user={getattr(record, 'user_id', None) or '-'} "
                          f"op={getattr(record, 'operation', None) or '-'}] " if rid else "")
        return super().format(record)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
            "operation": getattr(record, "operation", None),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """One handler on the root logger (stderr); uvicorn's loggers propagate to it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestFieldsFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "taskplatform", False):
            root.removeHandler(old)
    handler.taskplatform = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # One access line per request is ours (gql.access, with the request id and the user);
    # uvicorn's own would repeat it without them.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
