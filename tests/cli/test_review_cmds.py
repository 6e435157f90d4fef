"""`dedup review ...` and `dedup decisions ...` (dedup_cli/review_cmds.py): what the face prints
for each command, on a store after one apply run that left a review pair and held clusters.
(The review loop itself, decisions sticking across runs: tests/test_review.py.)"""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from dedup.rules.ruleset import default_rules_text
from dedup.store import Store
from dedup_cli import app
from tests.conftest import DATA, store_fingerprint

#: Merge only above 20 and never more than two records at once: the small store then leaves one
#: pair in the review band and three clusters of three held back.
RULES = (default_rules_text().replace("max_cluster_size = 100", "max_cluster_size = 2", 1)
         .replace("\nmerge = 11.0", "\nmerge = 20.0", 1))


def dedup(cli, db, *args):
    return cli.invoke(app, [*args, "--db", str(db)])


@pytest.fixture(scope="module")
def queued_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review_cmds")
    (folder / "rules.toml").write_text(RULES)
    db, cli = folder / "queued.duckdb", CliRunner()
    assert dedup(cli, db, "import", "--traders", str(DATA / "traders_small.csv")).exit_code == 0
    applied = dedup(cli, db, "run", "--apply", "--rules", str(folder / "rules.toml"), "--today", "2026-11-01", "-s")
    assert applied.exit_code == 0, applied.output
    return db


@pytest.fixture
def queued(queued_template, tmp_path):
    """A copy of the store after the apply run, for a test to change."""
    db = tmp_path / "queued.duckdb"
    shutil.copyfile(queued_template, db)
    return db


def proposals(cli, db, *args) -> list[dict]:
    result = dedup(cli, db, "review", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def pair_and_held(cli, db) -> tuple[dict, dict]:
    rows = proposals(cli, db)
    return (next(r for r in rows if r["kind"] == "pair"), next(r for r in rows if r["kind"] == "held_cluster"))


def test_the_list_is_one_line_per_proposal_newest_first(cli, queued):
    rows = proposals(cli, queued)
    assert {r["kind"] for r in rows} == {"pair", "held_cluster"} and len(rows) == 4
    table = dedup(cli, queued, "review", "list")
    assert table.exit_code == 0 and table.stderr == ""
    header, *lines = table.stdout.splitlines()
    assert header.split() == ["id", "run", "status", "kind", "score", "reason", "traders"]
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows):
        score = f"{row['score']:.2f}" if row["score"] is not None else "-"
        assert line.split()[:5] == [str(row["proposal_id"]), str(row["run_id"]), row["status"], row["kind"], score]
        assert f" {row['reason']} " in line
        assert line.endswith(" | ".join(f"{i} {n}" for i, n in zip(row["trader_ids"], row["names"])))
    assert [r["proposal_id"] for r in rows] == sorted((r["proposal_id"] for r in rows), reverse=True)


def test_nothing_to_list_is_said_on_stderr(cli, queued):
    for args, message in ((["review", "list", "--status", "stale"], "no proposals\n"),
                          (["decisions", "list"], "no decisions\n")):
        result = dedup(cli, queued, *args)
        assert (result.exit_code, result.stdout, result.stderr) == (0, "", message)


@pytest.mark.parametrize("command", [["review", "list"], ["decisions", "list"]])
def test_json_and_csv_at_once_is_one_line(cli, queued, command):
    result = dedup(cli, queued, *command, "--json", "--csv")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == "error: give at most one of --json and --csv\n"


def test_show_puts_a_pair_side_by_side_with_its_explanation(cli, queued):
    pair, _ = pair_and_held(cli, queued)
    report = json.loads(dedup(cli, queued, "review", "show", str(pair["proposal_id"]), "--json").stdout)
    text = dedup(cli, queued, "review", "show", str(pair["proposal_id"])).stdout
    lines = text.splitlines()
    assert lines[0] == f"proposal {pair['proposal_id']} (pair, score {pair['score']:.2f}), run 1: open"
    assert lines[1] == f"  why in review: {report['reason']}"
    assert lines[2].split() == [str(t) for t in pair["trader_ids"]]
    for field in report["differing_fields"]:
        assert any(line.startswith(f"* {field} ") for line in lines)
    expl = report["explanation"]
    assert f"  comparisons (pair {expl['pair']}, blocked by {expl['blocking_rule']}):" in lines
    for c in expl["comparisons"]:
        assert f"    {c['comparison']:<14} level {c['level']}  {c['weight']:>7.2f}  {c['label']}" in lines
    assert lines[-1] == "  hard rules: " + (", ".join(f"{h['rule']} ({h['effect']})" for h in expl["hard_rules"])
                                            or "none")


def test_show_gives_a_held_cluster_s_reason(cli, queued):
    _, held = pair_and_held(cli, queued)
    text = dedup(cli, queued, "review", "show", str(held["proposal_id"])).stdout
    assert text.splitlines()[0] == f"proposal {held['proposal_id']} (held_cluster), run 1: open"
    assert "  held back: cluster larger than max_cluster_size (size 3)" in text.splitlines()
    for trader_id in held["trader_ids"]:
        assert f"    {trader_id}: 0 / 0 / 0" in text.splitlines()


def test_accept_and_reject_say_what_they_did_and_decisions_list_them(cli, queued):
    pair, held = pair_and_held(cli, queued)
    accepted = dedup(cli, queued, "review", "accept", str(pair["proposal_id"]), "--by", "ann",
                     "--today", "2026-11-01")
    assert accepted.exit_code == 0, accepted.output
    merged, survivor = pair["trader_ids"][1], pair["trader_ids"][0]
    assert accepted.stdout == (f"accepted proposal {pair['proposal_id']}: merged {merged} into {survivor}, "
                               f"which survives (run 2, decision 1)\n")
    rejected = dedup(cli, queued, "review", "reject", str(held["proposal_id"]), "--by", "bob",
                     "--note", "three firms", "--json")
    assert rejected.exit_code == 0 and json.loads(rejected.stdout)["decision_id"] == 2
    assert dedup(cli, queued, "decisions", "withdraw", "2", "--by", "ann").stdout == "withdrew decision 2\n"
    lines = dedup(cli, queued, "decisions", "list").stdout.splitlines()
    ids = ", ".join(map(str, pair["trader_ids"]))
    assert lines[0].split()[:3] == ["1", "always_merge", "active"] and lines[0].endswith(f"ann: {ids}")
    assert lines[1].split()[:3] == ["2", "never_merge", "withdrawn"] and lines[1].endswith("(three firms)")
    with Store(queued, read_only=True) as store:
        merged = store.con.execute("SELECT merged_id FROM merges WHERE run_id = 2").fetchall()
    assert [m for (m,) in merged] == [pair["trader_ids"][1]]


def test_export_says_where_it_wrote_and_import_what_it_skipped(cli, queued, tmp_path):
    pair, _ = pair_and_held(cli, queued)
    assert dedup(cli, queued, "review", "reject", str(pair["proposal_id"]), "--by", "ann").exit_code == 0
    out = tmp_path / "decisions.csv"
    exported = dedup(cli, queued, "decisions", "export", str(out))
    assert (exported.exit_code, exported.stdout, exported.stderr) == (0, "", f"wrote 1 decision(s) to {out}\n")
    again = dedup(cli, queued, "decisions", "import", str(out))
    assert again.stdout == "imported 0 decision(s), skipped 1 already present\n"


@pytest.mark.parametrize("args, message", [
    (["review", "show", "1", "--today", "soon"], "error: --today 'soon': expected a date as YYYY-MM-DD"),
    (["review", "accept", "1", "--by", "ann", "--rules", "/nonexistent/rules.toml"], "cannot read rule file"),
    (["decisions", "withdraw", "9", "--by", "ann"], "error: no decision 9"),
    (["review", "show", "99"], "error: no proposal 99"),
])
def test_bad_input_is_one_line_and_changes_nothing(cli, queued, args, message):
    before = store_fingerprint(queued)
    result = dedup(cli, queued, *args)
    assert result.exit_code == 1 and result.stdout == "" and result.stderr.count("\n") == 1
    assert message in result.stderr
    assert store_fingerprint(queued) == before


def test_a_decision_needs_someone_to_make_it(cli, queued):
    result = dedup(cli, queued, "review", "reject", "1")
    assert result.exit_code == 2 and "--by" in result.output
