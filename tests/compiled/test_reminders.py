"""Reminders through the compiled path: a sender's schedule for a declaration window and for a
year's round, each with its due time read from the close as it is now (none without a close),
sent or not, with the notice it became; the same bytes as the resolver path for every caller,
one statement each; a campaign not found, a year without a round and a school's request as
the resolver path answers them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import Campaign, Organization, ReportingRound
from models.clock import now_utc
from models.notice import Audience, Reminder
from models.notices import write
from models.seeding import CAMPAIGN_CODE
from models.transaction import write_transaction
from tests.compiled.conftest import Paths
from tests.conftest import LUOYANG, PROVINCE, ZHENGZHOU, ZZ_SCHOOL

pytestmark = pytest.mark.asyncio(loop_scope="session")

LIST = """
query($campaign: String, $year: Int) {
  reminders(campaignCode: $campaign, year: $year) {
    __typename id daysBefore year dueAt sentAt outcome noticeId
  }
}"""

SCHEDULE = """
mutation($days: [Int!]!, $year: Int) {
  scheduleReminders(daysBefore: $days, year: $year) { errors { code } } }"""


async def test_reminders(paths: Paths) -> None:
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    rounds = await ReportingRound.filter(campaign=campaign).order_by("year")
    now = now_utc()
    # a round that closes (with microseconds), one without a close
    await ReportingRound.filter(id=rounds[0].id).update(
        opens_at=now - timedelta(days=3), closes_at=now + timedelta(days=20, microseconds=7))
    await ReportingRound.filter(id=rounds[1].id).update(opens_at=None, closes_at=None)
    province, city = await paths.token(PROVINCE), await paths.token(ZHENGZHOU)
    for token, days, year in ((province, [7, 3, 1], None), (province, [5, 10], rounds[0].year),
                              (province, [2], rounds[1].year), (city, [2, 4], None)):
        result = await paths.reference.data(SCHEDULE, {"days": days, "year": year}, token)
        assert result["scheduleReminders"]["errors"] == [], result
    # one sent (the notice it became), one claimed with nothing to send
    sent, superseded = await Reminder.filter(round_id=None).order_by("id").limit(2)
    async with write_transaction():
        notice = await write(sender_org_id=sent.sender_org_id, sender_user_id=None,
                             title="提醒", body="请提交", audience=Audience.REMINDER,
                             label="自动提醒", recipients=[await Organization.get(code=ZZ_SCHOOL)],
                             attachments=(), email=False, at=now)
    await Reminder.filter(id=sent.id).update(claimed_at=now, claimed_by="w1",
                                             notice_id=notice.id, outcome="已提醒1个单位")
    await Reminder.filter(id=superseded.id).update(claimed_at=now, claimed_by="w1",
                                                   outcome="已被更近的提醒取代")

    variables = [{}, {"campaign": CAMPAIGN_CODE}, {"year": rounds[0].year},
                 {"year": rounds[1].year}, {"year": 2019}, {"campaign": "nope"},
                 {"campaign": "nope", "year": rounds[0].year}]
    for user in (PROVINCE, ZHENGZHOU, LUOYANG):
        token = await paths.token(user)
        for v in variables:
            body = await paths.both(LIST, v, token)
            if v.get("campaign") != "nope":
                assert len(paths.statements) == paths.one_read, (user, v, paths.statements)
            else:
                assert b"errors" in body
    body = await paths.both(LIST, {}, province)
    assert body.count(b'"daysBefore"') == 3 and b'"outcome":"' in body
    assert b'"noticeId":"' in body and b'"noticeId":null' in body and b"+08:00" in body
    assert b'"dueAt":null' in await paths.both(LIST, {"year": rounds[1].year}, province)
    await paths.both(LIST, {}, await paths.token(ZZ_SCHOOL))  # not a sender: refused alike
    await paths.both(LIST, {}, None)
