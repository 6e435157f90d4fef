"""`dedup blocking --truth FILE`: the share of true pairs each blocking rule, and all of them
together, ever compare."""

from __future__ import annotations

import itertools
import json

import polars as pl

import dedup
from dedup_cli import app
from tests.conftest import DATA


def truth_file(tmp_path, *extra: tuple[int, int]):
    """The duplicates of traders_small and traders_abroad (column `entity`), plus `extra` rows."""
    frames = [pl.read_csv(DATA / name).select("trader_id", entity_id="entity")
              for name in ("traders_small.csv", "traders_abroad.csv")]
    truth = pl.concat([*frames, pl.DataFrame(list(extra), schema=["trader_id", "entity_id"], orient="row")])
    path = tmp_path / "truth.csv"
    truth.write_csv(path)
    return path, truth


def true_pairs(truth: pl.DataFrame) -> list[tuple[int, int]]:
    groups = truth.group_by("entity_id").agg("trader_id")["trader_id"].to_list()
    return [tuple(sorted(p)) for ids in groups for p in itertools.combinations(ids, 2)]


def test_each_rules_true_pairs_agree_with_explain_and_all_rules_compare_every_one(cli, mixed_store, tmp_path):
    # a trader the store does not hold is no true pair of its records
    path, truth = truth_file(tmp_path, (99999999, 101))
    result = cli.invoke(app, ["blocking", "--db", str(mixed_store), "--truth", str(path), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["rule"]: r for r in json.loads(result.output)}
    pairs = [p for p in true_pairs(truth) if 99999999 not in p]
    blocked_by = [dedup.explain_pair(mixed_store, a, b)["blocked_by"] for a, b in pairs]
    for rule in dedup.RuleSet.default().blocking:
        found = sum(rule.name in rules for rules in blocked_by)
        only = sum(rules == [rule.name] for rules in blocked_by)
        row = rows[rule.name]
        assert (row["true_pairs_compared"], row["true_pairs_only_this_rule"]) == (found, only), rule.name
        assert row["blocking_recall"] == round(found / len(pairs), 6) and row["true_pairs"] == len(pairs)
    assert rows["same_postal_code_other"]["true_pairs_compared"] == 2       # the ZIP and the Eircode
    everything = rows["all rules"]
    assert everything["true_pairs_compared"] == sum(bool(r) for r in blocked_by) == len(pairs) == 16
    assert everything["blocking_recall"] == 1.0
    assert everything["pairs"] == dedup.dry_run(mixed_store, full=True).summary["candidate_pairs"]


def test_a_rule_set_that_misses_pairs_says_how_many(cli, mixed_store, tmp_path):
    path, _ = truth_file(tmp_path)
    rules = tmp_path / "phone_only.toml"
    text = (DATA.parent.parent / "dedup" / "rules" / "default.toml").read_text()
    head, rest = text.split("[[blocking.rules]]", 1)
    rules.write_text(head + '[[blocking.rules]]\nname = "same_phone"\non = ["phone"]\n\n'
                     + rest[rest.index("[[comparisons]]"):])
    result = cli.invoke(app, ["blocking", "--db", str(mixed_store), "--rules", str(rules), "--truth", str(path)])
    assert result.exit_code == 0, result.output
    assert "all rules: 11 candidate pairs compare 8 of 16 true pairs (blocking recall 0.5000)" in result.output
    assert "true pairs" in result.output.splitlines()[0]


def test_without_truth_the_report_is_as_before(cli, mixed_store):
    result = cli.invoke(app, ["blocking", "--db", str(mixed_store), "--json"])
    rows = json.loads(result.output)
    assert [r["rule"] for r in rows] == [r.name for r in dedup.RuleSet.default().blocking]
    assert "blocking_recall" not in rows[0]


def test_a_bad_truth_file_is_one_line(cli, mixed_store, tmp_path):
    bad = tmp_path / "truth.csv"
    bad.write_text("trader_id,entity\n1,2\n")
    result = cli.invoke(app, ["blocking", "--db", str(mixed_store), "--truth", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: --truth {bad}: no column entity_id (a truth file has trader_id and entity_id; columns "
        f"found: trader_id, entity)"]
