"""Who may call what and who sees which rows, over HTTP with real logins.

The matrix: every query and mutation of schema.graphql, for the caller without a token (or
with a dead one), a user still on the initial password, and each role (province office, city
bureau, school), with the allowed and the denied case side by side. Then row scoping: by
code, by global id, in the `organizations` connection (with totalCount) and by traversal.
Then the abuse limits (depth, aliases, page size, masked errors)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import graphql
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
)
from strawberry import relay

import models.accounts
from models import AccessToken, Organization, TaskEntry, Undertaking, User
from models.clock import now_utc
from models.enums import OrgKind, Role, SchoolType, TaskLevel
from models.seeding import INITIAL_PASSWORD
from permissions.principal import Principal
from permissions.scoping import sees, visible_organization, visible_organizations
from tests.conftest import (
    CHANGE_PASSWORD,
    HIGHER_SCHOOL,
    LUOYANG,
    LY_SCHOOL,
    NEW_PASSWORD,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    Api,
)

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
NO_SUCH_SCHOOL = "4199999999"
CHANGED_AGAIN = "Changed-again9"

# --- the operations of accounts and organisations, one request each --------------------------

NODE = "query($id: ID!) { node(id: $id) { id __typename } }"
ME = "{ me { username role organization { code } } }"
CAMPAIGNS = "{ campaigns { code } }"
TASK_CATALOG = "{ taskCatalog { number } }"
TASK_ENTRY = '{ taskEntry(number: "1") { number } }'
ORGANIZATION = "query($code: String!) { organization(code: $code) { code } }"
ORGANIZATIONS = "{ organizations { totalCount } }"
LOGIN = """
mutation($u: String!, $p: String!) {
  login(username: $u, password: $p) { token errors { code } }
}"""
LOGOUT = "mutation { logout { ok } }"
CREATE_USER = """
mutation($org: String!, $username: String!) {
  createUser(organizationCode: $org, username: $username) {
    user { username role } oneTimePassword errors { field code }
  }
}"""
SET_USER_ACTIVE = """
mutation($id: ID!, $active: Boolean!) {
  setUserActive(userId: $id, active: $active) {
    user { username isActive } errors { field code }
  }
}"""
RESET_PASSWORD = """
mutation($id: ID!) {
  resetPassword(userId: $id) {
    user { username mustChangePassword } oneTimePassword errors { field code }
  }
}"""

OPERATIONS = {
    "node": NODE, "me": ME, "campaigns": CAMPAIGNS, "taskCatalog": TASK_CATALOG,
    "taskEntry": TASK_ENTRY, "organization": ORGANIZATION, "organizations": ORGANIZATIONS,
    "login": LOGIN, "logout": LOGOUT, "changePassword": CHANGE_PASSWORD,
    "createUser": CREATE_USER, "setUserActive": SET_USER_ACTIVE,
    "resetPassword": RESET_PASSWORD,
}
# Answered before the initial password is changed; everything else but login waits for it.
FIRST_LOGIN_OPERATIONS = {"me", "changePassword", "logout"}

# How the province office reads real ids, before handing them to other callers.
IDS_OF = """
query($code: String!) {
  organization(code: $code) { id users { id username } undertakings { id } }
}"""

# Three lookups by global id in one request.
NODES = """
query($org: ID!, $user: ID!, $undertaking: ID!) {
  org: node(id: $org) { __typename ... on Organization { code } }
  user: node(id: $user) { __typename ... on User { username } }
  undertaking: node(id: $undertaking) {
    __typename ... on Undertaking { quantity organization { code } }
  }
}"""

ORGANIZATION_DATA = """
query($code: String!) {
  organization(code: $code) { code users { username } undertakings { quantity } }
}"""

NODE_DETAIL = """
query($id: ID!) {
  node(id: $id) {
    __typename
    ... on Organization { code }
    ... on User { username }
    ... on Undertaking { quantity organization { code } }
  }
}"""

ORGANIZATIONS_PAGE = """
query($kind: OrgKind, $parent: String, $search: String, $first: Int, $after: String) {
  organizations(kind: $kind, parentCode: $parent, search: $search, first: $first,
                after: $after) {
    totalCount
    edges { node { code } }
    pageInfo { hasNextPage endCursor }
  }
}"""

# The walk of the issue: from a school up to the province office, then down again.
SCHOOL_WALK = """
query($code: String!) {
  organization(code: $code) {
    code
    parent {
      code users { username } undertakings { quantity }
      parent {
        code users { username } undertakings { quantity }
        children {
          code users { username } undertakings { quantity }
          children { code users { username } undertakings { quantity } }
        }
      }
    }
  }
}"""

# The same walk from the caller's own account, and from one of its undertakings.
ME_WALK = """
{
  me {
    organization {
      code
      parent { code children { code users { username } children { code users { username } } } }
    }
  }
}"""

UNDERTAKING_WALK = """
query($id: ID!) {
  node(id: $id) {
    ... on Undertaking {
      organization { code parent { code children { code children { code } } } }
    }
  }
}"""

# --- who sees what --------------------------------------------------------------------------

TARGETS = [PROVINCE, ZHENGZHOU, LUOYANG, ZZ_SCHOOL, ZZ_SCHOOL_2, LY_SCHOOL, HIGHER_SCHOOL]

# Of the targets, the organisations each caller sees as nodes: what it manages, plus the
# units above it (bare: what hangs below them stays filtered).
SEES = {
    PROVINCE: set(TARGETS),
    ZHENGZHOU: {PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2},
    LUOYANG: {PROVINCE, LUOYANG, LY_SCHOOL},
    ZZ_SCHOOL: {PROVINCE, ZHENGZHOU, ZZ_SCHOOL},
    HIGHER_SCHOOL: {PROVINCE, HIGHER_SCHOOL},
}
# Of the targets, the organisations whose accounts and undertakings each caller reads.
MANAGES = {
    PROVINCE: set(TARGETS),
    ZHENGZHOU: {ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2},
    LUOYANG: {LUOYANG, LY_SCHOOL},
    ZZ_SCHOOL: {ZZ_SCHOOL},
    HIGHER_SCHOOL: {HIGHER_SCHOOL},
}
CALLERS = list(SEES)


# --- helpers --------------------------------------------------------------------------------


def error_codes(body: dict[str, Any]) -> list[str | None]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def no_data(body: dict[str, Any]) -> bool:
    """Nothing answered: no data at all, or null for every field asked."""
    data = body.get("data")
    return data is None or all(value is None for value in data.values())


def answered(body: dict[str, Any], operation: str) -> Any:
    """The field's answer, for a request that must have been let through and succeeded."""
    assert "errors" not in body, body
    value = body["data"][operation]
    assert value is not None, body
    if isinstance(value, dict) and "errors" in value:
        assert value["errors"] == [], body
    return value


def global_id(type_name: str, pk: int | str) -> str:
    return str(relay.GlobalID(type_name, str(pk)))


def collect(tree: Any, key: str) -> set[str]:
    """Every value of `key` (e.g. every organisation code) anywhere in an answer."""
    found: set[str] = set()
    if isinstance(tree, dict):
        if isinstance(tree.get(key), str):
            found.add(tree[key])
        for value in tree.values():
            found |= collect(value, key)
    elif isinstance(tree, list):
        for value in tree:
            found |= collect(value, key)
    return found


async def scope_of(caller: str) -> tuple[set[str], set[str]]:
    """All the organisation codes a demo account may see, and those it manages, by the
    issue's rules (read from the database, beyond the handful of TARGETS)."""
    org = await Organization.get(code=caller)
    if org.kind is OrgKind.PROVINCE:
        every = {o.code for o in await Organization.all()}
        return every, every
    managed = {caller}
    if org.kind is OrgKind.CITY:
        managed |= {o.code for o in await Organization.filter(parent_id=org.id)}
    above = {PROVINCE}
    if org.parent_id is not None:
        above.add((await Organization.get(id=org.parent_id)).code)
    return managed | above, managed


async def undertake_everywhere() -> None:
    """One undertaking for each target organisation (straight into the database); its
    quantity is the length of the organisation's code."""
    item = await TaskEntry.filter(level=TaskLevel.SCHOOL, is_group=False).order_by(
        "sort_key").first()
    assert item is not None
    for code in TARGETS:
        org = await Organization.get(code=code)
        await Undertaking.create(organization=org, item=item, quantity=len(code),
                                 school_self=Decimal("1.50"))


async def ids_of(api: Api, code: str) -> dict[str, Any]:
    """Real global ids, read by the province office: the organisation, its demo account
    (user name = its code) and its undertakings."""
    data = await api.data(IDS_OF, {"code": code}, await api.token(PROVINCE))
    org = data["organization"]
    user = next(u["id"] for u in org["users"] if u["username"] == code)
    return {"org": org["id"], "user": user, "undertakings": [u["id"] for u in org["undertakings"]]}


async def ids_of_targets(api: Api) -> dict[str, dict[str, Any]]:
    """ids_of for every target, in one request."""
    query = "{ " + " ".join(f'o{code}: organization(code: "{code}") {{ ...Ids }}'
                            for code in TARGETS) + " }" + """
        fragment Ids on Organization { id users { id username } undertakings { id } }"""
    data = await api.data(query, token=await api.token(PROVINCE))
    return {code: {"org": org["id"],
                   "user": next(u["id"] for u in org["users"] if u["username"] == code),
                   "undertakings": [u["id"] for u in org["undertakings"]]}
            for code, org in ((key[1:], org) for key, org in data.items())}


# Variables that fit every operation's declared variables (undeclared ones are ignored).
STATIC_VARIABLES = {"code": ZZ_SCHOOL, "u": LY_SCHOOL, "p": INITIAL_PASSWORD,
                    "old": NEW_PASSWORD, "new": CHANGED_AGAIN, "org": LY_SCHOOL,
                    "username": "staff-1", "active": False, "id": global_id("User", "1")}


async def province_variables(api: Api, operation: str) -> dict[str, Any]:
    """Variables under which the province office may run an operation (real ids of 洛阳's
    school, read by the province)."""
    variables = dict(STATIC_VARIABLES)
    if operation in {"node", "setUserActive", "resetPassword"}:
        ids = await ids_of(api, LY_SCHOOL)
        variables["id"] = ids["org"] if operation == "node" else ids["user"]
    return variables


# --- every root field of the schema, generically --------------------------------------------


def root_fields() -> Iterator[tuple[str, str, GraphQLField]]:
    """(query or mutation, name, field) of every root field, `logout` last."""
    schema = graphql.build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    fields = [(operation, name, field)
              for operation, root in (("query", schema.query_type),
                                      ("mutation", schema.mutation_type))
              if root is not None
              for name, field in root.fields.items()]
    yield from sorted(fields, key=lambda f: f[1] == "logout")


def literal(type_: GraphQLInputType) -> str:
    """A well-typed GraphQL literal for an argument: the gates must answer, not validation."""
    if isinstance(type_, GraphQLNonNull):
        return literal(type_.of_type)
    if isinstance(type_, GraphQLList):
        return "[]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        required = [f"{name}: {literal(f.type)}" for name, f in type_.fields.items()
                    if isinstance(f.type, GraphQLNonNull) and f.default_value is graphql.Undefined]
        return "{" + ", ".join(required) + "}"
    assert isinstance(type_, GraphQLScalarType)
    return {"Int": "1", "Float": "1", "Boolean": "false", "Date": '"2020-11-02"',
            "DateTime": '"2020-11-02T08:00:00+08:00"'}.get(type_.name, '"1"')


def minimal_request(operation: str, name: str, field: GraphQLField) -> str:
    """`query { name(required args) { __typename } }`: the smallest call of a root field.
    A file has no literal: an Upload argument is the variable `$upload`."""
    required = [(arg, a.type) for arg, a in field.args.items()
                if isinstance(a.type, GraphQLNonNull) and a.default_value is graphql.Undefined]
    uploads = any(get_named_type(t).name == "Upload" for _, t in required)
    args = [f"{arg}: {'$upload' if get_named_type(t).name == 'Upload' else literal(t)}"
            for arg, t in required]
    call = f"{name}({', '.join(args)})" if args else name
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    return f"{operation}{'($upload: Upload!)' if uploads else ''} {{ {call}{selection} }}"


async def post_minimal(api: Api, request: str, token: str | None = None) -> dict[str, Any]:
    """A minimal request; one with `$upload` goes as a multipart request with a small PDF."""
    if "$upload" not in request:
        return await api.post(request, token=token)
    headers = ({"Authorization": f"Bearer {token}"} if token
               else {"Apollo-Require-Preflight": "true"})  # not a CSRF-able simple request
    operations = json.dumps({"query": request, "variables": {"upload": None}})
    response = await api.client.post("/graphql", headers=headers, files={
        "operations": (None, operations), "map": (None, '{"0": ["variables.upload"]}'),
        "0": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_matrix_names_only_real_operations() -> None:
    """The operations tested one by one below all exist in schema.graphql (the gates of every
    other root field are tested generically)."""
    assert set(OPERATIONS) <= {name for _, name, _ in root_fields()}


async def test_every_root_field_is_gated(api: Api) -> None:
    """For each query and mutation of schema.graphql: without a token only `login` answers;
    on the initial password only `me`, `changePassword` and `logout` (and `login`); with a
    changed password the gates let every call through."""
    # Given no token, a token on the initial password, and a token after the change
    initial = (await api.data(LOGIN, {"u": PROVINCE, "p": INITIAL_PASSWORD}))["login"]["token"]
    unauthenticated, must_change, let_through = {}, {}, {}
    for operation, name, field in root_fields():
        request = minimal_request(operation, name, field)

        # When each root field is called
        without = await post_minimal(api, request)
        first_login = await post_minimal(api, request, token=initial)

        # Then the gates answer as the issue says
        if name != "login":
            unauthenticated[name] = (error_codes(without), no_data(without))
        if name not in FIRST_LOGIN_OPERATIONS | {"login"}:
            must_change[name] = (error_codes(first_login), no_data(first_login))
        else:
            let_through[name] = error_codes(first_login)
    assert {n: v for n, v in unauthenticated.items()
            if v != (["UNAUTHENTICATED"], True)} == {}
    assert {n: v for n, v in must_change.items()
            if v != (["PASSWORD_CHANGE_REQUIRED"], True)} == {}
    assert {n: v for n, v in let_through.items() if v} == {}
    # And once the password is changed no call stops at a gate
    token = await api.token(PROVINCE)
    stopped = {}
    for operation, name, field in root_fields():
        if name in {"logout", "changePassword", "login"}:
            continue
        codes = error_codes(await post_minimal(api, minimal_request(operation, name, field),
                                               token))
        if {"UNAUTHENTICATED", "PASSWORD_CHANGE_REQUIRED"} & set(codes):
            stopped[name] = codes
    assert stopped == {}


# --- unauthenticated, revoked, expired ------------------------------------------------------


async def test_an_unauthenticated_caller_gets_nothing_but_login(api: Api) -> None:
    # Given no token (and the province office, which may run everything)
    province = await api.token(PROVINCE)
    users_before = await User.all().count()
    denied, allowed = {}, {}
    for operation in sorted(OPERATIONS, key=lambda op: op == "logout"):  # logout last
        if operation == "login":
            continue
        query = OPERATIONS[operation]
        variables = await province_variables(api, operation)

        # When any operation but login is called without a token, then with one
        without = await api.post(query, variables)
        denied[operation] = (error_codes(without), no_data(without))
        allowed[operation] = answered(await api.post(query, variables, province), operation)

    # Then UNAUTHENTICATED, with no data and no effect
    assert {op: v for op, v in denied.items() if v != (["UNAUTHENTICATED"], True)} == {}
    assert await User.all().count() == users_before + 1  # staff-1, by the province
    # While the province's token got each one answered
    assert allowed["me"]["username"] == PROVINCE
    assert allowed["organization"] == {"code": ZZ_SCHOOL}
    assert allowed["createUser"]["user"] == {"username": "staff-1", "role": "SCHOOL"}
    assert allowed["setUserActive"]["user"] == {"username": LY_SCHOOL, "isActive": False}
    assert allowed["logout"] == {"ok": True}
    # And login answers without a token
    login = (await api.data(LOGIN, {"u": ZZ_SCHOOL, "p": INITIAL_PASSWORD}))["login"]
    assert login["errors"] == [] and login["token"]


async def token_in_state(api: Api, state: str) -> str:
    """A token of the 郑州 city bureau (password already changed) in the given state."""
    token = (await api.data(LOGIN, {"u": ZHENGZHOU, "p": NEW_PASSWORD}))["login"]["token"]
    user = await User.get(username=ZHENGZHOU)
    if state == "revoked":
        await api.data(LOGOUT, token=token)
    elif state == "expired":
        await AccessToken.filter(user_id=user.id).update(
            expires_at=now_utc() - timedelta(minutes=1))
    elif state == "disabled":
        await User.filter(id=user.id).update(is_active=False)
    elif state == "forged":
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    return token


@pytest.mark.parametrize("state", ["revoked", "expired", "disabled", "forged"])
async def test_a_dead_token_is_unauthenticated(api: Api, state: str) -> None:
    # Given a city bureau whose token is revoked, expired, disabled or forged
    await api.token(ZHENGZHOU)
    school = {"id": (await ids_of(api, ZZ_SCHOOL))["user"]}
    school_hash = (await User.get(username=ZZ_SCHOOL)).password_hash
    dead = await token_in_state(api, state)
    checked = {"me": ME, "organizations": ORGANIZATIONS, "resetPassword": RESET_PASSWORD}

    # When it calls the API with it
    denied = {op: await api.post(query, school, dead) for op, query in checked.items()}

    # Then UNAUTHENTICATED, and nothing was done
    assert {op: error_codes(body) for op, body in denied.items()} == {
        op: ["UNAUTHENTICATED"] for op in checked}
    assert all(no_data(body) for body in denied.values())
    assert (await User.get(username=ZZ_SCHOOL)).password_hash == school_hash
    # While a live token of a city bureau is let through
    if state == "disabled":
        live, school = await api.token(LUOYANG), {"id": (await ids_of(api, LY_SCHOOL))["user"]}
    else:
        live = (await api.data(LOGIN, {"u": ZHENGZHOU, "p": NEW_PASSWORD}))["login"]["token"]
    for op, query in checked.items():
        answered(await api.post(query, school, live), op)


# --- first login: only me, changePassword, logout -------------------------------------------


async def test_the_initial_password_must_be_changed_first(api: Api) -> None:
    # Given the province office, logged in with the initial password
    token = (await api.data(LOGIN, {"u": PROVINCE, "p": INITIAL_PASSWORD}))["login"]["token"]
    users_before = await User.all().count()
    gated = [op for op in OPERATIONS if op not in FIRST_LOGIN_OPERATIONS | {"login"}]

    # When it calls anything but me, changePassword and logout
    denied = {op: await api.post(OPERATIONS[op], STATIC_VARIABLES, token) for op in gated}

    # Then PASSWORD_CHANGE_REQUIRED, with no data and no effect
    assert {op: error_codes(body) for op, body in denied.items()} == {
        op: ["PASSWORD_CHANGE_REQUIRED"] for op in gated}
    assert all(no_data(body) for body in denied.values())
    assert await User.all().count() == users_before
    assert await User.filter(is_active=False).count() == 0
    # While the same token is let through once the password is changed
    await api.data(CHANGE_PASSWORD, {"old": INITIAL_PASSWORD, "new": NEW_PASSWORD}, token)
    api.tokens[PROVINCE] = token
    for op in gated:
        answered(await api.post(OPERATIONS[op], await province_variables(api, op), token), op)


async def test_me_change_password_and_logout_answer_before_the_change(api: Api) -> None:
    # Given a school logged in with the initial password
    token = (await api.data(LOGIN, {"u": ZZ_SCHOOL, "p": INITIAL_PASSWORD}))["login"]["token"]
    variables = {"old": INITIAL_PASSWORD, "new": NEW_PASSWORD}

    # When it calls me, changePassword and logout, with and without its token
    allowed = {op: await api.post(OPERATIONS[op], variables, token)
               for op in ("me", "changePassword", "logout")}
    denied = {op: await api.post(OPERATIONS[op], variables)
              for op in ("me", "changePassword", "logout")}

    # Then each is answered for it, and refused without a token
    assert {op: answered(body, op) for op, body in allowed.items()} == {
        "me": {"username": ZZ_SCHOOL, "role": "SCHOOL", "organization": {"code": ZZ_SCHOOL}},
        "changePassword": {"user": {"mustChangePassword": False}, "errors": []},
        "logout": {"ok": True},
    }
    assert {op: error_codes(body) for op, body in denied.items()} == {
        op: ["UNAUTHENTICATED"] for op in denied}


# --- province-only mutations ----------------------------------------------------------------


@pytest.mark.parametrize("caller", [ZHENGZHOU, ZZ_SCHOOL, HIGHER_SCHOOL])
async def test_only_the_province_creates_accounts(api: Api, caller: str) -> None:
    # Given a city bureau or a school, and the province office
    variables = {"org": ZZ_SCHOOL if caller != HIGHER_SCHOOL else HIGHER_SCHOOL,
                 "username": "staff-1"}

    # When the caller creates an account, even for its own organisation
    denied = await api.post(CREATE_USER, variables, await api.token(caller))

    # Then FORBIDDEN, and no account exists
    assert error_codes(denied) == ["FORBIDDEN"], denied
    assert no_data(denied)
    assert not await User.exists(username="staff-1")
    # While the province office creates it
    created = answered(await api.post(CREATE_USER, variables, await api.token(PROVINCE)),
                       "createUser")
    assert created["user"] == {"username": "staff-1", "role": "SCHOOL"}


@pytest.mark.parametrize(("caller", "target"), [
    (ZHENGZHOU, ZZ_SCHOOL),  # even its own school
    (ZHENGZHOU, LY_SCHOOL),
    (ZZ_SCHOOL, ZZ_SCHOOL_2),
    (ZZ_SCHOOL, ZZ_SCHOOL),  # even itself
])
async def test_only_the_province_disables_accounts(api: Api, caller: str, target: str) -> None:
    # Given a city bureau or a school, and an account's real id
    target_id = (await ids_of(api, target))["user"]

    # When the caller disables it
    denied = await api.post(SET_USER_ACTIVE, {"id": target_id, "active": False},
                            await api.token(caller))

    # Then FORBIDDEN, and the account is still active
    assert error_codes(denied) == ["FORBIDDEN"], denied
    assert await User.filter(username=target, is_active=True).exists()
    # While the province office disables it
    done = answered(await api.post(SET_USER_ACTIVE, {"id": target_id, "active": False},
                                   await api.token(PROVINCE)), "setUserActive")
    assert done["user"] == {"username": target, "isActive": False}


# --- resetPassword: the province any, a city its own schools ---------------------------------


@pytest.mark.parametrize(("caller", "target", "outcome"), [
    (PROVINCE, LY_SCHOOL, "reset"),
    (PROVINCE, ZHENGZHOU, "reset"),
    (ZHENGZHOU, ZZ_SCHOOL, "reset"),
    (LUOYANG, LY_SCHOOL, "reset"),
    (ZHENGZHOU, LY_SCHOOL, "NOT_FOUND"),  # a neighbour city's school
    (ZHENGZHOU, HIGHER_SCHOOL, "NOT_FOUND"),  # a school directly under the province
    (ZHENGZHOU, LUOYANG, "NOT_FOUND"),  # a neighbour city bureau
    (ZHENGZHOU, PROVINCE, "NOT_FOUND"),
    (ZHENGZHOU, ZHENGZHOU, "FORBIDDEN payload"),  # its own unit: through the province
    (ZZ_SCHOOL, ZZ_SCHOOL_2, "FORBIDDEN"),
    (ZZ_SCHOOL, ZZ_SCHOOL, "FORBIDDEN"),
])
async def test_reset_password(api: Api, caller: str, target: str, outcome: str) -> None:
    # Given the target account's real id (read by the province) and its live session
    target_id = (await ids_of(api, target))["user"]
    target_token = await api.token(target)
    caller_token = await api.token(caller)
    if outcome == "reset":
        # (a city bureau that does not manage the target finds no such account)
        outsider = LUOYANG if target != LY_SCHOOL else ZHENGZHOU
        refused = await api.post(RESET_PASSWORD, {"id": target_id}, await api.token(outsider))
        assert refused["data"]["resetPassword"]["errors"] == [
            {"field": ["userId"], "code": "NOT_FOUND"}]

    # When the caller resets the target's password
    body = await api.post(RESET_PASSWORD, {"id": target_id}, caller_token)

    if outcome == "reset":
        # Then a one-time password, the target's session ends and it must change it
        result = answered(body, "resetPassword")
        assert result["user"] == {"username": target, "mustChangePassword": True}
        assert error_codes(await api.post(ME, token=target_token)) == ["UNAUTHENTICATED"]
        login = (await api.data(LOGIN, {"u": target, "p": result["oneTimePassword"]}))["login"]
        assert error_codes(await api.post(CAMPAIGNS, token=login["token"])) == [
            "PASSWORD_CHANGE_REQUIRED"]
        return
    # Then refused: forbidden, or not found (out of scope looks exactly like nonexistent)
    if outcome == "FORBIDDEN":
        assert error_codes(body) == ["FORBIDDEN"] and no_data(body)
    else:
        result = body["data"]["resetPassword"]
        assert result["user"] is None and result["oneTimePassword"] is None
        code = outcome.split()[0]
        assert result["errors"] == [{"field": ["userId"], "code": code}]
        if code == "NOT_FOUND":
            missing = await api.post(RESET_PASSWORD, {"id": global_id("User", "0")},
                                     caller_token)
            assert missing == body
    # And the target's password and session are untouched
    assert (await api.data(ME, token=target_token))["me"]["username"] == target
    assert (await api.data(LOGIN, {"u": target, "p": NEW_PASSWORD}))["login"]["errors"] == []
    # While the province office may reset it
    allowed = answered(await api.post(RESET_PASSWORD, {"id": target_id},
                                      await api.token(PROVINCE)), "resetPassword")
    assert allowed["oneTimePassword"]


# --- row scoping ----------------------------------------------------------------------------


async def test_the_scope_table_follows_the_rules() -> None:
    """SEES and MANAGES (the expectations below) agree with the issue's rules applied to the
    whole seeded tree."""
    for caller in CALLERS:
        sees, manages = await scope_of(caller)
        assert (sees & set(TARGETS), manages & set(TARGETS)) == (SEES[caller], MANAGES[caller])


async def test_one_loaded_organisation_is_seen_by_the_same_rule(api: Api) -> None:
    """`sees` (a mutation's target, found by code) is visible_organizations' rule: for every
    role, with and without a password still to change, from every target's unit."""
    targets = await Organization.filter(code__in=TARGETS)
    every = await Organization.all()
    for mine in targets:
        for role in Role:
            for must_change in (False, True):
                p = Principal(user_id=1, username="u", role=role, org_id=mine.id,
                              org_kind=mine.kind, org_parent_id=mine.parent_id,
                              must_change_password=must_change, token_id=1)
                visible = set(await visible_organizations(p).values_list("id", flat=True))
                assert {o.id for o in every if sees(p, o)} == visible, p
                for org in targets:
                    found = await visible_organization(p, org.code)
                    assert (found.id if found else None) == (org.id if org.id in visible
                                                             else None), (p, org.code)


@pytest.mark.parametrize("caller", CALLERS)
async def test_organisations_by_code_and_in_the_connection(api: Api, caller: str) -> None:
    # Given a caller of each role, and an undertaking for every organisation
    await undertake_everywhere()
    token = await api.token(caller)
    sees, _ = await scope_of(caller)

    # When it asks for each organisation by code
    found = {code: (await api.data(ORGANIZATION_DATA, {"code": code}, token))["organization"]
             for code in TARGETS}
    missing = await api.post(ORGANIZATION_DATA, {"code": NO_SUCH_SCHOOL}, token)

    # Then it gets those in its scope; the others answer null exactly like a nonexistent code
    assert {code for code, org in found.items() if org is not None} == SEES[caller]
    assert missing == {"data": {"organization": None}}
    for code in set(TARGETS) - SEES[caller]:
        assert await api.post(ORGANIZATION_DATA, {"code": code}, token) == missing
    # And accounts and undertakings only where it manages; above itself, bare nodes
    for code in SEES[caller]:
        org = found[code]
        if code in MANAGES[caller]:
            assert code in {u["username"] for u in org["users"]}
            assert org["undertakings"] == [{"quantity": len(code)}]
        else:
            assert org["users"] == [] and org["undertakings"] == [], (caller, code)

    # When it lists organisations, every page
    listed: list[str] = []
    after = None
    while True:
        page = (await api.data(ORGANIZATIONS_PAGE, {"first": 100, "after": after},
                               token))["organizations"]
        listed += [e["node"]["code"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # Then exactly its scope is listed, and totalCount counts only that
    assert sorted(listed) == sorted(sees)
    assert page["totalCount"] == len(sees)
    # And filters do not widen it: a neighbour's organisations are neither listed nor counted
    for code in set(TARGETS) - SEES[caller]:
        search = (await api.data(ORGANIZATIONS_PAGE, {"search": code}, token))["organizations"]
        assert (search["edges"], search["totalCount"]) == ([], 0), (caller, code)
    by_parent = (await api.data(ORGANIZATIONS_PAGE, {"parent": LUOYANG, "kind": "SCHOOL"},
                                token))["organizations"]
    luoyang_schools = {e["node"]["code"] for e in by_parent["edges"]}
    assert luoyang_schools <= sees and (LY_SCHOOL in luoyang_schools) is (LY_SCHOOL in sees)
    assert by_parent["totalCount"] == len(luoyang_schools)


@pytest.mark.parametrize("caller", CALLERS)
async def test_node_by_global_id(api: Api, caller: str) -> None:
    # Given real global ids of organisations, accounts and undertakings (read by the province)
    await undertake_everywhere()
    ids = await ids_of_targets(api)
    token = await api.token(caller)

    async def node(id_: str) -> dict[str, Any]:
        return await api.post(NODE_DETAIL, {"id": id_}, token)

    nothing = {"data": {"node": None}}
    # When it asks for each by its global id
    for code, known in ids.items():
        found = (await api.data(NODES, {"org": known["org"], "user": known["user"],
                                        "undertaking": known["undertakings"][0]}, token))

        # Then the organisation answers when seen, its account and undertakings when managed
        assert found["org"] == ({"__typename": "Organization", "code": code}
                                if code in SEES[caller] else None), (caller, code)
        if code in MANAGES[caller]:
            assert found["user"] == {"__typename": "User", "username": code}
            assert found["undertaking"]["organization"] == {"code": code}
        else:
            assert (found["user"], found["undertaking"]) == (None, None), (caller, code)
    # And out-of-scope ids answer exactly like nonexistent or malformed ones
    for missing in (global_id("Organization", "0"), global_id("User", "-1"),
                    global_id("NoSuchType", "1"), "not-a-global-id"):
        assert await node(missing) == nothing


async def test_node_with_a_nonexistent_huge_id_is_null(api: Api) -> None:
    """A global id is client input: a number beyond the database's integer range is simply
    an id that does not exist, not an internal error."""
    # Given the province office, which sees everything
    token = await api.token(PROVINCE)
    real = (await ids_of(api, LY_SCHOOL))["org"]

    # When it asks for an id that exists, then for ones that cannot exist
    found = await api.post(NODE, {"id": real}, token)
    huge = await api.post(NODE, {"id": global_id("Organization", 2**70)}, token)
    past_int32 = await api.post(NODE, {"id": global_id("Organization", 2**31)}, token)

    # Then the first answers and the others are null, like any nonexistent id
    assert found["data"]["node"]["__typename"] == "Organization"
    assert huge == {"data": {"node": None}}, huge
    assert past_int32 == {"data": {"node": None}}, past_int32


@pytest.mark.parametrize("caller", [ZZ_SCHOOL, HIGHER_SCHOOL, ZHENGZHOU, PROVINCE])
async def test_walking_the_tree_never_leaves_the_scope(api: Api, caller: str) -> None:
    # Given accounts and undertakings everywhere, and a caller starting from one of its schools
    await undertake_everywhere()
    sees, manages = await scope_of(caller)
    token = await api.token(caller)
    start = {ZHENGZHOU: ZZ_SCHOOL, PROVINCE: LY_SCHOOL}.get(caller, caller)
    own_undertaking = (await ids_of(api, start))["undertakings"][0]

    # When it walks up to the province office and down again, from a school, from its own
    # account and from an undertaking
    walks = [
        (await api.data(SCHOOL_WALK, {"code": start}, token))["organization"],
        (await api.data(ME_WALK, token=token))["me"],
        (await api.data(UNDERTAKING_WALK, {"id": own_undertaking}, token))["node"],
    ]

    # Then it meets only organisations it may see, and accounts of those it manages
    for walk in walks:
        assert collect(walk, "code") <= sees, (caller, walk)
        assert collect(walk, "username") <= manages, (caller, walk)
    # While it does meet its own part of the tree
    assert {start, PROVINCE} <= collect(walks[0], "code")
    assert caller in collect(walks[1], "code")
    assert start in collect(walks[2], "code")
    if caller in (PROVINCE, ZHENGZHOU):
        assert {ZZ_SCHOOL, ZZ_SCHOOL_2} <= collect(walks[0], "code")
    if caller == PROVINCE:
        assert collect(walks[0], "code") == sees


async def test_a_school_walking_up_never_meets_another_school(api: Api) -> None:
    # Given a 郑州 school and its neighbours under the same city
    token = await api.token(ZZ_SCHOOL)

    # When it walks organization(code: SCHOOL) { parent { parent { children { children } } } }
    walk = (await api.data(SCHOOL_WALK, {"code": ZZ_SCHOOL}, token))["organization"]

    # Then the city and the province are bare nodes, and below them only itself
    city = walk["parent"]
    province = city["parent"]
    assert (city["code"], province["code"]) == (ZHENGZHOU, PROVINCE)
    assert city["users"] == province["users"] == []
    assert [c["code"] for c in province["children"]] == [ZHENGZHOU]
    assert [s["code"] for s in province["children"][0]["children"]] == [ZZ_SCHOOL]
    # While its city bureau walking the same way sees all of its schools, no other
    city_walk = (await api.data(SCHOOL_WALK, {"code": ZZ_SCHOOL},
                                await api.token(ZHENGZHOU)))["organization"]
    below = {s["code"] for s in city_walk["parent"]["parent"]["children"][0]["children"]}
    assert below == (await scope_of(ZHENGZHOU))[1] - {ZHENGZHOU}


# --- abuse limits ---------------------------------------------------------------------------


def nested_parents(depth: int) -> str:
    """A query of the given depth, counted as graphql-depth-limit (and strawberry) count it:
    the root field is at depth 0, so `{ me { organization { code } } }` has depth 2."""
    inner = "code"
    for _ in range(depth - 2):
        inner = f"parent {{ {inner} }}"
    return f"{{ me {{ organization {{ {inner} }} }} }}"


async def test_queries_deeper_than_10_are_refused(api: Api) -> None:
    # Given a logged-in user
    token = await api.token(ZZ_SCHOOL)

    # When it sends a query 10 levels deep, then 11
    allowed = await api.post(nested_parents(10), token=token)
    refused = await api.post(nested_parents(11), token=token)

    # Then the first is answered (the school, its city, the province, nothing above), the
    # second refused before running
    assert "errors" not in allowed
    assert allowed["data"]["me"]["organization"]["parent"]["parent"] == {"parent": None}
    assert refused.get("data") is None
    assert "depth" in refused["errors"][0]["message"]


async def test_more_than_15_aliases_are_refused(api: Api) -> None:
    # Given a logged-in user
    token = await api.token(ZZ_SCHOOL)

    def aliases(count: int, *, in_fragment: bool = False) -> str:
        fields = " ".join(f"a{i}: username" for i in range(count))
        if in_fragment:
            return f"{{ me {{ ...F }} }} fragment F on User {{ {fields} }}"
        return f"{{ me {{ {fields} }} }}"

    # When it sends 15 aliases, then 16 (also hidden in a fragment)
    allowed = await api.post(aliases(15), token=token)
    refused = await api.post(aliases(16), token=token)
    hidden = await api.post(aliases(16, in_fragment=True), token=token)

    # Then 15 are answered, 16 are refused
    assert allowed["data"]["me"] == {f"a{i}": ZZ_SCHOOL for i in range(15)}
    for body in (refused, hidden):
        assert body.get("data") is None
        assert "aliases" in body["errors"][0]["message"]


async def test_a_page_holds_at_most_100_organisations(api: Api) -> None:
    # Given more than 100 organisations (120 extra schools under 洛阳)
    luoyang = await Organization.get(code=LUOYANG)
    await Organization.bulk_create([
        Organization(code=f"41993{n:05d}", name=f"测试学校{n}", kind=OrgKind.SCHOOL,
                     parent=luoyang, school_type=SchoolType.SECONDARY)
        for n in range(120)])
    total = await Organization.all().count()
    token = await api.token(PROVINCE)

    # When the province asks for 1000 a page, then for the rest
    first = (await api.data(ORGANIZATIONS_PAGE, {"first": 1000}, token))["organizations"]
    rest = (await api.data(ORGANIZATIONS_PAGE, {"first": 1000, "after":
                                                first["pageInfo"]["endCursor"]},
                           token))["organizations"]

    # Then a page holds 100, and the next page the remainder
    assert len(first["edges"]) == 100 and first["pageInfo"]["hasNextPage"] is True
    assert first["totalCount"] == total
    assert len(rest["edges"]) == total - 100 and rest["pageInfo"]["hasNextPage"] is False
    codes = [e["node"]["code"] for e in first["edges"] + rest["edges"]]
    assert len(set(codes)) == total
    # And the city bureau of 洛阳 (itself, the province, its schools) gets 100 too
    in_scope = len((await scope_of(LUOYANG))[0])
    city = (await api.data(ORGANIZATIONS_PAGE, {"first": 1000},
                           await api.token(LUOYANG)))["organizations"]
    assert len(city["edges"]) == 100 and city["totalCount"] == in_scope > 100
    assert city["pageInfo"]["hasNextPage"] is True


async def test_unexpected_errors_are_masked_and_ours_keep_their_code(
        api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # Given a login that fails unexpectedly inside, with a secret in its message
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("connection to db-secret-host:5432 refused")

    token = await api.token(ZZ_SCHOOL)
    monkeypatch.setattr(models.accounts, "login", broken)

    # When a client logs in, and another calls the API without a token
    masked = await api.post(LOGIN, {"u": ZZ_SCHOOL, "p": NEW_PASSWORD})
    ours = await api.post(CAMPAIGNS)

    # Then the unexpected failure reads "internal error", and reveals nothing
    assert [e["message"] for e in masked["errors"]] == ["internal error"]
    assert "db-secret-host" not in str(masked)
    assert "db-secret-host" in caplog.text  # the server's log keeps it
    # But our own errors keep their message and extensions.code
    assert error_codes(ours) == ["UNAUTHENTICATED"]
    assert ours["errors"][0]["message"] != "internal error"
    # And the API is otherwise unaffected
    assert (await api.data(CAMPAIGNS, token=token))["campaigns"]
