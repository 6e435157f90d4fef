"""dedup.normalise.postcodes: literal cases and properties."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dedup.normalise import (
    postcode_expr,
)
from tests.normalise.helpers import (
    IDEMPOTENCE_EXAMPLES,
    POSTCODE_LIKE,
    PROPERTY_SETTINGS,
    TEXT,
    _idempotent,
    apply,
    apply_one,
)

POSTCODE_CASES = [
    # raw, postcode, valid, area, district, sector
    ("TR1 1AU", "TR1 1AU", True, "TR", "TR1", "TR1 1"),
    ("tr11au", "TR1 1AU", True, "TR", "TR1", "TR1 1"),
    (" tr1  1au ", "TR1 1AU", True, "TR", "TR1", "TR1 1"),
    ("TR1\t1AU", "TR1 1AU", True, "TR", "TR1", "TR1 1"),
    ("GIR 0AA", "GIR 0AA", True, "GIR", "GIR", "GIR 0"),
    ("SW1A 1AA", "SW1A 1AA", True, "SW", "SW1A", "SW1A 1"),
    ("ec1a1bb", "EC1A 1BB", True, "EC", "EC1A", "EC1A 1"),
    ("M1 1AE", "M1 1AE", True, "M", "M1", "M1 1"),
    ("B33 8TH", "B33 8TH", True, "B", "B33", "B33 8"),
    ("CR2 6XH", "CR2 6XH", True, "CR", "CR2", "CR2 6"),
    ("DN55 1PT", "DN55 1PT", True, "DN", "DN55", "DN55 1"),
    ("W1A 0AX", "W1A 0AX", True, "W", "W1A", "W1A 0"),
    ("XYZ 123", "XYZ123", False, None, None, None),
    ("TR1 1CU", "TR11CU", False, None, None, None),  # C is not an inward letter
    ("TR1", "TR1", False, None, None, None),
    ("Truro", "TRURO", False, None, None, None),
    ("N/A", None, None, None, None, None),
    ("NA", None, None, None, None, None),
    ("n/a", None, None, None, None, None),
    ("unknown", None, None, None, None, None),
    ("UNK", None, None, None, None, None),
    ("none", None, None, None, None, None),
    ("TBC", None, None, None, None, None),
    ("tba", None, None, None, None, None),
    ("-", None, None, None, None, None),
    ("--", None, None, None, None, None),
    ("?", None, None, None, None, None),
    ("0", None, None, None, None, None),
    ("", None, None, None, None, None),
    ("no postcode", None, None, None, None, None),
    ("not known", None, None, None, None, None),
    ("x", None, None, None, None, None),
    (None, None, None, None, None, None),
]


@pytest.mark.parametrize(
    ("raw", "postcode", "valid", "area", "district", "sector"), POSTCODE_CASES
)
def test_postcode(raw, postcode, valid, area, district, sector):
    assert apply_one(postcode_expr, raw) == {
        "postcode": postcode,
        "postcode_valid": valid,
        "postcode_area": area,
        "postcode_district": district,
        "postcode_sector": sector,
    }


@PROPERTY_SETTINGS
@given(st.lists(st.one_of(POSTCODE_LIKE, TEXT), min_size=1, max_size=40))
@example(IDEMPOTENCE_EXAMPLES)
def test_postcode_is_idempotent(values):
    _idempotent(lambda col: postcode_expr(col).struct.field("postcode"), values)


@PROPERTY_SETTINGS
@given(st.lists(POSTCODE_LIKE, min_size=1, max_size=40))
def test_valid_postcodes_split_consistently(values):
    for row in apply(postcode_expr, values):
        if row["postcode_valid"]:
            outward, inward = row["postcode"].split(" ")
            assert row["postcode_district"] == outward
            assert row["postcode_sector"] == f"{outward} {inward[0]}"
            assert outward.startswith(row["postcode_area"])
        else:
            assert row["postcode_area"] is row["postcode_district"] is None
