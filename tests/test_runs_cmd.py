"""`dedup runs` and `dedup runs show` through the real CLI on a real store: every apply, accepted
proposal and undo, newest first, as a table, JSON and CSV with ISO 8601 dates."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from dedup.merge.runs import recorded_run
from dedup.rules import RuleSet
from dedup.rules.ruleset import default_rules_text
from dedup.store import Store
from dedup_cli import app

SMITH = [30000010, 30000011]    # review band in traders_small
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def dedup(cli, db, *args):
    result = cli.invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def history(cli, small_store, tmp_path):
    """Run 1: an apply that only proposes; run 2: SMITH's proposal accepted; run 3: an apply
    under the default rules; run 4: the undo of run 3."""
    review_only = tmp_path / "review_only.toml"
    review_only.write_text(default_rules_text().replace("\nmerge = ", "\nmerge = 1000.0 # ", 1))
    dedup(cli, small_store, "run", "--apply", "-s", "--today", "2026-11-01", "--rules", str(review_only))
    listed = json.loads(dedup(cli, small_store, "review", "list", "--json").stdout)
    smith = next(p["proposal_id"] for p in listed if p["trader_ids"] == SMITH)
    dedup(cli, small_store, "review", "accept", str(smith), "--by", "bob", "--today", "2026-11-01")
    dedup(cli, small_store, "run", "--apply", "-s", "--today", "2026-11-01")
    dedup(cli, small_store, "undo", "--run", "3")
    return small_store


def test_runs_lists_every_run_newest_first(cli, history):
    rows = json.loads(dedup(cli, history, "runs", "--json").stdout)
    assert [(r["run_id"], r["kind"], r["status"], r["scope"]) for r in rows] == [
        (4, "undo", "succeeded", None), (3, "apply", "succeeded", "full"),
        (2, "accept", "succeeded", None), (1, "apply", "succeeded", "full")]
    undo, apply, accept, propose = rows
    assert undo["undoes"] == "run 3" and undo["records_restored"] == apply["records_merged"] > 0
    assert apply["undone_by"] == [4] and propose["undone_by"] is None
    assert accept["records_merged"] == 1 and propose["records_merged"] == 0
    assert propose["proposals_queued"] >= 2 and propose["rules_name"] == "default"
    for r in rows:
        assert ISO.fullmatch(r["started_at"]) and ISO.fullmatch(r["finished_at"]), r
    # `dedup runs list` is the same listing; --kind, --status and --limit filter it
    assert json.loads(dedup(cli, history, "runs", "list", "--json").stdout) == rows
    kinds = json.loads(dedup(cli, history, "runs", "--kind", "apply", "--json").stdout)
    assert [r["run_id"] for r in kinds] == [3, 1]
    assert [r["run_id"] for r in json.loads(dedup(cli, history, "runs", "--limit", "1", "--json").stdout)] == [4]
    assert json.loads(dedup(cli, history, "runs", "--status", "failed", "--json").stdout) == []


def test_runs_as_csv_and_as_a_table(cli, history):
    rows = list(csv.DictReader(io.StringIO(dedup(cli, history, "runs", "--csv").stdout)))
    assert [r["kind"] for r in rows] == ["undo", "apply", "accept", "apply"]
    assert rows[1]["undone_by"] == "4" and rows[0]["undoes"] == "run 3"
    assert all(ISO.fullmatch(r["started_at"]) for r in rows)
    table = dedup(cli, history, "runs").stdout.splitlines()
    assert table[0].split()[:6] == ["id", "kind", "status", "started", "finished", "scope"]
    assert len(table) == 5
    assert re.match(r"\s+3\s+apply\s+succeeded\s+\S+T\S+\s+\S+T\S+\s+full\s+default\s+merged \d+, "
                    r"queued \d+ proposals; undone by run 4$", table[2]), table[2]
    assert re.match(r"\s+4\s+undo\s+succeeded .* undid run 3: \d+ records restored$", table[1]), table[1]


def test_runs_show_gives_the_summary(cli, history):
    text = dedup(cli, history, "runs", "show", "3").stdout
    assert text.startswith("run 3: apply (full), succeeded\n")
    assert re.search(r"^started\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", text, re.M)
    assert re.search(r"^undone by run\s+4$", text, re.M)
    assert re.search(r"^records merged\s+\d+$", text, re.M) and "time per stage:" in text
    shown = json.loads(dedup(cli, history, "runs", "show", "4", "--json").stdout)
    assert shown["kind"] == "undo" and shown["summary"]["target"] == {"run": 3}
    assert ISO.fullmatch(shown["started_at"])
    assert "undid" not in dedup(cli, history, "runs", "show", "2").stdout


def test_a_failed_run_shows_its_error(cli, small_store):
    with Store(small_store) as store, pytest.raises(ValueError):
        with recorded_run(store.runner, RuleSet.default()):
            raise ValueError("the disk went away")
    rows = json.loads(dedup(cli, small_store, "runs", "--json").stdout)
    assert [(r["kind"], r["status"], r["error"]) for r in rows] == [("apply", "failed", "the disk went away")]
    assert "the disk went away" in dedup(cli, small_store, "runs").stdout


@pytest.mark.parametrize("args, message", [
    (["runs", "show", "9"], "error: no run 9 in the store (see 'dedup runs')"),
    (["runs", "--kind", "dry"], "error: --kind 'dry': expected one of apply, accept, undo"),
    (["runs", "--status", "ok"], "error: --status 'ok': expected one of running, succeeded, failed, interrupted"),
    (["runs", "--json", "--csv"], "error: give at most one of --json and --csv"),
])
def test_runs_errors_are_one_line(cli, small_store, args, message):
    result = cli.invoke(app, [*args, "--db", str(small_store)])
    assert result.exit_code == 1 and result.stderr.strip() == message, result.output


def test_no_runs_yet_says_so(cli, small_store):
    result = dedup(cli, small_store, "runs")
    assert result.stdout == "" and "no runs yet" in result.stderr
    assert json.loads(dedup(cli, small_store, "runs", "--json").stdout) == []
