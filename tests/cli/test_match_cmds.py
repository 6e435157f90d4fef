"""`dedup blocking`, `dedup train` and `dedup explain` (dedup_cli/match_cmds.py) through the real CLI
on the small store: what each prints, that they write nothing to the store, and one-line errors."""

from __future__ import annotations

import json

import pytest

from dedup.pipeline import run_pipeline
from dedup.rules import RuleSet
from dedup.rules.ruleset import default_rules_text
from dedup.store import Store
from dedup_cli import app
from tests.conftest import TODAY, store_fingerprint

# --- explain ------------------------------------------------------------------------------------

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


# --- train --------------------------------------------------------------------------------------

def test_train_cli_writes_a_loadable_rule_file_keeping_comments(cli, small_store, tmp_path):
    out = tmp_path / "trained.toml"
    result = cli.invoke(app, ["train", "--db", str(small_store), "--out", str(out),
                              "--random-pairs", "2000", "--json"])
    assert result.exit_code == 0, result.output
    trained = RuleSet.from_toml(out)
    text = out.read_text()
    assert text.startswith("# Weights, m and u learned by `dedup train`")
    assert "# The default rule set." in text          # the analyst's comments survive
    assert [r.name for r in trained.blocking] == [r.name for r in RuleSet.default().blocking]
    assert trained.hash != RuleSet.default().hash
    assert all(level.u is not None for c in trained.comparisons for level in c.levels
               if level.kind != "missing")
    again = cli.invoke(app, ["train", "--db", str(small_store), "--out", str(out)])
    assert again.exit_code == 1 and "exists; use --force" in again.output


def test_train_keeps_a_rule_file_s_other_settings(cli, small_store, tmp_path):
    source = tmp_path / "mine.toml"
    source.write_text(default_rules_text().replace("max_block_size = 100 ", "max_block_size = 123 "))
    out = tmp_path / "trained.toml"
    result = cli.invoke(app, ["train", "--db", str(small_store), "--rules", str(source),
                              "--out", str(out), "--random-pairs", "2000"])
    assert result.exit_code == 0, result.output
    assert RuleSet.from_toml(out).max_block_size == 123


def test_train_refuses_a_review_probability_above_the_merge_probability(cli, small_store, tmp_path):
    out = tmp_path / "trained.toml"
    result = cli.invoke(app, ["train", "--db", str(small_store), "--out", str(out), "--random-pairs", "2000",
                              "--merge-probability", "0.9", "--review-probability", "0.95"])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "--review-probability must not be above --merge-probability" in result.stderr
    assert not out.exists()
    too_few = cli.invoke(app, ["train", "--db", str(small_store), "--out", str(out), "--random-pairs", "10"])
    assert too_few.exit_code == 2 and not out.exists()      # a usage error: below the option's minimum


def test_train_prints_the_weights_and_says_where_it_wrote(cli, small_store, tmp_path):
    before = store_fingerprint(small_store)
    out = tmp_path / "trained.toml"
    result = cli.invoke(app, ["train", "--db", str(small_store), "--out", str(out), "--random-pairs", "2000"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("duplicates among candidate pairs: ")
    for comparison in RuleSet.default().comparisons:
        assert f"\n  {comparison.name:<12}" in result.stdout
    trained = RuleSet.from_toml(out)
    assert f"thresholds: merge {trained.merge_threshold}, review {trained.review_threshold}" in result.stdout
    assert result.stderr == f"wrote {out}\n"
    assert store_fingerprint(small_store) == before


# --- blocking -----------------------------------------------------------------------------------

def test_blocking_table_and_json_agree_and_nothing_is_written(cli, small_store):
    before = store_fingerprint(small_store)
    as_json = cli.invoke(app, ["blocking", "--db", str(small_store), "--json"])
    table = cli.invoke(app, ["blocking", "--db", str(small_store)])
    assert as_json.exit_code == table.exit_code == 0, table.output
    report = json.loads(as_json.stdout)
    assert [r["rule"] for r in report] == [r.name for r in RuleSet.default().blocking]
    lines = table.stdout.splitlines()
    assert lines[0].startswith("rule") and "(max_block_size 100)" in lines[0]
    for line, r in zip(lines[1:], report, strict=True):
        rule, pairs, blocks, skipped = line.split()[:4]
        assert (rule, int(pairs.replace(",", "")), int(blocks.replace(",", "")), int(skipped)) == (
            r["rule"], r["pairs"], r["blocks"], r["skipped_blocks"])
    assert store_fingerprint(small_store) == before


def test_blocking_names_the_largest_blocks_and_the_cap_of_the_rules_given(cli, small_store, tmp_path):
    rules = tmp_path / "tight.toml"
    rules.write_text(default_rules_text().replace("max_block_size = 100 ", "max_block_size = 3 ", 1))
    result = cli.invoke(app, ["blocking", "--db", str(small_store), "--rules", str(rules)])
    assert result.exit_code == 0, result.output
    assert "(max_block_size 3)" in result.stdout
    postcode = next(line for line in result.stdout.splitlines() if line.startswith("same_postcode"))
    assert postcode.split()[3] == "1" and "TR1 1AU (4)" in postcode   # the block of 4 is skipped


def test_blocking_without_a_store_is_one_line(cli, tmp_path):
    result = cli.invoke(app, ["blocking", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "no store at" in result.stderr
