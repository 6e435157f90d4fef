"""A dry-run comparison of two rule sets on one store (`dedup diff`).

Both rule sets run the full pipeline on the same (read-only) store, each into stage tables of
its own (`StageTables` prefixes `__dedup__old_` and `__dedup__new_`), and everything is
compared set-based in DuckDB. Only counts, histograms and a handful of examples (and, for notebooks, the pairs whose
band changed) come back to Python.

Categories:

- **pairs** (a pair's band in the old run against the new; a pair one run did not score counts
  as band 'none' there, and its score is NULL):
  - `merge_gained`: not in the merge band before (review or none), in it now;
  - `merge_lost`: in the merge band before, not now (review or none);
  - `review_gained`: none -> review;
  - `review_lost`: review -> none.
  Every changed pair is in exactly one category; `old_band` / `new_band` tell which way.
- **together** (records in the same cluster that would merge; held clusters do not merge, so
  their records count as apart): `together_gained` pairs of records together only in the new
  run, `together_lost` only in the old. Counted from cluster sizes, never listed in full.
- **clusters**: `clusters_split` an old merging cluster whose records land in more than one new
  cluster; `clusters_joined` a new merging cluster whose records come from more than one old
  cluster. A record in no merging cluster counts as a cluster of one, so a cluster that dissolves
  is split and one that gains a record is joined (swapping old and new swaps split and joined).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dedup.decisions import DECISION_KINDS, active_decisions_query, decided_pairs_query, has_decisions_sql
from dedup.errors import DedupError
from dedup.evaluate import cluster_metrics, load_truth
from dedup.incremental import last_apply_sql
from dedup.pipeline import RunResult, StageHook, run_pipeline
from dedup.rules.ruleset import RuleSet
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.store import Store
from dedup.tables import PREFIX, StageTables

PAIR_CHANGES = ("merge_gained", "merge_lost", "review_gained", "review_lost")
TOGETHER_CHANGES = ("together_gained", "together_lost")
CLUSTER_CHANGES = ("clusters_split", "clusters_joined")
CATEGORIES = (*PAIR_CHANGES, *TOGETHER_CHANGES, *CLUSTER_CHANGES)
RECORD_FIELDS = ("name", "address", "postcode", "phone", "website")
SIDES = ("old", "new")

#: What each category means, for --help, the table and the HTML report.
DESCRIPTIONS = {
    "merge_gained": "pairs in the merge band only under the new rules (before: review or none)",
    "merge_lost": "pairs in the merge band only under the old rules (now: review or none)",
    "review_gained": "pairs in the review band only under the new rules (before: none)",
    "review_lost": "pairs in the review band only under the old rules (now: none)",
    "together_gained": "pairs of records in one merging cluster only under the new rules",
    "together_lost": "pairs of records in one merging cluster only under the old rules",
    "clusters_split": "old merging clusters whose records land in more than one new cluster",
    "clusters_joined": "new merging clusters whose records come from more than one old cluster",
}


#: Each side's stage tables; the comparison's own table (the changed pairs) is in `TABLES`.
SIDE_TABLES = {side: StageTables(f"{PREFIX}{side}_") for side in SIDES}
TABLES = StageTables()


@dataclass
class RuleDiff:
    """What changes from the old rule set to the new one on one store.

    Attributes:
        old, new: the two rule sets.
        pairs: every pair whose band differs: left_id, right_id, old_score, new_score, old_band,
            new_band (NULL where that run did not score the pair), change.
        counts: the number in each category (see the module docstring), pairs and clusters.
        examples: per category up to N examples, the records' fields side by side (pairs:
            `left_*` / `right_*` columns; clusters: one row per record with both cluster ids).
        histograms: side ('old' | 'new'), bin (scores in [bin, bin + 1)), band, pairs.
        runs: each run's summary (records, bands, clusters, ...), by side.
        metrics: per side, `truth` (pairwise precision / recall / F1, with --truth) and
            `decisions` (active decisions' pairs, and how many the rules alone would merge or
            propose); `direction` of each truth metric ('up' | 'down' | 'same').
    """

    old: RuleSet
    new: RuleSet
    pairs: pl.DataFrame
    counts: dict[str, int]
    examples: dict[str, pl.DataFrame]
    histograms: pl.DataFrame
    runs: dict[str, dict]
    metrics: dict = field(default_factory=dict)
    against_note: str = ""

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())

    def summary(self) -> dict:
        """Counts, the two rule sets, their run summaries and metrics (no examples)."""
        return {
            "old": {"name": self.old.name, "hash": self.old.hash,
                    "merge_threshold": self.old.merge_threshold,
                    "review_threshold": self.old.review_threshold},
            "new": {"name": self.new.name, "hash": self.new.hash,
                    "merge_threshold": self.new.merge_threshold,
                    "review_threshold": self.new.review_threshold},
            "counts": dict(self.counts),
            "runs": {side: {k: v for k, v in s.items() if k not in ("stages", "rules")}
                     for side, s in self.runs.items()},
            "metrics": self.metrics,
        }

    def to_dict(self) -> dict:
        """The summary with examples and histograms, JSON-ready."""
        return {**self.summary(),
                "examples": {k: v.to_dicts() for k, v in self.examples.items()},
                "histograms": self.histograms.to_dicts()}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)


# --- which rule set to compare against ---------------------------------------------------------

def last_applied_rules(runner: Runner) -> tuple[RuleSet, str]:
    """The rule set of the last successful pipeline apply run, and a note saying where it came
    from. With no such run, the packaged default.

    Raises:
        DedupError: the run's rule set is not stored (a store older than `rule_sets`) and is not
            the packaged default.
    """
    row = runner.fetchone(last_apply_sql())
    default = RuleSet.default()
    if row is None:
        return default, "no applied run in the store: comparing against the packaged default rules"
    started, rules_hash = row
    stored = runner.fetchone(SqlStep("stored rule set",
                                     "SELECT name, text FROM rule_sets WHERE rules_hash = ?",
                                     (rules_hash,)))
    if stored is not None:
        rules = RuleSet.from_toml_text(stored[1], source=f"rule set {rules_hash} (stored)")
        return rules, f"comparing against rule set {stored[0]!r} ({rules_hash}) of the apply run of {started}"
    if rules_hash == default.hash:
        return default, f"comparing against the packaged default rules, used by the apply run of {started}"
    raise DedupError(f"the last applied run ({started}) used rule set {rules_hash}, whose text is not "
                     f"in the store: pass --against RULES.toml")


# --- the comparison ----------------------------------------------------------------------------

def _decision_metrics(run: RunResult) -> dict | None:
    """Active decisions as labels. For each kind: the pairs inside active decisions (not withdrawn,
    records unchanged since) whose records are both active, and how many the rules alone put in
    the merge band and in the review band, before the decisions override them (never_merge: the
    fewer merged the better; always_merge: the more the better). A pair no blocking rule produced
    counts as neither. None when there are no such pairs."""
    runner, clusters, scored = run.runner, quote_ident(run.cluster_table), quote_ident(run.scored)
    if not runner.scalar(has_decisions_sql()):
        return None
    found = {}
    for kind in DECISION_KINDS:
        found[kind] = runner.fetchone(SqlStep(f"decision label check {kind}", f"""
            SELECT count(*), count(*) FILTER (WHERE s.rules_band = 'merge'),
                   count(*) FILTER (WHERE s.rules_band = 'review')
            FROM ({decided_pairs_query(active_decisions_query(kind))}) d
            JOIN {clusters} cl ON cl.trader_id = d.a JOIN {clusters} cr ON cr.trader_id = d.b
            LEFT JOIN {scored} s ON s.left_id = d.a AND s.right_id = d.b"""))
    if not any(n for n, _, _ in found.values()):
        return None
    return {kind: {"pairs": int(n), "rules_merge": int(merge), "rules_review": int(review)}
            for kind, (n, merge, review) in found.items()}


def _scored(side: str) -> str:
    return quote_ident(SIDE_TABLES[side].scored)


CHANGED = quote_ident(TABLES.diff_pairs)


def _changed_pairs_sql() -> SqlStep:
    old, new = _scored("old"), _scored("new")
    return SqlStep("changed pairs", f"""
        CREATE OR REPLACE TEMP TABLE {CHANGED} AS
        SELECT *, CASE
                WHEN coalesce(new_band, 'none') = 'merge' THEN 'merge_gained'
                WHEN coalesce(old_band, 'none') = 'merge' THEN 'merge_lost'
                WHEN coalesce(new_band, 'none') = 'review' THEN 'review_gained'
                ELSE 'review_lost' END AS change
        FROM (SELECT coalesce(o.left_id, n.left_id) AS left_id,
                     coalesce(o.right_id, n.right_id) AS right_id,
                     o.score AS old_score, n.score AS new_score, o.band AS old_band, n.band AS new_band
              FROM {old} o FULL OUTER JOIN {new} n USING (left_id, right_id)
              WHERE coalesce(o.band, 'none') <> coalesce(n.band, 'none'))""")


def _pair_counts(runner: Runner) -> dict[str, int]:
    rows = dict(runner.fetchall(SqlStep("count changed pairs",
                                        f"SELECT change, count(*) FROM {CHANGED} GROUP BY change")))
    return {c: int(rows.get(c, 0)) for c in PAIR_CHANGES}


#: Both runs' cluster ids per active trader; a held cluster's records are apart (their own id).
_BOTH = (f"SELECT o.trader_id, o.cluster_id AS old_cluster, n.cluster_id AS new_cluster "
         f"FROM {quote_ident(SIDE_TABLES['old'].clusters)} o "
         f"JOIN {quote_ident(SIDE_TABLES['new'].clusters)} n USING (trader_id)")


def _cluster_counts(runner: Runner) -> dict[str, int]:
    together_old, together_new, together_both, split, joined = runner.fetchone(SqlStep(
        "count cluster changes", f"""
        WITH b AS ({_BOTH})
        SELECT (SELECT coalesce(sum(n * (n - 1) // 2), 0)
                FROM (SELECT count(*) n FROM b GROUP BY old_cluster)),
               (SELECT coalesce(sum(n * (n - 1) // 2), 0)
                FROM (SELECT count(*) n FROM b GROUP BY new_cluster)),
               (SELECT coalesce(sum(n * (n - 1) // 2), 0)
                FROM (SELECT count(*) n FROM b GROUP BY old_cluster, new_cluster)),
               (SELECT count(*) FROM (SELECT old_cluster FROM b GROUP BY old_cluster
                                      HAVING count(DISTINCT new_cluster) > 1)),
               (SELECT count(*) FROM (SELECT new_cluster FROM b GROUP BY new_cluster
                                      HAVING count(DISTINCT old_cluster) > 1))"""))
    return {"together_gained": int(together_new - together_both),
            "together_lost": int(together_old - together_both),
            "clusters_split": int(split), "clusters_joined": int(joined)}


def _record_columns(alias: str, prefix: str) -> str:
    return ", ".join(f"{alias}.{f} AS {prefix}{f}" for f in RECORD_FIELDS)


def _pair_examples(runner: Runner, change: str, n: int) -> pl.DataFrame:
    return runner.frame(SqlStep(f"examples {change}", f"""
        SELECT c.change, c.left_id, c.right_id, c.old_score, c.new_score, c.old_band, c.new_band,
               {_record_columns('l', 'left_')}, {_record_columns('r', 'right_')}
        FROM (SELECT * FROM {CHANGED} WHERE change = ?
              ORDER BY hash(left_id, right_id), left_id, right_id LIMIT ?) c
        JOIN traders l ON l.trader_id = c.left_id JOIN traders r ON r.trader_id = c.right_id
        ORDER BY hash(c.left_id, c.right_id), c.left_id, c.right_id""", (change, n)))


def _together_examples(runner: Runner, change: str, n: int) -> pl.DataFrame:
    """Pairs of records together in one run and apart in the other: for a cluster of the run
    where they are together, one record from each of two of its fragments in the other run."""
    grouped, other = ("new_cluster", "old_cluster") if change == "together_gained" else (
        "old_cluster", "new_cluster")
    return runner.frame(SqlStep(f"examples {change}", f"""
        WITH b AS ({_BOTH}),
             frag AS (SELECT {grouped} AS g, {other} AS o, min(trader_id) AS rep FROM b
                      GROUP BY {grouped}, {other}),
             ranked AS (SELECT g, rep, row_number() OVER (PARTITION BY g ORDER BY rep) AS k FROM frag),
             ex AS (SELECT least(a.rep, c.rep) AS left_id, greatest(a.rep, c.rep) AS right_id
                    FROM ranked a JOIN ranked c ON a.g = c.g AND a.k = 1 AND c.k = 2
                    ORDER BY hash(a.g), a.g LIMIT ?)
        SELECT '{change}' AS change, ex.left_id, ex.right_id, so.score AS old_score,
               sn.score AS new_score, so.band AS old_band, sn.band AS new_band,
               {_record_columns('l', 'left_')}, {_record_columns('r', 'right_')}
        FROM ex JOIN traders l ON l.trader_id = ex.left_id JOIN traders r ON r.trader_id = ex.right_id
        LEFT JOIN {_scored('old')} so ON so.left_id = ex.left_id AND so.right_id = ex.right_id
        LEFT JOIN {_scored('new')} sn ON sn.left_id = ex.left_id AND sn.right_id = ex.right_id
        ORDER BY hash(ex.left_id, ex.right_id), ex.left_id""", (n,)))


def _cluster_examples(runner: Runner, change: str, n: int) -> pl.DataFrame:
    """Up to n split (joined) clusters, one row per record, with both runs' cluster ids."""
    grouped, other = ("old_cluster", "new_cluster") if change == "clusters_split" else (
        "new_cluster", "old_cluster")
    return runner.frame(SqlStep(f"examples {change}", f"""
        WITH b AS ({_BOTH}),
             picked AS (SELECT {grouped} AS g FROM b GROUP BY {grouped}
                        HAVING count(DISTINCT {other}) > 1 ORDER BY hash({grouped}), {grouped} LIMIT ?)
        SELECT '{change}' AS change, p.g AS cluster, b.trader_id, b.old_cluster, b.new_cluster,
               {_record_columns('t', '')}
        FROM picked p JOIN b ON b.{grouped} = p.g JOIN traders t ON t.trader_id = b.trader_id
        ORDER BY hash(p.g), p.g, b.{other}, b.trader_id""", (n,)))


def _histogram(runner: Runner, side: str) -> pl.DataFrame:
    return runner.frame(SqlStep(f"histogram {side}", f"""
        SELECT '{side}' AS side, floor(score)::BIGINT AS bin, band, count(*) AS pairs
        FROM {_scored(side)} WHERE score IS NOT NULL
        GROUP BY ALL ORDER BY bin, band"""))


def _direction(old: float, new: float) -> str:
    return "up" if new > old else "down" if new < old else "same"


def diff_rules(store: Store, new: RuleSet, old: RuleSet, *, today: dt.date | None = None,
               truth: Path | None = None, examples: int = 5,
               on_stage: StageHook | None = None) -> RuleDiff:
    """Run both rule sets (full runs) on the store and compare them.

    Writes only temp tables, so a read-only store is fine and stays as it was.

    Args:
        store: an open store.
        new: the rule set under consideration.
        old: the rule set to compare against (the one in use).
        today: survivor choice date, the same for both runs. Default: today.
        truth: optional ground truth (trader_id, entity_id; .csv or .parquet).
        examples: how many examples to keep per category.
        on_stage: progress hook, called as (f"{side} {stage}", event).
    """
    runner = store.runner
    today = today or dt.date.today()
    truth_table = load_truth(runner, truth, TABLES) if truth is not None else None
    runs, metrics = {}, {}
    for side, rules in (("old", old), ("new", new)):
        hook = None if on_stage is None else (lambda stage, event, s=side: on_stage(f"{s} {stage}", event))
        result = run_pipeline(store, rules, today=today, on_stage=hook, since=None,
                              tables=SIDE_TABLES[side])
        runs[side] = result.summary
        side_metrics = {}
        if truth_table is not None:
            side_metrics["truth"] = cluster_metrics(result, truth_table)
        decisions = _decision_metrics(result)
        if decisions is not None:
            side_metrics["decisions"] = decisions
        metrics[side] = side_metrics
    if truth is not None:
        metrics["direction"] = {k: _direction(metrics["old"]["truth"][k], metrics["new"]["truth"][k])
                                for k in ("precision", "recall", "f1")}
    runner.run(_changed_pairs_sql())
    counts = {**_pair_counts(runner), **_cluster_counts(runner)}
    pairs = runner.frame(SqlStep("changed pairs frame",
                                 f"SELECT * FROM {CHANGED} ORDER BY change, left_id, right_id"))
    found: dict[str, pl.DataFrame] = {}
    for change in CATEGORIES:
        if not counts[change] or examples <= 0:
            continue
        if change in PAIR_CHANGES:
            found[change] = _pair_examples(runner, change, examples)
        elif change in TOGETHER_CHANGES:
            found[change] = _together_examples(runner, change, examples)
        else:
            found[change] = _cluster_examples(runner, change, examples)
    histograms = pl.concat([_histogram(runner, side) for side in SIDES])
    return RuleDiff(old=old, new=new, pairs=pairs, counts=counts, examples=found,
                    histograms=histograms, runs=runs, metrics=metrics)
