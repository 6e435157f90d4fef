"""`dedup.diff`: two rule sets compared on one real store: exactly the pairs between two
thresholds, splits and joins checked against the runs' own clusters, truth metrics and decisions
as labels. (The `dedup diff` command, its table, JSON, HTML and default --against:
tests/cli/test_diff_cmd.py; the HTML page itself: tests/test_diff_html.py.)"""

from __future__ import annotations

import shutil

import duckdb
import polars as pl
import pytest

from dedup.diff import CATEGORIES, diff_rules
from dedup.pipeline import run_pipeline
from dedup.rules import RuleSet
from dedup.store import Store
from tests.conftest import TODAY
from tests.diff_helpers import files, rule_set


@pytest.fixture(scope="module")
def store(diff_store):
    return diff_store


@pytest.fixture(scope="module")
def old_run(store):
    """The default rules' scored pairs and clusters, from the pipeline itself."""
    with Store(store, read_only=True) as s:
        run = run_pipeline(s, RuleSet.default(), today=TODAY)
        scored = pl.from_arrow(
            s.con.sql(f"SELECT left_id, right_id, score, band FROM {run.scored}").to_arrow_table())
        clusters = run.clusters()
    return scored, clusters


def clusters_of(db, rules: RuleSet) -> pl.DataFrame:
    with Store(db, read_only=True) as s:
        return run_pipeline(s, rules, today=TODAY).clusters()


def run_diff(db, new: RuleSet, old: RuleSet, **kwargs):
    with Store(db, read_only=True) as s:
        return diff_rules(s, new, old, today=TODAY, **kwargs)


def pair_set(frame: pl.DataFrame) -> set[tuple[int, int]]:
    return set(zip(frame["left_id"].to_list(), frame["right_id"].to_list()))


def test_raising_the_merge_threshold_loses_exactly_the_pairs_between_the_thresholds(store, old_run):
    scored, _ = old_run
    between = pair_set(scored.filter((pl.col("band") == "merge") & (pl.col("score") >= 11)
                                     & (pl.col("score") < 13)))
    assert between, "the test data should have merge-band pairs scoring in [11, 13)"
    diff = run_diff(store, rule_set(store, "merge13"), RuleSet.default())
    lost = diff.pairs.filter(pl.col("change") == "merge_lost")
    assert pair_set(lost) == between
    assert diff.pairs.height == len(between)          # nothing gained, no review-band change
    assert diff.counts["merge_lost"] == len(between)
    assert {k: diff.counts[k] for k in ("merge_gained", "review_gained", "review_lost")} == dict.fromkeys(
        ("merge_gained", "review_gained", "review_lost"), 0)
    assert set(lost["old_band"]) == {"merge"} and set(lost["new_band"]) == {"review"}
    # the same pair scored by two runs: equal up to the order DuckDB sums the frequencies in
    assert ((lost["old_score"] - lost["new_score"]).abs() < 1e-9).all()


def test_lowering_it_back_gains_the_same_pairs_and_swaps_split_and_joined(store):
    lowered = run_diff(store, RuleSet.default(), rule_set(store, "merge13"))
    raised = run_diff(store, rule_set(store, "merge13"), RuleSet.default())
    assert pair_set(lowered.pairs.filter(pl.col("change") == "merge_gained")) == pair_set(raised.pairs)
    assert lowered.counts["merge_lost"] == 0
    assert lowered.counts["clusters_joined"] == raised.counts["clusters_split"] > 0
    assert lowered.counts["clusters_split"] == raised.counts["clusters_joined"] == 0
    assert lowered.counts["together_gained"] == raised.counts["together_lost"] > 0


def test_raising_the_review_threshold_loses_exactly_the_review_pairs_between(store, old_run):
    scored, _ = old_run
    between = pair_set(scored.filter((pl.col("band") == "review") & (pl.col("score") >= 7)
                                     & (pl.col("score") < 9)))
    assert between
    diff = run_diff(store, rule_set(store, "review9"), RuleSet.default())
    lost = diff.pairs.filter(pl.col("change") == "review_lost")
    assert pair_set(lost) == between and diff.pairs.height == len(between)
    assert set(lost["new_band"]) == {"none"}
    # the merge band is untouched, so no cluster changes either
    assert all(diff.counts[k] == 0 for k in CATEGORIES if k != "review_lost")


def test_identical_rule_sets_give_an_empty_diff(store):
    diff = run_diff(store, rule_set(store, "default"), RuleSet.default())
    assert diff.empty and diff.pairs.height == 0 and diff.examples == {}
    assert diff.runs["old"]["pairs_merge_band"] == diff.runs["new"]["pairs_merge_band"] > 0


def test_split_clusters_really_split(store, old_run):
    _, old_clusters = old_run
    new_clusters = clusters_of(store, rule_set(store, "merge13"))
    both = old_clusters.join(new_clusters, on="trader_id", suffix="_new")
    split = (both.group_by("cluster_id").agg(pl.col("cluster_id_new").n_unique().alias("n"))
             .filter(pl.col("n") > 1))
    together = lambda col: int(both.group_by(col).len().select(  # noqa: E731
        (pl.col("len") * (pl.col("len") - 1) // 2).sum()).item())
    kept = int(both.group_by("cluster_id", "cluster_id_new").len().select(
        (pl.col("len") * (pl.col("len") - 1) // 2).sum()).item())

    diff = run_diff(store, rule_set(store, "merge13"), RuleSet.default(), examples=3)
    assert diff.counts["clusters_split"] == split.height > 0
    assert diff.counts["together_lost"] == together("cluster_id") - kept > 0
    assert diff.counts["together_gained"] == together("cluster_id_new") - kept == 0
    examples = diff.examples["clusters_split"]
    assert examples["cluster"].n_unique() == 3
    new_of = dict(new_clusters.iter_rows())
    old_of = dict(old_clusters.iter_rows())
    for cluster, members in examples.group_by("cluster"):
        ids = members["trader_id"].to_list()
        assert sorted(ids) == sorted(t for t, c in old_of.items() if c == cluster[0])  # all its records
        assert len({new_of[t] for t in ids}) > 1
        assert members["new_cluster"].to_list() == [new_of[t] for t in ids]
    for row in diff.examples["together_lost"].iter_rows(named=True):
        assert old_of[row["left_id"]] == old_of[row["right_id"]]
        assert new_of[row["left_id"]] != new_of[row["right_id"]]
        assert row["left_name"] and row["right_name"]


def test_truth_metrics_and_decisions_as_labels(store, tmp_path):
    db = tmp_path / "labelled.duckdb"
    shutil.copyfile(store, db)
    diff = run_diff(db, rule_set(store, "merge13"), RuleSet.default())
    lost = diff.pairs.filter(pl.col("change") == "merge_lost")
    a, b = lost.row(0)[:2]
    c, d = lost.row(1)[:2]
    with duckdb.connect(str(db)) as con:
        def decide(decision_id, ids, kind):
            versions = [con.execute("SELECT updated_at FROM traders WHERE trader_id = ?", [t]).fetchone()[0]
                        for t in ids]
            con.execute("INSERT INTO decisions (decision_id, trader_ids, kind, decided_by, decided_at, "
                        "record_versions) VALUES (?, ?, ?, 'test', now()::TIMESTAMP, ?)",
                        [decision_id, ids, kind, versions])
        # pairs only the old rules merge: one people accepted, one they rejected, and one rejection
        # whose record was edited since (no longer active, so not a label)
        decide(1, [a, b], "always_merge")
        decide(2, [c, d], "never_merge")
        decide(3, sorted([a, d]), "never_merge")
        con.execute("UPDATE decisions SET record_versions = [TIMESTAMP '2001-01-01', "
                    "TIMESTAMP '2001-01-01'] WHERE decision_id = 3")
    diff = run_diff(db, rule_set(store, "merge13"), RuleSet.default(), truth=files(store)["truth"])
    m = diff.metrics
    # the rules' own verdict, before the decisions override it: merged by the old, proposed by the new
    assert m["old"]["decisions"]["always_merge"] == {"pairs": 1, "rules_merge": 1, "rules_review": 0}
    assert m["new"]["decisions"]["always_merge"] == {"pairs": 1, "rules_merge": 0, "rules_review": 1}
    assert m["old"]["decisions"]["never_merge"] == {"pairs": 1, "rules_merge": 1, "rules_review": 0}
    assert m["new"]["decisions"]["never_merge"] == {"pairs": 1, "rules_merge": 0, "rules_review": 1}
    # a higher merge threshold only takes merges away: recall cannot go up
    assert m["new"]["truth"]["recall"] < m["old"]["truth"]["recall"]
    assert m["direction"]["recall"] == "down"
    up = m["new"]["truth"]["precision"] > m["old"]["truth"]["precision"]
    assert m["direction"]["precision"] == ("up" if up else "down" if m["new"]["truth"]["precision"]
                                           < m["old"]["truth"]["precision"] else "same")
