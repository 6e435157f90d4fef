"""Normalise a whole trader table in one vectorised pass."""

from typing import TypeVar

import polars as pl

from dedup.missing import present_expr
from dedup.normalise.addresses import address_expr, address_postcode_expr
from dedup.normalise.contact import phone_expr, website_expr
from dedup.normalise.names import name_expr
from dedup.normalise.postcodes import postcode_expr

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

# Output columns in order, after trader_id.
NORMALISED_FIELDS: tuple[str, ...] = (
    "name_norm",
    "legal_form",
    "proprietor",
    "name_tokens_sorted",
    "name_key",
    "postcode",
    "postcode_valid",
    "postcode_area",
    "postcode_district",
    "postcode_sector",
    "postal_code_other",
    "address_norm",
    "address_number",
    "address_unit",
    "address_street",
    "address_town",
    "phone",
    "website_domain",
)


def _text(column: str) -> pl.Expr:
    """Read an input column as text, so all-null or numeric columns work.

    Args:
        column: Input column name.

    Returns:
        The column cast to String.
    """
    return pl.col(column).cast(pl.String)


def normalise_traders(df: Frame) -> Frame:
    """Normalise the name, address and contact fields of trader records.

    The same expressions serve the nightly batch and single-record checks (a
    one-row frame); rows keep their order. A record whose postcode field is empty (or a
    placeholder) takes the UK postcode its address ends a line with ("5 Tristan Rd, Truro
    TR1 1AU"), which the address normaliser takes out of the address.

    Args:
        df: Frame with columns trader_id, name, address, postcode, phone and
            website; other columns are ignored.

    Returns:
        A frame of the same kind with trader_id and ``NORMALISED_FIELDS``,
        all String except the Boolean postcode_valid; empty strings are null.
    """
    structs = [
        name_expr(_text("name")).alias("_name"),
        postcode_expr(pl.col("_postcode_typed")).alias("_postcode"),
        address_expr(_text("address")).alias("_address"),
    ]
    typed = present_expr(_text("postcode"))
    normalised = (
        df.lazy()
        .with_columns(_postcode_typed=typed)
        # An empty postcode field takes the postcode the address ends a line with (only those
        # records' addresses are searched: the others go in as null).
        .with_columns(_postcode_typed=pl.coalesce("_postcode_typed", address_postcode_expr(
            pl.when(pl.col("_postcode_typed").is_null()).then(_text("address")))))
        .select(
            pl.col("trader_id"),
            *structs,
            phone=phone_expr(_text("phone")),
            website_domain=website_expr(_text("website")),
        )
        .unnest("_name", "_postcode", "_address")
        .select("trader_id", *NORMALISED_FIELDS)
    )
    return normalised.collect() if isinstance(df, pl.DataFrame) else normalised
