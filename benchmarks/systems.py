"""Run one system on one store and print its figures as JSON (one process per run, so each
process's peak memory is its own).

    python benchmarks/systems.py dedup  --db STORE --truth truth.parquet
    python benchmarks/systems.py splink --db STORE --truth truth.parquet
    python benchmarks/systems.py incremental --db NIGHT_STORE

Both systems see the same records and the same normalised columns (trader-dedup's normaliser),
so the comparison is of blocking, scoring and clustering. Splink is configured as its
documentation recommends for a deduplication: out-of-the-box comparisons (NameComparison,
PostcodeComparison, Jaro-Winkler on the address, exact matches with term-frequency adjustment on
phone and website), u from random sampling, probability_two_random_records_match from
deterministic rules, m by EM over two blocking rules, predict, then connected components at a
match probability of 0.99.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import duckdb

from dedup.evaluate import cluster_metrics, hard_negative_merges, load_truth_sql
from dedup.pipeline import CLUSTERS, normalise_stage, run_pipeline
from dedup.rules import RuleSet
from dedup.sql import SqlStep
from dedup.store import Store

SPLINK_THRESHOLD = 0.99


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the process's own address space;
    getrusage's ru_maxrss is not used because Linux carries it across exec, so a child of a
    large benchmark process would report its parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_dedup(db: Path, truth: Path, rules: Path | None) -> dict:
    rule_set = RuleSet.from_toml(rules) if rules else RuleSet.default()
    with Store(db, read_only=True) as store:
        started = time.perf_counter()
        result = run_pipeline(store, rule_set)
        wall = time.perf_counter() - started
        store.runner.run(load_truth_sql(truth))
        metrics = {**cluster_metrics(store.runner), **(hard_negative_merges(store.runner) or {})}
    return {"system": "trader-dedup", "wall_s": wall,
            "stages": {s.stage: s.seconds for s in result.stages},
            "candidate_pairs": result.summary["candidate_pairs"], **metrics}


def run_incremental(db: Path) -> dict:
    """An incremental dry run: the store holds an applied run and a night's new traders."""
    from dedup.incremental import increment_since

    rule_set = RuleSet.default()
    with Store(db, read_only=True) as store:
        started = time.perf_counter()
        since = increment_since(store.runner, rule_set)
        if since is None:
            raise SystemExit(f"{db}: no successful apply run with the default rules to be incremental from")
        result = run_pipeline(store, rule_set, since=since)
        wall = time.perf_counter() - started
    return {"system": "trader-dedup incremental", "wall_s": wall,
            "stages": {s.stage: s.seconds for s in result.stages},
            "candidate_pairs": result.summary["candidate_pairs"],
            "increment_records": result.summary["increment_records"]}


def splink_settings():
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="trader_id",
        blocking_rules_to_generate_predictions=[
            block_on("postcode"),
            block_on("postcode_sector", "substr(name_norm, 1, 4)"),
            block_on("name_key", "address_street"),
            block_on("phone"),
            block_on("website_domain"),
        ],
        comparisons=[
            cl.NameComparison("name_norm").configure(term_frequency_adjustments=True),
            cl.PostcodeComparison("postcode"),
            cl.JaroWinklerAtThresholds("address_norm", [0.95, 0.88]),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.ExactMatch("website_domain").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )


def run_splink(db: Path, truth: Path) -> dict:
    from splink import DuckDBAPI, Linker, block_on

    stages = {}
    started = time.perf_counter()
    with Store(db, read_only=True) as store:
        normalise_stage(store.runner)
        frame = store.runner.frame(SqlStep("normalised", "SELECT * FROM __dedup__normalised"))
    stages["normalise"] = time.perf_counter() - started
    con = duckdb.connect()
    db_api = DuckDBAPI(con)
    records = db_api.register(frame.to_arrow(), dataset_display_name="traders")
    linker = Linker(records, splink_settings(), log_level="WARNING")
    t = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name_norm", "postcode"), block_on("phone"), block_on("website_domain")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_norm"))
    stages["train"] = time.perf_counter() - t
    t = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    stages["predict"] = time.perf_counter() - t
    t = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=SPLINK_THRESHOLD)
    clusters_frame = con.sql(f"SELECT trader_id, cluster_id FROM {clusters.physical_name}").to_arrow_table()
    stages["cluster"] = time.perf_counter() - t
    pairs = con.execute(f"SELECT count(*) FROM {predictions.physical_name}").fetchall()[0][0]
    wall = time.perf_counter() - started
    with Store(db, read_only=True) as store:
        store.con.register("splink_clusters", clusters_frame)
        store.runner.run(SqlStep("clusters", f"CREATE TEMP TABLE {CLUSTERS} AS SELECT trader_id::BIGINT AS trader_id, "
                                             f"cluster_id::VARCHAR AS cluster_id FROM splink_clusters"))
        store.runner.run(load_truth_sql(truth))
        metrics = {**cluster_metrics(store.runner), **(hard_negative_merges(store.runner) or {})}
    return {"system": "splink", "wall_s": wall, "stages": stages,
            "candidate_pairs": int(pairs), "pairs_note": "pairs with match probability >= 0.5",
            **metrics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", choices=["dedup", "splink", "incremental"])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--truth", type=Path)
    parser.add_argument("--rules", type=Path)
    args = parser.parse_args()
    if args.system != "incremental" and args.truth is None:
        parser.error(f"{args.system} needs --truth")
    if args.system == "dedup":
        figures = run_dedup(args.db, args.truth, args.rules)
    elif args.system == "incremental":
        figures = run_incremental(args.db)
    else:
        figures = run_splink(args.db, args.truth)
    figures["peak_rss_mb"] = peak_rss_mb()
    json.dump(figures, sys.stdout)


if __name__ == "__main__":
    main()
