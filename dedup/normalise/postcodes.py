"""Postcode normalisation: UK postcodes, and other countries' postal codes beside them.

``postcode_expr`` canonicalises valid UK postcodes to "AA9A 9AA" and derives area, district and
sector from them. A value in the shape of another country's postal code (a US ZIP "90210" or
"90210-1234", a 4-digit code "2000", an Irish Eircode "D02 X285", a Canadian "K1A 0B1") is no
UK postcode: ``postcode`` is null and ``postal_code_other`` holds the code, cleaned, as
evidence of its own. Any other text is kept in ``postcode``
(upper-cased, whitespace removed) so that two records with the same typo still agree, but it is
never split into parts. A missing value ("N/A", "TBC", "-", ...: see `dedup.missing`) gives
nulls.
"""

import polars as pl

from dedup.missing import present_expr
from dedup.normalise._text import staged

# Outward code A9, A99, AA9, AA99, A9A or AA9A, then the inward code: a digit
# and two letters other than C I K M O V. GIR 0AA (Girobank) is the one
# historic exception still in use.
_VALID_COMPACT = r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2}|GIR0AA)$"

# The inward code is always the last three characters.
_INWARD_LENGTH = 3

#: Other countries' postal codes, as (pattern over the upper-cased code without whitespace,
#: the cleaned code it gives), tried in order, for values not in a UK postcode's shape (below).
OTHER_POSTAL_CODES: tuple[tuple[str, str], ...] = (
    # US ZIP+4 ("90210-1234"): the ZIP itself, so it agrees with the same ZIP typed alone.
    (r"^(\d{5})-?\d{4}$", "${1}"),
    # 4 to 6 digits: US ZIP, Australia, New Zealand, most of Europe, India, ...
    (r"^(\d{4,6})$", "${1}"),
    # Two groups of digits: Poland "00-950", Portugal "1000-001", Japan "100-0001".
    (r"^(\d{2,5}-\d{3,4})$", "${1}"),
    # A country letter in front: "D-10115", "CH-8001", "F-75001".
    (r"^[A-Z]{1,2}-(\d{4,5})$", "${1}"),
    # Ireland's Eircode: a routing key (letter, two digits; or D6W) and four characters.
    (r"^([AC-FHKNPRTV-Y]\d{2}|D6W)([0-9AC-FHKNPRTV-Y]{4})$", "${1} ${2}"),
    # Canada: letter digit letter, digit letter digit.
    (r"^([ABCEGHJ-NPRSTVXY]\d[A-Z])(\d[A-Z]\d)$", "${1} ${2}"),
)

# A UK postcode's shape: two to five characters, then an inward code's digit and two letters.
# A value of that shape is a UK postcode or a typo of one ("511 4AR" for S11 4AR, "N618 2RD"),
# never another country's code, even where it would read as one (an Eircode, a Dutch "1234 AB"):
# it stays in ``postcode`` as text, where the same text still agrees exactly.
_UK_SHAPED = r"^[A-Z0-9]{2,5}\d[A-Z]{2}$"


def _other_postal_code(known: pl.Expr) -> pl.Expr:
    """The cleaned postal code of another country, or null (see `OTHER_POSTAL_CODES`)."""
    expr = pl.lit(None, dtype=pl.String)
    for pattern, replacement in reversed(OTHER_POSTAL_CODES):
        expr = pl.when(known.str.contains(pattern)).then(known.str.replace(pattern, replacement)).otherwise(expr)
    return expr


def postcode_expr(col: pl.Expr) -> pl.Expr:
    """Normalise a postcode: a UK one, or another country's postal code.

    A missing value (`dedup.missing`: null, empty, a placeholder such as "N/A" or "TBC", only
    punctuation or zeros) gives null in every field, ``postcode_valid`` included, so "unknown"
    never counts as invalid.

    Args:
        col: Raw postcode (String) expression.

    Returns:
        A struct expression with fields ``postcode`` (canonical "TR1 1AU";
        for an invalid value its upper-cased text without whitespace; null for another
        country's code), ``postcode_valid`` (Boolean: a valid UK postcode), ``postcode_area``
        ("TR"), ``postcode_district`` ("TR1"), ``postcode_sector`` ("TR1 1"), which are null
        unless the postcode is valid, and ``postal_code_other`` (another country's code,
        cleaned: "90210", "2000", "D02 X285"; null otherwise).
    """
    text, known, other = pl.field("text"), pl.field("known"), pl.field("postal_code_other")
    valid, outward = pl.field("postcode_valid"), pl.field("postcode_district")
    inward = known.str.tail(_INWARD_LENGTH)
    return staged(
        {"text": present_expr(col)},
        {"known": text.str.replace_all(r"\s+", "").str.to_uppercase()},
        {"postcode_valid": known.str.contains(_VALID_COMPACT)},
        {
            "postcode_district": pl.when(valid).then(known.str.head(-_INWARD_LENGTH)),
            # Only invalid values not in a UK postcode's shape are read (the rest go in as null).
            "postal_code_other": _other_postal_code(
                pl.when(~valid).then(known).pipe(lambda v: pl.when(~v.str.contains(_UK_SHAPED)).then(v))),
        },
        {
            "postcode": pl.when(valid).then(outward + " " + inward).when(other.is_null()).then(known),
            "postcode_area": outward.str.extract(r"^([A-Z]+)"),
            "postcode_sector": outward + " " + inward.str.head(1),
        },
        output=(
            "postcode",
            "postcode_valid",
            "postcode_area",
            "postcode_district",
            "postcode_sector",
            "postal_code_other",
        ),
    )
