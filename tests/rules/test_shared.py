"""Shared evidence (dedup.rules.shared): an address many differently named traders hold is no
evidence two of them are one business."""

from __future__ import annotations

import math
import random
import string

import jellyfish
import pytest

from dedup.api import explain_pair
from dedup.errors import DedupError
from dedup.rules import RuleSet
from dedup.rules.ruleset import default_rules_text
from tests.merge.merge_helpers import build, trader

KEMP_HOUSE = {"address": "Kemp House, 152-160 City Road, London", "postcode": "EC1V 2NX"}


def tenants(count: int, seed: int = 11) -> list[dict]:
    """`count` companies registered at Kemp House, each with its own made-up name."""
    rng = random.Random(seed)
    names = {"".join(rng.choice(string.ascii_lowercase) for _ in range(9)).title() for _ in range(count * 2)}
    return [trader(50_000_000 + i, f"{name} Trading Ltd", **KEMP_HOUSE)
            for i, name in enumerate(sorted(names)[:count])]


PAIR = [trader(1, "Perfumedirect Ltd", **KEMP_HOUSE), trader(2, "Perfumedeals Ltd", **KEMP_HOUSE)]


def test_a_virtual_office_does_not_merge_differently_named_traders(tmp_path):
    alone = explain_pair(build(tmp_path / "alone.duckdb", traders=PAIR), 1, 2)
    assert alone["band"] == "merge" and alone["shared_evidence"] == []   # one business at the address

    others = tenants(300)
    crowded = explain_pair(build(tmp_path / "office.duckdb", traders=PAIR + others), 1, 2)
    # businesses told apart by name key: the Soundex code of the name's first word (random
    # words share a code now and then), the pair's one (both P615)
    businesses = len({jellyfish.soundex(t["name"].split()[0]) for t in others + PAIR})
    assert 250 < businesses <= 301
    (adjustment,) = crowded["shared_evidence"]
    assert adjustment == {"evidence": "shared_address", "weight": pytest.approx(-math.log2(businesses))}
    assert crowded["score"] == pytest.approx(alone["score"] - math.log2(businesses))
    assert crowded["band"] != "merge"
    assert crowded["comparisons"]["weight"].sum() + adjustment["weight"] == pytest.approx(crowded["score"])


def test_one_business_s_many_records_at_its_address_cost_nothing(tmp_path):
    records = [trader(i, name, address="3 Quay Street, Falmouth", postcode="TR11 3HH")
               for i, name in enumerate(["Acme Widgets Ltd", "Acme Widgets", "ACME WIDGETS", "Acme Widget"], 1)]
    report = explain_pair(build(tmp_path / "one.duckdb", traders=records), 1, 2)
    assert report["shared_evidence"] == [] and report["band"] == "merge"


def rules_with(entry: str) -> str:
    return default_rules_text() + "\n[[shared_evidence]]\n" + entry


@pytest.mark.parametrize(("entry", "problem"), [
    ('name = "x"\non = []', "shared_evidence[1]: on: give at least one column"),
    ('name = "x"\non = "postcode"', "shared_evidence[1]: on: expected a list of column names"),
    ('name = "x"\non = ["post_code"]', "shared_evidence[1]: unknown column 'post_code'"),
    ('name = "x"\non = ["phone"]\ndistinct = "nam_key"', "shared_evidence[1]: unknown column 'nam_key'"),
    ('name = "Shared Phone"\non = ["phone"]', "shared_evidence[1]: name: lower-case letters"),
    ('name = "x"\non = ["phone"]\ndistinkt = "name_key"', "shared_evidence[1]: unknown key 'distinkt'"),
    ('on = ["phone"]', "shared_evidence[1]: missing key 'name'"),
    ('name = "shared_address"\non = ["phone"]', "shared_evidence: name 'shared_address' is used twice"),
])
def test_a_bad_entry_is_named_with_its_problem(entry, problem):
    with pytest.raises(DedupError) as caught:
        RuleSet.from_toml_text(rules_with(entry), "r.toml")
    assert problem in str(caught.value) and "r.toml" in str(caught.value)


def test_an_entry_changes_the_rule_set_s_hash():
    extra = RuleSet.from_toml_text(rules_with('name = "shared_phone"\non = ["phone"]'))
    assert extra.hash != RuleSet.default().hash
    assert [e.name for e in extra.shared_evidence] == ["shared_address", "shared_phone"]


def test_explain_prints_the_adjustment(tmp_path):
    from typer.testing import CliRunner

    from dedup_cli import app

    db = build(tmp_path / "office.duckdb", traders=PAIR + tenants(300))
    result = CliRunner().invoke(app, ["explain", "1", "2", "--db", str(db)])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("shared ")]
    report = explain_pair(db, 1, 2)
    assert "shared_address" in line and line.endswith(f"{report['shared_evidence'][0]['weight']:+8.2f}")
