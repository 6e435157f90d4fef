"""The notebook API (`import dedup`): the same operations as the CLI, on a real store, returning
polars DataFrames; each call opens and closes the store, so no lock is held between calls."""

from __future__ import annotations

import json

import polars as pl
import pytest

import dedup
from dedup.rules.ruleset import default_rules_text
from dedup_cli import app
from tests.conftest import DATA, store_fingerprint

REVIEW_ONLY = default_rules_text().replace("\nmerge = ", "\nmerge = 1000.0 # ", 1)


@pytest.fixture
def store(tmp_path):
    db = tmp_path / "api.duckdb"
    loaded = dedup.import_data(db, traders=DATA / "traders_small.csv")
    assert loaded.select("table", "rows").row(0) == ("traders", pl.read_csv(DATA / "traders_small.csv").height)
    return db


def test_dry_run_matches_the_cli_and_writes_nothing(cli, store):
    before = store_fingerprint(store)
    run = dedup.dry_run(store, full=True)
    assert store_fingerprint(store) == before
    assert isinstance(run.clusters, pl.DataFrame) and isinstance(run.pairs, pl.DataFrame)
    cli_summary = json.loads(cli.invoke(app, ["run", "--db", str(store), "--json", "--full"]).output)
    assert run.summary["records_to_merge"] == cli_summary["records_to_merge"] > 0
    assert run.clusters.filter(pl.col("trader_id") != pl.col("cluster_id")).height == \
        cli_summary["records_to_merge"]
    assert run.pairs.filter(pl.col("band") == "merge").height == cli_summary["pairs_merge_band"]
    assert run.stages["stage"].to_list() == ["normalise", "block", "score", "cluster"]


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
    undone = dedup.undo(store, run=accepted["run_id"])
    assert undone["merges_undone"] == accepted["records_merged"]
    assert dedup.decisions(store).filter(pl.col("kind") == "always_merge")["active"].to_list() == [False]
    out = tmp_path / "decisions.csv"
    assert dedup.export_decisions(store, out) == 2
    assert dedup.import_decisions(store, out) == {"decisions_added": 0, "decisions_skipped": 2}
    assert dedup.withdraw_decision(store, 2, by="ann")
    assert dedup.runs(store)["mode"].to_list()[:2] == ["undo", "apply"]


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
