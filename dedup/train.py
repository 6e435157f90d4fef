"""`dedup train`: learn match weights from the data, without labels (Fellegi-Sunter by EM).

* u (how often two *different* traders reach a level) comes from random pairs of records, which
  are almost all different traders.
* m (how often *duplicates* reach a level) and the share of duplicates among candidate pairs come
  from expectation-maximisation over the candidate pairs, with u held fixed.
* weight = log2(m / u). Missing levels keep weight 0: a missing value is no evidence either way.

EM runs on the distinct level patterns and their counts (a few thousand rows at most), not on
pairs, so it costs nothing next to the SQL that counts them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tomlkit

from dedup.blocking.pairs import candidate_pairs_sql
from dedup.errors import DedupError
from dedup.pipeline import normalise_stage
from dedup.rules.ruleset import RuleSet
from dedup.score import level_column, score_pairs_sqls
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.tables import StageTables

MAX_WEIGHT = 20.0  # bounds a weight whose level was (almost) never seen on one side


@dataclass
class TrainResult:
    """Learned parameters: per comparison, per level, m, u and weight; plus thresholds."""

    m: dict[str, list[float]]
    u: dict[str, list[float]]
    weights: dict[str, list[float]]
    match_share: float
    merge_threshold: float
    review_threshold: float
    iterations: int
    candidate_pairs: int
    random_pairs: int


def random_pairs_sql(n_pairs: int, seed: int, tables: StageTables) -> SqlStep:
    """About `n_pairs` random pairs of distinct normalised records, reproducible for a seed.

    Each round pairs the records of two seeded shuffles position by position; enough rounds are
    stacked to reach `n_pairs` even on a small table.
    """
    return SqlStep("random pairs", f"""
        CREATE OR REPLACE TEMP TABLE {quote_ident(tables.random_pairs)} AS
        WITH n AS (SELECT trader_id FROM {quote_ident(tables.normalised)}),
        rounds AS (SELECT range AS round
                   FROM range(greatest(1, ceil($pairs / greatest((SELECT count(*) FROM n), 1)))::BIGINT)),
        a AS (SELECT round, trader_id,
                     row_number() OVER (PARTITION BY round ORDER BY hash(trader_id, $seed, round, 1)) AS pos
              FROM n, rounds),
        b AS (SELECT round, trader_id,
                     row_number() OVER (PARTITION BY round ORDER BY hash(trader_id, $seed, round, 2)) AS pos
              FROM n, rounds)
        SELECT a.trader_id AS left_id, b.trader_id AS right_id, 'random' AS blocking_rule
        FROM a JOIN b USING (round, pos) WHERE a.trader_id <> b.trader_id
        ORDER BY a.round, a.pos LIMIT $pairs""", {"pairs": n_pairs, "seed": seed})


def level_patterns(runner: Runner, table: str, rules: RuleSet) -> tuple[np.ndarray, np.ndarray]:
    """The distinct level combinations in a scored table and how many pairs have each."""
    cols = ", ".join(quote_ident(level_column(c.name)) for c in rules.comparisons)
    frame = runner.frame(SqlStep("level patterns",
                                 f"SELECT {cols}, count(*) AS n FROM {quote_ident(table)} GROUP BY ALL"))
    levels = frame.drop("n").to_numpy().astype(np.int64).reshape(frame.height, len(rules.comparisons))
    return levels, frame["n"].to_numpy().astype(np.float64)


def estimate_u(levels: np.ndarray, counts: np.ndarray, rules: RuleSet) -> list[np.ndarray]:
    """Share of random pairs at each level of each comparison (one pseudo-count per level,
    so a level never seen among random pairs gets a small u rather than zero)."""
    result = []
    for c, comparison in enumerate(rules.comparisons):
        k = len(comparison.levels)
        tally = np.bincount(levels[:, c], weights=counts, minlength=k) + 1.0
        result.append(tally / tally.sum())
    return result


def _missing_mask(rules: RuleSet) -> list[np.ndarray]:
    return [np.array([lvl.kind == "missing" for lvl in c.levels]) for c in rules.comparisons]


def _level_shares(levels: np.ndarray, weights: np.ndarray, rules: RuleSet,
                  missing: list[np.ndarray]) -> list[np.ndarray]:
    """Per comparison, the weighted share of pairs at each non-missing level (one pseudo-pair
    per level, so a level never seen keeps a small share rather than zero)."""
    shares = []
    for c, comparison in enumerate(rules.comparisons):
        tally = np.bincount(levels[:, c], weights=weights, minlength=len(comparison.levels))
        tally = np.where(missing[c], 0.0, tally + 1.0)
        shares.append(tally / tally.sum())
    return shares


def expectation_maximisation(levels: np.ndarray, counts: np.ndarray, u_start: list[np.ndarray],
                             rules: RuleSet, max_iterations: int = 200, tolerance: float = 1e-7
                             ) -> tuple[list[np.ndarray], list[np.ndarray], float, int]:
    """Two-class EM over candidate pairs: duplicates (m) and different traders (u).

    Both m and u are estimated among the candidate pairs. Holding u at its random-pair value
    instead fails here: different traders that share a postcode or a name prefix (which is how
    they became candidates) look nothing like random pairs, and EM then explains every candidate
    as a duplicate.

    Args:
        levels: distinct level patterns, one row each, one column per comparison.
        counts: how many candidate pairs have each pattern.
        u_start: per comparison, u per level from random pairs: the starting point for u.
        rules: the rule set (missing levels are left out of the likelihood).
        max_iterations: upper bound on EM rounds.
        tolerance: stop when no m, u or the share moves by more than this.

    Returns:
        (m per comparison, u among candidate pairs per comparison, share of duplicates among
        candidate pairs, iterations run).
    """
    missing = _missing_mask(rules)
    # Start from "the earlier the level, the likelier for duplicates".
    m = []
    for comparison, miss in zip(rules.comparisons, missing):
        start = np.where(miss, 0.0, [2.0 ** -i for i in range(len(comparison.levels))])
        m.append(start / start.sum())
    u = [np.where(miss, 0.0, us) / np.where(miss, 0.0, us).sum() for us, miss in zip(u_start, missing)]
    share = 0.3
    for iteration in range(1, max_iterations + 1):  # noqa: B007 (returned: the rounds run)
        log_bf = np.zeros(len(counts))
        for c in range(len(m)):
            lv = levels[:, c]
            ratio = np.where(missing[c][lv], 1.0, np.maximum(m[c][lv], 1e-300) / np.maximum(u[c][lv], 1e-300))
            log_bf += np.log(ratio)
        odds = share / (1.0 - share) * np.exp(np.clip(log_bf, -700, 700))
        posterior = odds / (1.0 + odds)
        new_share = float(np.clip((counts * posterior).sum() / counts.sum(), 1e-9, 1 - 1e-9))
        new_m = _level_shares(levels, counts * posterior, rules, missing)
        new_u = _level_shares(levels, counts * (1.0 - posterior), rules, missing)
        moved = max(abs(new_share - share), *(float(np.abs(a - b).max())
                                              for a, b in zip(new_m + new_u, m + u)))
        m, u, share = new_m, new_u, new_share
        if moved < tolerance:
            break
    return m, u, share, iteration


def train(runner: Runner, rules: RuleSet, *, random_pairs: int = 1_000_000, seed: int = 0,
          merge_probability: float = 0.999, review_probability: float = 0.5) -> TrainResult:
    """Learn m, u and weights for every level of `rules` from the store's active traders.

    Thresholds are set where a candidate pair's chance of being a duplicate reaches
    `merge_probability` and `review_probability`, given the learned share of duplicates.
    """
    tables = StageTables()
    normalise_stage(runner, tables)
    runner.run(candidate_pairs_sql(rules.blocking, rules.max_block_size, tables))
    runner.run(score_pairs_sqls(rules, tables, output=tables.train_scored))
    runner.run(random_pairs_sql(random_pairs, seed, tables))
    runner.run(score_pairs_sqls(rules, tables, pairs_table=tables.random_pairs, output=tables.random_scored))
    u = estimate_u(*level_patterns(runner, tables.random_scored, rules), rules)
    levels, counts = level_patterns(runner, tables.train_scored, rules)
    if counts.sum() == 0:
        raise DedupError("no candidate pairs to learn from: the store has too few traders")
    m, u_candidates, share, iterations = expectation_maximisation(levels, counts, u, rules)
    missing = _missing_mask(rules)
    # Weights compare duplicates with the different traders a run actually meets: candidates.
    weights = {c.name: [0.0 if miss else float(np.clip(np.log2(mi / ui), -MAX_WEIGHT, MAX_WEIGHT))
                        for mi, ui, miss in zip(m[i], u_candidates[i], missing[i])]
               for i, c in enumerate(rules.comparisons)}
    prior = math.log2((1.0 - share) / share)
    return TrainResult(
        m={c.name: m[i].tolist() for i, c in enumerate(rules.comparisons)},
        u={c.name: u[i].tolist() for i, c in enumerate(rules.comparisons)},
        weights=weights, match_share=share,
        merge_threshold=round(math.log2(merge_probability / (1 - merge_probability)) + prior, 2),
        review_threshold=round(math.log2(review_probability / (1 - review_probability)) + prior, 2),
        iterations=iterations, candidate_pairs=int(counts.sum()),
        random_pairs=runner.scalar(SqlStep("count random pairs",
                                           f"SELECT count(*) FROM {quote_ident(tables.random_pairs)}")))


def write_trained_rules(source_text: str, result: TrainResult, out: Path) -> None:
    """Write the rule file back with learned weights, m, u and thresholds; comments and every
    other setting are kept as the analyst wrote them."""
    doc = tomlkit.parse(source_text)
    doc["thresholds"]["merge"] = result.merge_threshold
    doc["thresholds"]["review"] = result.review_threshold
    for comparison in doc["comparisons"]:
        name = comparison["name"]
        for i, level in enumerate(comparison["levels"]):
            level["weight"] = round(result.weights[name][i], 3)
            if level["kind"] not in ("missing",):
                level["m"] = float(f"{max(result.m[name][i], 1e-12):.6g}")
                level["u"] = float(f"{max(result.u[name][i], 1e-12):.6g}")
    header = (f"# Weights, m and u learned by `dedup train` (EM over {result.candidate_pairs:,} "
              f"candidate pairs, u from {result.random_pairs:,} random pairs; duplicates are "
              f"{result.match_share:.2%} of candidate pairs).\n")
    text = tomlkit.dumps(doc)
    out.write_text(header + text if not text.startswith("# Weights, m and u learned") else
                   header + text.split("\n", 1)[1])
