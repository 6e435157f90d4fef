"""`dedup history` and `dedup undo` (dedup_cli/merge_cmds.py) through the real CLI on a real store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest

from dedup.rules import RuleSet
from dedup.rules.merging import MergeConfig
from dedup.store import Store
from dedup_cli import app
from tests.cli.cli_helpers import apply
from tests.conftest import store_fingerprint
from tests.merge.merge_helpers import apply_given, build, trader

MABEL, MABEL_LTD = 23204319, 23204401
OLDEST = dataclasses.replace(RuleSet.default(), merge=MergeConfig(survivor_order=("oldest",)))




def test_history_and_undo_commands(cli, small_store):
    assert apply(cli, small_store).exit_code == 0
    result = cli.invoke(app, ["history", "--db", str(small_store), "--trader", str(MABEL_LTD)])
    assert result.exit_code == 0, result.output
    assert f"merged into {MABEL}" in result.output
    history = json.loads(cli.invoke(app, ["history", "--db", str(small_store), "--trader",
                                          str(MABEL_LTD), "--json"]).output)
    merge_id = history["events"][0]["merge_id"]
    assert history["trader"]["status"] == "merged" and history["trader"]["resolved_id"] == MABEL

    result = cli.invoke(app, ["undo", "--db", str(small_store), "--merge", str(merge_id), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["merges_undone"] == 1
    history = json.loads(cli.invoke(app, ["history", "--db", str(small_store), "--trader",
                                          str(MABEL_LTD), "--json"]).output)
    assert [e["event"] for e in history["events"]] == ["merged_into", "undone"]
    assert history["trader"]["status"] == "active"

    result = cli.invoke(app, ["undo", "--db", str(small_store), "--run", "1"])
    assert result.exit_code == 0, result.output
    assert "undid" in result.output
    with Store(small_store, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM traders WHERE status <> 'active'").fetchall() == [(0,)]


@pytest.mark.parametrize("args, message", [
    (["undo", "--run", "7"], "no run 7 in the store"),
    (["undo", "--merge", "7"], "no merge 7 in the store"),
    (["undo"], "give exactly one of --run"),
    (["undo", "--run", "1", "--merge", "1"], "give exactly one of --run"),
    (["history", "--trader", "5"], "no trader 5"),
])
def test_merge_command_errors_are_one_line_and_exit_1(cli, small_store, args, message):
    before = store_fingerprint(small_store)
    result = cli.invoke(app, [*args, "--db", str(small_store)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and message in result.output
    assert store_fingerprint(small_store) == before


def test_undo_twice_and_blocked_undo_are_one_line_errors(cli, small_store):
    assert apply(cli, small_store).exit_code == 0
    assert cli.invoke(app, ["undo", "--db", str(small_store), "--run", "1"]).exit_code == 0
    result = cli.invoke(app, ["undo", "--db", str(small_store), "--run", "1"])
    assert result.exit_code == 1 and "already undone" in result.output
    assert result.output.count("\n") == 1


# --- what the face prints --------------------------------------------------------------------------

def two_of_one_business(path):
    """1 (older, no phone, whitelisted) and 2 (a phone, a case), merged by one apply run: 1
    survives and takes 2's phone; then someone types another phone on 1."""
    build(path, traders=[trader(1, "Acme Widgets", created_at=dt.datetime(2010, 1, 1)),
                         trader(2, "Acme Widgets Ltd", phone="01872 000002", created_at=dt.datetime(2012, 1, 1))],
          cases=[{"case_id": 7, "trader_id": 2, "opened_at": dt.datetime(2025, 1, 1)}], whitelist=[1])
    with Store(path) as store:
        summary = apply_given(store, [[1, 2]], OLDEST)
        store.con.execute("UPDATE traders SET phone = '01872 999999' WHERE trader_id = 1")
    return summary["run_id"]


def test_history_lines_say_what_happened(cli, tmp_path):
    db = tmp_path / "s.duckdb"
    run_id = two_of_one_business(db)
    merged = cli.invoke(app, ["history", "--db", str(db), "--trader", "2"])
    assert merged.exit_code == 0, merged.output
    lines = merged.stdout.splitlines()
    assert lines[0] == "trader 2 'Acme Widgets Ltd': merged into 1, now 1"
    done = f"(merge 1, rules {OLDEST.hash}); moved: 1 cases; survivor filled: phone"
    assert lines[1] == f"2026-11-02T03:00:00  run {run_id:<5} merged into 1 {done}"
    survivor = cli.invoke(app, ["history", "--db", str(db), "--trader", "1"]).stdout.splitlines()
    assert survivor == ["trader 1 'Acme Widgets': active (whitelisted)",
                        f"2026-11-02T03:00:00  run {run_id:<5} absorbed 2 {done}"]


def test_a_trader_nothing_happened_to_says_so(cli, small_store):
    result = cli.invoke(app, ["history", "--db", str(small_store), "--trader", "30000050"])
    assert result.stdout == "trader 30000050 'Harbour View Cafe': active\nno merges, undos or proposals\n"


def test_undo_lines_count_what_went_back_and_warn_of_fields_kept(cli, tmp_path):
    db = tmp_path / "s.duckdb"
    two_of_one_business(db)
    result = cli.invoke(app, ["undo", "--db", str(db), "--merge", "1"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"undid 1 merge\(s\) of merge 1 \(recorded as run \d+\)", lines[0])
    shown = {line[:28].strip(): int(line[28:40]) for line in lines[1:]}
    assert shown == {"cases moved back": 1, "tracks moved back": 0, "certificates moved back": 0,
                     "records restored": 1, "survivor fields reverted": 0}
    assert result.stderr == "1 filled field(s) changed since the merge were kept\n"   # A's new phone stays
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT phone FROM traders WHERE trader_id = 1").fetchone() == ("01872 999999",)


def test_undo_silent_keeps_the_warning_to_itself(cli, tmp_path):
    db = tmp_path / "s.duckdb"
    run_id = two_of_one_business(db)
    result = cli.invoke(app, ["undo", "--db", str(db), "--run", str(run_id), "-s"])
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith(f"undid 1 merge(s) of run {run_id} ")
