"""A year's report's history through the compiled path: status changes, reviewers' comments on
that year's lines and the report's other events (one from the command line, one with field
changes), merged in one order with ties in time; the same bytes as the resolver path, for each
caller who may read it and for one who may not, with the report compiled whole."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise import connections

from models import Campaign, Organization, ReportingRound, User
from models.clock import SHANGHAI
from models.declaration import DeclarationAction, DeclarationStatus
from models.object_history import HistoryEvent, ObjectEvent, record, report_subject
from models.performance import PerformanceReport, ReportEvent
from models.row_comments import RowComment
from models.seeding import CAMPAIGN_CODE
from tests.compiled.conftest import Paths
from tests.compiled.test_reports import REPORT, _reports
from tests.conftest import LUOYANG, LY_SCHOOL, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2

pytestmark = pytest.mark.asyncio(loop_scope="session")

HISTORY = """
query($year: Int!, $org: String) {
  performanceReport(year: $year, organizationCode: $org) {
    status
    history {
      __typename at statusChange fromStatus toStatus reason rowChange itemNumber
      before { quantity } after { quantity schoolSelf }
      comment certificationResult certifiedQuantity event until fileName
      changes { __typename field before after }
      actor { __typename username displayName organizationName }
    }
  }
}
"""

FRAGMENTS = """
query($year: Int!, $org: String) {
  performanceReport(year: $year, organizationCode: $org) {
    h: history { ...Line when: at }
    again: history { who: actor { ...Who } kind: __typename }
  }
}
fragment Line on HistoryEntry { at comment ... on HistoryEntry { event } changes { f: field } }
fragment Who on Actor { organizationName name: username }
"""


async def test_a_reports_history(paths: Paths) -> None:
    this, last, _ = await _reports()
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    round_ = await ReportingRound.get(campaign=campaign, year=this)
    school = await Organization.get(code=ZZ_SCHOOL_2)
    report = await PerformanceReport.get(organization=school, round=round_)
    province = await User.get(username=PROVINCE)
    city = await User.get(username=ZHENGZHOU)
    readers = [(PROVINCE, ZZ_SCHOOL_2), (ZHENGZHOU, ZZ_SCHOOL_2), (ZZ_SCHOOL_2, None),
               (ZZ_SCHOOL, ZZ_SCHOOL_2), (LUOYANG, ZZ_SCHOOL_2), (PROVINCE, LY_SCHOOL),
               (LUOYANG, LY_SCHOOL), (ZHENGZHOU, ZHENGZHOU)]

    async def compare() -> None:
        for user, org in readers:
            token = await paths.token(user)
            for year in (this, last):
                for query in (HISTORY, FRAGMENTS, REPORT.replace("lines {", "history {"
                              " at comment } lines {")):
                    await paths.both(query, {"year": year, "org": org}, token)
                    assert len(paths.statements) == paths.one_read, (user, paths.statements)

    await compare()  # the comments of _reports only
    # status changes, and events of a report saved and of one not saved (LY_SCHOOL's)
    first = await ReportEvent.create(report=report, actor=city, action=DeclarationAction.RETURN,
                                     from_status=DeclarationStatus.SUBMITTED,
                                     to_status=DeclarationStatus.RETURNED, reason="补充\"材料\"")
    tie = first.at
    await ReportEvent.create(report=report, actor=province, action=DeclarationAction.SUBMIT,
                             from_status=DeclarationStatus.DRAFT,
                             to_status=DeclarationStatus.SUBMITTED, at=tie)
    other = await Organization.get(code=LY_SCHOOL)
    for org in (school, other):
        await record(report_subject(org.id, round_.id), HistoryEvent.REPORT_EXTENSION_GRANTED,
                     reason="延期", until=tie + timedelta(days=3), at=tie)
    await compare()

    # ties across sources, and within one: comments at one time, two of them written in the
    # other order than their ids' and on rows in that order too (neither the table's order
    # nor an index's is the history's), a line saved from the command line with field
    # changes, a time stored as text in another form (on SQLite: the order is the instants',
    # not the text's)
    lines_of = sorted({c.undertaking_id for c in await RowComment.filter(year=this)})
    for pk, undertaking in ((10**6 + 100, lines_of[0]), (10**6 + 50, lines_of[1])):
        await RowComment.create(id=pk, undertaking_id=undertaking, year=this, author=city,
                                text=f"意见{pk}")
    comments = await RowComment.filter(year=this).order_by("id")
    assert len(comments) == 4
    await RowComment.filter(year=this).update(at=tie)
    await record(report_subject(school.id, round_.id), HistoryEvent.LINE_SAVED, at=tie,
                 item_number="3.2", before={"completed_quantity": 1, "narrative": "旧\t\"说明\""},
                 after={"completed_quantity": 3, "narrative": "新😀"})
    shifted = await ObjectEvent.create(subject=report_subject(school.id, round_.id),
                                       event=HistoryEvent.EVIDENCE_UPLOADED, actor=province,
                                       at=tie + timedelta(microseconds=1), file_name="佐证.pdf")
    db = connections.get("default")
    if db.capabilities.dialect == "sqlite":  # as another writer may store it: its text sorts last
        await db.execute_query("UPDATE object_event SET at = ? WHERE id = ?", [
            shifted.at.astimezone(SHANGHAI).isoformat(), shifted.id])
    # another round's and another organisation's lines are not this report's
    await record(report_subject(school.id, round_.id + 1000), HistoryEvent.LINE_SAVED, at=tie)
    await compare()

    # the order the two paths share: by time, then status, comment, other event, then id
    body = await paths.reference.data(HISTORY, {"year": this, "org": ZZ_SCHOOL_2},
                                      await paths.token(PROVINCE))
    lines = body["performanceReport"]["history"]
    at_tie = [(line["statusChange"], line["comment"], line["event"]) for line in lines
              if line["at"] == lines[0]["at"]]
    assert [s for s, _, _ in at_tie[:2]] == ["RETURN", "SUBMIT"], at_tie
    assert [c for _, c, _ in at_tie[2:6]] == [c.text for c in comments], at_tie
    assert [e for _, _, e in at_tie[6:]] == ["REPORT_EXTENSION_GRANTED", "LINE_SAVED"], at_tie
    assert lines[-1]["fileName"] == "佐证.pdf"
