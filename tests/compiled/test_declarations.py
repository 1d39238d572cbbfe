"""Declarations through the compiled path: the form's columns before and after the first
save, the window with and without an extension, its rows; the same bytes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from models import Campaign, Extension, Organization, TaskEntry, Undertaking, User
from models.clock import now_utc
from models.mandatory import BreakSource, MandatoryConfirmation
from models.seeding import CAMPAIGN_CODE
from tests.compiled.conftest import Paths
from tests.conftest import LUOYANG, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2

pytestmark = pytest.mark.asyncio(loop_scope="session")

DECLARATION = """
query Declaration($org: String, $campaign: String) {
  declaration(organizationCode: $org, campaignCode: $campaign) {
    __typename status version submittedAt returnedAt returnReason acceptedAt updatedAt
    deadline opensAt extensionUntil editable lock { code message __typename } nextStep
    locked: lock { why: message }
    organization { code name parent { code } }
    campaign { __typename id code name declarationOpensAt declarationClosesAt cityReview
               lateReturnDays medianFactor }
    undertakings { quantity funding { total schoolSelf } item { number } }
  }
}
"""

SAVE = """
mutation($input: SaveUndertakingsInput!) {
  saveUndertakings(input: $input) { errors { code message } }
}
"""

SUBMIT = """
mutation($org: String!, $v: Int!) {
  submitDeclaration(organizationCode: $org, version: $v) { errors { code } }
}
"""


async def test_declarations(paths: Paths) -> None:
    school = await paths.token(ZZ_SCHOOL_2)
    cases = [(ZZ_SCHOOL_2, {}), (ZZ_SCHOOL_2, {"org": ZZ_SCHOOL_2}),
             (ZZ_SCHOOL_2, {"org": ZZ_SCHOOL}),
             (ZHENGZHOU, {"org": ZZ_SCHOOL_2}), (ZHENGZHOU, {"org": PROVINCE}),
             (LUOYANG, {"org": ZZ_SCHOOL_2}), (PROVINCE, {"org": ZZ_SCHOOL_2}),
             (PROVINCE, {"org": ZZ_SCHOOL_2, "campaign": CAMPAIGN_CODE}),
             (PROVINCE, {"org": ZZ_SCHOOL_2, "campaign": "nope"}), (PROVINCE, {"org": "nope"})]

    async def compare() -> None:
        for user, variables in cases:
            await paths.both(DECLARATION, variables, await paths.token(user))
            if "nope" not in variables.values() and user != LUOYANG:
                assert len(paths.statements) == paths.one_read, paths.statements

    await compare()  # nothing saved yet
    rows = [{"itemNumber": n, "quantity": 2, "funding": {"schoolSelf": "1.5",
                                                         "enterprise": "0.25"}}
            for n in ("3.2", "7.1", "16")]
    body = await paths.reference.data(SAVE, {"input": {"organizationCode": ZZ_SCHOOL_2,
                                                       "version": 0, "rows": rows}}, school)
    assert body["saveUndertakings"]["errors"] == []
    await compare()  # a draft with rows
    await paths.reference.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 1}, school)
    org = await Organization.get(code=ZZ_SCHOOL_2)
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    granter = await User.get(username=PROVINCE)
    await Extension.create(organization=org, campaign=campaign, granted_by=granter,
                           until=campaign.declaration_closes_at + timedelta(days=3))
    await compare()  # submitted, with an extension that runs
    await Extension.filter(organization=org).update(until=now_utc() - timedelta(days=1))
    await compare()  # an extension that has ended
    # The window closed (no extension), then not yet open: the lock's words name the time.
    await Campaign.filter(id=campaign.id).update(
        declaration_closes_at=now_utc() - timedelta(hours=2))
    await compare()
    await Campaign.filter(id=campaign.id).update(
        declaration_opens_at=now_utc() + timedelta(days=2),
        declaration_closes_at=now_utc() + timedelta(days=9))
    await compare()



MISSING = """
query Missing($org: String) {
  declaration(organizationCode: $org) {
    status
    missingMandatoryItems { __typename id number title level schoolTypes parent { number }
                            children { number } }
    campaign { code }
  }
}
"""


async def test_missing_mandatory_items(paths: Paths) -> None:
    # ZZ_SCHOOL must undertake every item shown to it; ZZ_SCHOOL_2 need not
    school = await paths.token(ZZ_SCHOOL)
    cases = [(ZZ_SCHOOL_2, {}), (ZHENGZHOU, {"org": ZZ_SCHOOL}), (PROVINCE, {"org": ZZ_SCHOOL}),
             (LUOYANG, {"org": ZZ_SCHOOL}), (ZZ_SCHOOL_2, {"org": ZZ_SCHOOL}), (ZZ_SCHOOL, {})]

    async def missing() -> list[str]:
        for user, variables in cases:
            body = await paths.both(MISSING, variables, await paths.token(user))
            assert len(paths.statements) == paths.one_read, paths.statements
        form = json.loads(body)["data"]["declaration"]  # the school's own, asked last
        return [e["number"] for e in form["missingMandatoryItems"]]

    shown = await missing()  # nothing declared: every item shown to it is missing
    assert {"3.2", "7.1", "16"} <= set(shown)
    rows = [{"itemNumber": n, "quantity": 1} for n in ("3.2", "7.1", "16")]
    saved = await paths.reference.data(SAVE, {"input": {"organizationCode": ZZ_SCHOOL,
                                                        "version": 0, "rows": rows}}, school)
    assert saved["saveUndertakings"]["errors"] == []
    assert await missing() == [n for n in shown if n not in ("3.2", "7.1", "16")]

    # a withdrawn row is asked again; an item the province confirmed it may lack is not
    org = await Organization.get(code=ZZ_SCHOOL)
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    withdrawn = await Undertaking.get(organization=org, item__number="7.1")
    await Undertaking.filter(id=withdrawn.id).update(withdrawn_at=now_utc())
    exempt = await TaskEntry.get(campaign=campaign, number=shown[-1])
    await MandatoryConfirmation.create(campaign=campaign, organization=org, item=exempt,
                                       source=BreakSource.CATALOG, reason="省厅确认",
                                       confirmed_by=await User.get(username=PROVINCE))
    assert await missing() == [n for n in shown if n not in ("3.2", "16", shown[-1])]
