"""The `[merge]` table of a rule set: survivor order and field survivorship, validated."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import dedup.rules
from dedup.errors import DedupError
from dedup.rules import RuleSet
from dedup.rules.merging import DEFAULT_SURVIVOR_ORDER, FILLABLE_FIELDS, MergeConfig


def with_merge_table(table: str) -> str:
    text = (Path(dedup.rules.__file__).parent / "default.toml").read_text()
    return text[:text.index("[merge]")] + table


def test_default_rules_use_the_documented_order_and_fill_every_field():
    merge = RuleSet.default().merge
    assert merge.survivor_order == DEFAULT_SURVIVOR_ORDER
    assert merge.fill_missing_fields == FILLABLE_FIELDS


def test_a_rule_file_without_merge_table_gets_the_defaults():
    rules = RuleSet.from_toml_text(with_merge_table(""))
    assert rules.merge == MergeConfig()


def test_whitelisted_first_and_lowest_id_last_are_always_there():
    merge = MergeConfig.from_table({"survivor_order": ["oldest"], "fill_missing_fields": False})
    assert merge.survivor_order == ("whitelisted", "oldest", "lowest_id")
    assert merge.fill_missing_fields == ()


@pytest.mark.parametrize("table, problem", [
    ('survivor_order = ["oldest", "whitelisted"]', "'whitelisted' must come first"),
    ('survivor_order = ["lowest_id", "oldest"]', "'lowest_id' must come last"),
    ('survivor_order = ["newest"]', "unknown survivor criterion 'newest'"),
    ('survivor_order = ["oldest", "oldest"]', "names a criterion twice"),
    ('survivor_order = "oldest"', "expected a list of criterion names"),
    ('fill_missing_fields = ["email"]', "unknown field 'email'"),
    ('fill_missing_fields = 3', "expected true, false or a list"),
    ('keep = true', "unknown key 'keep'"),
])
def test_bad_merge_tables_are_reported_with_their_key(table, problem):
    with pytest.raises(DedupError) as caught:
        RuleSet.from_toml_text(with_merge_table(f"[merge]\n{table}\n"), source="new.toml")
    assert "in new.toml: merge: " in str(caught.value) and problem in str(caught.value)


def test_the_rules_hash_covers_the_merge_table():
    rules = RuleSet.default()
    other = dataclasses.replace(rules, merge=MergeConfig(fill_missing_fields=()))
    assert rules.hash != other.hash
