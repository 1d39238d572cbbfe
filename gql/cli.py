"""`taskplatform`: serve, migrate, import organisations, back up and restore, the operation
log and its auditors."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from gql.settings import Settings


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gql.app import prepare_database, print_banner
    from gql.observability.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    if args.workers > 1 and settings.metrics_token and not os.environ.get(
            "PROMETHEUS_MULTIPROC_DIR"):
        # Each worker counts in files of this folder; /metrics on any worker adds them up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="taskplatform-metrics-")
    # Once, before any worker starts: several workers migrating at once would race. With
    # PREPARE_DATABASE=0 not at all (the other hosts of a deployment: one host migrates).
    print_banner(settings, asyncio.run(prepare_database(settings))
                 if settings.prepare_database else None)
    os.environ["PREPARE_DATABASE"] = "0"
    # The client address (login throttling, the journal) comes from X-Forwarded-For only
    # when the peer is a trusted proxy: uvicorn takes the nearest address it did not vouch
    # for. uvicorn's own default would trust 127.0.0.1.
    uvicorn.run("gql.app:create_app", factory=True, host=settings.host, port=settings.port,
                workers=args.workers, log_level=settings.log_level.lower(),
                # Our handler and our access line (gql/observability/), not uvicorn's.
                log_config=None, access_log=False,
                proxy_headers=bool(settings.trusted_proxies),
                forwarded_allow_ips=list(settings.trusted_proxies) or None)
    return 0


def migrate(args: argparse.Namespace) -> int:
    from models.database import migrate_database

    asyncio.run(migrate_database(Settings().database_url))
    print("database is up to date")
    return 0


def import_orgs(args: argparse.Namespace) -> int:
    from models.importer import run_import

    return asyncio.run(run_import(Path(args.file), Settings().database_url,
                                  dry_run=args.dry_run, out=sys.stdout))


def _backup_command(args: argparse.Namespace) -> int:
    from models.backup import BackupError, backup, restore

    operation = backup if args.command == "backup" else restore

    async def run(db_url: str) -> None:
        from tortoise import Tortoise

        from models.config import tortoise_config

        # The ORM for the evidence store (EVIDENCE_STORE=database reads and writes a table).
        await Tortoise.init(config=tortoise_config(db_url))
        try:
            await operation(Path(args.dir), db_url)
        finally:
            await Tortoise.close_connections()

    try:
        asyncio.run(run(Settings().database_url))
    except BackupError as e:
        print(f"{'备份' if args.command == 'backup' else '恢复'}失败：{e.message}",
              file=sys.stderr)
        return 4
    return 0


def _with_database(work: Callable[[], Awaitable[int]]) -> int:
    """Run `work` on the migrated database of DATABASE_URL, closing it after."""
    from tortoise import Tortoise

    from models.config import tortoise_config
    from models.database import migrate_database

    async def run() -> int:
        url = Settings().database_url
        await migrate_database(url)
        await Tortoise.init(config=tortoise_config(url))
        try:
            return await work()
        finally:
            await Tortoise.close_connections()

    return asyncio.run(run())


def audit_verify(args: argparse.Namespace) -> int:
    """Exit 0 when the chain holds; 1 naming the first broken record."""
    from models.audit_chain import verify

    async def work() -> int:
        verdict = await verify()
        print(("完整 (intact): " if verdict.ok else "已损坏 (broken): ") + verdict.message)
        return 0 if verdict.ok else 1

    return _with_database(work)


def audit_purge(args: argparse.Namespace) -> int:
    """Exit 0 after a purge; 2 when the date is younger than the retention allows."""
    from models.audit_chain import purge
    from models.errors import DomainError

    try:
        before = datetime.fromisoformat(args.before)
    except ValueError:
        print(f"无法识别的日期：{args.before}（例如 2026-01-01）", file=sys.stderr)
        return 2
    if before.tzinfo is None:
        before = before.replace(tzinfo=UTC)

    async def work() -> int:
        try:
            count, anchor = await purge(before)
        except DomainError as e:
            print(e.message, file=sys.stderr)
            return 2
        print(f"已清理 {count} 条记录；锚点记录为第 {anchor.seq} 条")
        return 0

    return _with_database(work)


def create_auditor(args: argparse.Namespace) -> int:
    """An auditor account; its one-time password is printed once, to be changed at first
    login (the same rules as every other account)."""
    from models import audit
    from models.accounts import create_auditor as create
    from models.audit import Entry, Kind
    from models.errors import DomainError
    from models.transaction import write_transaction

    async def work() -> int:
        try:
            async with write_transaction():
                user, password = await create(args.username, args.display_name)
                await audit.append(Entry(
                    kind=Kind.SYSTEM, operation="createAuditor", username="taskplatform",
                    targets={"username": user.username}))
        except DomainError as e:
            print(e.message, file=sys.stderr)
            return 1
        print(f"审计管理员账号已创建：{user.username}")
        print(f"一次性密码（只显示这一次，首次登录须修改）：{password}")
        return 0

    return _with_database(work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="taskplatform", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("serve", help="migrate, seed an empty database, and serve")
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=serve)
    sub.add_parser("migrate", help="apply pending migrations").set_defaults(func=migrate)
    p = sub.add_parser("import-orgs", help="import cities and schools from CSV or XLSX")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    p.set_defaults(func=import_orgs)
    p = sub.add_parser("backup", help="back up the database and evidence files into DIR "
                       "(new or empty), consistent while the server runs")
    p.add_argument("dir")
    p.set_defaults(func=_backup_command)
    p = sub.add_parser("restore", help="verify the backup in DIR, then replace the database "
                       "and put back its evidence files (stop the servers first)")
    p.add_argument("dir")
    p.set_defaults(func=_backup_command)
    p = sub.add_parser("audit", help="the operation log: verify its chain, purge old records")
    audit = p.add_subparsers(dest="audit_command", required=True)
    audit.add_parser("verify", help="walk the hash chain; exit 1 at the first broken record"
                     ).set_defaults(func=audit_verify)
    p = audit.add_parser("purge", help="remove records older than DATE (at least 180 days)")
    p.add_argument("--before", required=True, help="a date or time, e.g. 2026-01-01")
    p.set_defaults(func=audit_purge)
    p = sub.add_parser("create-auditor", help="create an auditor (审计管理员) account")
    p.add_argument("username")
    p.add_argument("--display-name", default="", help="shown in the log (default 审计管理员)")
    p.set_defaults(func=create_auditor)
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["serve", *(argv or [])])
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
