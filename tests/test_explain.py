"""`dedup.explain`: why a pair scored as it did, built in SQL over any table shaped like a run's
scored pairs. Here a scored table written by hand (on a real DuckDB file) and a rule set whose
comparison name would break SQL if it were ever spliced in. (`dedup explain A B`, which uses it:
tests/cli/test_match_cmds.py; every merge's explanation: tests/cli/test_run_cmds.py.)"""

from __future__ import annotations

import dataclasses
import json

import duckdb
import pytest

from dedup.explain import explanation_query, rule_terms_sql
from dedup.rules import RuleSet
from dedup.rules.hard import HardRule
from dedup.rules.levels import Comparison, Level
from dedup.score import hard_column, level_column
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.tables import StageTables

NAME = "it's the \"name\""   # travels as a parameter: a quote here must not reach the SQL text
RULES = dataclasses.replace(
    RuleSet.default(),
    comparisons=(Comparison(NAME, (Level("exact", 9.0, "name_norm", tf_adjust=True),
                                   Level("jaro_winkler", 3.0, "name_norm", min_similarity=0.9),
                                   Level("else", -8.0))),
                 Comparison("postcode", (Level("missing", 0.0, "postcode"), Level("exact", 7.0, "postcode"),
                                         Level("else", -4.0)))),
    hard_rules=(HardRule("different_unit", "never_match"), HardRule("different_house_number", "review_only")),
    shared_evidence=())  # the hand-made scored table below has no adjustment column
TABLES = StageTables()


@pytest.fixture
def runner(tmp_path):
    con = duckdb.connect(str(tmp_path / "explain.duckdb"))
    columns = [f"{quote_ident(level_column(NAME))} INTEGER", "level_postcode INTEGER", "tf_name_norm_l DOUBLE",
               f"{quote_ident(hard_column('different_unit'))} BOOLEAN",
               f"{quote_ident(hard_column('different_house_number'))} BOOLEAN"]
    con.execute(f"CREATE TABLE scored (left_id BIGINT, right_id BIGINT, blocking_rule VARCHAR, "
                f"{', '.join(columns)}, score DOUBLE, band VARCHAR)")
    con.execute("INSERT INTO scored VALUES (1, 2, 'same_postcode', 0, 1, -1.5, FALSE, TRUE, 14.5, 'review'), "
                "(3, 4, 'same_name', 2, 0, NULL, FALSE, FALSE, -8.0, 'none'), "
                "(5, 6, 'same_name', 1, 2, NULL, TRUE, TRUE, -1.0, 'none')")
    yield Runner(con)
    con.close()


def explanations(runner: Runner, rules: RuleSet) -> dict[tuple[int, int], dict]:
    runner.run(rule_terms_sql(rules, TABLES))
    rows = runner.fetchall(SqlStep("explain", explanation_query(rules, "scored", TABLES)))
    return {(a, b): json.loads(e) for a, b, e in rows}


def test_each_comparison_names_its_level_label_and_weight(runner):
    first = explanations(runner, RULES)[(1, 2)]
    assert first["pair"] == [1, 2] and first["blocking_rule"] == "same_postcode"
    assert first["comparisons"] == [
        {"comparison": NAME, "level": 0, "label": "name_norm equal", "weight": 7.5},  # 9, adjusted by -1.5
        {"comparison": "postcode", "level": 1, "label": "postcode equal", "weight": 7.0}]
    assert first["hard_rules"] == [{"rule": "different_house_number", "effect": "review_only"}]
    assert (first["score"], first["band"]) == (14.5, "review")


def test_the_last_level_and_every_hard_rule_that_fired(runner):
    found = explanations(runner, RULES)
    assert found[(3, 4)]["comparisons"][0] == {"comparison": NAME, "level": 2, "label": "anything else",
                                               "weight": -8.0}
    assert found[(3, 4)]["comparisons"][1]["label"] == "postcode missing on either side"
    assert found[(3, 4)]["hard_rules"] == []
    assert found[(5, 6)]["comparisons"][0]["label"] == "jaro-winkler similarity of name_norm >= 0.9"
    assert [h["rule"] for h in found[(5, 6)]["hard_rules"]] == ["different_unit", "different_house_number"]


def test_weights_add_up_to_the_score_the_scoring_computes(runner):
    for explanation in explanations(runner, RULES).values():
        assert sum(c["weight"] for c in explanation["comparisons"]) == pytest.approx(explanation["score"])


def test_a_rule_set_without_hard_rules_explains_with_an_empty_list(runner):
    found = explanations(runner, dataclasses.replace(RULES, hard_rules=()))
    assert all(e["hard_rules"] == [] for e in found.values()) and len(found) == 3


def test_the_lookup_is_one_row_whose_text_went_in_as_parameters(runner):
    step = rule_terms_sql(RULES, TABLES)
    assert NAME not in step.sql and "name_norm equal" not in step.sql
    assert NAME in step.params
    runner.run(step)
    row = runner.frame(SqlStep("terms", f"SELECT * FROM {TABLES.rule_terms}")).to_dicts()
    assert row == [{"c0_name": NAME, "c0_labels": ["name_norm equal", "jaro-winkler similarity of name_norm >= 0.9",
                                                   "anything else"],
                    "c1_name": "postcode", "c1_labels": ["postcode missing on either side", "postcode equal",
                                                         "anything else"],
                    "h0_name": "different_unit", "h0_effect": "never_match",
                    "h1_name": "different_house_number", "h1_effect": "review_only"}]
