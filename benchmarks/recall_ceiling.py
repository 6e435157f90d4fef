"""How much recall is there to find? Upper bounds on the pairwise recall of any rule set over
the default comparisons, on `dedup synth` data (seed 1), and what reaching past them would cost.

    .venv/bin/python benchmarks/recall_ceiling.py                 # 100,000 records
    .venv/bin/python benchmarks/recall_ceiling.py --records 10000

It dry-runs the default rules on the benchmark's cached store (`benchmarks/run.py` builds it;
this script builds it too when missing) and prints, against the truth:

1. the rules' own pairwise precision and recall;
2. the recall if every true pair the blocking produced were merged (the blocking's ceiling);
3. the recall if every true pair were merged except those with only a name in common (the
   `name_only` hard rule): a ceiling for any rule set that never merges on a name alone;
4. an oracle: group the scored pairs by pattern (the level of every comparison, every hard-rule
   flag and the score rounded down to a whole number), look up each pattern's precision in the
   truth, and merge every pattern at least that precise. No rule set over these comparisons
   can sort the pairs better than the truth does, so this bounds what weights can achieve;
5. the experiment of attaching each record that carries nothing but a name (no postcode, street,
   town, phone or website) to the one cluster that holds records of that exact name, when there
   is exactly one: pairwise precision and recall after it, and how often the attached record
   belongs to that cluster.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from run import prepare  # noqa: E402

from dedup.cluster import connected_components  # noqa: E402
from dedup.evaluate import cluster_metrics, load_truth  # noqa: E402
from dedup.pipeline import run_pipeline  # noqa: E402
from dedup.rules import RuleSet  # noqa: E402
from dedup.score import hard_column, level_column  # noqa: E402
from dedup.sql import SqlStep  # noqa: E402
from dedup.store import Store  # noqa: E402

BARE = ("(n.postcode IS NULL AND n.address_street IS NULL AND n.address_town IS NULL "
        "AND n.phone IS NULL AND n.website_domain IS NULL)")


def pairs_within(groups: pl.Series) -> int:
    sizes = groups.value_counts()["count"].cast(pl.Int64)
    return int((sizes * (sizes - 1) // 2).sum())


def merged_metrics(left: np.ndarray, right: np.ndarray, entity: dict[int, int], true_pairs: int) -> tuple:
    """Pairwise precision and recall of the connected components of the edges (left, right)."""
    if len(left) == 0:
        return 1.0, 0.0
    nodes, component = connected_components(left, right)
    frame = pl.DataFrame({"component": component,
                          "entity": [entity[int(t)] for t in nodes]})
    predicted = pairs_within(frame["component"])
    found = pairs_within(frame.select(pl.concat_str(["component", "entity"], separator="/")).to_series())
    return found / predicted, found / true_pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    db, truth, _ = prepare(args.records)
    rules = RuleSet.default()
    levels = ", ".join(f"s.{level_column(c.name)}" for c in rules.comparisons)
    flags = ", ".join(f"s.{hard_column(h.name)}" for h in rules.hard_rules)
    with Store(db, read_only=True) as store:
        runner = store.runner
        run = run_pipeline(store, rules)
        truth_table = load_truth(runner, truth)
        own = cluster_metrics(run, truth_table)
        pairs = runner.frame(SqlStep("pairs", f"""
            SELECT s.left_id, s.right_id, s.hard_name_only AS name_only,
                   concat_ws('|', {levels}, {flags}, floor(s.score)) AS pattern,
                   tl.entity_id = tr.entity_id AS same
            FROM {run.scored} s JOIN {truth_table} tl ON tl.trader_id = s.left_id
            JOIN {truth_table} tr ON tr.trader_id = s.right_id"""))
        entities = runner.frame(SqlStep("truth", f"SELECT trader_id, entity_id FROM {truth_table}"))
        # 5: attach records that carry only a name to the one cluster holding that name
        runner.run(SqlStep("attach name-only records", f"""
            CREATE OR REPLACE TEMP TABLE attach AS
            WITH bare AS (SELECT n.trader_id, n.name_norm FROM {run.tables.normalised} n
                          JOIN {run.cluster_table} c USING (trader_id)
                          WHERE {BARE} AND c.cluster_id = c.trader_id AND NOT c.held),
                 holders AS (SELECT DISTINCT n.name_norm, c.cluster_id FROM {run.tables.normalised} n
                             JOIN {run.cluster_table} c USING (trader_id)
                             WHERE NOT {BARE} AND n.name_norm IN (SELECT name_norm FROM bare)),
                 sole AS (SELECT name_norm, any_value(cluster_id) AS cluster_id FROM holders
                          GROUP BY name_norm HAVING count(*) = 1)
            SELECT bare.trader_id, sole.cluster_id FROM bare JOIN sole USING (name_norm)"""))
        right, attached = runner.fetchone(SqlStep("attached correctly", f"""
            SELECT count(*) FILTER (WHERE t.entity_id = (
                       SELECT mode(t2.entity_id) FROM {run.cluster_table} c2 JOIN {truth_table} t2 USING (trader_id)
                       WHERE c2.cluster_id = a.cluster_id)), count(*)
            FROM attach a JOIN {truth_table} t USING (trader_id)"""))
        runner.run(SqlStep("apply attachments", f"""
            UPDATE {run.cluster_table} c SET cluster_id = a.cluster_id FROM attach a
            WHERE a.trader_id = c.trader_id"""))
        attach = cluster_metrics(run, truth_table)

    entity = dict(zip(entities["trader_id"].to_list(), entities["entity_id"].to_list()))
    true_pairs = pairs_within(entities["entity_id"])
    true = pairs.filter("same")
    print(f"{args.records:,} records, {true_pairs:,} true pairs; rules {rules.name} ({rules.hash})")
    print(f"1. default rules:                       P {own['precision']:.4f}  R {own['recall']:.4f}")
    _, r = merged_metrics(true["left_id"].to_numpy(), true["right_id"].to_numpy(), entity, true_pairs)
    print(f"2. every true candidate pair merged:    R {r:.4f}  (the blocking's ceiling)")
    kept = true.filter(~pl.col("name_only"))
    _, r = merged_metrics(kept["left_id"].to_numpy(), kept["right_id"].to_numpy(), entity, true_pairs)
    print(f"3. ... except name-only pairs:          R {r:.4f}  (never merging on a name alone)")
    by_pattern = pairs.group_by("pattern").agg(precision=pl.col("same").mean())
    for cut in (0.99, 0.95, 0.9, 0.8):
        chosen = pairs.join(by_pattern.filter(pl.col("precision") >= cut), on="pattern")
        p, r = merged_metrics(chosen["left_id"].to_numpy(), chosen["right_id"].to_numpy(), entity,
                              true_pairs)
        print(f"4. oracle, patterns >= {cut:.2f} precise:   P {p:.4f}  R {r:.4f}")
    print(f"5. attach name-only records:            P {attach['precision']:.4f}  R {attach['recall']:.4f}"
          f"  ({attached:,} records attached, {right / max(attached, 1):.1%} to their own business)")


if __name__ == "__main__":
    main()
