"""Tortoise models and the domain operations on them. Never imports strawberry."""

from models.account import AccessToken, LoginAttempt, User
from models.catalog import Campaign, ReportingRound, TaskEntry
from models.declaration import (
    Declaration,
    DeclarationEvent,
    Extension,
    UndertakingChange,
)
from models.org import Organization
from models.undertaking import Undertaking

__all__ = [
    "AccessToken",
    "Campaign",
    "Declaration",
    "DeclarationEvent",
    "Extension",
    "LoginAttempt",
    "Organization",
    "ReportingRound",
    "TaskEntry",
    "Undertaking",
    "UndertakingChange",
    "User",
]
