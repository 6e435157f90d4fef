"""Rule files load into validated objects; every problem in a file is reported at once."""

from __future__ import annotations

import re

import pytest

from dedup.errors import DedupError
from dedup.rules import RuleSet
from dedup.rules.ruleset import default_rules_text


def test_default_rule_set_loads_and_its_hash_is_stable():
    assert RuleSet.default().hash == RuleSet.default().hash
    assert RuleSet.default().name == "default"


def test_hash_changes_with_any_weight():
    text = default_rules_text()
    changed = text.replace("weight = 7.5", "weight = 7.25", 1)
    assert changed != text
    assert RuleSet.from_toml_text(changed).hash != RuleSet.default().hash


def test_hash_changes_with_a_hard_rule_condition(monkeypatch):
    """A hard rule's SQL lives in code; a release that changes it changes the rule set."""
    from dedup.rules import hard

    before = RuleSet.default().hash
    sql, meaning = hard.HARD_RULE_CONDITIONS["name_only"]
    monkeypatch.setitem(hard.HARD_RULE_CONDITIONS, "name_only", (sql + " AND TRUE", meaning))
    assert RuleSet.default().hash != before


def test_every_problem_is_reported_at_once_with_its_key(tmp_path):
    text = default_rules_text()
    text = text.replace("review = 7.0", "review = 70.0")
    text = text.replace('on = ["phone"]', 'on = ["telephone"]')
    text = text.replace("min_similarity = 0.95", "min_similarity = 95")
    path = tmp_path / "candidate.toml"
    path.write_text(text)
    with pytest.raises(DedupError) as info:
        RuleSet.from_toml(path)
    message = str(info.value)
    assert message.startswith(f"3 problems in {path}:")
    assert "thresholds.review: must not be above thresholds.merge" in message
    phone_rule = [r.name for r in RuleSet.default().blocking].index("same_phone")
    assert f"blocking.rules[{phone_rule}]: unknown block key 'telephone'" in message
    assert "comparisons[0].levels[3]: level 'jaro_winkler' needs min_similarity" in message


@pytest.mark.parametrize("text,message", [
    ("name = ", "not valid TOML"),
    ('name = "x"', "thresholds: missing table [thresholds]"),
])
def test_broken_files_are_clear_errors(text, message):
    with pytest.raises(DedupError, match=re.escape(message)):
        RuleSet.from_toml_text(text)


def test_missing_rule_file_is_a_clear_error(tmp_path):
    with pytest.raises(DedupError, match="cannot read rule file"):
        RuleSet.from_toml(tmp_path / "none.toml")


def test_keep_apart_names_hard_rules_of_the_set():
    from dedup.errors import DedupError
    from dedup.rules.ruleset import default_rules_text

    assert RuleSet.default().keep_apart == ("different_unit",)
    bad = default_rules_text().replace('keep_apart = ["different_unit"]', 'keep_apart = ["same_colour"]')
    with pytest.raises(DedupError, match="clustering.keep_apart: 'same_colour' is not a hard rule"):
        RuleSet.from_toml_text(bad)
