"""Hand-written read documents, the shapes clients write, each through both read paths on the
rich dataset: identical bytes, and each answer shows what the document is about (so a
document that silently answered nothing would fail)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import ZHENGZHOU, ZZ_SCHOOL_2
from tests.differential import dataset
from tests.differential.conftest import World

Variables = dict[str, Any] | Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    name: str
    role: str
    query: str
    variables: Variables
    expect: tuple[str, ...]  # substrings of the compiled answer


def undertaking(org: str, item: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"u": w.data.undertakings[(org, item)]}


ORG_FIELDS = """
fragment Org on Organization { __typename id code name kind schoolType cityCategory
  mustUndertakeAll isDemo parent { code kind } }"""

FUNDING = "fragment Money on Funding { schoolSelf enterprise sponsor localGov provincial total }"

CASES = [
    # Organizations: aliases, named fragments, variables, directives, connections.
    Case("organization with aliases and a fragment", "province", """
query Two($a: String!, $b: String!) {
  first: organization(code: $a) { ...Org children { code } }
  second: organization(code: $b) { ...Org users { username role isActive } }
  none: organization(code: "4199999999") { code }
}""" + ORG_FIELDS, {"a": ZHENGZHOU, "b": ZZ_SCHOOL_2}, ('"first":', '"none":null', "CITY")),
    Case("organizations page one", "province", """
query($first: Int) { organizations(kind: SCHOOL, first: $first) {
  totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { code name schoolType } } } }""", {"first": 3},
         ('"totalCount":', '"hasNextPage":true')),
    Case("organizations after a cursor", "province", """
query($after: String) { organizations(first: 2, after: $after) {
  totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { code } } } }""", lambda w: {"after": w.pools["after"][1]},
         ('"hasPreviousPage":true',)),
    Case("organizations paged backwards, edges aliased apart", "province", """
query($b: String) { organizations(last: 2, before: $b) { __typename totalCount
  pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
  edges { __typename cursor node { code } } names: edges { node { name kind } } } }""",
         lambda w: {"b": w.pools["after"][2]}, ('"hasNextPage":true', '"names":[{"node":{"name"')),
    Case("organizations: the last page", "city", """
{ last: organizations(last: 3) { pageInfo { hasNextPage hasPreviousPage }
  edges { node { code } } } }""", {}, ('"hasPreviousPage":true',)),
    Case("organizations after a cursor of another list", "city", """
query($a: String) { organizations(after: $a) { totalCount } }""",
         lambda w: {"a": w.pools["after"][-1]}, ("INVALID_CURSOR",)),
    Case("organizations filtered, as a city", "city", """
{ organizations(parentCode: "410100", search: "中等", schoolType: SECONDARY) {
  totalCount edges { node { code parent { code name } undertakings { quantity } } } } }""",
         {}, ('"totalCount":',)),
    Case("search with LIKE wildcards", "province", """
{ percent: organizations(search: "%") { totalCount } underscore: organizations(search: "4199_")
  { totalCount } backslash: organizations(search: "\\\\") { totalCount }
  spaced: organizations(search: " 郑州 ") { totalCount edges { node { code } } } }""", {},
         ('"percent":{"totalCount":',)),
    Case("include and skip by variables", "city", """
query($yes: Boolean!, $no: Boolean!) { organization(code: "410100") {
  code name @include(if: $yes) kind @skip(if: $yes) children @include(if: $no) { code }
  parent @skip(if: $no) { code } } }""", {"yes": True, "no": False}, ('"name":',)),
    Case("a city walks up and down the tree", "city", """
{ me { organization { code parent { code children { code } users { username } }
       children { code users { username } } } } }""", {}, ('"410000"',)),
    Case("a school walks up: bare nodes only", "school", """
{ me { organization { code parent { code name children { code } undertakings { quantity }
       users { username } parent { code children { code } } } } } }""", {}, ('"410100"',)),
    Case("another city is out of scope", "city", """
{ organization(code: "410300") { code } lyschool: organization(code: "4199200005") { code } }""",
         {}, ('"organization":null',)),
    # Global ids and node().
    Case("node over every type", "province", """
query($org: ID!, $u: ID!, $cr: ID!, $ev: ID!) {
  o: node(id: $org) { __typename id ... on Organization { code } }
  u: node(id: $u) { __typename ... on Undertaking { quantity item { number } funding { total } } }
  c: node(id: $cr) { ... on ChangeRequest { kind status reason } }
  e: node(id: $ev) { ... on EvidenceFile { filename size sha256 downloadUrl } }
  bad: node(id: "bm9wZQ") { id }
}""", lambda w: {"org": w.pools["id"][0], "u": w.data.undertakings[(ZZ_SCHOOL_2, "3.2")],
                 "cr": w.data.change_requests[0], "ev": w.data.evidence[0]},
         ('"__typename":"Undertaking"', '"bad":null', '"filename":')),
    Case("node out of scope", "school", """
query($u: ID!) { node(id: $u) { id ... on Undertaking { quantity } } }""",
         undertaking(dataset.KF_SCHOOL, "3.3"), ('"node":null',)),
    Case("node in scope", "school", """
query($u: ID!) { node(id: $u) { id ... on Undertaking { quantity certification { result } } } }""",
         undertaking(ZZ_SCHOOL_2, "3.2"), ('"CERTIFIED"',)),
    # The catalog.
    Case("catalog tree", "school", """
{ campaigns { code name declarationOpensAt declarationClosesAt performanceYears declarationOpen }
  taskCatalog(schoolType: SECONDARY) { __typename number title isGroup level targetQuantity
    targetUnit schoolTypes retiredAt parent { number } children { number level schoolTypes
    parent { number } } } }""", {}, ("+08:00", '"SECONDARY"')),
    Case("catalog entry", "anonymous", """
{ taskEntry(number: "3.2") { number title } }""", {}, ("errors",)),
    Case("catalog entry by number", "city", """
query($n: String!) { taskEntry(number: $n) { id number title targetQuantity
  children { number } parent { number title } } }""", {"n": "3.2"}, ('"3.2"',)),
    Case("text that JSON writers must escape alike", "province", """
{ taskEntry(number: "57") { title targetUnit } organization(code: "4199200002") {
  users { username displayName } }
  changeRequests(status: PENDING) { reason } }""", {}, ('\\"引号\\"', "\\n", "😀")),
    # Declarations: every status, money, times, history, lock.
    Case("declarations in every status", "province", """
fragment Decl on Declaration { status version submittedAt returnedAt returnReason acceptedAt
  updatedAt deadline opensAt extensionUntil editable lock { code message }
  organization { code } campaign { code }
  undertakings { id quantity updatedAt item { number } funding { ...Money }
                 certification { result remarks decidedAt } changeRequests { status kind } }
  missingMandatoryItems { number } }
{ draft: declaration(organizationCode: "4199200001") { ...Decl }
  accepted: declaration(organizationCode: "4199200002") { ...Decl }
  submitted: declaration(organizationCode: "4199200003") { ...Decl }
  returned: declaration(organizationCode: "4199200005") { ...Decl }
  withdrawn: declaration(organizationCode: "4199200009") { ...Decl }
  notStarted: declaration(organizationCode: "4199200006") { ...Decl }
  province: declaration(organizationCode: "410000") { ...Decl }
}""" + FUNDING, {}, ('"status":"RETURNED"', '"50.25"', '"1.25"', "+08:00",
                     '"NOT_STARTED"')),
    Case("declaration history", "school", """
{ declaration { status history { at actor { username displayName organizationName }
  statusChange fromStatus toStatus reason rowChange itemNumber
  before { quantity schoolSelf } after { quantity schoolSelf } } } }""", {},
         ('"statusChange":"ACCEPT"',)),
    Case("declaration through the organization", "city", """
{ organization(code: "4199200002") { declaration { status undertakings { quantity
  funding { total } } } } other: organization(code: "4199200005") { declaration { status } } }""",
         {}, ('"ACCEPTED"', '"other":null')),
    Case("declaration out of scope", "school", """
{ declaration(organizationCode: "4199200005") { status } }""", {}, ('"declaration":null',)),
    Case("declaration before the password is replaced", "initial", """
{ me { username mustChangePassword } declaration { status } }""", {}, ("errors",)),
    Case("declaration not logged in", "anonymous", """
{ declaration { status } }""", {}, ("errors",)),
    # Sums, progress, compliance.
    Case("undertaking sums", "province", """
{ undertakingSums { item { number } organizations quantity funding { ...Money } targetPercent
  byGroup { label organizations quantity funding { total } } } }""" + FUNDING, {},
         ('"targetPercent":',)),
    Case("undertaking sums of one city", "province", """
query($c: String) {
  undertakingSums(cityCode: $c) { item { number } quantity byGroup { label } } }""",
         {"c": ZHENGZHOU}, ('"quantity":',)),
    Case("undertaking sums, every field, aliases and fragments", "province", """
fragment Group on GroupItemSum { __typename id label organizations quantity funding { ...Money }
  unit { __typename id code name kind parent { code } } }
query($s: [DeclarationStatus!], $c: String, $with: Boolean!) {
  all: undertakingSums(statuses: $s) { __typename id organizations quantity targetPercent
    funding { ...Money } item { id number title level targetQuantity targetUnit schoolTypes
    parent { number } children { number } } ... on ItemSum { byGroup @include(if: $with) {
    ...Group } } }
  city: undertakingSums(statuses: $s, cityCode: $c) { id quantity again: byGroup { ...Group } }
}""" + FUNDING, {"s": ["DRAFT", "SUBMITTED", "CITY_APPROVED", "RETURNED", "ACCEPTED"],
                 "c": ZHENGZHOU, "with": True},
         ('"省教育厅（省级任务）"', '"省直属学校"', '"label":"郑州市"', '"__typename":"ItemSum"')),
    Case("undertaking sums by status, empty and not found", "province", """
{ accepted: undertakingSums(statuses: [ACCEPTED]) { item { number } quantity funding { total }
    byGroup { label quantity } }
  returned: undertakingSums(statuses: [RETURNED, RETURNED]) { quantity byGroup { label } }
  nocity: undertakingSums(cityCode: "4199999999") { quantity }
  school: undertakingSums(cityCode: "4199200002") { quantity }
  oldest: undertakingSums(cityCode: " 410300 ", campaignCode: "henan-2020") { quantity } }""",
         {}, ('"nocity":null', '"school":null')),
    Case("undertaking sums: statuses refused, campaign not found", "province", """
{ undertakingSums(statuses: []) { quantity } other: undertakingSums(campaignCode: "nope") {
  quantity } }""", {}, ("errors",)),
    Case("undertaking sums of a city bureau", "city", """
query($s: [DeclarationStatus!]) { undertakingSums(statuses: $s) { id item { number }
  organizations quantity targetPercent funding { total } byGroup { id label unit { code
  children { code } } funding { provincial } } }
  own: undertakingSums(cityCode: "410100") { quantity } }""",
         {"s": ["DRAFT", "SUBMITTED", "CITY_APPROVED", "RETURNED", "ACCEPTED"]},
         ('"label":"郑州市"',)),
    Case("undertaking totals, every part", "province", """
query($s: [DeclarationStatus!]) { undertakingTotals(statuses: $s) { __typename countedStatuses
  funding { ...Money } byCity { __typename label organizations undertakings funding { ...Money }
  unit { id code kind } } items { id item { number } quantity targetPercent byGroup { label } } }
  default: undertakingTotals { countedStatuses byCity { label } } }""" + FUNDING,
         {"s": ["RETURNED", "DRAFT", "SUBMITTED", "CITY_APPROVED", "ACCEPTED"]},
         ('"countedStatuses":["DRAFT","RETURNED","SUBMITTED","CITY_APPROVED","ACCEPTED"]',
          '"省教育厅（省级任务）"', '"省直属学校"', '"label":"郑州市"')),
    Case("undertaking totals of a city bureau", "city", """
{ undertakingTotals { countedStatuses funding { total } byCity { label unit { code } }
  items { item { number } byGroup { label } } }
  other: undertakingTotals(cityCode: "410300") { countedStatuses } }""", {},
         ('"label":"郑州市"', '"other":null')),
    Case("sums denied to a school", "school", """
{ undertakingSums { quantity } compliance { zeroFunding { id } } }""", {}, ("errors",)),
    Case("a city may not narrow to another city", "city", """
{ undertakingSums(cityCode: "410300") { quantity } }""", {}, ('"undertakingSums":null',)),
    Case("progress with paged schools", "province", """
query($after: String) { declarationProgress { counts { notStarted draft submitted returned
  accepted total neverLoggedIn } groups { label unit { code } counts { total accepted } }
  schools(first: 4, sort: NAME, after: $after) { totalCount
    pageInfo { hasNextPage endCursor } edges { cursor node { school { code } status itemCount
    fundingTotal lastChangeAt lastLoginAt neverLoggedIn } } } } }""",
         # (the first page: the pool's cursors belong to other connections, and a cursor
         # of another connection is refused as INVALID_CURSOR since keyset pagination)
         {"after": None}, ('"fundingTotal":',)),
    Case("progress of a city, filtered", "city", """
{ declarationProgress { counts { total submitted }
  schools(status: SUBMITTED, neverLoggedIn: false) { totalCount edges { node { school { code } } } }
} }""", {}, ('"totalCount":',)),
    Case("compliance", "province", """
{ compliance { missingMandatory { school { code } missingItems { number } }
  zeroFunding { id organization { code } item { number } } } }""", {},
         ('"missingMandatory":',)),
    Case("compliance of a city, every field", "city", """
query($c: String) { compliance { __typename missingMandatory { __typename id
  school { code name } missingItems { id number title level }
  confirmed { item { number } source reason confirmedAt confirmedBy { username } } }
  zeroFunding { id quantity updatedAt funding { ...Money } organization { code }
  item { number } } }
  other: compliance(cityCode: $c) { zeroFunding { id } } }""" + FUNDING, {"c": "410300"},
         ('"missingMandatory":[{', '"other":null')),
    # Reports, evidence, change requests, certification.
    Case("reports in three states", "province", """
fragment R on PerformanceReport { year status version submittedAt returnedAt returnReason
  acceptedAt deadline editable lock { code } organization { code }
  lines { saved completedQuantity progress narrative spent { ...Money }
          previous { completedQuantity spent { total } }
          undertaking { item { number } quantity }
          evidence { id filename contentType size sha256 uploadedAt downloadUrl } }
  history { at statusChange reason actor { username } } }
{ accepted: performanceReport(year: 2021, organizationCode: "4199200002") { ...R }
  carried: performanceReport(year: 2022, organizationCode: "4199200002") { ...R }
  returned: performanceReport(year: 2021, organizationCode: "4199200008") { ...R }
  draft: performanceReport(year: 2021, organizationCode: "4199000001") { ...R }
  none: performanceReport(year: 2023, organizationCode: "4199200002") { status }
  rounds: reportingRounds { year opensAt closesAt open } }""" + FUNDING, {},
         ('"status":"ACCEPTED"', '"filename":"', '"previous":{')),
    Case("report out of scope", "city", """
{ performanceReport(year: 2021, organizationCode: "4199200008") { status } }""", {},
         ('"performanceReport":null',)),
    Case("performance sums and reporting progress", "province", """
query($y: Int!) { performanceSums(year: $y) { item { number } plannedQuantity achievedQuantity
  planned { total } spent { ...Money } byGroup { label plannedQuantity achievedQuantity } }
  reportingProgress(year: $y) { counts { submitted accepted returned draft notStarted total }
  schools { school { code } status } notReported { code } } }""" + FUNDING, {"y": 2021},
         ('"achievedQuantity":',)),
    Case("performance totals, every field, aliases and fragments", "province", """
fragment Group on PerformanceGroupSum { __typename id label plannedQuantity achievedQuantity
  planned { ...Money } spent { ...Money } unit { __typename id code name kind parent { code } } }
query($y: Int!, $r: [DeclarationStatus!], $with: Boolean!) {
  totals: performanceTotals(year: $y, reportStatuses: $r) { __typename countedReportStatuses
    items { __typename id plannedQuantity achievedQuantity planned { ...Money }
      spent { ...Money } item { id number title targetQuantity parent { number } }
      ... on PerformanceItemSum { byGroup @include(if: $with) { ...Group } } } }
  flat: performanceSums(year: $y, reportStatuses: $r, cityCode: "410300") { id
    achievedQuantity spent { total } }
  default: performanceTotals(year: $y) { countedReportStatuses again: countedReportStatuses }
  later: performanceSums(year: 2022, campaignCode: "henan-2020") { id }
}""" + FUNDING, {"y": 2021, "r": ["SUBMITTED", "RETURNED", "ACCEPTED"], "with": True},
         ('"countedReportStatuses":["RETURNED","SUBMITTED","ACCEPTED"]',
          '"__typename":"PerformanceGroupSum"', '"default":{"countedReportStatuses":["ACCEPTED"]')),
    Case("performance sums of a city bureau", "city", """
query($r: [DeclarationStatus!]) { performanceSums(year: 2021, reportStatuses: $r) { id
  item { number } plannedQuantity achievedQuantity planned { total } spent { provincial }
  byGroup { id label unit { code children { code } } achievedQuantity } }
  own: performanceTotals(year: 2021, cityCode: "410100") { items { id } } }""",
         {"r": ["DRAFT", "SUBMITTED", "CITY_APPROVED", "RETURNED", "ACCEPTED"]},
         ('"label":"郑州市"',)),
    Case("performance sums: a year without a round", "province", """
{ performanceSums(year: 2019) { id } }""", {}, ('"ROUND_NOT_FOUND"',)),
    Case("performance sums: another city is out of scope", "city", """
{ ok: performanceTotals(year: 2021) { countedReportStatuses }
  other: performanceSums(year: 2021, cityCode: "410300") { id } }""", {},
         ('"other":null', '"NOT_FOUND"')),
    Case("reporting progress, every field", "province", """
query($y: Int!) { reportingProgress(year: $y) { __typename counts { notStarted draft submitted
  cityApproved returned accepted total neverLoggedIn } schools { __typename id status
  school { id code name parent { code } } } notReported { id code name kind } }
  later: reportingProgress(year: 2022) { counts { total notStarted } notReported { code } }
  none: reportingProgress(year: 2024) { counts { total } } }""", {"y": 2021},
         ('"status":"ACCEPTED"', '"status":"RETURNED"', '"notReported":[{', "errors")),
    Case("reporting progress of a city bureau", "city", """
{ reportingProgress(year: 2021) { counts { total accepted } schools { status school { code } }
  notReported { code } }
  other: reportingProgress(year: 2021, cityCode: "410300") { counts { total } } }""", {},
         ('"accepted":1', '"other":null')),
    Case("change requests by status", "province", """
query($s: RequestStatus) { all: changeRequests { id kind status } mine: changeRequests(status: $s) {
  kind proposedQuantity proposedFunding { ...Money } reason status requestedAt decidedAt
  decisionReason requestedBy { username } decidedBy { username }
  undertaking { organization { code } item { number } quantity funding { total } } } }""" + FUNDING,
         {"s": "APPROVED"}, ('"APPROVED"', '"REJECTED"', '"PENDING"')),
    Case("change requests of a school", "school", """
{ changeRequests { kind status undertaking { item { number } } } }""", {}, ('"PENDING"',)),
    Case("certification sums", "province", """
{ certificationSums { item { number targetQuantity } certified certifiedQuantity notCertified
  pending certifiedTargetPercent } }""", {}, ('"certifiedTargetPercent":',)),
    Case("certification sums of a city", "city", """
{ certificationSums(cityCode: "410100") { item { number } certified pending } }""", {},
         ('"certified":',)),
    Case("certification sums, every field, by campaign", "province", """
query($c: String) { all: certificationSums { __typename id certified certifiedQuantity
  notCertified pending certifiedTargetPercent item { __typename id number title targetQuantity
  children { number } } }
  city: certificationSums(cityCode: $c, campaignCode: "henan-2020") { id item { number }
  certifiedQuantity } }""", {"c": " 410300 "}, ('"__typename":"CertificationSum"',)),
    # Notices: the inbox with its read state, the notices sent with their counts, one by id.
    Case("the inbox, paged", "school", """
query($after: String) { notices(first: 1, after: $after) { totalCount
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { __typename id title body sentAt audience audienceLabel senderName
    readAt recipientCount readCount sender { code name } attachments { id filename url } } } }
  unread: notices(unreadOnly: true) { totalCount edges { node { title readAt } } } }""",
         {"after": None}, ('"readAt":"', '"unread":{"totalCount":')),
    Case("notices sent, with their counts", "city", """
{ sentNotices { totalCount edges { node { title audience audienceLabel recipientCount readCount
  sender { code } } } } notices { totalCount } }""", {}, ('"recipientCount":', '"CHASE"')),
    Case("a notice by id, and one not the caller's", "school", """
query($a: ID!, $b: ID!) { a: notice(id: $a) { title senderName readAt readCount }
  b: notice(id: $b) { title } }""", lambda w: {"a": w.data.notices[0], "b": w.data.notices[2]},
         ('"readCount":null', '"b":null')),
    Case("reminders of the window and of a round", "province", """
{ window: reminders { id daysBefore year dueAt sentAt outcome noticeId }
  round: reminders(year: 2021) { daysBefore year dueAt } none: reminders(year: 2019) { id } }""",
         {}, ('"daysBefore":7', '"year":2021', '"none":[]')),
    Case("reminders refused to a school", "school", "{ reminders { id } }", {}, ("errors",)),
    Case("notices before the password is replaced", "initial", """
{ notices { totalCount } }""", {}, ("errors",)),
    # The histories of a catalog entry and of a user: their own events.
    Case("a catalog entry's and the users' histories", "city", """
fragment H on HistoryEntry { at event reason changes { field before after }
  actor { username displayName organizationName } }
{ taskEntry(number: "57") { number history { ...H } }
  organization(code: "4199200002") { users { username history { ...H } } }
  me { history { event } } }""", {}, ('"ENTRY_CHANGED"', '"PASSWORD_RESET"', "改名")),
    # Errors: not logged in, gates, bad arguments, validation, limits.
    Case("me not logged in", "anonymous", "{ me { username } }", {}, ("errors",)),
    Case("a field that does not exist", "province", "{ me { nosuch } }", {}, ("errors",)),
    Case("a wrong variable type", "province", """
query($c: Int!) { organization(code: $c) { code } }""", {"c": 1}, ("errors",)),
    Case("a missing variable", "province", """
query($c: String!) { organization(code: $c) { code } }""", {}, ("errors",)),
    Case("a page too large", "province", """
{ organizations(first: 1000) { totalCount edges { node { code } } } }""", {}, ("totalCount",)),
    Case("a bad cursor", "province", """
{ organizations(after: "bm9wZQ==") { totalCount } }""", {}, ("errors",)),
    Case("too deep", "province", """
{ me { organization { parent { children { parent { children { parent { children {
  parent { children { parent { children { code } } } } } } } } } } } } }""", {},
         ("errors",)),
    Case("too many aliases", "province", "{ " + " ".join(f"a{i}: me {{ username }}"
                                                         for i in range(20)) + " }", {},
         ("errors",)),
    Case("two operations, one chosen by name", "city", """
query A { me { username } } query B { organization(code: "410100") { code } }""", {},
         ('"410100"',)),
    Case("a read mixed with fields the compiler may not know", "school", """
{ __typename me { __typename id username displayName role isActive mustChangePassword
  lockedUntil lastLoginAt organization { __typename code } } __schema { queryType { name } } }""",
         {}, ('"__typename":"Query"',)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_handwritten_document_answers_the_same_bytes(world: World, case: Case) -> None:
    variables = case.variables(world) if callable(case.variables) else case.variables
    body = {"query": case.query, "variables": variables}
    if case.name == "two operations, one chosen by name":
        body["operationName"] = "B"
    token = world.data.tokens[case.role]
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    response = await world.api.client.post("/graphql", json=body, headers=headers)

    text = response.text
    for expected in case.expect:
        assert expected in text, text


def test_every_role_and_area_is_covered() -> None:
    roles = {c.role for c in CASES}
    assert roles == {"province", "city", "school", "initial", "anonymous"}
    text = " ".join(c.query for c in CASES)
    for shape in ("fragment ", "... on ", "__typename", "@include", "@skip", "node(", "after:",
                  "totalCount", "pageInfo", "changeRequests", "certificationSums",
                  "performanceReport", "declarationProgress", "undertakingSums", "taskCatalog",
                  "undertakingTotals", "compliance", "reportingProgress", "notices(",
                  "sentNotices", "notice(id", "reminders"):
        assert shape in text, shape
