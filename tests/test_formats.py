"""Output formats through the real CLI on a real store: `--csv` wherever `--json` lists rows (the
same rows and columns), ISO 8601 date-times (`2026-12-02T13:37:04`) in every table, JSON and
CSV, and `dedup --version`."""

from __future__ import annotations

import csv
import io
import json
import re
from importlib.metadata import version

import pytest

from dedup.rules.ruleset import default_rules_text
from dedup_cli import app
from tests.conftest import DATA

SMITH = [30000010, 30000011]
BRIGHT = [30000001, 30000002]
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
#: A date and a time with a space between: what ISO 8601 output never has.
SPACED = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


def dedup(cli, db, *args, code: int = 0):
    result = cli.invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def store(cli, small_store, tmp_path):
    """Runs, proposals (one rejected, one accepted), decisions and merges."""
    review_only = tmp_path / "review_only.toml"
    review_only.write_text(default_rules_text().replace("\nmerge = ", "\nmerge = 1000.0 # ", 1))
    dedup(cli, small_store, "run", "--apply", "-s", "--today", "2026-11-01", "--rules", str(review_only))
    listed = json.loads(dedup(cli, small_store, "review", "list", "--json").stdout)
    ids = {tuple(p["trader_ids"]): p["proposal_id"] for p in listed}
    dedup(cli, small_store, "review", "reject", str(ids[tuple(BRIGHT)]), "--by", "ann")
    dedup(cli, small_store, "review", "accept", str(ids[tuple(SMITH)]), "--by", "bob", "--today", "2026-11-01")
    dedup(cli, small_store, "run", "--apply", "-s", "--today", "2026-11-01")
    return small_store


#: Every command whose --json prints rows (a list of objects); history's are its `events`.
LISTINGS = {
    "review list": ["review", "list"],
    "decisions list": ["decisions", "list"],
    "runs": ["runs"],
    "runs list": ["runs", "list"],
    "blocking": ["blocking"],
    "history": ["history", "--trader", str(SMITH[1])],
    "report placeholder-fills": ["report", "placeholder-fills"],
    "import": ["import", "--traders", str(DATA / "traders_small.csv")],
}


def _rows(name: str, text: str) -> list[dict]:
    data = json.loads(text)
    return data["events"] if name == "history" else data


@pytest.mark.parametrize("name", LISTINGS)
def test_every_listing_prints_csv_with_the_json_rows(cli, store, name):
    args = LISTINGS[name]
    rows = _rows(name, dedup(cli, store, *args, "--json").stdout)
    text = dedup(cli, store, *args, "--csv").stdout
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == len(rows)
    if rows:  # (history's events differ in their keys: the CSV has every one of them)
        assert list(table[0]) == list(dict.fromkeys(key for row in rows for key in row))
        for row, line in zip(rows, table):
            for key, value in row.items():
                if isinstance(value, (int, str)) and not isinstance(value, bool):
                    assert line[key] == str(value), (key, line[key], value)
    both = dedup(cli, store, *args, "--json", "--csv", code=1)
    assert both.stderr.strip() == "error: give at most one of --json and --csv"


@pytest.mark.parametrize("name", LISTINGS)
def test_listings_give_dates_in_iso_8601(cli, store, name):
    for fmt in ([], ["--json"], ["--csv"]):
        out = dedup(cli, store, *LISTINGS[name], *fmt).stdout
        assert not SPACED.search(out), (fmt, SPACED.search(out).group())


@pytest.mark.parametrize("args", [
    ["run", "--json"], ["run"], ["runs", "show", "3", "--json"], ["runs", "show", "3"],
    ["review", "show", "1", "--json"], ["review", "show", "1"], ["history", "--trader", str(SMITH[1])],
    ["decisions", "list"], ["runs"],
], ids=" ".join)
def test_reports_give_dates_in_iso_8601(cli, store, args):
    out = dedup(cli, store, *args).stdout
    assert not SPACED.search(out), SPACED.search(out).group()
    assert ISO.search(out), out[:500]


def test_the_dry_runs_since_is_iso_8601_to_the_second(cli, store):
    summary = json.loads(dedup(cli, store, "run", "--json").stdout)
    assert summary["mode"] == "incremental" and ISO.fullmatch(summary["since"]), summary["since"]
    runs = json.loads(dedup(cli, store, "runs", "--json").stdout)
    assert summary["since"] == runs[0]["started_at"]
    assert f"since {summary['since']} (--full" in dedup(cli, store, "run").stdout


def test_decisions_export_writes_iso_8601_and_reads_it_back(cli, store, tmp_path):
    out = tmp_path / "decisions.csv"
    dedup(cli, store, "decisions", "export", str(out))
    rows = list(csv.DictReader(out.open()))
    assert rows and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", r["decided_at"]) for r in rows)
    assert "imported 0 decision(s), skipped 2" in dedup(cli, store, "decisions", "import", str(out)).stdout


def test_version_comes_from_the_package(cli):
    result = cli.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"trader-dedup {version('trader-dedup')}\n"
