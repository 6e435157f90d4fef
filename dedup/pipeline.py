"""The pipeline: normalise -> block -> score -> cluster -> plan, on one store.

Every stage reads and writes tables (`__dedup__*` temp tables on the store's connection), so the
same run works on a read-only store: a dry run creates nothing but temp tables and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from dedup.blocking.pairs import NORMALISED, PAIRS, block_report_sql, candidate_pairs_sql, pairs_by_rule_sql
from dedup.cluster import connected_components
from dedup.merge.survivor import choose_survivors_sql
from dedup.normalise import normalise_traders
from dedup.normalise.cache import VERSION as CACHE_VERSION
from dedup.normalise.cache import cached_rows_sql
from dedup.review import add_decided_pairs, apply_decisions, hold_decided_clusters
from dedup.rules.ruleset import RuleSet
from dedup.score import SCORED, band_counts_sql, hard_column, score_pairs_sql
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.store import Store

MEMBERS = "__dedup__members"
SURVIVORS = "__dedup__survivors"
CLUSTERS = "__dedup__clusters"
STAGES = ("normalise", "block", "score", "cluster")

#: Called with (stage, "start" | "end") so a front end can show progress.
StageHook = Callable[[str, str], None]


@dataclass
class StageStat:
    """How long a stage took and how many rows it produced."""

    stage: str
    seconds: float
    rows: int


@dataclass
class RunResult:
    """What a run found. `clusters()` gives one row per active trader."""

    rules: RuleSet
    summary: dict
    stages: list[StageStat] = field(default_factory=list)
    runner: Runner | None = None

    def clusters(self) -> pl.DataFrame:
        """trader_id, cluster_id (the trader that would survive) for every active trader."""
        return self.runner.frame(SqlStep("clusters",
                                         f"SELECT trader_id, cluster_id FROM {CLUSTERS} ORDER BY trader_id"))


class StageTimer:
    """Times stages and tells the hook when each starts and ends (the pipeline's stages and the
    merge stages of an apply run alike)."""

    def __init__(self, hook: StageHook | None):
        self.hook = hook or (lambda stage, event: None)
        self.stats: list[StageStat] = []

    def run(self, stage: str, work: Callable[[], int]) -> int:
        self.hook(stage, "start")
        started = time.perf_counter()
        rows = work()
        self.stats.append(StageStat(stage, round(time.perf_counter() - started, 3), rows))
        self.hook(stage, "end")
        return rows


ACTIVE = "__dedup__active"
FRESH = "__dedup__normalised_fresh"
FRESH_RAW = "__dedup__normalised_fresh_raw"


def normalise_stage(runner: Runner, since: dt.datetime | None = None, *, use_cache: bool = True) -> int:
    """Normalise every active trader into `__dedup__normalised`.

    Every active trader is normalised even in an incremental run (the increment is paired with the
    whole table, and term frequencies count every record); `in_increment` marks the records
    changed since `since` (updated_at at or after it, or unknown), all of them when it is None.
    Records whose exact normalisation is in the store's cache (`dedup.normalise.cache`) are read
    from it (`from_cache`); only the others go through the normaliser.
    """
    runner.run(SqlStep("active traders", f"""
        CREATE OR REPLACE TEMP TABLE {ACTIVE} AS
        SELECT t.trader_id, t.name, t.address, t.postcode, t.phone, t.website,
               w.trader_id IS NOT NULL AS whitelisted,
               $since IS NULL OR t.updated_at IS NULL OR t.updated_at >= $since AS in_increment
        FROM traders t LEFT JOIN whitelist w USING (trader_id)
        WHERE t.status = 'active'""", {"since": since}))
    # Without the cache: a version no row carries, so every record is normalised afresh.
    runner.run(cached_rows_sql(ACTIVE, NORMALISED, CACHE_VERSION if use_cache else ""))
    # The raw fields of the records normalised afresh stay (FRESH_RAW) for the cache: an apply
    # may fill a survivor's fields afterwards, and the cache must pair values with their source.
    runner.run(SqlStep("traders to normalise", f"""
        CREATE OR REPLACE TEMP TABLE {FRESH_RAW} AS
        SELECT * FROM {ACTIVE} a ANTI JOIN {NORMALISED} n USING (trader_id)"""))
    traders = runner.frame(SqlStep("read traders to normalise", f"SELECT * FROM {FRESH_RAW}"))
    fresh = normalise_traders(traders).with_columns(traders["whitelisted"], traders["in_increment"],
                                                    from_cache=pl.lit(False))
    runner.register(FRESH, fresh)
    runner.run([SqlStep("add normalised rows", f"INSERT INTO {NORMALISED} BY NAME SELECT * FROM {FRESH}"),
                SqlStep("drop staging", f"DROP TABLE {FRESH}"),
                SqlStep("drop active", f"DROP TABLE {ACTIVE}")])
    return runner.scalar(SqlStep("count normalised", f"SELECT count(*) FROM {NORMALISED}"))


def cluster_stage(runner: Runner, rules: RuleSet, today: dt.date) -> int:
    """Components of merge-band pairs, survivors, and the guards that hold clusters back.

    A component is held (not merged automatically) when it is larger than the rule set's
    `max_cluster_size`, holds more than one whitelisted trader, or holds two records a
    hard rule of `clustering.keep_apart` keeps apart (`hold_kept_apart_sql`).
    """
    edges = runner.frame(SqlStep("merge edges",
                                 f"SELECT left_id, right_id FROM {SCORED} WHERE band = 'merge'"))
    nodes, components = connected_components(edges["left_id"].to_numpy(), edges["right_id"].to_numpy())
    runner.register(MEMBERS, pl.DataFrame({"trader_id": nodes, "component": components},
                                          schema={"trader_id": pl.Int64, "component": pl.Int64}))
    runner.run(choose_survivors_sql(MEMBERS, SURVIVORS, today, rules.merge.survivor_order))
    runner.run(SqlStep("clusters", f"""
        CREATE OR REPLACE TEMP TABLE {CLUSTERS} AS
        WITH held AS (
            SELECT component, count(*) AS size, count(*) FILTER (WHERE whitelisted) AS whitelisted,
                   count(*) > ? OR count(*) FILTER (WHERE whitelisted) > 1 AS held
            FROM {SURVIVORS} GROUP BY component)
        SELECT n.trader_id,
               CASE WHEN h.held IS FALSE THEN s.survivor_id ELSE n.trader_id END AS cluster_id,
               s.component, h.size, coalesce(h.held, FALSE) AS held, NULL::VARCHAR AS hold_reason
        FROM {NORMALISED} n LEFT JOIN {SURVIVORS} s USING (trader_id)
        LEFT JOIN held h USING (component)""", (rules.max_cluster_size,)))
    if rules.keep_apart:
        runner.run(hold_kept_apart_sql(rules.keep_apart))
    return len(nodes)


def hold_kept_apart_sql(rule_names: tuple[str, ...]) -> SqlStep:
    """Hold back every cluster holding two records that one of the hard rules `rule_names` (the
    rule set's `clustering.keep_apart`) keeps apart, such as two units of one building: each
    merge-band pair is fine on its own, but a record with little on it (no address, say) can
    link both sides, and merging the cluster would merge them too. Only scored pairs are
    checked (records never paired are not compared)."""
    fired = " OR ".join(f"s.{quote_ident(hard_column(name))}" for name in rule_names)
    return SqlStep("hold clusters joining records kept apart", f"""
        UPDATE {CLUSTERS} SET held = TRUE, cluster_id = trader_id,
               hold_reason = 'two of its records are different traders by a hard rule'
        WHERE component IN (
            SELECT l.component FROM {SCORED} s
            JOIN {CLUSTERS} l ON l.trader_id = s.left_id
            JOIN {CLUSTERS} r ON r.trader_id = s.right_id
            WHERE ({fired}) AND l.component = r.component AND NOT l.held)""")


def summarise(runner: Runner, since: dt.datetime | None = None) -> dict:
    """Counts for the run summary, from the stage tables."""
    records, increment, pairs = runner.fetchone(SqlStep("counts", f"""
        SELECT (SELECT count(*) FROM {NORMALISED}),
               (SELECT count(*) FILTER (WHERE in_increment) FROM {NORMALISED}),
               (SELECT count(*) FROM {PAIRS})"""))
    merge_pairs, review_pairs = runner.fetchone(band_counts_sql())
    clusters, to_merge, largest, held = runner.fetchone(SqlStep("cluster counts", f"""
        SELECT count(DISTINCT component) FILTER (WHERE NOT held),
               count(*) FILTER (WHERE NOT held AND trader_id <> cluster_id),
               coalesce(max(size) FILTER (WHERE NOT held), 1),
               count(DISTINCT component) FILTER (WHERE held)
        FROM {CLUSTERS} WHERE component IS NOT NULL"""))
    by_rule = dict(runner.fetchall(pairs_by_rule_sql()))
    mode = ({"mode": "full"} if since is None else
            {"mode": "incremental", "since": since.isoformat(sep=" "), "increment_records": increment})
    return {
        **mode,
        "records": records,
        "candidate_pairs": pairs,
        "pairs_by_rule": by_rule,
        "pairs_merge_band": merge_pairs,
        "pairs_review_band": review_pairs,
        "clusters": clusters,
        "records_to_merge": to_merge,
        "largest_cluster": largest,
        "clusters_held_for_review": held,
    }


def run_pipeline(store: Store, rules: RuleSet, *, today: dt.date | None = None,
                 on_stage: StageHook | None = None, since: dt.datetime | None = None) -> RunResult:
    """Run every stage on the store and return what would be merged.

    Nothing in the store's own tables changes: the stages write only temp tables.

    With `since` the run is incremental: only pairs with at least one record changed since then
    (see `dedup.incremental.increment_since`) are compared, each record still against the whole
    table, so its merge-band pairs are exactly those of a full run that touch the increment.

    Args:
        store: an open store (read-only is fine).
        rules: the rule set to match with.
        today: the date on which tracks and certificates count as active (survivor choice).
        on_stage: optional progress hook.
        since: the start of the increment; None (the default) compares everything.
    """
    runner = store.runner
    today = today or dt.date.today()
    stages = StageTimer(on_stage)
    stages.run("normalise", lambda: normalise_stage(runner, since))

    def block() -> int:
        runner.run(candidate_pairs_sql(rules.blocking, rules.max_block_size, since is not None))
        add_decided_pairs(runner)  # always-merge decisions are scored even if no rule pairs them
        return runner.scalar(SqlStep("count pairs", f"SELECT count(*) FROM {PAIRS}"))

    def score() -> int:
        runner.run(score_pairs_sql(rules))
        apply_decisions(runner)  # decided pairs: always-merge to 'merge', never-merge to 'none'
        return runner.scalar(SqlStep("count scored", f"SELECT count(*) FROM {SCORED} WHERE band <> 'none'"))

    stages.run("block", block)
    stages.run("score", score)
    def cluster() -> int:
        nodes = cluster_stage(runner, rules, today)
        hold_decided_clusters(runner)  # clusters joining records a never-merge decision keeps apart
        return nodes

    stages.run("cluster", cluster)
    summary = summarise(runner, since)
    summary["stages"] = [vars(s) for s in stages.stats]
    summary["rules"] = {"name": rules.name, "hash": rules.hash}
    return RunResult(rules=rules, summary=summary, stages=stages.stats, runner=runner)


def blocking_report(store: Store, rules: RuleSet) -> list[dict]:
    """Before any scoring: the pairs each blocking rule would generate and its largest blocks.

    Pairs are counted per rule on its own (a pair two rules share counts for both); blocks above
    `max_block_size` are skipped by the run and listed here so an analyst can see what was lost.
    """
    normalise_stage(store.runner)
    report = []
    for rule in rules.blocking:
        pairs, blocks, skipped, skipped_records, largest = store.runner.fetchone(
            block_report_sql(rule, rules.max_block_size))
        report.append({"rule": rule.name, "keys": list(rule.on), "max_block_size": rule.cap(rules.max_block_size),
                       "pairs": int(pairs),
                       "blocks": int(blocks), "skipped_blocks": int(skipped),
                       "skipped_records": int(skipped_records),
                       "largest_blocks": [dict(b) for b in largest or []]})
    return report
