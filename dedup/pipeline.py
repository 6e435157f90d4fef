"""The pipeline: normalise -> block -> score -> cluster, on one store.

Every stage reads and writes temp tables on the store's connection (named by the run's
`dedup.tables.StageTables`), so the same run works on a read-only store: a dry run creates
nothing but temp tables and writes nothing. `run_pipeline` returns a `RunResult` that owns those
tables; the merge plan, proposals, evaluation and diffs read the run through it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from dedup.blocking.pairs import block_report_sql, candidate_pairs_sql, pairs_by_rule_sql
from dedup.cluster import connected_components
from dedup.decisions import add_decided_pairs, apply_decisions, hold_decided_clusters
from dedup.incremental import in_increment_expr
from dedup.normalise import normalise_traders
from dedup.normalise.cache import VERSION as CACHE_VERSION
from dedup.normalise.cache import cached_rows_sql, refresh_cache_sqls
from dedup.rules.ruleset import RuleSet
from dedup.score import band_counts_sql, hard_column, level_column, score_pairs_sqls
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.store import Store
from dedup.survivor import choose_survivors_sql
from dedup.tables import StageTables

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
    """What a run found, and the stage tables that hold it on the store's connection.

    Later steps read the run through it (the merge plan, proposals, evaluation, `dedup diff`),
    never through table names of their own.

    Attributes:
        rules: the rule set the run matched with.
        summary: counts, mode and stage times (what `dedup run --json` prints).
        stages: each stage's time and rows.
        runner: the store's runner the tables live on.
        tables: the run's stage tables.
    """

    rules: RuleSet
    summary: dict
    runner: Runner
    tables: StageTables
    stages: list[StageStat] = field(default_factory=list)

    @property
    def scored(self) -> str:
        """The scored pairs' table (left_id, right_id, blocking_rule, levels, hard-rule flags,
        score, band, decision, rules_band)."""
        return self.tables.scored

    @property
    def cluster_table(self) -> str:
        """The clusters' table: one row per active trader (trader_id, cluster_id, component,
        size, held, hold_reason)."""
        return self.tables.clusters

    def clusters(self, *, held: bool = False) -> pl.DataFrame:
        """trader_id, cluster_id (the trader that would survive) for every active trader, and
        with `held` whether its cluster is held back for review."""
        columns = "trader_id, cluster_id, held" if held else "trader_id, cluster_id"
        return self.runner.frame(SqlStep("clusters", f"SELECT {columns} FROM "
                                                     f"{quote_ident(self.tables.clusters)} ORDER BY trader_id"))

    def pairs(self) -> pl.DataFrame:
        """The scored pairs in the merge and review bands: left_id, right_id, blocking_rule,
        score, band, and each comparison's level (`level_<name>`)."""
        levels = "".join(f", {quote_ident(level_column(c.name))}" for c in self.rules.comparisons)
        return self.runner.frame(SqlStep("banded pairs", f"""
            SELECT left_id, right_id, blocking_rule, score, band{levels}
            FROM {quote_ident(self.tables.scored)} WHERE band IN ('merge', 'review')
            ORDER BY left_id, right_id"""))

    def refresh_cache(self) -> None:
        """Write the records this run normalised afresh into the store's cache of normalised
        fields (`dedup.normalise.cache`), with the raw fields they came from, and drop the rows
        of traders no longer active. Call inside an apply run's transaction, after its merges."""
        self.runner.run(refresh_cache_sqls(self.tables.normalised, self.tables.fresh_raw))


class StageTimer:
    """Times stages and tells the hook when each starts and ends (the pipeline's stages and the
    merge stages of an apply run alike)."""

    def __init__(self, hook: StageHook | None):
        self.hook = hook or (lambda stage, event: None)
        self.stats: list[StageStat] = []

    def timed(self, stage: str, work: Callable[[], int]) -> int:
        """Run `work` as `stage`: the hook hears its start and end; its rows are recorded."""
        self.hook(stage, "start")
        started = time.perf_counter()
        rows = work()
        self.stats.append(StageStat(stage, round(time.perf_counter() - started, 3), rows))
        self.hook(stage, "end")
        return rows


def normalise_stage(runner: Runner, tables: StageTables, since: dt.datetime | None = None, *,
                    use_cache: bool = True, increment: str | None = None) -> int:
    """Normalise every active trader into `tables.normalised`.

    Every active trader is normalised even in an incremental run (the increment is paired with the
    whole table, and term frequencies count every record); `in_increment` marks the records
    changed since `since` (`dedup.incremental.in_increment_expr`), all of them when it is None,
    or, with `increment` (a table of trader_id), exactly the traders it lists.
    Records whose exact normalisation is in the store's cache (`dedup.normalise.cache`) are read
    from it (`from_cache`); only the others go through the normaliser.
    """
    active, normalised, fresh_raw = (quote_ident(n) for n in
                                     (tables.active, tables.normalised, tables.fresh_raw))
    runner.run(SqlStep("active traders", f"""
        CREATE OR REPLACE TEMP TABLE {active} AS
        SELECT t.trader_id, t.name, t.address, t.postcode, t.phone, t.website,
               w.trader_id IS NOT NULL AS whitelisted,
               {in_increment_expr("t", increment)} AS in_increment
        FROM traders t LEFT JOIN whitelist w USING (trader_id)
        WHERE t.status = 'active'""", {} if increment else {"since": since}))
    # Without the cache: a version no row carries, so every record is normalised afresh.
    runner.run(cached_rows_sql(tables.active, tables.normalised, CACHE_VERSION if use_cache else ""))
    # The raw fields of the records normalised afresh stay (fresh_raw) for the cache: an apply
    # may fill a survivor's fields afterwards, and the cache must pair values with their source.
    runner.run(SqlStep("traders to normalise", f"""
        CREATE OR REPLACE TEMP TABLE {fresh_raw} AS
        SELECT * FROM {active} a ANTI JOIN {normalised} n USING (trader_id)"""))
    traders = runner.frame(SqlStep("read traders to normalise", f"SELECT * FROM {fresh_raw}"))
    fresh = normalise_traders(traders).with_columns(traders["whitelisted"], traders["in_increment"],
                                                    from_cache=pl.lit(False))
    runner.register(tables.fresh, fresh)
    runner.run([SqlStep("add normalised rows",
                        f"INSERT INTO {normalised} BY NAME SELECT * FROM {quote_ident(tables.fresh)}"),
                SqlStep("drop staging", f"DROP TABLE {quote_ident(tables.fresh)}"),
                SqlStep("drop active", f"DROP TABLE {active}")])
    return runner.scalar(SqlStep("count normalised", f"SELECT count(*) FROM {normalised}"))


def cluster_stage(runner: Runner, rules: RuleSet, tables: StageTables, today: dt.date) -> int:
    """Components of merge-band pairs, survivors, and the guards that hold clusters back.

    A component is held (not merged automatically) when it is larger than the rule set's
    `max_cluster_size`, holds more than one whitelisted trader, or holds two records a
    hard rule of `clustering.keep_apart` keeps apart (`hold_kept_apart_sql`).
    """
    edges = runner.frame(SqlStep("merge edges", f"SELECT left_id, right_id FROM "
                                                f"{quote_ident(tables.scored)} WHERE band = 'merge'"))
    nodes, components = connected_components(edges["left_id"].to_numpy(), edges["right_id"].to_numpy())
    runner.register(tables.members, pl.DataFrame({"trader_id": nodes, "component": components},
                                                 schema={"trader_id": pl.Int64, "component": pl.Int64}))
    runner.run(choose_survivors_sql(tables.members, tables.survivors, today, rules.merge.survivor_order))
    survivors = quote_ident(tables.survivors)
    runner.run(SqlStep("clusters", f"""
        CREATE OR REPLACE TEMP TABLE {quote_ident(tables.clusters)} AS
        WITH held AS (
            SELECT component, count(*) AS size, count(*) FILTER (WHERE whitelisted) AS whitelisted,
                   count(*) > ? OR count(*) FILTER (WHERE whitelisted) > 1 AS held
            FROM {survivors} GROUP BY component)
        SELECT n.trader_id,
               CASE WHEN h.held IS FALSE THEN s.survivor_id ELSE n.trader_id END AS cluster_id,
               s.component, h.size, coalesce(h.held, FALSE) AS held, NULL::VARCHAR AS hold_reason
        FROM {quote_ident(tables.normalised)} n LEFT JOIN {survivors} s USING (trader_id)
        LEFT JOIN held h USING (component)""", (rules.max_cluster_size,)))
    if rules.keep_apart:
        runner.run(hold_kept_apart_sql(rules.keep_apart, tables))
    return len(nodes)


def hold_kept_apart_sql(rule_names: tuple[str, ...], tables: StageTables) -> SqlStep:
    """Hold back every cluster holding two records that one of the hard rules `rule_names` (the
    rule set's `clustering.keep_apart`) keeps apart, such as two units of one building: each
    merge-band pair is fine on its own, but a record with little on it (no address, say) can
    link both sides, and merging the cluster would merge them too. Only scored pairs are
    checked (records never paired are not compared)."""
    fired = " OR ".join(f"s.{quote_ident(hard_column(name))}" for name in rule_names)
    clusters = quote_ident(tables.clusters)
    return SqlStep("hold clusters joining records kept apart", f"""
        UPDATE {clusters} SET held = TRUE, cluster_id = trader_id,
               hold_reason = 'two of its records are different traders by a hard rule'
        WHERE component IN (
            SELECT l.component FROM {quote_ident(tables.scored)} s
            JOIN {clusters} l ON l.trader_id = s.left_id
            JOIN {clusters} r ON r.trader_id = s.right_id
            WHERE ({fired}) AND l.component = r.component AND NOT l.held)""")


def summarise(runner: Runner, tables: StageTables, since: dt.datetime | None = None) -> dict:
    """Counts for the run summary, from the stage tables."""
    normalised = quote_ident(tables.normalised)
    records, increment, pairs = runner.fetchone(SqlStep("counts", f"""
        SELECT (SELECT count(*) FROM {normalised}),
               (SELECT count(*) FILTER (WHERE in_increment) FROM {normalised}),
               (SELECT count(*) FROM {quote_ident(tables.candidate_pairs)})"""))
    merge_pairs, review_pairs = runner.fetchone(band_counts_sql(tables.scored))
    clusters, to_merge, largest, held = runner.fetchone(SqlStep("cluster counts", f"""
        SELECT count(DISTINCT component) FILTER (WHERE NOT held),
               count(*) FILTER (WHERE NOT held AND trader_id <> cluster_id),
               coalesce(max(size) FILTER (WHERE NOT held), 1),
               count(DISTINCT component) FILTER (WHERE held)
        FROM {quote_ident(tables.clusters)} WHERE component IS NOT NULL"""))
    sizes = dict(runner.fetchall(cluster_sizes_sql(tables)))
    by_rule = dict(runner.fetchall(pairs_by_rule_sql(tables.candidate_pairs)))
    mode = ({"mode": "full"} if since is None else
            {"mode": "incremental", "since": since.isoformat(timespec="seconds"), "increment_records": increment})
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
        "cluster_sizes": {label: int(sizes.get(label, 0)) for label, _, _ in CLUSTER_SIZE_BINS},
    }


#: The bins of the summary's `cluster_sizes`: label, smallest and largest size.
CLUSTER_SIZE_BINS = (("2", 2, 2), ("3-5", 3, 5), ("6-20", 6, 20), ("21-100", 21, 100), ("over 100", 101, None))


def cluster_sizes_sql(tables: StageTables) -> SqlStep:
    """How many clusters the run would merge (not held) fall in each of `CLUSTER_SIZE_BINS`."""
    cases = " ".join(f"WHEN size >= {low}" + (f" AND size <= {high}" if high else "") + f" THEN '{label}'"
                     for label, low, high in CLUSTER_SIZE_BINS)
    return SqlStep("cluster sizes", f"""
        SELECT CASE {cases} END AS bin, count(*) FROM (
            SELECT component, any_value(size) AS size FROM {quote_ident(tables.clusters)}
            WHERE component IS NOT NULL AND NOT held GROUP BY component)
        GROUP BY bin""")


def run_pipeline(store: Store, rules: RuleSet, *, today: dt.date | None = None,
                 on_stage: StageHook | None = None, since: dt.datetime | None = None,
                 tables: StageTables | None = None, increment: str | None = None) -> RunResult:
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
        tables: the stage tables to write (default `StageTables()`); a second run on the same
            connection that must not replace the first's takes another prefix.
        increment: instead of `since`, a table of trader_id: exactly these records are the
            increment (an apply run's later rounds re-examine the survivors it filled).
    """
    runner = store.runner
    today = today or dt.date.today()
    tables = tables or StageTables()
    timer = StageTimer(on_stage)
    incremental = since is not None or increment is not None

    def block() -> int:
        runner.run(candidate_pairs_sql(rules.blocking, rules.max_block_size, tables, incremental))
        add_decided_pairs(runner, tables)  # always-merge decisions are scored even if no rule pairs them
        return runner.scalar(SqlStep("count pairs",
                                     f"SELECT count(*) FROM {quote_ident(tables.candidate_pairs)}"))

    def score() -> int:
        runner.run(score_pairs_sqls(rules, tables))
        apply_decisions(runner, tables)  # decided pairs: always-merge to 'merge', never-merge to 'none'
        return runner.scalar(SqlStep("count scored", f"SELECT count(*) FROM {quote_ident(tables.scored)} "
                                                     f"WHERE band <> 'none'"))

    def cluster() -> int:
        nodes = cluster_stage(runner, rules, tables, today)
        hold_decided_clusters(runner, tables)  # clusters joining records a never-merge decision keeps apart
        return nodes

    timer.timed("normalise", lambda: normalise_stage(runner, tables, since, increment=increment))
    timer.timed("block", block)
    timer.timed("score", score)
    timer.timed("cluster", cluster)
    summary = summarise(runner, tables, since)
    summary["stages"] = [vars(s) for s in timer.stats]
    summary["rules"] = {"name": rules.name, "hash": rules.hash}
    return RunResult(rules=rules, summary=summary, runner=runner, tables=tables, stages=timer.stats)


def blocking_report(store: Store, rules: RuleSet, tables: StageTables | None = None) -> list[dict]:
    """Before any scoring: the pairs each blocking rule would generate and its largest blocks.

    Pairs are counted per rule on its own (a pair two rules share counts for both); blocks above
    `max_block_size` are skipped by the run and listed here so an analyst can see what was lost.
    The records are normalised into `tables.normalised` (by default a new `StageTables`), which
    a caller may read afterwards.
    """
    tables = tables or StageTables()
    normalise_stage(store.runner, tables)
    report = []
    for rule in rules.blocking:
        pairs, blocks, skipped, skipped_records, largest = store.runner.fetchone(
            block_report_sql(rule, rules.max_block_size, tables.normalised))
        report.append({"rule": rule.name, "keys": list(rule.on), "max_block_size": rule.cap(rules.max_block_size),
                       "pairs": int(pairs),
                       "blocks": int(blocks), "skipped_blocks": int(skipped),
                       "skipped_records": int(skipped_records),
                       "largest_blocks": [dict(b) for b in largest or []]})
    return report
