"""Tests of the generator's own slip model (dedup.synth.typos)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dedup.synth
from dedup.synth import typos
from dedup.synth.typos import NAME_SLIPS, OPS, PHONE_SLIPS, POSTCODE_SLIPS, SlipDraws, SlipModel, apply_rules, slip

SYNTH_DIR = Path(dedup.synth.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_nothing_under_dedup_synth_imports_the_normaliser() -> None:
    files = sorted(SYNTH_DIR.rglob("*.py"))
    assert len(files) >= 10
    offenders = {str(f.relative_to(SYNTH_DIR)): sorted(m for m in _imported_modules(f)
                                                      if m == "dedup.normalise" or m.startswith("dedup.normalise."))
                 for f in files}
    assert {f: m for f, m in offenders.items() if m} == {}
    # ... nor names the normaliser's table (e.g. through `from dedup import normalise`).
    for f in files:
        text = f.read_text()
        assert "KEYBOARD_NEIGHBOURS" not in text and "import normalise" not in text, f


def test_keyboard_neighbours_follow_the_key_grid() -> None:
    keys = typos.LETTER_KEYS
    # Same-row neighbours are the likeliest; keys far apart are never neighbours.
    assert keys["s"].count("a") > keys["s"].count("w") > 0
    assert set(keys["s"]) == set("adwezx")
    assert set(keys["g"]) == set("fhtyvb")
    assert "p" not in keys["q"] and "m" not in keys["a"]
    assert set(keys["Q"]) == set("WA12")  # digits above, case kept
    # Neighbourhood is symmetric.
    for key, near in typos._LETTERS.items():
        for other in set(near):
            if other.isalpha():
                assert key in typos._LETTERS[other], (key, other)
    assert set(typos.DIGIT_KEYS["5"]) == set("4628")  # top row 4 6, keypad 4 6 8 2
    assert set(typos.POSTCODE_KEYS["A"]) <= set("QWSZ12")


def test_slip_model_checks_its_chances() -> None:
    with pytest.raises(ValueError):
        SlipModel(op_p=(0.5, 0.5), keys={})
    with pytest.raises(ValueError):
        SlipModel(op_p=(0.2,) * len(OPS), keys={})


def _slipped(values: list[str], model: SlipModel, seed: int) -> list[str]:
    draws = SlipDraws.draw(np.random.default_rng(seed), len(values), model)
    return slip(pl.Series(values, dtype=pl.String), model, draws).to_list()


NAMES = ["Thompson Roofing", "Bright Spark Electrical", "Carpets Direct", "Phillips & Sons Plumbing",
         "GadgetHub", "Clarke Kitchens", "Summit Maintenance", "Mabels Boutique"] * 250


def test_slips_are_deterministic_per_seed() -> None:
    assert _slipped(NAMES, NAME_SLIPS, 3) == _slipped(NAMES, NAME_SLIPS, 3)
    assert _slipped(NAMES, NAME_SLIPS, 3) != _slipped(NAMES, NAME_SLIPS, 4)


def test_every_value_gets_exactly_one_slip() -> None:
    typed = _slipped(NAMES, NAME_SLIPS, 1)
    changed = sum(a != b for a, b in zip(NAMES, typed))
    assert changed / len(NAMES) > 0.97  # a substitution by a key under the same letter is rare
    # The first letter is seldom touched.
    first = sum(a[0] != b[0] for a, b in zip(NAMES, typed))
    assert 0 < first / len(NAMES) < 0.06


def test_each_kind_of_slip_occurs() -> None:
    pairs = list(zip(NAMES, _slipped(NAMES, NAME_SLIPS, 2)))
    typed = {b for _, b in pairs}
    assert "Thomson Roofing" in typed  # heard on the phone
    same_letters = [(a, b) for a, b in pairs if a.replace(" ", "") == b.replace(" ", "")]
    assert any(b.count(" ") == a.count(" ") - 1 for a, b in same_letters)  # words run together
    assert any(b.count(" ") == a.count(" ") + 1 for a, b in same_letters)  # a space inside a word
    assert any(len(b) == len(a) - 1 for a, b in pairs)  # left out
    assert any(len(b) == len(a) + 1 for a, b in pairs)  # doubled / inserted
    assert any(sorted(a) == sorted(b) and a != b and len(a) == len(b) for a, b in pairs)  # swapped
    assert any("rn" in b and "rn" not in a or "cl" in b and "cl" not in a for a, b in pairs)  # misread


def test_postcode_and_phone_slips() -> None:
    postcodes = _slipped(["TR1 1AU", "SW1A 2BD", "BS5 0QX"] * 300, POSTCODE_SLIPS, 1)
    assert "TRI 1AU" in postcodes or "TR1 IAU" in postcodes  # 1 misread as I
    assert all(p == p.upper() for p in postcodes)  # capitals stay capitals
    phones = _slipped(["01872123456"] * 500, PHONE_SLIPS, 1)
    assert all(p.isdigit() for p in phones)
    swapped = {p for p in phones if sorted(p) == sorted("01872123456") and p != "01872123456"}
    assert len(swapped) >= 3
    assert all(p[0] == "0" for p in phones)  # the model never slips on the first digit


def test_a_value_slips_the_same_way_whatever_the_other_values_are() -> None:
    """Draws are per value: one value's slip does not depend on which others get one."""
    draws = SlipDraws.draw(np.random.default_rng(9), len(NAMES), NAME_SLIPS)
    values = pl.Series(NAMES, dtype=pl.String)
    every = slip(values, NAME_SLIPS, draws).to_list()
    rows = np.arange(0, len(NAMES), 3)
    some = slip(values.gather(rows), NAME_SLIPS, draws.take(rows)).to_list()
    assert some == [every[i] for i in rows]


def test_rule_choice_follows_the_weights() -> None:
    rules = (("a", "x", 3.0), ("a", "y", 1.0))
    draws = np.random.default_rng(0).integers(0, 2**63, 4000, dtype=np.uint64)
    out, _ = apply_rules(pl.Series(["a"] * 4000), rules, draws)
    assert 0.7 < (out == "x").mean() < 0.8


def test_apply_rules_changes_only_matching_values() -> None:
    rules = ((r"\bRoofing\b", "Roofers", 1.0), ("zz", "z", 1.0))
    values = pl.Series(["Smith Roofing", "Jones Plumbing", None], dtype=pl.String)
    out, changed = apply_rules(values, rules, np.arange(3, dtype=np.uint64))
    assert out.to_list() == ["Smith Roofers", "Jones Plumbing", None]
    assert changed.tolist() == [True, False, False]


@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABC", min_size=4, max_size=20), min_size=1,
                max_size=30), st.integers(0, 2**32 - 1))
def test_slip_changes_a_value_by_a_little(values: list[str], seed: int) -> None:
    typed = _slipped(values, NAME_SLIPS, seed)
    assert len(typed) == len(values)
    for a, b in zip(values, typed):
        assert abs(len(a) - len(b)) <= 6  # one slip: at most one respelt word's worth
