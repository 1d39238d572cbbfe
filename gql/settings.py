"""Server settings, from the environment (see README: Configuration)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from models.config import database_url


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _optional_flag(name: str) -> bool | None:
    return _flag(name, False) if os.environ.get(name, "") != "" else None


@dataclass(frozen=True)
class Smtp:
    """Where reminders and notices go out by e-mail (the outbox worker, gql/background.py).
    Without SMTP_HOST no e-mail is queued: notices stay on the platform."""

    host: str = field(default_factory=lambda: os.environ.get("SMTP_HOST", ""))
    port: int = field(default_factory=lambda: int(os.environ.get("SMTP_PORT", "25")))
    username: str = field(default_factory=lambda: os.environ.get("SMTP_USERNAME", ""))
    password: str = field(default_factory=lambda: os.environ.get("SMTP_PASSWORD", ""),
                          repr=False)  # never in a log line
    sender: str = field(default_factory=lambda: os.environ.get("SMTP_FROM",
                                                               "noreply@localhost"))
    # "starttls" (upgrade a plain connection), "tls" (implicit, port 465) or "none".
    security: str = field(default_factory=lambda: os.environ.get("SMTP_SECURITY", "none"))
    timeout: float = field(default_factory=lambda: float(os.environ.get("SMTP_TIMEOUT", "20")))

    def __post_init__(self) -> None:
        # A typo here would silently send in clear text: refuse it at start-up.
        if self.security not in {"none", "starttls", "tls"}:
            raise ValueError(f"SMTP_SECURITY must be none, starttls or tls, not {self.security!r}")

    @property
    def enabled(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=database_url)
    host: str = field(default_factory=lambda: os.environ.get("HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("PORT", "8000")))
    # Development shows field suggestions in errors; production hides them.
    production: bool = field(
        default_factory=lambda: os.environ.get("APP_ENV", "development") == "production")
    # On an empty database: the demo schools and accounts (DEMO_DATA=0 for a real rollout).
    demo_data: bool = field(default_factory=lambda: _flag("DEMO_DATA", True))
    # Migrate and seed in the app's own start-up; `taskplatform serve` does it once before
    # starting its workers and turns this off for them.
    prepare_database: bool = field(default_factory=lambda: _flag("PREPARE_DATABASE", True))
    # Read queries compiled to one SQL statement per root field (gql/compiled/); off sends
    # every field through strawberry's resolvers, the reference the compiled path is tested
    # against.
    compiled_reads: bool = field(default_factory=lambda: _flag("COMPILED_READS", True))
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma
    # separated); none by default, so a client cannot choose its own address.
    trusted_proxies: tuple[str, ...] = field(default_factory=lambda: tuple(
        p.strip() for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()))
    # Websockets: how often an open socket re-checks its session in the database, and how
    # long it may stay open without running an operation (gql/sockets.py).
    ws_check_seconds: float = field(
        default_factory=lambda: float(os.environ.get("WS_SESSION_CHECK_SECONDS", "5")))
    ws_idle_seconds: float = field(
        default_factory=lambda: 60 * float(os.environ.get("WS_IDLE_MINUTES", "5")))

    # Scheduled reminders and the e-mail outbox (gql/background.py): how often each process
    # looks for due reminders and waiting messages; 0 turns the loop off in this process.
    background_seconds: float = field(
        default_factory=lambda: float(os.environ.get("BACKGROUND_SECONDS", "30")))
    smtp: Smtp = field(default_factory=Smtp)

    # Largest request body other than an upload (a form of 200 lines with long narratives
    # stays far below); an upload may be EVIDENCE_MAX_MB plus 1 MB of form around it.
    max_body_mb: float = field(default_factory=lambda: float(os.environ.get("MAX_BODY_MB", "4")))

    # Introspection and GraphiQL: on in development, off in production unless turned on (the
    # province's intranet may want GraphiQL; it needs introspection).
    introspection: bool | None = field(
        default_factory=lambda: _optional_flag("GRAPHQL_INTROSPECTION"))
    graphiql: bool | None = field(default_factory=lambda: _optional_flag("GRAPHIQL"))
    # Browser origins allowed to call the API cross-site (HTTP CORS and websockets); none.
    cors_origins: tuple[str, ...] = field(default_factory=lambda: tuple(
        o.strip() for o in os.environ.get("CORS_ORIGINS", "").split(",") if o.strip()))

    # Logs: `text` for people (the default) or `json`, one object per line, for machines.
    log_format: str = field(
        default_factory=lambda: os.environ.get("LOG_FORMAT", "text").strip().lower())
    log_level: str = field(default_factory=lambda: os.environ.get("LOG_LEVEL", "INFO"))
    # /metrics answers only with this bearer token; unset, it is off (404).
    metrics_token: str | None = field(
        default_factory=lambda: os.environ.get("METRICS_TOKEN", "").strip() or None)

    @property
    def introspection_on(self) -> bool:
        return (not self.production) if self.introspection is None else self.introspection

    @property
    def graphiql_on(self) -> bool:
        return (not self.production) if self.graphiql is None else self.graphiql

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.host in {"0.0.0.0", "::"} else self.host
        return f"http://{host}:{self.port}/graphql"
