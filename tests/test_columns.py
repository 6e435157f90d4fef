"""`dedup.columns`: the normalised columns blocking keys and comparison levels may name are the
ones the normaliser makes, and nothing else is accepted."""

from __future__ import annotations

import polars as pl
import pytest

from dedup.blocking.rules import BlockingRule
from dedup.columns import NORMALISED_COLUMNS
from dedup.normalise.traders import normalise_traders
from dedup.rules.levels import Level


def test_the_normaliser_makes_every_listed_column():
    frame = pl.DataFrame({"trader_id": [1], "name": ["Mabel's Boutique Ltd"], "address": ["5 Tristan Rd, Truro"],
                          "postcode": ["tr11au"], "phone": ["01872 123456"], "website": ["www.mabels.co.uk"]})
    made = normalise_traders(frame).columns
    assert set(NORMALISED_COLUMNS) <= set(made)
    assert all(NORMALISED_COLUMNS[c] for c in NORMALISED_COLUMNS)   # each says what it holds


@pytest.mark.parametrize("column", list(NORMALISED_COLUMNS))
def test_each_listed_column_may_be_a_block_key_and_a_level_column(column):
    assert BlockingRule("r", (column,)).on == (column,)
    assert Level("exact", 1.0, column).column == column


@pytest.mark.parametrize("column", ["name", "address", "trader_id", "status", "postcode_valid"])
def test_a_raw_or_engine_column_is_neither(column):
    with pytest.raises(ValueError):
        BlockingRule("r", (column,))
    with pytest.raises(ValueError):
        Level("exact", 1.0, column)
