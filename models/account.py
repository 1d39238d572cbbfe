"""Users, their bearer tokens and the login journal."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.enums import Role
from models.org import Organization


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=200, default="")
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=24)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="users", on_delete=fields.RESTRICT
    )
    organization_id: int
    is_active = fields.BooleanField(default=True)
    must_change_password = fields.BooleanField(default=True)
    locked_until = fields.DatetimeField(null=True)
    # Failed logins before this time no longer count (a success, a reset): models/throttle.py
    failures_cleared_at = fields.DatetimeField(null=True)
    last_login_at = fields.DatetimeField(null=True)
    password_changed_at = fields.DatetimeField(null=True)
    # When the current one-time password (initial or reset) stops opening the account; None
    # for the demo data's 123456 and once the password is replaced.
    one_time_password_expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"


class AccessToken(Model):
    """A bearer token, stored only as its SHA-256: a leaked table grants nothing.

    Kept in the database (not in a process) so that any number of server processes agree on
    who is logged in, and a revocation takes effect at once everywhere.
    """

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE
    )
    user_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    # The last request made with it (to the minute): an idle session ends
    # (models/password_policy.py). None for sessions from before the rule: ended.
    last_seen_at = fields.DatetimeField(null=True)
    client_address = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "access_token"


class PasswordHistory(Model):
    """A password a user replaced, as its hash: the policy refuses it while it is among the
    last ones (models/password_policy.py)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="password_history", on_delete=fields.CASCADE
    )
    user_id: int
    password_hash = fields.CharField(max_length=255)
    retired_at = fields.DatetimeField()

    class Meta:
        table = "password_history"


class InitialCredential(Model):
    """An imported account's one-time password, waiting for the province office to hand it
    out (models/initial_passwords.py). The password is wiped at the download, or once
    replaced; the row stays as the record of who fetched it when."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="initial_credential", on_delete=fields.CASCADE
    )
    user_id: int
    password = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    handed_out_at = fields.DatetimeField(null=True)
    handed_out_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="handed_out_credentials", null=True,
        on_delete=fields.SET_NULL
    )
    handed_out_by_id: int | None

    class Meta:
        table = "initial_credential"


class LoginAttempt(Model):
    """Every login, failed or not, with its time and client address."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="login_attempts", null=True, on_delete=fields.CASCADE
    )
    user_id: int | None
    success = fields.BooleanField()
    reason = fields.CharField(max_length=32)
    client_address = fields.CharField(max_length=64, null=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "login_attempt"
        indexes = (("username", "at"), ("client_address", "at"))
