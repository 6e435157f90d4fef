"""Incremental runs: only traders new or changed since the last successful apply run are compared
(with the whole table), and for them the result is what a full run gives."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest
from typer.testing import CliRunner

from dedup.importer import ImportSource, import_files
from dedup.incremental import increment_since
from dedup.merge.runs import apply_groups
from dedup.pipeline import cluster_stage, run_pipeline
from dedup.rules import RuleSet
from dedup.rules.ruleset import default_rules_text
from dedup.schema import TABLES_BY_NAME
from dedup.store import Store
from dedup.synth import generate, write_tables
from dedup_cli import app
from tests.conftest import TODAY

NEW_IDS_FROM = 40_000_000
TRADER_COLUMNS = ["trader_id", "name", "address", "postcode", "phone", "website", "created_at",
                  "created_by"]


def invoke(cli, *args: str):
    result = cli.invoke(app, [*args, "-s"] if args[0] == "run" else list(args))
    assert result.exit_code == 0, result.output
    return result


def run_json(cli, db, *extra: str) -> dict:
    return json.loads(invoke(cli, "run", "--db", str(db), "--today", TODAY.isoformat(), "--json",
                             *extra).output)


def second_batch(db) -> pl.DataFrame:
    """New traders: 400 synthetic ones (their own duplicates among them) with ids above the
    store's, and 60 copies of existing active traders with small edits, as advisers make them."""
    fresh = generate(400, seed=6)["traders"].select(TRADER_COLUMNS)
    fresh = fresh.with_columns(pl.col("trader_id") - fresh["trader_id"].min() + NEW_IDS_FROM)
    with Store(db, read_only=True) as store:
        existing = pl.from_arrow(store.con.sql(
            f"SELECT {', '.join(TRADER_COLUMNS)} FROM traders WHERE status = 'active' "
            f"ORDER BY hash(trader_id) LIMIT 60").to_arrow_table())
    edits = [pl.col("name").str.to_uppercase(),                                  # MABELS BOUTIQUE
             pl.col("postcode").str.replace_all(" ", "").str.to_lowercase(),   # tr11au
             pl.col("name") + pl.lit(" Ltd")]                                  # ... Ltd
    copies = pl.concat([existing.slice(i * 20, 20).with_columns(edit) for i, edit in enumerate(edits)])
    first_id = NEW_IDS_FROM + 10_000
    copies = copies.with_columns(pl.Series("trader_id", range(first_id, first_id + copies.height)))
    return pl.concat([fresh, copies.select(fresh.columns).cast(fresh.schema)])


@pytest.fixture(scope="module")
def grown_store(tmp_path_factory):
    """3,000 synthetic traders imported and applied once, then a second batch imported."""
    cli, folder = CliRunner(), tmp_path_factory.mktemp("incremental")
    db = folder / "traders.duckdb"
    write_tables(generate(3000, seed=5), folder / "first", "parquet")
    invoke(cli, "import", "--db", str(db), "--dir", str(folder / "first"))
    applied = run_json(cli, db, "--apply")
    assert applied["mode"] == "full" and applied["records_merged"] > 0
    batch = second_batch(db)
    batch.write_csv(folder / "second.csv")
    invoke(cli, "import", "--db", str(db), "--traders", str(folder / "second.csv"))
    return db, set(batch["trader_id"])


@pytest.fixture
def grown(grown_store, tmp_path):
    """A private copy of the grown store (tests that write must not disturb the others)."""
    db, new_ids = grown_store
    copy = tmp_path / "grown.duckdb"
    shutil.copyfile(db, copy)
    return copy, new_ids


def increment_ids(db) -> set[int]:
    """Active traders changed at or after the last apply run's start, except the survivors that
    run filled itself (it re-examined them before it committed)."""
    with Store(db, read_only=True) as store:
        since = increment_since(store.runner, RuleSet.default())
        return {r[0] for r in store.con.execute(
            "SELECT trader_id FROM traders WHERE status = 'active' "
            "AND (updated_at IS NULL OR updated_at >= ?) "
            "AND trader_id NOT IN (SELECT survivor_id FROM merges m JOIN traders t "
            "  ON t.trader_id = m.survivor_id AND t.updated_at = m.merged_at "
            "  WHERE m.run_id = (SELECT max(run_id) FROM runs WHERE mode = 'apply'))",
            [since]).fetchall()}


def scored_pairs(run, band: str) -> dict[tuple[int, int], float]:
    return {(a, b): s for a, b, s in run.runner.con.execute(
        f"SELECT left_id, right_id, score FROM {run.scored} WHERE band = ?", [band]).fetchall()}


def test_incremental_equals_full_for_the_records_in_the_increment(cli, grown_store, tmp_path):
    db, new_ids = grown_store
    increment = increment_ids(db)
    assert increment == new_ids  # not the survivors the apply filled: it re-examined them itself
    rules = RuleSet.default()

    def touches(pair) -> bool:
        return pair[0] in increment or pair[1] in increment

    with Store(db, read_only=True) as store:
        since = increment_since(store.runner, rules)
        assert since is not None
        run = run_pipeline(store, rules, today=TODAY, since=since)
        inc_merge, inc_review = scored_pairs(run, "merge"), scored_pairs(run, "review")
        full = run_pipeline(store, rules, today=TODAY)
        full_merge = {p: s for p, s in scored_pairs(full, "merge").items() if touches(p)}
        full_review = {p: s for p, s in scored_pairs(full, "review").items() if touches(p)}
        # The full run's clusters built from its merge-band pairs touching the increment only.
        store.con.execute(f"DELETE FROM {full.scored} WHERE NOT (left_id IN (SELECT unnest(?)) "
                          f"OR right_id IN (SELECT unnest(?)))", [sorted(increment)] * 2).fetchall()
        cluster_stage(store.runner, rules, full.tables, TODAY)
        expected = dict(full.clusters().iter_rows())
    assert inc_merge == full_merge and len(inc_merge) > 50
    assert any({a, b} & new_ids and not {a, b} <= increment for a, b in inc_merge)  # new joins old
    assert inc_review == full_review

    inc_out, full_out = tmp_path / "inc.csv", tmp_path / "full.csv"
    invoke(cli, "run", "--db", str(db), "--today", TODAY.isoformat(), "--clusters-out", str(inc_out))
    invoke(cli, "run", "--db", str(db), "--today", TODAY.isoformat(), "--clusters-out", str(full_out),
           "--full")
    inc_clusters = dict(pl.read_csv(inc_out).iter_rows())
    full_clusters = dict(pl.read_csv(full_out).iter_rows())
    assert {t: inc_clusters[t] for t in increment} == {t: expected[t] for t in increment}
    # Here the full run's clusters agree for every new record too: no merge-band pair among older
    # records reaches them (incremental clusters cannot see such pairs; see README, dedup run).
    assert {t: inc_clusters[t] for t in new_ids} == {t: full_clusters[t] for t in new_ids}
    assert sum(inc_clusters[t] != t for t in new_ids) >= 60


def test_without_a_successful_apply_run_the_run_is_full(cli, small_store):
    assert run_json(cli, small_store)["mode"] == "full"
    # Neither a failed apply run nor an apply of given groups (no pipeline) starts an increment.
    with Store(small_store) as store:
        store.con.execute("INSERT INTO runs (run_id, started_at, mode, rules_hash, status, summary) "
                          "VALUES (1, now(), 'apply', ?, 'failed', '{\"candidate_pairs\": 9}')",
                          [RuleSet.default().hash]).fetchall()
        store.con.execute("CREATE TEMP TABLE g AS SELECT 23204319::BIGINT AS trader_id, 1 AS group_id "
                          "UNION ALL SELECT 23204502, 1").fetchall()
        apply_groups(store, RuleSet.default(), "g", today=TODAY)
        assert increment_since(store.runner, RuleSet.default()) is None
    assert run_json(cli, small_store)["mode"] == "full"


def test_a_changed_rule_set_makes_a_full_run(cli, small_store, tmp_path):
    run_json(cli, small_store, "--apply")
    assert run_json(cli, small_store)["mode"] == "incremental"
    changed = tmp_path / "changed.toml"
    changed.write_text(default_rules_text().replace("merge = 11.0", "merge = 12.0"))
    assert RuleSet.from_toml(changed).hash != RuleSet.default().hash
    assert run_json(cli, small_store, "--rules", str(changed))["mode"] == "full"


def test_full_option_forces_a_full_run(cli, grown):
    db, _ = grown
    incremental, full = run_json(cli, db), run_json(cli, db, "--full")
    assert incremental["mode"] == "incremental" and full["mode"] == "full"
    assert "since" not in full and "increment_records" not in full
    assert full["candidate_pairs"] > incremental["candidate_pairs"]
    applied = run_json(cli, db, "--apply", "--full")
    assert applied["mode"] == "full"
    with Store(db, read_only=True) as store:
        stored = json.loads(store.con.execute(
            "SELECT summary FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()[0])
    assert stored["mode"] == "full"


def test_summary_reports_the_increment(cli, grown):
    db, new_ids = grown
    increment = increment_ids(db)
    summary = run_json(cli, db)
    assert summary["mode"] == "incremental"
    assert summary["increment_records"] == len(increment)
    assert summary["records"] > summary["increment_records"]
    text = invoke(cli, "run", "--db", str(db), "--today", TODAY.isoformat()).output
    assert (f"incremental run: {len(increment):,} records new or changed since {summary['since']}"
            in text)
    applied = run_json(cli, db, "--apply")
    assert applied["mode"] == "incremental" and applied["increment_records"] == len(increment)
    assert applied["records_merged"] >= 60
    # The next increment starts at this apply, and the survivors it filled are not in it: the
    # apply re-examined them before it committed, so a second apply has nothing to look at.
    after = run_json(cli, db)
    assert after["since"] >= summary["since"] and after["increment_records"] == 0
    again = run_json(cli, db, "--apply")
    assert again["increment_records"] == 0 and again["records_merged"] == 0


def test_an_unchanged_reimport_adds_nothing_to_the_increment(cli, small_store, traders_small_csv,
                                                             tmp_path):
    run_json(cli, small_store, "--apply")
    before = run_json(cli, small_store)
    with Store(small_store) as store:
        import_files(store.runner, [ImportSource(TABLES_BY_NAME["traders"], traders_small_csv, {})])
    after = run_json(cli, small_store)
    assert after["mode"] == "incremental"
    assert after["increment_records"] == before["increment_records"]
    edited = tmp_path / "edited.csv"
    frame = pl.read_csv(traders_small_csv)
    frame.with_columns(pl.when(pl.col("trader_id") == 30000060).then(pl.lit("Penrose Motor Co"))
                       .otherwise(pl.col("name")).alias("name")).write_csv(edited)
    with Store(small_store) as store:
        import_files(store.runner, [ImportSource(TABLES_BY_NAME["traders"], edited, {})])
    assert run_json(cli, small_store)["increment_records"] == before["increment_records"] + 1
