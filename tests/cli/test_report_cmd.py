"""`dedup report placeholder-fills` (dedup_cli/report_cmd.py): its table, JSON and CSV agree, the
count goes to stderr, an empty report says so there, and nothing in the store changes. (Which
merges the report finds: tests/merge/test_placeholders.py, whose spoilt store is used here.)"""

from __future__ import annotations

import csv
import io
import json

import pytest

from dedup_cli import app
from tests.conftest import store_fingerprint
from tests.merge.merge_helpers import build, trader
from tests.merge.test_placeholders import spoilt_store


def report(cli, db, *args):
    return cli.invoke(app, ["report", "placeholder-fills", "--db", str(db), *args])


@pytest.fixture
def spoilt(tmp_path):
    path = tmp_path / "spoilt.duckdb"
    spoilt_store(path)
    return path


def test_table_json_and_csv_show_the_same_rows_and_the_count_goes_to_stderr(cli, spoilt):
    before = store_fingerprint(spoilt)
    rows = json.loads(report(cli, spoilt, "--json").stdout)
    as_csv = list(csv.DictReader(io.StringIO(report(cli, spoilt, "--csv").stdout)))
    table = report(cli, spoilt)
    assert table.exit_code == 0, table.output
    assert [(int(r["merge_id"]), r["field"], r["kind"]) for r in as_csv] == \
        [(r["merge_id"], r["field"], r["kind"]) for r in rows]
    header, *lines = table.stdout.splitlines()
    assert header.split()[:6] == ["merge", "run", "survivor", "merged", "field", "kind"]
    assert len(lines) == len(rows) == 3
    for line, r in zip(lines, rows):
        assert line.split()[:6] == [str(r["merge_id"]), str(r["run_id"]), str(r["survivor_id"]),
                                    str(r["merged_id"]), r["field"], r["kind"]]
        assert line.endswith(f"{r['survivor_value']!r} -> {r['merged_value']!r}")
    merges = len({r["merge_id"] for r in rows})
    assert table.stderr == f"3 spoilt fields in {merges} merges\n"
    assert store_fingerprint(spoilt) == before


def test_an_empty_report_says_so_on_stderr(cli, tmp_path):
    db = build(tmp_path / "clean.duckdb", traders=[trader(1)])
    result = report(cli, db)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "no merge filled a placeholder or kept one over a real value\n"
    assert json.loads(report(cli, db, "--json").stdout) == []


def test_json_and_csv_at_once_or_no_store_is_one_line(cli, spoilt, tmp_path):
    both = report(cli, spoilt, "--json", "--csv")
    assert both.exit_code == 1 and both.stderr == "error: give at most one of --json and --csv\n"
    missing = report(cli, tmp_path / "none.duckdb")
    assert missing.exit_code == 1 and missing.stderr.count("\n") == 1 and "no store at" in missing.stderr


def test_report_without_a_subcommand_lists_the_reports(cli):
    result = cli.invoke(app, ["report"])
    assert "placeholder-fills" in result.output
