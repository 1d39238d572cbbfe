"""schema.graphql is the schema the code exports: clients and reviewers read that file."""

import os
from pathlib import Path

from strawberry.printer import print_schema

from gql.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_file_matches_code() -> None:
    exported = print_schema(schema).strip() + "\n"
    if os.environ.get("UPDATE_SCHEMA") == "1":
        SCHEMA_FILE.write_text(exported, encoding="utf-8")
    assert SCHEMA_FILE.read_text(encoding="utf-8") == exported, (
        "schema.graphql differs from the code's schema: run "
        "`UPDATE_SCHEMA=1 .venv/bin/pytest tests/test_schema_file.py` and review the diff"
    )
