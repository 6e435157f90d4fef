"""Run one system on one store and print its figures as JSON (one process per run, so each
process's peak memory is its own).

    python benchmarks/systems.py dedup  --db STORE --truth truth.parquet [--rules FILE]
    python benchmarks/systems.py splink --db STORE --truth truth.parquet [--profile febrl]
    python benchmarks/systems.py incremental --db NIGHT_STORE
    python benchmarks/systems.py night_apply --db COPY_OF_NIGHT_STORE

Both systems see the same records. With the `traders` profile (the default, for `dedup synth`
stores) Splink gets trader-dedup's normalised columns, so the comparison is of blocking, scoring
and clustering; it is configured as its documentation recommends for a deduplication:
out-of-the-box comparisons (NameComparison, PostcodeComparison, Jaro-Winkler on the address,
exact matches with term-frequency adjustment on phone and website), u from random sampling,
probability_two_random_records_match from deterministic rules, m by EM over two blocking rules,
predict, then connected components at a match probability of 0.99. With the `febrl` profile
(stores of the FEBRL sets, see benchmarks/febrl.py) Splink gets the store's own name, address
and postcode, lower-cased (trader-dedup's normaliser would drop an Australian postcode), and
reports its blocking recall too.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import duckdb

from dedup.evaluate import cluster_metrics, hard_negative_merges, load_truth
from dedup.pipeline import RunResult, normalise_stage, run_pipeline
from dedup.rules import RuleSet
from dedup.sql import SqlStep
from dedup.store import Store
from dedup.tables import StageTables

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


def blocking_recall(store: Store, truth: str, pairs_table: str, left: str, right: str) -> float:
    """The share of true pairs (from the loaded truth table) among the pairs of `pairs_table`."""
    found, actual = store.runner.fetchone(SqlStep("blocking recall", f"""
        SELECT (SELECT count(*) FROM {pairs_table} p JOIN {truth} l ON l.trader_id = p.{left}
                JOIN {truth} r ON r.trader_id = p.{right} WHERE l.entity_id = r.entity_id),
               (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM
                   (SELECT count(*) n FROM {truth} GROUP BY entity_id))"""))
    return found / actual if actual else 1.0


def run_dedup(db: Path, truth: Path, rules: Path | None) -> dict:
    rule_set = RuleSet.from_toml(rules) if rules else RuleSet.default()
    with Store(db, read_only=True) as store:
        started = time.perf_counter()
        result = run_pipeline(store, rule_set)
        wall = time.perf_counter() - started
        truth_table = load_truth(store.runner, truth)
        metrics = {**cluster_metrics(result, truth_table), **(hard_negative_merges(result, truth_table) or {}),
                   "blocking_recall": blocking_recall(store, truth_table, result.scored, "left_id", "right_id")}
    return {"system": "trader-dedup", "wall_s": wall,
            "stages": {s.stage: s.seconds for s in result.stages},
            "candidate_pairs": result.summary["candidate_pairs"], **metrics}


def run_incremental(db: Path, *, apply: bool = False) -> dict:
    """The night: an incremental dry run on a store that holds an applied run and a night's new
    traders, or with `apply` the night's apply itself (`dedup run --apply`; it writes, so give it
    a copy)."""
    from dedup.incremental import increment_since
    from dedup.merge.runs import apply_run

    rule_set = RuleSet.default()
    with Store(db, read_only=not apply) as store:
        started = time.perf_counter()
        since = increment_since(store.runner, rule_set)
        if since is None:
            raise SystemExit(f"{db}: no successful apply run with the default rules to be incremental from")
        if apply:
            summary = apply_run(store, rule_set, since=since)
            stages: dict[str, float] = {}
            for stage in summary["stages"]:  # every round's stages, summed by name
                stages[stage["stage"]] = stages.get(stage["stage"], 0.0) + stage["seconds"]
        else:
            result = run_pipeline(store, rule_set, since=since)
            summary, stages = result.summary, {s.stage: s.seconds for s in result.stages}
        wall = time.perf_counter() - started
    return {"system": "trader-dedup night apply" if apply else "trader-dedup incremental", "wall_s": wall,
            "stages": stages, "candidate_pairs": summary["candidate_pairs"],
            "increment_records": summary["increment_records"],
            "records_merged": summary.get("records_merged"), "rounds": len(summary.get("rounds", []))}


class SplinkProfile:
    """How Splink is set up for one kind of store: its input columns, settings and training."""

    name: str
    report_blocking_recall = False

    def frame(self, store: Store):
        raise NotImplementedError

    def settings(self):
        raise NotImplementedError

    def train(self, linker) -> None:
        raise NotImplementedError


class TraderProfile(SplinkProfile):
    """`dedup synth` stores: trader-dedup's normalised columns."""

    name = "traders"

    def frame(self, store: Store):
        tables = StageTables()
        normalise_stage(store.runner, tables)
        return store.runner.frame(SqlStep("normalised", f"SELECT * FROM {tables.normalised}"))

    def settings(self):
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

    def train(self, linker) -> None:
        from splink import block_on

        linker.training.estimate_probability_two_random_records_match(
            [block_on("name_norm", "postcode"), block_on("phone"), block_on("website_domain")], recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_norm"))


class FebrlProfile(SplinkProfile):
    """Stores of the FEBRL sets (person name, Australian address and 4-digit postcode; no phone
    or website): the store's own columns, lower-cased, with comparisons for them: Jaro-Winkler
    levels on name and address, the postcode exact or one edit apart, the first line of the
    address (house number and street) exact. Blocking on postcode, name, the address's first
    line, and name initials with the postcode's first two digits; EM once blocked on postcode
    and once on name, so each estimates the comparisons the other fixes."""

    name = "febrl"
    report_blocking_recall = True

    def frame(self, store: Store):
        return store.runner.frame(SqlStep("traders", """
            SELECT trader_id, nullif(lower(trim(name)), '') AS name, nullif(lower(trim(address)), '') AS address,
                   nullif(trim(postcode), '') AS postcode,
                   nullif(lower(trim(split_part(address, ',', 1))), '') AS address_line1
            FROM traders WHERE status = 'active'"""))

    def settings(self):
        import splink.comparison_library as cl
        from splink import SettingsCreator, block_on

        return SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="trader_id",
            blocking_rules_to_generate_predictions=[
                block_on("postcode"),
                block_on("name"),
                block_on("address_line1"),
                block_on("substr(name, 1, 2)", "substr(postcode, 1, 2)"),
            ],
            comparisons=[
                cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.75]).configure(term_frequency_adjustments=True),
                cl.JaroWinklerAtThresholds("address", [0.95, 0.88, 0.75]),
                cl.DamerauLevenshteinAtThresholds("postcode", [1]).configure(term_frequency_adjustments=True),
                cl.ExactMatch("address_line1"),
            ],
            retain_intermediate_calculation_columns=False,
        )

    def train(self, linker) -> None:
        from splink import block_on

        linker.training.estimate_probability_two_random_records_match(
            [block_on("name", "postcode"), block_on("name", "address_line1")], recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))


PROFILES = {p.name: p for p in (TraderProfile(), FebrlProfile())}


def run_splink(db: Path, truth: Path, profile: str = "traders") -> dict:
    from splink import DuckDBAPI, Linker

    spec = PROFILES[profile]
    stages = {}
    started = time.perf_counter()
    with Store(db, read_only=True) as store:
        frame = spec.frame(store)
    stages["normalise"] = time.perf_counter() - started
    con = duckdb.connect()
    db_api = DuckDBAPI(con)
    records = db_api.register(frame.to_arrow(), dataset_display_name="traders")
    linker = Linker(records, spec.settings(), log_level="WARNING")
    t = time.perf_counter()
    spec.train(linker)
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
    compared = None
    if spec.report_blocking_recall:  # every pair the blocking rules compare (not timed)
        every = linker.inference.predict()
        compared = con.sql(f"SELECT trader_id_l, trader_id_r FROM {every.physical_name}").to_arrow_table()
    with Store(db, read_only=True) as store:
        store.con.register("splink_clusters", clusters_frame)
        tables = StageTables()
        store.runner.run(SqlStep("clusters", f"CREATE TEMP TABLE {tables.clusters} AS "
                                             f"SELECT trader_id::BIGINT AS trader_id, "
                                             f"cluster_id::VARCHAR AS cluster_id FROM splink_clusters"))
        truth_table = load_truth(store.runner, truth)
        # Splink's clusters measured by the same code as a run's: a result holding only clusters.
        splink_run = RunResult(rules=RuleSet.default(), summary={}, runner=store.runner, tables=tables)
        metrics = {**cluster_metrics(splink_run, truth_table), **(hard_negative_merges(splink_run, truth_table) or {})}
        if compared is not None:
            store.con.register("splink_compared", compared)
            metrics["blocking_recall"] = blocking_recall(store, truth_table, "splink_compared", "trader_id_l",
                                                         "trader_id_r")
            metrics["pairs_compared"] = compared.num_rows
    return {"system": "splink", "wall_s": wall, "stages": stages,
            "candidate_pairs": int(pairs), "pairs_note": "pairs with match probability >= 0.5",
            **metrics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", choices=["dedup", "splink", "incremental", "night_apply"])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--truth", type=Path)
    parser.add_argument("--rules", type=Path)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="traders",
                        help="How Splink is set up (see the module's docstring).")
    args = parser.parse_args()
    if args.system in ("dedup", "splink") and args.truth is None:
        parser.error(f"{args.system} needs --truth")
    if args.system == "dedup":
        figures = run_dedup(args.db, args.truth, args.rules)
    elif args.system in ("incremental", "night_apply"):
        figures = run_incremental(args.db, apply=args.system == "night_apply")
    else:
        figures = run_splink(args.db, args.truth, args.profile)
    figures["peak_rss_mb"] = peak_rss_mb()
    json.dump(figures, sys.stdout)


if __name__ == "__main__":
    main()
