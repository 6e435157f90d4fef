"""dedup.normalise.traders: normalise_traders over whole frames."""

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.normalise import (
    NORMALISED_FIELDS,
    normalise_traders,
)
from tests.normalise.helpers import (
    POSTCODE_LIKE,
    PROPERTY_SETTINGS,
    TEXT,
    WORDY_TEXT,
)


def _traders(rows: list[dict]) -> pl.DataFrame:
    columns = ["trader_id", "name", "address", "postcode", "phone", "website"]
    return pl.DataFrame(
        {column: [row.get(column) for row in rows] for column in columns},
        schema=dict.fromkeys(columns, pl.String),
    )


TRADER_ROWS = [
    {
        "trader_id": "10000001",
        "name": "MABEL'S BOUTIQUE LTD.",
        "address": "5 Tristan Rd, Truro",
        "postcode": "tr11au",
        "phone": "+44 (0)1872 123456",
        "website": "www.mabels.co.uk",
    },
    {
        "trader_id": "10000002",
        "name": "",
        "address": "",
        "postcode": "",
        "phone": "",
        "website": "",
    },
    {"trader_id": "10000003", "name": "John Smith t/a Smith Roofing"},
]


def test_normalise_traders_schema_and_values():
    out = normalise_traders(_traders(TRADER_ROWS).with_columns(extra=pl.lit(1)))
    assert out.columns == ["trader_id", *NORMALISED_FIELDS]
    assert out.schema["postcode_valid"] == pl.Boolean
    assert all(
        dtype == pl.String
        for name, dtype in out.schema.items()
        if name != "postcode_valid"
    )
    first = out.row(0, named=True)
    assert first["name_norm"] == "mabels boutique"
    assert first["postcode"] == "TR1 1AU"
    assert first["address_street"] == "tristan rd"
    assert first["phone"] == "01872123456"
    assert first["website_domain"] == "mabels.co.uk"
    # Empty strings are null everywhere.
    assert set(out.row(1, named=True).values()) == {"10000002", None}
    assert out.row(2, named=True)["proprietor"] == "john smith"


def test_normalise_traders_keeps_frame_kind():
    frame = _traders(TRADER_ROWS)
    lazy = normalise_traders(frame.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(normalise_traders(frame))


def test_normalise_traders_accepts_all_null_columns():
    frame = pl.DataFrame(
        {
            "trader_id": ["1"],
            "name": [None],
            "address": [None],
            "postcode": [None],
            "phone": [None],
            "website": [None],
        }
    )
    assert normalise_traders(frame).row(0)[1:] == (None,) * len(NORMALISED_FIELDS)


@PROPERTY_SETTINGS
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "name": st.one_of(TEXT, WORDY_TEXT),
                "address": st.one_of(TEXT, WORDY_TEXT),
                "postcode": st.one_of(POSTCODE_LIKE, TEXT),
                "phone": st.one_of(TEXT, WORDY_TEXT),
                "website": st.one_of(TEXT, WORDY_TEXT),
            }
        ),
        min_size=1,
        max_size=20,
    )
)
def test_single_record_agrees_with_batch(rows):
    frame = _traders([{"trader_id": str(i), **row} for i, row in enumerate(rows)])
    batch = normalise_traders(frame)
    for i in range(frame.height):
        assert normalise_traders(frame.slice(i, 1)).row(0) == batch.row(i)


# fmt: off
POSTCODE_FROM_ADDRESS_CASES = [
    # (address, postcode field) -> (postcode, address_norm, address_town)
    (("5 Tristan Rd, Truro TR1 1AU", None), ("TR1 1AU", "5 tristan rd, truro", "truro")),
    (("5 Tristan Rd, Truro TR1 1AU", ""), ("TR1 1AU", "5 tristan rd, truro", "truro")),
    (("5 Tristan Rd, Truro TR1 1AU", "N/A"), ("TR1 1AU", "5 tristan rd, truro", "truro")),
    (("5 Tristan Road Truro Cornwall tr11au", None), ("TR1 1AU", "5 tristan rd, truro, cornwall", "truro")),
    (("5 Tristan Rd, Truro TR1 1AU", "TR1 1AB"), ("TR1 1AB", "5 tristan rd, truro", "truro")),  # the field wins
    (("5 Tristan Rd, Truro TR1 1AU", "Truro"), ("TRURO", "5 tristan rd, truro", "truro")),      # even invalid
    (("5 Tristan Rd, Truro", None), (None, "5 tristan rd, truro", "truro")),
    (("Unit B12 3AB Park, Leeds", None), (None, "unit b12 3ab pk, leeds", "leeds")),
]
# fmt: on


@pytest.mark.parametrize(("raw", "expected"), POSTCODE_FROM_ADDRESS_CASES)
def test_an_empty_postcode_field_takes_the_postcode_from_the_address(raw, expected):
    address, postcode = raw
    row = normalise_traders(_traders([{"trader_id": "1", "name": "x", "address": address,
                                       "postcode": postcode}])).row(0, named=True)
    assert (row["postcode"], row["address_norm"], row["address_town"]) == expected
