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

# fmt: off
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
    ("123", "123", False, None, None, None),  # too short for any country's code: kept as text
    # a UK postcode's typos stay UK text, even where another country's code would read them
    ("511 4AR", "5114AR", False, None, None, None),   # S11 4AR with S typed as 5
    ("810 7QN", "8107QN", False, None, None, None),   # B10
    ("N618 2RD", "N6182RD", False, None, None, None),  # not the Eircode N61 82RD
    ("N17 00DP", "N1700DP", False, None, None, None),
    ("1234 AB", "1234AB", False, None, None, None),  # a Dutch code has a UK code's shape
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
    ("00000", None, None, None, None, None),
    ("", None, None, None, None, None),
    ("no postcode", None, None, None, None, None),
    ("not known", None, None, None, None, None),
    ("x", None, None, None, None, None),
    (None, None, None, None, None, None),
]
# fmt: on


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
        "postal_code_other": None,
    }


OTHER_POSTAL_CODE_CASES = [
    # raw -> postal_code_other (postcode is then null, postcode_valid false)
    ("90210", "90210"),  # US ZIP
    ("90210-1234", "90210"),  # ZIP+4: the ZIP, so it agrees with the ZIP typed alone
    ("90210 1234", "90210"),
    ("902101234", "90210"),
    (" 10001 ", "10001"),
    ("2000", "2000"),  # Australia (FEBRL), New Zealand, most of Europe
    ("0800", "0800"),
    ("75008", "75008"),  # France
    ("110001", "110001"),  # India
    ("00-950", "00-950"),  # Poland
    ("1000-001", "1000-001"),  # Portugal
    ("100-0001", "100-0001"),  # Japan
    ("D-10115", "10115"),  # a country letter in front
    ("CH-8001", "8001"),
    ("D02 X285", "D02 X285"),  # Irish Eircode
    ("d02x285", "D02 X285"),
    ("A65 F4E2", "A65 F4E2"),
    ("D6W 1234", "D6W 1234"),
    ("K1A 0B1", "K1A 0B1"),  # Canada
    ("k1a0b1", "K1A 0B1"),
]


@pytest.mark.parametrize(("raw", "code"), OTHER_POSTAL_CODE_CASES)
def test_other_postal_code(raw, code):
    assert apply_one(postcode_expr, raw) == {
        "postcode": None,
        "postcode_valid": False,
        "postcode_area": None,
        "postcode_district": None,
        "postcode_sector": None,
        "postal_code_other": code,
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


@PROPERTY_SETTINGS
@given(st.lists(st.one_of(POSTCODE_LIKE, TEXT, st.from_regex(r"\A\d{4,5}(-\d{4})?\Z")), min_size=1, max_size=40))
@example(["90210-1234", "D02 X285", "k1a0b1", "CH-8001"])
def test_other_postal_code_is_idempotent(values):
    _idempotent(lambda col: postcode_expr(col).struct.field("postal_code_other"), values)


@PROPERTY_SETTINGS
@given(st.lists(POSTCODE_LIKE, min_size=1, max_size=40))
def test_a_value_in_a_uk_postcodes_shape_is_never_another_countrys_code(values):
    assert all(row["postal_code_other"] is None for row in apply(postcode_expr, values))
