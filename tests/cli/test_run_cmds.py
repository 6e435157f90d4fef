"""`dedup run` (a dry run, and with --apply the overnight merge), `dedup evaluate` and `dedup demo`
(dedup_cli/run_cmds.py) through the real CLI on real stores. A dry run must not change the store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from dedup.rules import RuleSet
from dedup.store import Store
from dedup_cli import app
from tests.cli.cli_helpers import apply, truth
from tests.conftest import store_fingerprint
from tests.merge.merge_helpers import build, snapshot, trader

ROOT = Path(__file__).resolve().parents[2]
#: A rule set of its own, so the test does not move with the default weights.
SMALL_RULES = """
name = "merge-test"
[thresholds]
merge = 14.0
review = 7.0
[clustering]
max_cluster_size = 2
[blocking]
max_block_size = 500
[[blocking.rules]]
name = "same_postcode"
on = ["postcode"]
[[comparisons]]
name = "name"
levels = [{ kind = "missing", column = "name_norm", weight = 0.0 },
          { kind = "exact", column = "name_norm", weight = 9.0 },
          { kind = "else", weight = -8.0 }]
[[comparisons]]
name = "postcode"
levels = [{ kind = "missing", column = "postcode", weight = 0.0 },
          { kind = "exact", column = "postcode", weight = 6.0 },
          { kind = "else", weight = -4.0 }]
[[hard_rules]]
name = "different_house_number"
effect = "review_only"
"""


# --- dry runs ---------------------------------------------------------------------------------

def test_dry_run_changes_nothing_in_the_store(cli, small_store, tmp_path):
    before = store_fingerprint(small_store)
    mtime = small_store.stat().st_mtime_ns
    out = tmp_path / "clusters.csv"
    result = cli.invoke(app, ["run", "--db", str(small_store), "--clusters-out", str(out)])
    assert result.exit_code == 0, result.output
    assert store_fingerprint(small_store) == before
    assert small_store.stat().st_mtime_ns == mtime
    assert "Would merge" in result.output


def test_clusters_out_has_one_row_per_active_trader_and_names_a_member(cli, small_store, tmp_path):
    for suffix in ("csv", "parquet"):
        out = tmp_path / f"clusters.{suffix}"
        result = cli.invoke(app, ["run", "--db", str(small_store), "--clusters-out", str(out), "-s"])
        assert result.exit_code == 0, result.output
        frame = pl.read_csv(out) if suffix == "csv" else pl.read_parquet(out)
        assert frame.columns == ["trader_id", "cluster_id"]
        assert sorted(frame["trader_id"]) == sorted(truth())
        # a cluster's id is one of its own members: the survivor
        survivors = set(frame["cluster_id"])
        assert survivors <= set(frame["trader_id"])
        assert all(frame.filter(pl.col("trader_id") == s)["cluster_id"].item() == s for s in survivors)



def test_json_summary_reports_counts_and_stage_times(cli, small_store):
    result = cli.invoke(app, ["run", "--db", str(small_store), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["records"] == len(truth())
    assert summary["candidate_pairs"] == sum(summary["pairs_by_rule"].values())
    assert summary["pairs_merge_band"] + summary["pairs_review_band"] <= summary["candidate_pairs"]
    assert [s["stage"] for s in summary["stages"]] == ["normalise", "block", "score", "cluster"]
    assert summary["rules"]["hash"] == RuleSet.default().hash


def test_run_on_missing_store_and_bad_rules_are_one_line_errors(cli, small_store, tmp_path):
    result = cli.invoke(app, ["run", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "no store at" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[thresholds]\nmerge = "high"\n')
    result = cli.invoke(app, ["run", "--db", str(small_store), "--rules", str(bad)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "problems in" in result.output



# --- apply ----------------------------------------------------------------------------------------

def test_apply_merges_the_merge_band_and_records_the_run(cli, small_store):
    dry = json.loads(cli.invoke(app, ["run", "--db", str(small_store), "--json"]).output)
    result = apply(cli, small_store)
    assert result.exit_code == 0, result.output
    assert f"Merged {dry['records_to_merge']} records" in result.output
    with Store(small_store, read_only=True) as store:
        run = store.con.execute("SELECT run_id, mode, status, rules_hash, started_at <= finished_at, "
                                "summary FROM runs").fetchall()
        assert len(run) == 1
        _, mode, status, rules_hash, ordered, summary = run[0]
        assert (mode, status, rules_hash, ordered) == ("apply", "succeeded", RuleSet.default().hash, True)
        summary = json.loads(summary)
        assert summary["records_merged"] == dry["records_to_merge"]
        assert [s["stage"] for s in summary["stages"]] == ["normalise", "block", "score", "cluster",
                                                            "plan", "apply"]
        merged = store.con.execute("SELECT count(*) FROM traders WHERE status = 'merged'").fetchall()[0][0]
        assert merged == dry["records_to_merge"]
        # every merge is explained by its pair's levels, labels and weights, summing to its score
        for score, explanation in store.con.execute("SELECT score, explanation FROM merges").fetchall():
            explanation = json.loads(explanation)
            assert explanation["band"] == "merge" and explanation["score"] == score
            assert [c["comparison"] for c in explanation["comparisons"]] == \
                [c.name for c in RuleSet.default().comparisons]
            assert sum(c["weight"] for c in explanation["comparisons"]) == pytest.approx(score)
            assert all(c["label"] for c in explanation["comparisons"])


def test_second_apply_merges_nothing_and_json_summary_has_the_counts(cli, small_store):
    first = apply(cli, small_store, "--json")
    assert first.exit_code == 0
    filled = json.loads(first.output)["fields_filled"]
    before = store_fingerprint(small_store)
    result = apply(cli, small_store, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    for key in ("run_id", "clusters_merged", "records_merged", "cases_repointed", "tracks_repointed",
                "certificates_repointed", "proposals_queued", "stages"):
        assert key in summary
    assert summary["records_merged"] == 0 and summary["proposals_queued"] == 0
    after = store_fingerprint(small_store)
    changed = {t for t in before if before[t] != after[t]}
    # the run's own record, and the normalised cache if the first run's merges filled a survivor's
    # fields (its raw fields changed after that run normalised them)
    assert changed == {"runs"} | ({"trader_normalised"} if filled else set())
    third = apply(cli, small_store, "--json")
    assert third.exit_code == 0 and json.loads(third.output)["records_merged"] == 0
    changed = {t for t, digest in store_fingerprint(small_store).items() if after[t] != digest}
    assert changed == {"runs"}          # only the third run's own record


def test_review_band_and_held_clusters_are_queued_once(cli, tmp_path):
    acme = {"address": "5 High Street, Truro", "postcode": "TR1 1AA"}
    bolt = {"address": "9 Quay Street, Falmouth", "postcode": "TR11 3HH"}
    db = build(tmp_path / "s.duckdb", traders=[
        trader(1, "Acme Widgets", **acme), trader(2, "Acme Widgets Ltd", **acme),
        # another house number on the same street: review only, against both 1 and 2
        trader(3, "Acme Widgets", address="7 High Street, Truro", postcode="TR1 1AA"),
        # three of one business: a cluster larger than max_cluster_size = 2 is held
        trader(4, "Bolt Cycles", **bolt), trader(5, "Bolt Cycles Ltd", **bolt),
        trader(6, "Bolt Cycles Limited", **bolt)])
    rules = tmp_path / "small_clusters.toml"
    rules.write_text(SMALL_RULES)
    result = apply(cli, db, "--rules", str(rules), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    with Store(db, read_only=True) as store:
        rows = store.con.execute("SELECT kind, trader_ids, status, explanation FROM proposals "
                                 "ORDER BY proposal_id").fetchall()
    assert summary["records_merged"] == 1 and summary["proposals_queued"] == len(rows) == 2
    (held, held_ids, _, why), (pair, ids, status, explanation) = rows   # by kind, then ids
    assert (pair, ids, status) == ("pair", [1, 3], "open")      # 2 merged into 1: named by survivor
    explanation = json.loads(explanation)
    assert explanation["band"] == "review"
    assert [h["rule"] for h in explanation["hard_rules"]] == ["different_house_number"]
    assert (held, held_ids) == ("held_cluster", [4, 5, 6])
    assert json.loads(why)["reason"] == "cluster larger than max_cluster_size"
    again = json.loads(apply(cli, db, "--rules", str(rules), "--json").output)
    assert again["proposals_queued"] == 0 and again["records_merged"] == 0


def test_clusters_out_is_refused_with_apply(cli, small_store, tmp_path):
    result = apply(cli, small_store, "--clusters-out", str(tmp_path / "c.csv"))
    assert result.exit_code == 1 and "dry runs" in result.output


def test_a_second_apply_while_one_holds_the_store_is_refused(small_store):
    """A real second process holds the store open for writing, as a running apply does."""
    holder = subprocess.Popen(
        [sys.executable, "-c", ("import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                                "print('ready', flush=True); sys.stdin.read()"), str(small_store)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "dedup_cli", "run", "--apply", "--db",
                                 str(small_store), "-s"], capture_output=True, text=True, env=env,
                                timeout=60, check=False)
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1
        assert "in use by another process: is an apply running?" in result.stderr
        assert time.monotonic() - started < 30
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with Store(small_store, read_only=True) as store:   # untouched: no run was even recorded
        assert store.con.execute("SELECT count(*) FROM runs").fetchall() == [(0,)]
        assert snapshot(store)["traders"]


def test_the_dry_run_names_the_survivors_the_apply_keeps(cli, small_store, tmp_path):
    out = tmp_path / "clusters.csv"
    assert cli.invoke(app, ["run", "--db", str(small_store), "--today", "2026-11-01",
                            "--clusters-out", str(out), "-s"]).exit_code == 0
    import polars as pl
    planned = {t: c for t, c in pl.read_csv(out).iter_rows() if t != c}
    assert apply(cli, small_store).exit_code == 0
    with Store(small_store, read_only=True) as store:
        merged = dict(store.con.execute("SELECT merged_id, survivor_id FROM merges").fetchall())
    assert merged == planned


# --- evaluate -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synth_4k(tmp_path_factory):
    """A `dedup synth` store of 4,000 records (seed 7) with its truth file."""
    from typer.testing import CliRunner

    folder = tmp_path_factory.mktemp("synth4k")
    data, db = folder / "synth", folder / "s.duckdb"
    cli = CliRunner()
    assert cli.invoke(app, ["synth", str(data), "--records", "4000", "--seed", "7"]).exit_code == 0
    assert cli.invoke(app, ["import", "--db", str(db), "--dir", str(data)]).exit_code == 0
    return db, data / "truth.parquet"


def test_evaluate_on_synthetic_data_reports_quality_and_forbidden_merges(cli, synth_4k, tmp_path):
    """`dedup evaluate` against a `dedup synth` truth file: pairwise metrics and the counts of
    forbidden merges (chain branches, units of one building) agree with counts made here from
    the clusters a dry run writes."""
    import polars as pl

    db, truth_file = synth_4k
    result = cli.invoke(app, ["evaluate", "--db", str(db), "--truth", str(truth_file), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    truth = pl.read_parquet(truth_file)
    assert {"kind", "group_kind", "group_id"} <= set(truth.columns)
    sizes = truth.group_by("entity_id").len()["len"]
    assert report["merge_band"]["true_pairs"] == int((sizes * (sizes - 1) // 2).sum())
    m = report["merge_band"]
    assert m["precision"] == round(m["true_positives"] / m["predicted_pairs"], 6)
    clusters_csv = tmp_path / "clusters.csv"
    assert cli.invoke(app, ["run", "--db", str(db), "--clusters-out", str(clusters_csv)]).exit_code == 0
    clusters = pl.read_csv(clusters_csv).join(truth, on="trader_id")
    chains = (clusters.filter(pl.col("kind") == "chain").group_by("cluster_id")
              .agg(pl.col("entity_id").n_unique()).filter(pl.col("entity_id") > 1).height)
    units = (clusters.filter(pl.col("group_kind") == "unit").group_by("cluster_id", "group_id")
             .agg(pl.col("entity_id").n_unique()).filter(pl.col("entity_id") > 1).height)
    assert report["hard_negatives"] == {"clusters_merging_chain_branches": chains,
                                        "clusters_merging_units_of_one_building": units}
    largest = clusters.group_by("cluster_id").agg(pl.len(), pl.col("entity_id").n_unique())
    assert report["largest_clusters"] == {"largest_merged_cluster": largest["len"].max(),
                                          "most_entities_in_one_cluster": largest["entity_id"].max()}
    table = cli.invoke(app, ["evaluate", "--db", str(db), "--truth", str(truth_file)])
    assert (f"clusters merging chain branches: {chains}; merging units of one building: {units}"
            in table.output)


@pytest.mark.xfail(strict=True, reason="a record with only a chain's name and website merges with "
                   "three branches when the brand's website is seen in no more than 3 postcode sectors "
                   "(4,000 records, seed 7): the weak-link guard of issue 11 is not built yet")
def test_no_chain_branches_or_units_merged_on_a_small_synthetic_store(cli, synth_4k):
    db, truth_file = synth_4k
    report = json.loads(cli.invoke(app, ["evaluate", "--db", str(db), "--truth", str(truth_file), "--json"]).output)
    assert report["hard_negatives"] == {"clusters_merging_chain_branches": 0,
                                        "clusters_merging_units_of_one_building": 0}


# --- what the face prints --------------------------------------------------------------------------

def counts(text: str) -> dict[str, int]:
    """The aligned `label    count` lines of a summary."""
    return {m.group(1).strip(): int(m.group(2).replace(",", ""))
            for m in re.finditer(r"^(\S.{27}|  by \S+ *)\s*([\d,]+)$", text, re.M)}


def test_the_dry_run_table_says_what_the_json_says(cli, small_store):
    summary = json.loads(cli.invoke(app, ["run", "--db", str(small_store), "--json", "-s"]).stdout)
    result = cli.invoke(app, ["run", "--db", str(small_store), "-s"])
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "full run: every record compared"
    shown = counts(result.stdout)
    assert {k: shown[k] for k in ("records", "candidate pairs", "pairs in merge band", "pairs in review band",
                                  "clusters to merge", "largest cluster", "clusters held for review")} == {
        "records": summary["records"], "candidate pairs": summary["candidate_pairs"],
        "pairs in merge band": summary["pairs_merge_band"], "pairs in review band": summary["pairs_review_band"],
        "clusters to merge": summary["clusters"], "largest cluster": summary["largest_cluster"],
        "clusters held for review": summary["clusters_held_for_review"]}
    assert {rule: shown[f"by {rule}"] for rule in summary["pairs_by_rule"]} == summary["pairs_by_rule"]
    assert [line.split()[0] for line in lines if line.startswith("  ") and line.rstrip().endswith("rows)")] == \
        ["normalise", "block", "score", "cluster"]
    assert f"rule set: {summary['rules']['name']} ({summary['rules']['hash']})" in lines
    assert lines[-1] == f"Would merge {summary['records_to_merge']:,} records"


def test_the_apply_table_says_what_the_run_recorded(cli, small_store):
    result = apply(cli, small_store)
    assert result.exit_code == 0, result.output
    with Store(small_store, read_only=True) as store:
        summary = json.loads(store.con.execute("SELECT summary FROM runs").fetchone()[0])
    shown = counts(result.stdout)
    assert (shown["records merged"], shown["clusters merged"], shown["cases re-pointed"],
            shown["survivor fields filled"], shown["proposals queued"]) == (
        summary["records_merged"], summary["clusters_merged"], summary["cases_repointed"],
        summary["fields_filled"], summary["proposals_queued"])
    assert result.stdout.splitlines()[-1] == (f"Merged {summary['records_merged']:,} records in "
                                              f"{summary['clusters_merged']:,} clusters (run {summary['run_id']})")


@pytest.mark.parametrize("args, message", [
    (["--today", "1/11/2026"], "error: --today '1/11/2026': expected a date as YYYY-MM-DD"),
    (["--clusters-out", "clusters.xlsx"], "error: --clusters-out clusters.xlsx: use a .csv, .parquet or .pq file name"),
    (["--apply", "--today", "soon"], "error: --today 'soon': expected a date as YYYY-MM-DD"),
])
def test_bad_options_are_one_line_and_change_nothing(cli, small_store, args, message):
    before = store_fingerprint(small_store)
    result = cli.invoke(app, ["run", "--db", str(small_store), *args])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message + "\n")
    assert store_fingerprint(small_store) == before


def test_the_evaluate_table_says_what_the_json_says(cli, small_store, tmp_path):
    truth_file = tmp_path / "truth.csv"
    pl.DataFrame({"trader_id": list(truth()), "entity_id": list(truth().values())}).write_csv(truth_file)
    args = ["evaluate", "--db", str(small_store), "--truth", str(truth_file), "-s"]
    report = json.loads(cli.invoke(app, [*args, "--json"]).stdout)
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    m = report["merge_band"]
    assert lines[0].startswith(f"merge band (clusters): precision {m['precision']:.4f}  recall {m['recall']:.4f}")
    assert "clusters merging chain branches" not in result.stdout    # not a synth truth file
    rows = lines[lines.index(next(line for line in lines if line.strip().startswith("score >="))) + 1:]
    assert [[float(x.replace(",", "")) for x in row.split()] for row in rows] == [
        [t["threshold"], round(t["precision"], 4), round(t["recall"], 4), round(t["f1"], 4), t["predicted_pairs"]]
        for t in report["thresholds"]]


def test_demo_builds_a_fresh_store_from_synthetic_data_and_dry_runs_it(cli, tmp_path):
    db, data = tmp_path / "demo.duckdb", tmp_path / "demo_data"
    db.write_text("an old demo store, replaced")
    result = cli.invoke(app, ["demo", "-n", "300", "--seed", "3", "--db", str(db), "--data-dir", str(data), "-s"])
    assert result.exit_code == 0, result.output
    assert "imported 300 traders" in result.stderr and f"store: {db}; ground truth: {data / 'truth.parquet'}" \
        in result.stderr
    assert result.stdout.splitlines()[0] == "full run: every record compared"
    assert counts(result.stdout)["records"] == 300 and result.stdout.splitlines()[-1].startswith("Would merge ")
    with Store(db, read_only=True) as store:
        assert store.counts()["traders"] == 300
