"""A misspelt key anywhere in a rule file is a problem naming the table and the key, with the
closest known key, reported with every other problem at once; never ignored, never a TypeError."""

from __future__ import annotations

import re

import pytest

from dedup.errors import DedupError
from dedup.rules import RuleSet
from dedup.rules.ruleset import default_rules_text
from dedup_cli import app

# table: (text in default.toml, the same with one key misspelt, the problem expected)
MISSPELLINGS = {
    "top level": ('description = "', 'descripton = "',
                  "unknown key 'descripton' (did you mean 'description'?)"),
    "unknown table": ("[clustering]", "[clusterng]",
                      "unknown key 'clusterng' (did you mean 'clustering'?)"),
    "thresholds": ("review = 7.0", "reveiw = 7.0",
                   "thresholds: unknown key 'reveiw' (did you mean 'review'?)"),
    "blocking": ("max_block_size = 100    #", "max_blok_size = 100    #",
                 "blocking: unknown key 'max_blok_size' (did you mean 'max_block_size'?)"),
    "blocking rule": ("max_block_size = 50 ", "max_blok_size = 50 ",
                      "blocking.rules[4]: unknown key 'max_blok_size' (did you mean 'max_block_size'?)"),
    "comparison": ('name = "house_number"\nlevels', 'name = "house_number"\nlevles',
                   "comparisons[3]: unknown key 'levles' (did you mean 'levels'?)"),
    "level": ("weight = 7.5, tf_adjust = true", "weight = 7.5, tf_adjst = true",
              "comparisons[0].levels[1]: unknown key 'tf_adjst' (did you mean 'tf_adjust'?)"),
    "hard rule": ('name = "different_unit"\neffect', 'name = "different_unit"\neffekt',
                  "hard_rules[0]: unknown key 'effekt' (did you mean 'effect'?)"),
    "clustering": ("keep_apart = [", "keep_appart = [",
                   "clustering: unknown key 'keep_appart' (did you mean 'keep_apart'?)"),
    "merge": ("survivor_order = [", "survivor_ordre = [",
              "merge: unknown key 'survivor_ordre' (did you mean 'survivor_order'?)"),
}


def misspelt(*cases: str) -> str:
    text = default_rules_text()
    for case in cases:
        old, new, _ = MISSPELLINGS[case]
        assert text.count(old) >= 1, old
        text = text.replace(old, new, 1)
    return text


@pytest.mark.parametrize("case", MISSPELLINGS, ids=list(MISSPELLINGS))
def test_a_misspelt_key_in_each_table_is_named_with_a_suggestion(case):
    with pytest.raises(DedupError) as caught:
        RuleSet.from_toml_text(misspelt(case), source="new.toml")
    message = str(caught.value)
    assert re.match(r"\d+ problems? in new\.toml: ", message), message
    assert MISSPELLINGS[case][2] in message
    assert "__init__" not in message and "unexpected keyword" not in message


def test_every_misspelling_is_reported_at_once_with_the_other_problems():
    cases = [c for c in MISSPELLINGS if c != "unknown table"]  # that one hides [clustering]'s keys
    text = misspelt(*cases).replace("min_similarity = 0.95", "min_similarity = 95", 1)
    with pytest.raises(DedupError) as caught:
        RuleSet.from_toml_text(text, source="new.toml")
    message = str(caught.value)
    for case in cases:
        assert MISSPELLINGS[case][2] in message, case
    # what the misspellings leave missing is reported too, and the other problem
    for consequence in ("thresholds.review: missing", "blocking.max_block_size: missing",
                        "comparisons[3].levels: expected a non-empty list of tables",
                        "hard_rules[0]: missing key 'effect'",
                        "comparisons[0].levels[3]: level 'jaro_winkler' needs min_similarity"):
        assert consequence in message
    assert message.startswith(f"{len(cases) + 5} problems in new.toml: ")


def test_a_key_with_no_close_match_lists_the_known_ones():
    text = default_rules_text().replace("weight = 7.5, tf_adjust = true", "weight = 7.5, zebra = 3", 1)
    with pytest.raises(DedupError, match=re.escape(
            "comparisons[0].levels[1]: unknown key 'zebra' (one of kind, weight, column, "
            "min_similarity, m, u, tf_adjust, max_sectors)")):
        RuleSet.from_toml_text(text)


def test_a_missing_key_is_named_not_a_constructor_error():
    text = default_rules_text().replace('{ kind = "else", weight = -8.0 }', '{ kind = "else" }', 1)
    with pytest.raises(DedupError, match=re.escape("comparisons[0].levels[7]: missing key 'weight'")):
        RuleSet.from_toml_text(text)


def test_the_cli_gives_one_line_and_exit_1(cli, small_store, tmp_path):
    rules = tmp_path / "bad.toml"
    rules.write_text(misspelt("level", "blocking rule"))
    result = cli.invoke(app, ["run", "--db", str(small_store), "--rules", str(rules)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: 2 problems in {rules}: "), result.stderr
    assert "'tf_adjust'?" in lines[0] and "'max_block_size'?" in lines[0]
