"""Why a pair scored as it did, as one JSON document per pair, built in SQL.

A scored pair carries, for each comparison, the index of the level it reached (and the value
frequencies term-frequency adjusted levels need), and a flag per hard rule. The rule set knows
each level's label and how its weight is computed. `rule_terms_sql` loads that knowledge into
a one-row lookup table (its labels travel as parameters, never spliced into SQL) and
`explanation_query` reads it beside any table shaped like a run's scored pairs, one projection per
pair (no unnest or grouping, so it stays cheap over millions of pairs):

    {"pair": [left_id, right_id], "blocking_rule": "same_postcode",
     "comparisons": [{"comparison": "name", "level": 1, "label": "name_norm equal", "weight": 9.0},
                     ...],
     "hard_rules": [{"rule": "different_house_number", "effect": "review_only"}],
     "shared_evidence": [{"evidence": "shared_address", "weight": -3.2}],
     "score": 15.0, "band": "merge"}

(`shared_evidence` only with a rule set that has `[[shared_evidence]]`: the adjustments the pair
got, `dedup.rules.shared`.)

Merges store it as their explanation; `dedup explain A B` can reuse it unchanged.
"""

from __future__ import annotations

from dedup.rules.ruleset import RuleSet
from dedup.score import hard_column, level_column
from dedup.sql import SqlStep, quote_ident
from dedup.tables import StageTables


def rule_terms_sql(rules: RuleSet, tables: StageTables) -> SqlStep:
    """Create the one-row lookup `tables.rule_terms`.

    Comparison i has columns c<i>_name and c<i>_labels (a list indexed by level); hard rule k
    has h<k>_name and h<k>_effect.
    """
    columns, params = [], []
    for i, comparison in enumerate(rules.comparisons):
        columns += [f"?::VARCHAR AS c{i}_name", f"?::VARCHAR[] AS c{i}_labels"]
        params += [comparison.name, [level.label for level in comparison.levels]]
    for k, rule in enumerate(rules.hard_rules):
        columns += [f"?::VARCHAR AS h{k}_name", f"?::VARCHAR AS h{k}_effect"]
        params += [rule.name, rule.effect]
    for j, evidence in enumerate(rules.shared_evidence):
        columns.append(f"?::VARCHAR AS e{j}_name")
        params.append(evidence.name)
    return SqlStep("create rule terms",
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(tables.rule_terms)} AS "
                   f"SELECT {', '.join(columns) or '1 AS empty'}", params)


def explanation_query(rules: RuleSet, scored_table: str, tables: StageTables) -> str:
    """A SELECT of (left_id, right_id, explanation JSON), one row per pair of `scored_table`.

    Needs the lookup that `rule_terms_sql(rules, tables)` creates on the same connection.

    Args:
        rules: the rule set that scored the pairs (its comparisons and hard rules, in order).
        scored_table: a table with the columns of a run's scored pairs (left_id, right_id,
            blocking_rule, level_<comparison>, hard_<rule>, score, band).
        tables: where the lookup is.
    """
    comparisons = []
    for i, c in enumerate(rules.comparisons):
        level = f"s.{quote_ident(level_column(c.name))}"
        # The weight is the scoring's own expression (term-frequency adjustments included), so
        # the weights always add up to the score. SQL lists are 1-based; levels are 0-based.
        comparisons.append(f"{{'comparison': w.c{i}_name, 'level': {level}, "
                           f"'label': w.c{i}_labels[{level} + 1], "
                           f"'weight': {c.weight_expr(level_column(c.name))}}}")
    fired = [f"CASE WHEN s.{quote_ident(hard_column(h.name))} "
             f"THEN {{'rule': w.h{k}_name, 'effect': w.h{k}_effect}} END"
             for k, h in enumerate(rules.hard_rules)]
    hard = f"list_filter([{', '.join(fired)}], lambda x: x IS NOT NULL)" if fired else "[]"
    # Shared-evidence adjustments (dedup.rules.shared) the pair got, if any.
    adjusted = [f"CASE WHEN s.{quote_ident(e.column)} <> 0 "
                f"THEN {{'evidence': w.e{j}_name, 'weight': s.{quote_ident(e.column)}}} END"
                for j, e in enumerate(rules.shared_evidence)]
    shared = (f", 'shared_evidence': list_filter([{', '.join(adjusted)}], lambda x: x IS NOT NULL)"
              if adjusted else "")
    return f"""
        SELECT s.left_id, s.right_id, to_json({{
            'pair': [s.left_id, s.right_id], 'blocking_rule': s.blocking_rule,
            'comparisons': [{', '.join(comparisons)}], 'hard_rules': {hard}{shared},
            'score': s.score, 'band': s.band}})::JSON AS explanation
        FROM {quote_ident(scored_table)} s CROSS JOIN {quote_ident(tables.rule_terms)} w"""
