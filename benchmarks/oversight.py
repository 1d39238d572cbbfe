"""Province-wide oversight on a realistic province: how long the sums and progress take.

    .venv/bin/python benchmarks/oversight.py [--schools 600] [--runs 20] [--database URL]

Builds a fresh database (an SQLite file in a temporary folder unless --database names an
empty PostgreSQL database), seeds the catalog and the 28 city-level units, adds the schools
with ~20 undertakings each and a declaration per school, analyzes, then asks the GraphQL
endpoint (in process, over ASGI, with a real login) for `undertakingSums` and
`declarationProgress` as the province office. Prints the median and worst time per query,
the SQL statements per query, and the process's peak memory. Figures are recorded in
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import statistics
import tempfile
import time
from decimal import Decimal

os.environ.setdefault("INSECURE_FAST_PASSWORD_HASHING", "1")

import httpx
from tortoise import Tortoise

from gql.app import create_app
from gql.settings import Settings
from models import Declaration, Organization, TaskEntry, Undertaking, User
from models.accounts import reset_password
from models.config import tortoise_config
from models.database import analyze, migrate_database
from models.declaration import DeclarationStatus
from models.enums import OrgKind, SchoolType, TaskLevel
from models.seeding import seed_if_empty

SUMS = """{ undertakingSums { item { number } organizations quantity targetPercent
  funding { schoolSelf enterprise sponsor localGov provincial total }
  byGroup { label organizations quantity funding { total } } } }"""
PROGRESS = """{ declarationProgress { counts { notStarted draft submitted total neverLoggedIn }
  groups { label counts { total submitted } }
  schools(first: 100) { totalCount edges { node { school { code name } status itemCount
  fundingTotal lastChangeAt lastLoginAt } } } } }"""
STATUSES = [DeclarationStatus.DRAFT, DeclarationStatus.SUBMITTED, DeclarationStatus.RETURNED,
            DeclarationStatus.ACCEPTED]


async def build(schools: int) -> None:
    await seed_if_empty(demo=False)
    cities = await Organization.filter(kind=OrgKind.CITY).order_by("code")
    province = await Organization.get(kind=OrgKind.PROVINCE)
    items = await TaskEntry.filter(level=TaskLevel.SCHOOL, is_group=False).order_by("sort_key")
    campaign_id = items[0].campaign_id
    orgs = [Organization(code=f"41{n:08d}", name=f"基准学校{n}", kind=OrgKind.SCHOOL,
                         parent=cities[n % len(cities)] if n % 10 else province,
                         school_type=SchoolType.SECONDARY if n % 3 else SchoolType.HIGHER)
            for n in range(schools)]
    for org in orgs:  # one by one: bulk_create would skip the school-code validation
        await org.save()
    rows = []
    for n, org in enumerate(orgs):
        for k, item in enumerate(i for i in items if i.eligible_for(org.school_type)):
            if (n + k) % 5 == 4:
                continue  # not every school takes every item
            rows.append(Undertaking(organization_id=org.id, item_id=item.id, quantity=1 + k % 3,
                                    school_self=Decimal(f"{(n + k) % 50}.25"),
                                    enterprise=Decimal("1.10"), sponsor=Decimal("0.05"),
                                    local_gov=Decimal(k), provincial=Decimal("2.50")))
    await Undertaking.bulk_create(rows, batch_size=1000)
    await Declaration.bulk_create([
        Declaration(organization_id=o.id, campaign_id=campaign_id,
                    status=STATUSES[n % len(STATUSES)]) for n, o in enumerate(orgs) if n % 7],
        batch_size=1000)


class Counter(logging.Handler):
    count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def measure(runs: int) -> dict[str, tuple[float, float, int]]:
    app = create_app(Settings(database_url="unused"), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    results = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        async def post(query: str, token: str | None = None) -> dict:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            r = await client.post("/graphql", json={"query": query}, headers=headers)
            body = r.json()
            assert "errors" not in body, body
            return body["data"]

        # Seeded without demo data, the province's password is random: reset it to a known one.
        admin = await User.get(username="410000")
        password = await reset_password(admin)
        token = (await post(f'mutation {{ login(username: "410000", password: "{password}")'
                            " { token } }"))["login"]["token"]
        await post(f'mutation {{ changePassword(oldPassword: "{password}",'
                   ' newPassword: "Bench2020ok") { errors { code } } }', token)
        counter = Counter()
        logger = logging.getLogger("tortoise.db_client")
        logger.setLevel(logging.DEBUG)
        logger.addHandler(counter)
        for name, query in (("undertakingSums", SUMS), ("declarationProgress", PROGRESS)):
            await post(query, token)  # warm up
            times = []
            counter.count = 0
            for _ in range(runs):
                start = time.perf_counter()
                await post(query, token)
                times.append(time.perf_counter() - start)
            results[name] = (statistics.median(times), max(times), counter.count // runs)
        logger.removeHandler(counter)
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=600)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    url = args.database or f"sqlite://{tempfile.mkdtemp(prefix='bench-')}/bench.sqlite3"
    await migrate_database(url)
    await Tortoise.init(config=tortoise_config(url))
    try:
        started = time.perf_counter()
        await build(args.schools)
        await analyze()  # planner statistics, as a database in service has them
        built = time.perf_counter() - started
        undertakings = await Undertaking.all().count()
        results = await measure(args.runs)
    finally:
        await Tortoise.close_connections()
    dialect = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"{dialect}: {args.schools} schools, {undertakings} undertakings"
          f" (built in {built:.1f} s), {args.runs} runs each")
    for name, (median, worst, statements) in results.items():
        print(f"  {name:20s} median {median * 1000:7.1f} ms   worst {worst * 1000:7.1f} ms"
              f"   {statements} SQL statements")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory (RSS) {peak:.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
