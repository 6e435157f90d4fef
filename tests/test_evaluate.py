"""`dedup.evaluate`: pairwise precision, recall and F1 against a truth file.

First on a run built by hand (its clusters and scored pairs are tables written here, on a real
DuckDB file), where every figure is worked out below; then as a property against counting
every pair in Python; then on a real pipeline run of the small store."""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.errors import DedupError
from dedup.evaluate import (
    cluster_metrics,
    evaluation_report,
    group_merges,
    hard_negative_merges,
    largest_clusters,
    load_truth,
    threshold_metrics,
)
from dedup.pipeline import RunResult, run_pipeline
from dedup.rules import RuleSet
from dedup.sql import Runner, SqlStep
from dedup.store import Store
from dedup.tables import StageTables
from tests.conftest import DATA, TODAY

# Seven traders of four businesses: A = {1, 2, 3}, B = {4, 5}, C = {6}, D = {7}. True pairs:
# 3 inside A + 1 inside B = 4.
ENTITY = {1: 100, 2: 100, 3: 100, 4: 200, 5: 200, 6: 300, 7: 400}
# The run merges {1, 2, 3} (3 pairs, all true) and {4, 5, 6} (3 pairs, 1 true: 4-5); 7 alone.
CLUSTER = {1: 1, 2: 1, 3: 1, 4: 4, 5: 4, 6: 4, 7: 7}
# So: 4 of 6 predicted pairs are true, and all 4 true pairs are found.
PRECISION, RECALL = 4 / 6, 4 / 4
F1 = 2 * PRECISION * RECALL / (PRECISION + RECALL)   # 0.8

# Scored pairs: (left, right, score, never_match). True pairs: 1-2, 1-3, 2-3, 4-5.
SCORED = [(1, 2, 15.0, False), (1, 3, 9.0, False), (2, 3, 4.0, False),
          (4, 5, 12.0, True),     # true, but a hard rule forbids it: never counted
          (4, 6, 15.0, False), (5, 6, 3.0, False), (6, 7, 1.0, False)]


def hand_made_run(runner: Runner, clusters: dict[int, int], scored=()) -> RunResult:
    """A RunResult whose stage tables hold exactly these clusters and scored pairs."""
    tables = StageTables("__dedup__hand_")
    runner.register(tables.clusters, pl.DataFrame(
        {"trader_id": list(clusters), "cluster_id": list(clusters.values())},
        schema={"trader_id": pl.Int64, "cluster_id": pl.Int64}))
    runner.register(tables.scored, pl.DataFrame(
        list(scored), schema={"left_id": pl.Int64, "right_id": pl.Int64, "score": pl.Float64,
                              "never_match": pl.Boolean}, orient="row"))
    return RunResult(rules=RuleSet.default(), summary={}, runner=runner, tables=tables)


@pytest.fixture
def runner(tmp_path):
    con = duckdb.connect(str(tmp_path / "eval.duckdb"))
    yield Runner(con)
    con.close()


def write_truth(path: Path, entity: dict[int, int], **extra) -> Path:
    frame = pl.DataFrame({"trader_id": list(entity), "entity_id": list(entity.values()), **extra})
    if path.suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_csv(path)
    return path


@pytest.fixture
def truth(runner, tmp_path) -> str:
    return load_truth(runner, write_truth(tmp_path / "truth.csv", ENTITY))


def test_cluster_metrics_on_a_run_where_the_answer_is_known(runner, truth):
    m = cluster_metrics(hand_made_run(runner, CLUSTER), truth)
    assert m == {"true_positives": 4, "predicted_pairs": 6, "true_pairs": 4,
                 "precision": round(PRECISION, 6), "recall": 1.0, "f1": round(F1, 6)}
    assert m["f1"] == 0.8


def test_splitting_a_business_costs_recall_and_joining_two_costs_precision(runner, truth):
    apart = cluster_metrics(hand_made_run(runner, {t: t for t in ENTITY}), truth)
    assert apart == {"true_positives": 0, "predicted_pairs": 0, "true_pairs": 4,
                     "precision": 1.0, "recall": 0.0, "f1": 0.0}   # nothing claimed, nothing found
    perfect = cluster_metrics(hand_made_run(runner, ENTITY), truth)
    assert (perfect["precision"], perfect["recall"], perfect["f1"]) == (1.0, 1.0, 1.0)
    one = cluster_metrics(hand_made_run(runner, dict.fromkeys(ENTITY, 1)), truth)
    assert (one["true_positives"], one["predicted_pairs"]) == (4, 21)   # 7 * 6 / 2 pairs
    assert one["recall"] == 1.0 and one["precision"] == round(4 / 21, 6)


def test_records_missing_from_the_truth_are_left_out(runner, tmp_path):
    """Only traders the truth file names count, on both sides of every pair."""
    partial = {t: e for t, e in ENTITY.items() if t != 6}
    table = load_truth(runner, write_truth(tmp_path / "partial.parquet", partial))
    m = cluster_metrics(hand_made_run(runner, CLUSTER), table)
    assert (m["true_positives"], m["predicted_pairs"], m["true_pairs"]) == (4, 4, 4)
    assert m["precision"] == 1.0


def test_threshold_metrics_count_scored_pairs_at_or_above_each_threshold(runner, truth):
    run = hand_made_run(runner, CLUSTER, SCORED)
    rows = {r["threshold"]: r for r in threshold_metrics(run, truth, thresholds=(0.0, 4.0, 9.5, 20.0))}
    # eligible pairs (4-5 is never_match): 1-2 15 T, 1-3 9 T, 2-3 4 T, 4-6 15 F, 5-6 3 F, 6-7 1 F
    assert {t: (r["true_positives"], r["predicted_pairs"]) for t, r in rows.items()} == {
        0.0: (3, 6), 4.0: (3, 4), 9.5: (1, 2), 20.0: (0, 0)}
    assert all(r["true_pairs"] == 4 for r in rows.values())   # 4-5 is missed, never dropped
    assert rows[4.0]["precision"] == 0.75 and rows[4.0]["recall"] == 0.75
    assert rows[9.5]["f1"] == round(2 * 0.5 * 0.25 / 0.75, 6)
    assert rows[20.0]["precision"] == 1.0 and rows[20.0]["recall"] == 0.0
    assert [r["threshold"] for r in threshold_metrics(run, truth, thresholds=(9.5, 0.0))] == [0.0, 9.5]


def test_largest_clusters(runner, truth):
    assert largest_clusters(hand_made_run(runner, CLUSTER), truth) == {
        "largest_merged_cluster": 3, "most_entities_in_one_cluster": 2}
    assert largest_clusters(hand_made_run(runner, {t: t for t in ENTITY}), truth) == {
        "largest_merged_cluster": 1, "most_entities_in_one_cluster": 1}


def test_hard_negatives_and_group_merges_need_a_synth_truth_file(runner, truth, tmp_path):
    run = hand_made_run(runner, CLUSTER)
    assert hard_negative_merges(run, truth) is None and group_merges(run, truth) is None
    # 4 and 6 are branches of one chain (entities 200, 300), 5 a unit beside 6 in one building,
    # 1 and 7 neighbours (never put together by this run)
    synth = load_truth(runner, write_truth(
        tmp_path / "synth.csv", ENTITY,
        kind=["single", "single", "single", "chain", "single", "chain", "single"],
        group_kind=["neighbour", None, None, None, "unit", "unit", "neighbour"],
        group_id=[1, None, None, None, 5, 5, 1]))
    assert hard_negative_merges(run, synth) == {"clusters_merging_chain_branches": 1,
                                                "clusters_merging_units_of_one_building": 1}
    assert group_merges(run, synth) == {"neighbour": 0, "unit": 1}


def test_evaluation_report_gathers_every_measure(runner, truth):
    run = hand_made_run(runner, CLUSTER, SCORED)
    report = evaluation_report(run, truth)
    assert report["rules"] == {"name": run.rules.name, "hash": run.rules.hash}
    assert report["merge_band"] == cluster_metrics(run, truth)
    assert report["hard_negatives"] is None and report["group_merges"] is None
    assert report["largest_clusters"]["largest_merged_cluster"] == 3
    assert [r["threshold"] for r in report["thresholds"]][:3] == [0.0, 2.0, 4.0]


@pytest.mark.parametrize("name,content,message", [
    ("truth.txt", "trader_id,entity_id\n1,1\n", "use a .csv or .parquet file"),
    ("missing.csv", None, "no such file"),
    ("truth.csv", "trader_id,entity\n1,1\n", "no column entity_id"),
    ("truth.csv", "trader_id,entity_id\n1,1\n2,1.5\n", "row 2, column entity_id: '1.5' is not a whole number"),
])
def test_a_bad_truth_file_is_a_one_line_error_naming_it(runner, tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(DedupError) as caught:
        load_truth(runner, path)
    text = str(caught.value)
    assert text.startswith(f"--truth {path}: ") and message in text and "\n" not in text


def test_a_folder_is_not_a_truth_file(runner, tmp_path):
    folder = tmp_path / "truth.csv"
    folder.mkdir()
    with pytest.raises(DedupError, match="is a folder"):
        load_truth(runner, folder)


# --- against counting every pair -----------------------------------------------------------------

def pair_counts(clusters: dict[int, int], entity: dict[int, int]) -> tuple[int, int, int]:
    """True positives, predicted and true pairs, by listing every pair of records."""
    tp = predicted = actual = 0
    for a, b in itertools.combinations(sorted(clusters), 2):
        together, same = clusters[a] == clusters[b], entity[a] == entity[b]
        predicted += together
        actual += same
        tp += together and same
    return tp, predicted, actual


@pytest.fixture(scope="module")
def shared_runner(tmp_path_factory):
    con = duckdb.connect(str(tmp_path_factory.mktemp("eval") / "prop.duckdb"))
    yield Runner(con)
    con.close()


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=25))
def test_set_based_counts_equal_counting_every_pair(shared_runner, assignment):
    """Trader i is in cluster assignment[i][0] and business assignment[i][1]."""
    clusters = {i + 1: c for i, (c, _) in enumerate(assignment)}
    entity = {i + 1: e for i, (_, e) in enumerate(assignment)}
    shared_runner.register("__dedup__truth", pl.DataFrame(
        {"trader_id": list(entity), "entity_id": list(entity.values())}))
    m = cluster_metrics(hand_made_run(shared_runner, clusters), "__dedup__truth")
    assert (m["true_positives"], m["predicted_pairs"], m["true_pairs"]) == pair_counts(clusters, entity)
    assert 0.0 <= m["precision"] <= 1.0 and 0.0 <= m["recall"] <= 1.0
    assert min(m["precision"], m["recall"]) <= m["f1"] <= max(m["precision"], m["recall"])


# --- on a real run ------------------------------------------------------------------------------

def test_a_real_run_of_the_small_store_against_its_own_truth(small_store, tmp_path):
    frame = pl.read_csv(DATA / "traders_small.csv")
    entity = dict(zip(frame["trader_id"], frame["entity"]))
    truth_file = write_truth(tmp_path / "truth.csv", entity)
    with Store(small_store, read_only=True) as store:
        run = run_pipeline(store, RuleSet.default(), today=TODAY)
        report = evaluation_report(run, load_truth(store.runner, truth_file))
        clusters = dict(run.clusters().iter_rows())
        banded = run.runner.fetchall(SqlStep("pairs", f"SELECT left_id, right_id, score FROM {run.scored} "
                                                      f"WHERE NOT never_match"))
    tp, predicted, actual = pair_counts(clusters, entity)
    m = report["merge_band"]
    assert (m["true_positives"], m["predicted_pairs"], m["true_pairs"]) == (tp, predicted, actual)
    assert predicted > 0 and m["precision"] == 1.0   # the small store merges only true duplicates
    zero = report["thresholds"][0]
    assert zero["threshold"] == 0.0
    assert zero["predicted_pairs"] == sum(s >= 0 for _, _, s in banded)
    assert zero["true_positives"] == sum(s >= 0 and entity[a] == entity[b] for a, b, s in banded)
