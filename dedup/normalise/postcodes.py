"""UK postcode normalisation.

``postcode_expr`` canonicalises valid postcodes to "AA9A 9AA" and derives
area, district and sector from them. Invalid text is kept (upper-cased,
whitespace removed) so that two records with the same typo still agree, but
it is never split into parts. A missing value ("N/A", "TBC", "-", ...: see `dedup.missing`)
gives nulls.
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


def postcode_expr(col: pl.Expr) -> pl.Expr:
    """Normalise a UK postcode.

    A missing value (`dedup.missing`: null, empty, a placeholder such as "N/A" or "TBC", only
    punctuation or zeros) gives null in every field, ``postcode_valid`` included, so "unknown"
    never counts as invalid.

    Args:
        col: Raw postcode (String) expression.

    Returns:
        A struct expression with fields ``postcode`` (canonical "TR1 1AU";
        for an invalid value its upper-cased text without whitespace),
        ``postcode_valid`` (Boolean), and ``postcode_area`` ("TR"),
        ``postcode_district`` ("TR1"), ``postcode_sector`` ("TR1 1"), which
        are null unless the postcode is valid.
    """
    text, known = pl.field("text"), pl.field("known")
    valid, outward = pl.field("postcode_valid"), pl.field("postcode_district")
    inward = known.str.tail(_INWARD_LENGTH)
    return staged(
        {"text": present_expr(col)},
        {"known": text.str.replace_all(r"\s+", "").str.to_uppercase()},
        {"postcode_valid": known.str.contains(_VALID_COMPACT)},
        {"postcode_district": pl.when(valid).then(known.str.head(-_INWARD_LENGTH))},
        {
            "postcode": pl.when(valid).then(outward + " " + inward).otherwise(known),
            "postcode_area": outward.str.extract(r"^([A-Z]+)"),
            "postcode_sector": outward + " " + inward.str.head(1),
        },
        output=(
            "postcode",
            "postcode_valid",
            "postcode_area",
            "postcode_district",
            "postcode_sector",
        ),
    )
