"""A catalog entry's and a user's history through the compiled path: the object's own events
in the order they were written (also when their times say otherwise), with field changes,
who acted or the SYSTEM actor; wherever the entry or the user is read (the catalog, an
entry, a row's item, `me`, a unit's users, node(id)); the same bytes as the resolver path
for every caller, one statement each, and another object's events never shown."""

from __future__ import annotations

from base64 import b64encode
from datetime import timedelta

import pytest

from models import Campaign, TaskEntry, User
from models.clock import now_utc
from models.object_history import (
    HistoryEvent,
    ObjectEvent,
    entry_subject,
    record,
    user_subject,
)
from models.seeding import CAMPAIGN_CODE
from tests.compiled.conftest import Paths
from tests.conftest import LUOYANG, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2

pytestmark = pytest.mark.asyncio(loop_scope="session")

LINE = """
fragment H on HistoryEntry {
  __typename at event reason until itemNumber fileName statusChange rowChange comment
  before { quantity } changes { __typename field before after }
  actor { __typename username displayName organizationName } }"""

ENTRY = """
query($n: String!) { taskEntry(number: $n) { number history { ...H } } }""" + LINE
CATALOG = """
{ taskCatalog { number h: history { ...H } } }""" + LINE
CHILDREN = """
{ taskCatalog { children { number history { event at } } } }"""
ME = "{ me { username history { ...H } } }" + LINE
USERS = """
query($org: String!) { organization(code: $org) { users { username history { ...H } } } }""" + LINE
NODE = """
query($id: ID!) { node(id: $id) { __typename ... on User { username history { ...H } }
                                   ... on TaskEntry { number history { event at } } } }""" + LINE
NESTED = """
query($org: String!) { organization(code: $org) {
  undertakings { item { number history { event changes { field after } } } } } }"""


def _node(type_name: str, pk: int) -> str:
    return b64encode(f"{type_name}:{pk}".encode()).decode()


async def test_event_histories(paths: Paths) -> None:
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    entry = await TaskEntry.get(campaign=campaign, number="3.2")
    group = await TaskEntry.get(campaign=campaign, number="3")
    school = await User.get(username=ZZ_SCHOOL)
    city = await User.get(username=ZHENGZHOU)
    now = now_utc()
    # the entry: changed field by field (text that needs escaping), retired from the command
    # line, then an event written later with an earlier time (listed where it was written)
    await record(entry_subject(entry.id), HistoryEvent.ENTRY_CHANGED, at=now,
                 before={"title": "旧\"标题\"\\\t\u0001\u2028😀", "target_quantity": 100},
                 after={"title": "新标题", "target_quantity": None, "target_unit": "个"})
    await record(entry_subject(entry.id), HistoryEvent.ENTRY_RETIRED, at=now)
    await ObjectEvent.create(subject=entry_subject(entry.id), event=HistoryEvent.ENTRY_RESTORED,
                             actor=city, at=now - timedelta(days=1), reason="恢复")
    await record(entry_subject(group.id), HistoryEvent.ENTRY_ADDED, at=now,
                 after={"number": "3"})
    # the user: two password resets, one by its city and one from the command line
    for actor in (city, None):
        await ObjectEvent.create(subject=user_subject(school.id),
                                 event=HistoryEvent.PASSWORD_RESET, actor=actor, at=now)
    # other objects' events (an id beyond these, another kind of subject with the same id)
    await record(user_subject(school.id + 1000), HistoryEvent.PASSWORD_RESET, at=now)
    await record(f"Organization:{school.id}", HistoryEvent.PASSWORD_RESET, at=now)

    await paths.both(USERS, {"org": ZZ_SCHOOL})  # no caller: refused alike
    for user in (PROVINCE, ZHENGZHOU, LUOYANG, ZZ_SCHOOL, ZZ_SCHOOL_2):
        token = await paths.token(user)
        for query, variables in (
                (ENTRY, {"n": "3.2"}), (ENTRY, {"n": "3"}), (ENTRY, {"n": "7.1"}),
                (CATALOG, {}), (CHILDREN, {}), (ME, {}), (USERS, {"org": ZZ_SCHOOL}),
                (USERS, {"org": ZHENGZHOU}), (NODE, {"id": _node("User", school.id)}),
                (NODE, {"id": _node("TaskEntry", entry.id)}),
                (NESTED, {"org": ZZ_SCHOOL})):
            body = await paths.both(query, variables, token)
            assert len(paths.statements) == paths.one_read, (user, query, paths.statements)
            if query is ENTRY and variables["n"] == "3.2":
                assert body.count(b'"event":') == 3, body
                assert body.index(b"ENTRY_RETIRED") < body.index(b"ENTRY_RESTORED"), body
        if user == LUOYANG:  # another city's school: no such node for it
            assert b'"node":null' in await paths.both(NODE, {"id": _node("User", school.id)},
                                                      token)
    school_token = await paths.token(ZZ_SCHOOL)
    body = await paths.both(ME, {}, school_token)
    assert body.count(b'"PASSWORD_RESET"') == 2 and "系统（命令行）".encode() in body
