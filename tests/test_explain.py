"""`dedup explain A B`: the per-field story of one pair, consistent with what a run scores."""

from __future__ import annotations

import json

import pytest

from dedup.pipeline import run_pipeline
from dedup.rules import RuleSet
from dedup.store import Store
from dedup_cli import app
from tests.conftest import TODAY


def explain(cli, db, a, b):
    result = cli.invoke(app, ["explain", "--db", str(db), str(a), str(b), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_different_units_fire_the_hard_rule_and_show_both_values(cli, small_store):
    report = explain(cli, small_store, 30000003, 30000001)
    assert report["pair"] == [30000001, 30000003]
    unit = next(c for c in report["comparisons"] if c["comparison"] == "unit")
    assert (unit["left"], unit["right"]) == ("unit 3", "unit 4")
    assert {"rule": "different_unit", "effect": "never_match"} in report["hard_rules"]
    assert report["band"] == "none"
    assert "same_postcode" in report["blocked_by"]


def test_weights_add_up_to_the_score_the_run_gives(cli, small_store):
    report = explain(cli, small_store, 30000060, 30000061)
    assert sum(c["weight"] for c in report["comparisons"]) == pytest.approx(report["score"])
    with Store(small_store, read_only=True) as store:
        run_pipeline(store, RuleSet.default(), today=TODAY)
        score, band = store.con.execute(
            "SELECT score, band FROM __dedup__scored WHERE left_id = 30000060 AND right_id = 30000061").fetchone()
    assert report["score"] == pytest.approx(score) and report["band"] == band


def test_table_output_names_the_band(cli, small_store):
    result = cli.invoke(app, ["explain", "--db", str(small_store), "30000060", "30000061"])
    assert result.exit_code == 0 and "merge >= " in result.output and "blocked by:" in result.output


@pytest.mark.parametrize("a,b,message", [(1, 30000061, "trader 1 is not in the store"),
                                         (30000061, 30000061, "two different traders")])
def test_bad_pairs_are_one_line_errors(cli, small_store, a, b, message):
    result = cli.invoke(app, ["explain", "--db", str(small_store), str(a), str(b)])
    assert result.exit_code == 1 and message in result.output
