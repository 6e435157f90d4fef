"""dedup.normalise._text: the text helpers every field normaliser is built from."""

import re

import polars as pl
import pytest

from dedup.normalise._text import fold, map_tokens, null_if_empty, squash_spaces, staged, word_alternation
from tests.normalise.helpers import apply


@pytest.mark.parametrize("raw, folded", [
    ("Café", "cafe"), ("Mabel’s", "mabel's"), ("A&B", "a and b"), ("ÉCOLE", "ecole"), ("plain", "plain"),
])
def test_fold_lowers_strips_accents_and_unifies_symbols(raw, folded):
    out = apply(fold, [raw])[0]
    assert out.replace("'", "") == folded.replace("'", "")
    assert not re.search(r"[A-ZÀ-ÿ’]", out)


def test_squash_spaces_collapses_runs_and_trims():
    assert apply(squash_spaces, ["  a \t b\n\nc  ", "tidy text", ""]) == ["a b c", "tidy text", ""]


def test_null_if_empty_gives_nothing_one_representation():
    assert apply(null_if_empty, ["", "x", None]) == [None, "x", None]


def test_map_tokens_replaces_whole_tokens_only_even_side_by_side():
    mapping = {"bros": "brothers", "st": "street"}
    assert apply(lambda c: map_tokens(c, mapping), ["smith bros bros", "st st", "bristol stone", "st"]) == [
        "smith brothers brothers", "street street", "bristol stone", "street"]


def test_word_alternation_tries_the_longest_phrase_first():
    pattern = word_alternation(["limited", "limited liability partnership", "ltd"])
    assert pattern == "(?:limited liability partnership|limited|ltd)"
    assert re.match(pattern, "limited liability partnership").group(0) == "limited liability partnership"


def test_staged_reads_earlier_stages_and_returns_only_the_outputs():
    frame = pl.DataFrame({"x": [1, 2, 3]})
    expr = staged({"double": pl.col("x") * 2}, {"plus_one": pl.field("double") + 1},
                  output=["plus_one", "double"])
    out = frame.select(expr.alias("s")).unnest("s")
    assert out.columns == ["plus_one", "double"]
    assert out.rows() == [(3, 2), (5, 4), (7, 6)]
