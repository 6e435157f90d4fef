"""Shared by the normaliser tests: running one normaliser over literal values, and the text
strategies of the property tests."""

import polars as pl
from hypothesis import settings
from hypothesis import strategies as st


def apply(expr_fn, values):
    """Run one normaliser over literal values; structs come back as dicts."""
    frame = pl.DataFrame({"raw": values}, schema={"raw": pl.String})
    return frame.select(expr_fn(pl.col("raw")).alias("out"))["out"].to_list()


def apply_one(expr_fn, value):
    return apply(expr_fn, [value])[0]


# Realistic characters: letters (some accented), digits, spaces and the
# punctuation advisers type.
TEXT = st.text(
    alphabet=st.sampled_from(
        list("abcdeghiklmnoprstuwyzABCDLMRST0123456789    &'.,-()/+@:éÉ’\n")
    ),
    max_size=40,
)


# Words and symbols the rules react to, so generated text hits the rules.
# fmt: off
RULE_WORDS = [
    "the", "ltd", "co", "and", "&", "t/a", "trading", "as", "(", ")", "bros",
    "unit", "flat", "3", "14a", "road", "st", "tr1", "1au", ",", "smith",
    "mabel's", "www.", ".co.uk", "@", "limited", "company", "+44", "(0)",
    "01872", "123456", "-", "/", "x",
]
# fmt: on


# fmt: on
WORDY_TEXT = st.lists(st.sampled_from(RULE_WORDS), max_size=12).map(" ".join)


# Edge cases for idempotence, several of which broke earlier drafts.
IDEMPOTENCE_EXAMPLES = [
    "//0",
    "- - 5",
    "1-2-3 - 4",
    "a--b",
    "𝒩ame",
    "İstanbul Kebab",
    "the the x",
    "the ltd",
    "a t/a b trading as c",
    "Smith & Co Ltd and Co",
    "tr1 1au tr1 1au, tr1 1au",
    "www.www.com",
    "a.www.com",
    "+44 0 1872 123456",
    "N/A",
]


VALUES = st.lists(st.one_of(TEXT, WORDY_TEXT, st.none()), min_size=1, max_size=40)


POSTCODE_LIKE = st.from_regex(
    r"\A\s?[A-Za-z]{1,3}[0-9]{1,2}[A-Za-z0-9]?\s{0,2}[0-9][A-Za-z]{2}\s?\Z"
)


PROPERTY_SETTINGS = settings(max_examples=60, derandomize=True, deadline=None)


def _idempotent(expr_fn, values):
    once = apply(expr_fn, values)
    assert apply(expr_fn, once) == once
