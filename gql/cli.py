"""`taskplatform`: serve, migrate, import organisations, back up and restore."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
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
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["serve", *(argv or [])])
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
