"""What the suite's logs must never hold: the passwords, tokens and one-time passwords its
clients sent or received (issue 10, point 5).

conftest.py installs `CAPTURE` on the root logger for the whole session (and lowers the
root level to INFO, the level a server logs at), the test helpers `remember` every secret
that crosses the API, running servers add their whole output to `SERVER_OUTPUTS`, and at the
end of the session every captured line is searched for every secret: one hit fails the run.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from models.seeding import INITIAL_PASSWORD

# Shorter strings would match by chance; the notice's 123456 is public on purpose.
MIN_SECRET = 8
SECRET_VARIABLES = {"p", "old", "new", "password", "oldPassword", "newPassword"}
SECRET_FIELDS = {"token", "oneTimePassword"}
INLINE_PASSWORD = re.compile(r'(?:password|oldPassword|newPassword)\s*:\s*"([^"]*)"')

SECRETS: set[str] = set()
SERVER_OUTPUTS: list[str] = []


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # What a log file would hold: the message with its arguments and any traceback.
        self.lines.append(logging.Formatter().format(record))


CAPTURE = _Capture()


def remember(value: Any) -> None:
    if isinstance(value, str) and len(value) >= MIN_SECRET and value != INITIAL_PASSWORD:
        SECRETS.add(value)


def remember_request(query: str, variables: dict[str, Any] | None) -> None:
    """The passwords of a request: in its variables and written into the document."""
    for key, value in (variables or {}).items():
        if key in SECRET_VARIABLES:
            remember(value)
    for value in INLINE_PASSWORD.findall(query):
        remember(value)


def remember_response(body: Any) -> None:
    """Every token and one-time password anywhere in a GraphQL answer."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key in SECRET_FIELDS:
                remember(value)
            else:
                remember_response(value)
    elif isinstance(body, list):
        for value in body:
            remember_response(value)


def leaks() -> list[str]:
    """Each captured line that holds a secret, with the secret masked in the report."""
    return leaks_in([*CAPTURE.lines, *SERVER_OUTPUTS])


def leaks_in(lines: list[str]) -> list[str]:
    """Each of `lines` (log lines, operation-log records) that holds a secret, masked."""
    found = []
    for line in lines:
        for secret in SECRETS:
            if secret in line:
                found.append(line.replace(secret, "<secret>")[:300])
    return found
