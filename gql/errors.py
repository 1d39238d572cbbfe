"""Errors in two tiers.

- Top-level GraphQL errors (`ApiError`) for authentication, authorisation and bad requests,
  with `extensions.code`.
- Payload errors (`UserError`) for expected business failures, with a field path.
"""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from tortoise.exceptions import ValidationError

from gql.outage import is_unavailable, noticed
from models.errors import Code, DomainError

log = logging.getLogger("gql")


class ApiError(GraphQLError):
    def __init__(self, code: str, message: str, **extensions: object) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


@strawberry.type(description="An expected failure of a mutation, tied to an input field.")
class UserError:
    field: list[str] = strawberry.field(
        description="Path of the input field at fault; empty when the whole request is."
    )
    code: str = strawberry.field(description="Stable machine-readable code, e.g. WEAK_PASSWORD.")
    message: str = strawberry.field(description="Human message, in Chinese.")

    @classmethod
    def of(cls, error: DomainError) -> UserError:
        return cls(field=error.field, code=error.code, message=error.message)


def is_expected(error: GraphQLError) -> bool:
    """The client's mistakes: invalid documents and variables (graphql-core wraps a
    variable's error around the scalar's, so strawberry would log a traceback for it), our
    own refusals and values the ORM refused. Answers, not incidents for the server log."""
    return error.original_error is None or isinstance(
        error.original_error, GraphQLError | ValidationError) or is_unavailable(
        error.original_error)  # told once per outage by gql/outage.py, not per request


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions only: our own errors and GraphQL's validation errors keep
    their message and code. The masked original is logged on the server."""
    if isinstance(error.original_error, ValidationError):
        # A value too long for its column that no cap in gql/input_limits.py caught: the
        # client's mistake, answered as one; the warning says which argument needs a cap.
        log.warning("the ORM refused a value in %s: add a cap in gql/input_limits.py",
                    error.path)
        return True
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    if is_unavailable(original):
        noticed(original)  # the whole answer becomes a 503 (gql/outage.py)
        return True
    log.error("unexpected error in %s", error.path, exc_info=original)
    return True


class MaskUnexpected(MaskErrors):
    """strawberry's MaskErrors, except that a value the ORM refused answers BAD_USER_INPUT
    rather than "internal error"."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if isinstance(error.original_error, ValidationError):
            return GraphQLError("输入值超出允许的长度或范围", error.nodes, error.source,
                                error.positions, error.path,
                                extensions={"code": Code.BAD_USER_INPUT, "reason": "TOO_LONG"})
        return super().anonymise_error(error)
