"""The one error type of domain operations: a stable code, a Chinese message, a field path.

The API turns it into a payload error ({field, code, message}) or a top-level GraphQL error;
models never know which.
"""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    def __init__(self, code: str, message: str, field: Sequence[str] | str | None = None,
                 **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = [field] if isinstance(field, str) else list(field or [])
        self.details = details


class Code:
    """Stable machine-readable codes. Clients switch on these; never rename one."""

    # Top-level (transport, authentication, authorisation)
    UNAUTHENTICATED = "UNAUTHENTICATED"
    PASSWORD_CHANGE_REQUIRED = "PASSWORD_CHANGE_REQUIRED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # Accounts
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    ONE_LOGIN_PER_REQUEST = "ONE_LOGIN_PER_REQUEST"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    PASSWORD_REUSED = "PASSWORD_REUSED"
    PASSWORD_EXPIRED = "PASSWORD_EXPIRED"
    NOTHING_PENDING = "NOTHING_PENDING"
    DUPLICATE = "DUPLICATE"
    INVALID_VALUE = "INVALID_VALUE"
    # Declarations
    CONFLICT = "CONFLICT"
    DEADLINE_PASSED = "DEADLINE_PASSED"
    NOT_OPEN_YET = "NOT_OPEN_YET"
    DECLARATION_SUBMITTED = "DECLARATION_SUBMITTED"
    DECLARATION_ACCEPTED = "DECLARATION_ACCEPTED"
    DECLARATION_CITY_APPROVED = "DECLARATION_CITY_APPROVED"
    CITY_REVIEW_PENDING = "CITY_REVIEW_PENDING"
    CITY_REVIEW_NOT_APPLICABLE = "CITY_REVIEW_NOT_APPLICABLE"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    REASON_REQUIRED = "REASON_REQUIRED"
    MANDATORY_ITEMS_MISSING = "MANDATORY_ITEMS_MISSING"
    ITEM_NOT_FOUND = "ITEM_NOT_FOUND"
    ITEM_NOT_ELIGIBLE = "ITEM_NOT_ELIGIBLE"
    PROVINCIAL_ITEM = "PROVINCIAL_ITEM"
    DUPLICATE_ROW = "DUPLICATE_ROW"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    ITEM_IN_USE = "ITEM_IN_USE"
    MANDATORY_RULE_BROKEN = "MANDATORY_RULE_BROKEN"
    # Annual reports, evidence, change requests
    ROUND_NOT_FOUND = "ROUND_NOT_FOUND"
    NOT_REPORTABLE = "NOT_REPORTABLE"
    REPORT_INCOMPLETE = "REPORT_INCOMPLETE"
    ENTRY_NOT_SAVED = "ENTRY_NOT_SAVED"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_TYPE_NOT_ALLOWED = "FILE_TYPE_NOT_ALLOWED"
    INVALID_FILE_NAME = "INVALID_FILE_NAME"
    EVIDENCE_MISSING = "EVIDENCE_MISSING"
    NOT_AFTER_DEADLINE = "NOT_AFTER_DEADLINE"
    REQUEST_PENDING = "REQUEST_PENDING"
    REQUEST_DECIDED = "REQUEST_DECIDED"
    # Notices and reminders
    RECIPIENT_NOT_IN_SCOPE = "RECIPIENT_NOT_IN_SCOPE"
    NO_RECIPIENTS = "NO_RECIPIENTS"
    REMINDER_SENT = "REMINDER_SENT"
    INVALID_EMAIL = "INVALID_EMAIL"


class DomainErrors(Exception):
    """Several errors found together (every bad row of a batch), none of them applied."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)
