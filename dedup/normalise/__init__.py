"""Vectorised normalisation of trader fields as polars expressions.

Each ``*_expr`` function takes a String expression and returns an expression
(a struct where the field yields several values); ``normalise_traders``
applies them all to a trader frame.
"""

from dedup.normalise.addresses import address_expr
from dedup.normalise.contact import phone_expr, website_expr
from dedup.normalise.names import name_expr
from dedup.normalise.postcodes import postcode_expr
from dedup.normalise.traders import NORMALISED_FIELDS, normalise_traders

__all__ = [
    "NORMALISED_FIELDS",
    "address_expr",
    "name_expr",
    "normalise_traders",
    "phone_expr",
    "postcode_expr",
    "website_expr",
]
