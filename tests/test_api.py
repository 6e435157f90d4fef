"""The API (`import dedup`, the surface the CLI is a face over): every operation on a real store,
returning polars DataFrames; each call opens and closes the store, so no lock is held between
calls."""

from __future__ import annotations

import polars as pl
import pytest

import dedup
from dedup.rules.ruleset import default_rules_text
from tests.conftest import DATA, store_fingerprint

REVIEW_ONLY = default_rules_text().replace("\nmerge = ", "\nmerge = 1000.0 # ", 1)


@pytest.fixture
def store(tmp_path):
    db = tmp_path / "api.duckdb"
    loaded = dedup.import_data(db, traders=DATA / "traders_small.csv")
    assert loaded.select("table", "rows").row(0) == ("traders", pl.read_csv(DATA / "traders_small.csv").height)
    return db


def test_dry_run_writes_nothing_and_its_frames_agree_with_its_summary(store):
    before = store_fingerprint(store)
    events = []
    run = dedup.dry_run(store, full=True, on_stage=lambda stage, event: events.append((stage, event)))
    assert store_fingerprint(store) == before
    stages = ["normalise", "block", "score", "cluster"]
    assert events == [(s, e) for s in stages for e in ("start", "end")]
    assert run.stages["stage"].to_list() == stages
    assert run.summary["mode"] == "full" and run.summary["records_to_merge"] > 0
    assert run.clusters.height == run.summary["records"]
    assert run.clusters.filter(pl.col("trader_id") != pl.col("cluster_id")).height == \
        run.summary["records_to_merge"]
    assert run.pairs.filter(pl.col("band") == "merge").height == run.summary["pairs_merge_band"]
    assert run.pairs.filter(pl.col("band") == "review").height == run.summary["pairs_review_band"]
    assert {f"level_{c.name}" for c in dedup.RuleSet.default().comparisons} <= set(run.pairs.columns)
    bare = dedup.dry_run(store, full=True, frames=False)
    assert bare.clusters is None and bare.pairs is None and bare.summary["records"] == run.summary["records"]


def test_init_synthesise_evaluation_report_and_train(tmp_path):
    assert dedup.init_store(tmp_path / "empty.duckdb") >= 5
    written = dedup.synthesise(tmp_path / "data", 600, seed=3)
    assert {p.name for p in written} >= {"traders.parquet", "truth.parquet"}
    db = tmp_path / "s.duckdb"
    dedup.import_data(db, directory=tmp_path / "data")
    report = dedup.evaluation_report(db, tmp_path / "data" / "truth.parquet")
    assert set(report) == {"rules", "merge_band", "hard_negatives", "group_merges", "largest_clusters",
                           "thresholds"}
    assert 0 < report["merge_band"]["precision"] <= 1 and report["hard_negatives"] is not None
    frame = dedup.evaluate_rules(db, tmp_path / "data" / "truth.parquet")
    assert frame.row(0, named=True)["precision"] == report["merge_band"]["precision"]
    out = tmp_path / "trained.toml"
    result = dedup.train_rules(db, out=out, random_pairs=2000)
    assert dedup.RuleSet.from_toml(out).merge_threshold == result.merge_threshold
    with pytest.raises(dedup.DedupError, match="exists; use --force"):
        dedup.train_rules(db, out=out, random_pairs=2000)


def test_review_loop_through_the_api(store, tmp_path):
    rules = tmp_path / "review_only.toml"
    rules.write_text(REVIEW_ONLY)
    summary = dedup.apply(store, rules, full=True)
    assert summary["records_merged"] == 0 and summary["proposals_queued"] > 0
    queue = dedup.proposals(store, status="open", sort="score")
    assert queue.height == summary["proposals_queued"]
    scores = queue["score"].to_list()
    assert scores == sorted(scores, reverse=True)
    first, second = queue["proposal_id"][0], queue["proposal_id"][1]
    shown = dedup.proposal(store, first)
    assert shown["records"]["trader_id"].to_list() == shown["trader_ids"]
    accepted = dedup.accept(store, first, by="bob")
    assert accepted["records_merged"] == len(shown["trader_ids"]) - 1
    dedup.reject(store, second, by="ann")
    decided = dedup.decisions(store)
    assert decided.select("kind").to_series().to_list() == ["always_merge", "never_merge"]
    events = dedup.history(store, shown["trader_ids"][1])
    assert set(events["event"]) & {"merged_into", "absorbed"}
    report = dedup.history_report(store, shown["trader_ids"][1])
    assert report["trader"]["status"] == "merged" and len(report["events"]) == events.height
    undone = dedup.undo(store, run=accepted["run_id"])
    assert undone["merges_undone"] == accepted["records_merged"]
    assert dedup.decisions(store).filter(pl.col("kind") == "always_merge")["active"].to_list() == [False]
    out = tmp_path / "decisions.csv"
    assert dedup.export_decisions(store, out) == 2
    assert dedup.import_decisions(store, out) == {"decisions_added": 0, "decisions_skipped": 2}
    assert dedup.withdraw_decision(store, 2, by="ann")
    assert dedup.runs(store)["kind"].to_list()[:2] == ["undo", "accept"]
    assert dedup.run_details(store, accepted["run_id"])["kind"] == "accept"


def test_explain_evaluate_and_blocking(store, tmp_path):
    pairs = dedup.dry_run(store, full=True).pairs
    a, b = pairs.row(0)[:2]
    explained = dedup.explain_pair(store, a, b)
    assert explained["pair"] == [a, b] and isinstance(explained["comparisons"], pl.DataFrame)
    assert explained["score"] == pytest.approx(pairs["score"][0])
    truth = tmp_path / "truth.csv"
    pl.read_csv(DATA / "traders_small.csv").select(
        "trader_id", entity_id=pl.col("trader_id")).write_csv(truth)   # every record its own business
    metrics = dedup.evaluate_rules(store, truth)
    assert metrics["measure"].to_list()[0] == "clusters"
    assert metrics.filter(pl.col("measure") == "clusters")["true_pairs"].item() == 0
    stricter = tmp_path / "stricter.toml"
    stricter.write_text(default_rules_text().replace("\nmerge = 11.0", "\nmerge = 17.0", 1))
    diff = dedup.diff_rules(store, stricter)           # against the default: no apply run yet
    lost = diff.pairs.filter(pl.col("change") == "merge_lost")
    assert lost.height == diff.counts["merge_lost"] > 0 and diff.counts["merge_gained"] == 0
    assert lost["old_score"].is_between(11.0, 17.0, closed="left").all()
    report = dedup.blocking_report(store)
    assert report["rule"].to_list() == [r.name for r in dedup.RuleSet.default().blocking]
    page = tmp_path / "diff.html"
    dedup.write_diff_html(diff, page)
    assert page.read_text().startswith("<!DOCTYPE html>") and "merge_lost" in page.read_text()


def test_errors_are_dedup_errors(tmp_path):
    with pytest.raises(dedup.DedupError, match="no store at"):
        dedup.dry_run(tmp_path / "missing.duckdb")
    with pytest.raises(dedup.DedupError, match="nothing to import"):
        dedup.import_data(tmp_path / "new.duckdb")


def test_api_names_survive_importing_every_module():
    """A submodule import sets `dedup.<module>` and would shadow a function of the same name."""
    import importlib
    import pkgutil

    for module in pkgutil.walk_packages(dedup.__path__, "dedup."):
        importlib.import_module(module.name)
    for name in dedup.__all__:
        assert callable(getattr(dedup, name)), name
