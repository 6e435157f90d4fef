"""`dedup.compare`: one pair of traders as a run sees it (the engine behind `dedup explain`),
on the small store: each comparison's level checked against jellyfish's Jaro-Winkler on the two
normalised values it reports, the same answer whichever way round the pair is given, the
blocking rules that would pair it, and one-line refusals. Read-only throughout.

(The levels' SQL itself is checked against jellyfish on random strings in
tests/rules/test_levels.py.)"""

from __future__ import annotations

import itertools

import jellyfish
import pytest

from dedup.compare import compare_traders
from dedup.errors import DedupError
from dedup.merge.undo import undo
from dedup.rules import RuleSet
from dedup.store import Store
from tests.conftest import store_fingerprint
from tests.merge.merge_helpers import apply_given, build, trader

#: Names and streets compared only by Jaro-Winkler bands (no exact, token or phonetic level
#: between them), so the level a pair reaches follows from the two values alone.
JW_RULES = RuleSet.from_toml_text("""
name = "jaro-winkler bands"
[thresholds]
merge = 9.0
review = 4.0
[clustering]
max_cluster_size = 50
[blocking]
max_block_size = 500
[[blocking.rules]]
name = "same_town"
on = ["address_town"]
[[blocking.rules]]
name = "name_start"
on = ["left(name_norm, 4)"]
[[comparisons]]
name = "name"
levels = [{ kind = "missing", column = "name_norm", weight = 0.0 },
          { kind = "jaro_winkler", column = "name_norm", min_similarity = 0.97, weight = 6.0 },
          { kind = "jaro_winkler", column = "name_norm", min_similarity = 0.9, weight = 4.0 },
          { kind = "jaro_winkler", column = "name_norm", min_similarity = 0.8, weight = 2.0 },
          { kind = "jaro_winkler", column = "name_norm", min_similarity = 0.6, weight = 1.0 },
          { kind = "else", weight = -6.0 }]
[[comparisons]]
name = "street"
levels = [{ kind = "missing", column = "address_street", weight = 0.0 },
          { kind = "jaro_winkler", column = "address_street", min_similarity = 0.95, weight = 4.0 },
          { kind = "jaro_winkler", column = "address_street", min_similarity = 0.7, weight = 1.5 },
          { kind = "else", weight = -3.0 }]
""", source="jw.toml")

#: Names and streets a few slips apart, chosen so that the pairs reach every level.
SPELLINGS = [("Penrose Motors", "18 Station Road, Helston"), ("Penrose Motrs", "18 Statoin Rd, Helston"),
             ("Penrose Mowers", "18 Stanton Road, Helston"), ("Pen Motors", None),
             ("Prim Motors", "18 Saint Road, Helston"), ("Penrose Garage", "18 Station Road, Helston"),
             ("-", "18 Station Road, Helston")]


def expected_level(comparison, left, right) -> int:
    """The first level that holds, computed with jellyfish's Jaro-Winkler."""
    for i, level in enumerate(comparison.levels):
        if level.kind == "else":
            return i
        if level.kind == "missing" and (left is None or right is None):
            return i
        if level.kind == "jaro_winkler" and left is not None and right is not None \
                and jellyfish.jaro_winkler_similarity(left, right) >= level.min_similarity:
            return i
    raise AssertionError("a comparison ends in an else level")


@pytest.fixture
def runner(small_store):
    with Store(small_store, read_only=True) as store:
        yield store.runner


def test_levels_reported_agree_with_jellyfish_on_the_values_reported(tmp_path):
    db = build(tmp_path / "spellings.duckdb", traders=[
        trader(i, name, address=address, postcode="TR13 8EE") for i, (name, address) in enumerate(SPELLINGS, 1)])
    bands = set()
    with Store(db, read_only=True) as store:
        reports = [compare_traders(store.runner, JW_RULES, a, b)
                   for a, b in itertools.combinations(range(1, len(SPELLINGS) + 1), 2)]
    for report in reports:
        a, b = report["pair"]
        for item, comparison in zip(report["comparisons"], JW_RULES.comparisons):
            level = expected_level(comparison, item["left"], item["right"])
            assert item["level"] == level, (a, b, item)
            assert item["label"] == comparison.levels[level].label
            assert item["weight"] == comparison.levels[level].weight
            bands.add((item["comparison"], level))
        assert report["score"] == pytest.approx(sum(i["weight"] for i in report["comparisons"]))
        expected_band = ("merge" if report["score"] >= JW_RULES.merge_threshold else
                         "review" if report["score"] >= JW_RULES.review_threshold else "none")
        assert report["band"] == expected_band
    assert bands == {(c.name, i) for c in JW_RULES.comparisons for i in range(len(c.levels))}


def test_the_pair_is_the_same_whichever_way_round_it_is_given(runner):
    forward = compare_traders(runner, RuleSet.default(), 30000001, 30000003)
    backward = compare_traders(runner, RuleSet.default(), 30000003, 30000001)
    assert forward == backward and forward["pair"] == [30000001, 30000003]
    unit = next(c for c in forward["comparisons"] if c["comparison"] == "unit")
    assert (unit["column"], unit["left"], unit["right"]) == ("address_unit", "unit 3", "unit 4")


def test_blocked_by_names_exactly_the_rules_whose_keys_the_pair_shares(runner):
    name_only = compare_traders(runner, JW_RULES, 30000011, 30000012)   # Smith Roofing: Camborne, Harrogate
    assert name_only["blocked_by"] == ["name_start"]
    both = compare_traders(runner, JW_RULES, 30000060, 30000061)     # Penrose Motors, Helston
    assert both["blocked_by"] == ["same_town", "name_start"]
    apart = compare_traders(runner, RuleSet.default(), 22870107, 30000050)  # Bradford, Padstow
    assert apart["blocked_by"] == []
    assert apart["band"] == "none" and apart["score"] < 0   # still scored: explain compares any pair


def test_the_rule_set_is_named_with_its_thresholds(runner):
    report = compare_traders(runner, JW_RULES, 30000060, 30000061)
    assert report["rules"] == {"name": "jaro-winkler bands", "hash": JW_RULES.hash,
                               "merge_threshold": 9.0, "review_threshold": 4.0}
    assert "blocking_rule" not in report
    assert [c["comparison"] for c in report["comparisons"]] == ["name", "street"]


def test_explaining_writes_nothing(small_store):
    before = store_fingerprint(small_store)
    with Store(small_store, read_only=True) as store:
        compare_traders(store.runner, RuleSet.default(), 23204319, 23204401)
    assert store_fingerprint(small_store) == before


@pytest.mark.parametrize("a,b,message", [
    (30000060, 30000060, "give two different traders"),
    (1, 30000060, "trader 1 is not in the store"),
    (30000060, 99999999, "trader 99999999 is not in the store"),
])
def test_bad_pairs_are_refused_with_one_line(runner, a, b, message):
    with pytest.raises(DedupError) as caught:
        compare_traders(runner, RuleSet.default(), a, b)
    assert str(caught.value) == message


def test_a_merged_trader_is_refused_naming_its_survivor(small_store):
    with Store(small_store) as store:
        apply_given(store, [[30000060, 30000061]])
        survivor, merged = store.con.execute(
            "SELECT survivor_id, merged_id FROM merges").fetchone()
        with pytest.raises(DedupError) as caught:
            compare_traders(store.runner, RuleSet.default(), merged, 30000062)
        assert str(caught.value) == (f"trader {merged} is merged (into {survivor}); "
                                     f"explain compares active traders")
        undo(store.runner, run_id=1)   # back to active: compared again
        assert compare_traders(store.runner, RuleSet.default(), merged, 30000062)["pair"]
