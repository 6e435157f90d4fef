"""`dedup history` and `dedup undo` (dedup_cli/merge_cmds.py) through the real CLI on a real store."""

from __future__ import annotations

import json

import pytest

from dedup.store import Store
from dedup_cli import app
from tests.cli.cli_helpers import apply
from tests.conftest import store_fingerprint

MABEL, MABEL_LTD = 23204319, 23204401




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
