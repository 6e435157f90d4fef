"""`dedup explain A B`: how the rule set sees one pair of traders, field by field.

The pair is normalised, scored and explained by the same SQL as a run (the whole table is
normalised so term frequencies are those a run would use), so the answer is the one a run gives.
"""

from __future__ import annotations

import json

from dedup.errors import DedupError
from dedup.explain import explanation_query, rule_terms_sql
from dedup.pipeline import normalise_stage
from dedup.rules.ruleset import RuleSet
from dedup.score import score_pairs_sqls
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.tables import StageTables


def _check_active(runner: Runner, trader_id: int) -> None:
    row = runner.fetchone(SqlStep("trader status",
                                  "SELECT status, merged_into FROM traders WHERE trader_id = ?", (trader_id,)))
    if row is None:
        raise DedupError(f"trader {trader_id} is not in the store")
    if row[0] != "active":
        raise DedupError(f"trader {trader_id} is {row[0]} (into {row[1]}); explain compares active traders")


def compare_traders(runner: Runner, rules: RuleSet, a: int, b: int) -> dict:
    """The explanation of pair (a, b) with each comparison's two normalised values and the
    blocking rules that would put the pair together.

    Raises:
        DedupError: a trader is missing, not active, or a and b are the same.
    """
    if a == b:
        raise DedupError("give two different traders")
    for trader in (a, b):
        _check_active(runner, trader)
    left, right = min(a, b), max(a, b)
    tables = StageTables()
    normalised = quote_ident(tables.normalised)
    normalise_stage(runner, tables)
    runner.run(SqlStep("explain pair", f"CREATE OR REPLACE TEMP TABLE {quote_ident(tables.explain_pair)} AS "
                                       f"SELECT ?::BIGINT AS left_id, ?::BIGINT AS right_id, "
                                       f"'requested' AS blocking_rule", (left, right)))
    runner.run(score_pairs_sqls(rules, tables, pairs_table=tables.explain_pair, output=tables.explain_scored))
    runner.run(rule_terms_sql(rules, tables))
    explanation = json.loads(runner.scalar(SqlStep(
        "explanation", f"SELECT explanation FROM ({explanation_query(rules, tables.explain_scored, tables)})")))
    for item, comparison in zip(explanation["comparisons"], rules.comparisons):
        column = next(lvl.column for lvl in comparison.levels if lvl.column)
        values = runner.fetchone(SqlStep(
            "pair values", f"SELECT (SELECT {quote_ident(column)} FROM {normalised} WHERE trader_id = ?), "
                           f"(SELECT {quote_ident(column)} FROM {normalised} WHERE trader_id = ?)",
            (left, right)))
        item.update(column=column, left=values[0], right=values[1])
    blocked = []
    for rule in rules.blocking:
        same = " AND ".join(f"{lk} = {rk}" for lk, rk in zip(rule.key_exprs("l"), rule.key_exprs("r")))
        if runner.scalar(SqlStep("blocked by", f"SELECT coalesce(({same}), FALSE) FROM {normalised} l, "
                                               f"{normalised} r WHERE l.trader_id = ? AND r.trader_id = ?",
                                 (left, right))):
            blocked.append(rule.name)
    explanation["blocked_by"] = blocked
    explanation["rules"] = {"name": rules.name, "hash": rules.hash,
                            "merge_threshold": rules.merge_threshold,
                            "review_threshold": rules.review_threshold}
    del explanation["blocking_rule"]
    return explanation
