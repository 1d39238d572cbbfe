"""Errors in two tiers.

- Top-level GraphQL errors (`ApiError`) for authentication, authorisation and bad requests,
  with `extensions.code`.
- Payload errors (`UserError`) for expected business failures, with a field path.
"""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError

from models.errors import DomainError

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


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions only: our own errors and GraphQL's validation errors keep
    their message and code. The masked original is logged on the server."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    log.error("unexpected error in %s", error.path, exc_info=original)
    return True
