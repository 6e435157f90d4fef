"""UK postcode normalisation.

``postcode_expr`` canonicalises valid postcodes to "AA9A 9AA" and derives
area, district and sector from them. Invalid text is kept (upper-cased,
whitespace removed) so that two records with the same typo still agree, but
it is never split into parts. Placeholders ("N/A", "TBC", ...) mean missing.
"""

import polars as pl

from dedup.normalise._text import PLACEHOLDERS, staged

# Placeholders in the compact form postcodes are compared in.
POSTCODE_PLACEHOLDERS: frozenset[str] = frozenset(
    "".join(value.split()).upper() for value in PLACEHOLDERS
)

# Only punctuation and zeros ("", "-", "?", "0000", "...") carries nothing.
_JUNK = r"^[-?.*_/0]*$"

# Outward code A9, A99, AA9, AA99, A9A or AA9A, then the inward code: a digit
# and two letters other than C I K M O V. GIR 0AA (Girobank) is the one
# historic exception still in use.
_VALID_COMPACT = r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2}|GIR0AA)$"

# The inward code is always the last three characters.
_INWARD_LENGTH = 3


def postcode_expr(col: pl.Expr) -> pl.Expr:
    """Normalise a UK postcode.

    Null, empty and placeholder values are missing: every field is null,
    ``postcode_valid`` included, so "unknown" never counts as invalid.

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
        {"text": col.str.replace_all(r"\s+", "").str.to_uppercase()},
        {
            "known": pl.when(
                ~text.is_in(list(POSTCODE_PLACEHOLDERS)) & ~text.str.contains(_JUNK)
            ).then(text)
        },
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
