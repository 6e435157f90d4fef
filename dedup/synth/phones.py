"""UK phone numbers: drawing them per business and writing them as advisers do."""

from __future__ import annotations

import numpy as np
import polars as pl

from dedup.synth import vocab
from dedup.synth.common import CHAIN, LLP, LTD, ONLINE, PARTNERSHIP, PLC, SOLE, choice_by_kind, pick

LANDLINE, MOBILE, NON_GEOGRAPHIC, NO_PHONE = range(4)
_PHONE_P = {  # by kind: P(landline, mobile, non-geographic, none) of the main number
    SOLE: (0.35, 0.55, 0, 0.1),
    LTD: (0.8, 0.12, 0.03, 0.05),
    PARTNERSHIP: (0.8, 0.15, 0, 0.05),
    LLP: (0.95, 0, 0.05, 0),
    PLC: (0.5, 0, 0.5, 0),
    ONLINE: (0, 0.25, 0.3, 0.45),
    CHAIN: (0.85, 0, 0.15, 0),
}
# Share of local businesses that also have a second number (the other of
# landline and mobile), which some advisers record instead of the main one.
_ALT_P = 0.35

# Ways of writing "01872 123456" as (prefix, drop the trunk 0, separator
# after the area code, space the rest), with their chances.
_FORMATS = (
    ("", False, " ", True),  # 01872 123456
    ("+44 ", True, " ", True),  # +44 1872 123456
    ("(", False, ") ", True),  # (01872) 123456
    ("", False, "", False),  # 01872123456
    ("+44", True, "", False),  # +441872123456
    ("", False, "-", False),  # 01872-123456
)
PHONE_FORMAT_P = (0.45, 0.1, 0.08, 0.27, 0.05, 0.05)

_c = pl.col


def draw_phones(rng: np.random.Generator, kind: np.ndarray, district: np.ndarray) -> pl.DataFrame:
    """Draw each business's main and alternative phone numbers.

    Args:
        rng: Random generator.
        kind: Entity kinds.
        district: District index of each business (gives the area code).

    Returns:
        Frame with phone, phone_alt (national digits, nullable) and
        phone_area_len, phone_alt_area_len (length of the dialling code, used
        to space the number).
    """
    n = len(kind)
    area = pick(tuple(d.area_code for d in vocab.DISTRICTS), district)
    # Eight random digits starting 2-9, cut so that landlines have 11 digits.
    digits = pl.Series(rng.integers(20_000_000, 100_000_000, n)).cast(pl.String)
    main = choice_by_kind(rng, kind, _PHONE_P)
    local = np.isin(kind, (SOLE, LTD, PARTNERSHIP)) & np.isin(main, (LANDLINE, MOBILE))
    df = pl.DataFrame(
        {
            "main": main,
            "alt": local & (rng.random(n) < _ALT_P),
            "area": area,
            "landline": area + digits.str.slice(0, 11 - area.str.len_chars()),
            "mobile": "07" + pl.Series(rng.integers(400_000_000, 1_000_000_000, n)).cast(pl.String),
            "non_geo": pick(("0330", "0345", "0800"), rng.integers(0, 3, n)) + digits.str.slice(0, 7),
        }
    )
    is_landline = _c("main") == LANDLINE
    return df.select(
        phone=pl.when(is_landline)
        .then("landline")
        .when(_c("main") == MOBILE)
        .then("mobile")
        .when(_c("main") == NON_GEOGRAPHIC)
        .then("non_geo"),
        # "07700 900123" and "0330 123 4567" are spaced like 5- and 4-digit codes.
        phone_area_len=pl.when(is_landline)
        .then(_c("area").str.len_chars())
        .when(_c("main") == MOBILE)
        .then(pl.lit(5))
        .otherwise(pl.lit(4))
        .cast(pl.Int32),
        phone_alt=pl.when("alt").then(pl.when(is_landline).then("mobile").otherwise("landline")),
        phone_alt_area_len=pl.when(is_landline)
        .then(pl.lit(5))
        .otherwise(_c("area").str.len_chars())
        .cast(pl.Int32),
    )


def format_phone(digits: pl.Expr, area_len: pl.Expr, fmt: pl.Expr) -> pl.Expr:
    """Write national phone digits in one of the formats of ``PHONE_FORMAT_P``.

    Args:
        digits: National number, digits only ("01872123456").
        area_len: Length of its dialling code (5 for "01872").
        fmt: Format index per row.

    Returns:
        Expression of the written number ("(01872) 123456", "+44 1872 123456").
    """
    area = digits.str.slice(0, area_len)
    rest = digits.str.slice(area_len)
    rest_len = rest.str.len_chars()
    # "020 7946 0123", "0113 496 0123", "01872 123456".
    grouped = (
        pl.when(rest_len == 8)
        .then(pl.concat_str([rest.str.slice(0, 4), rest.str.slice(4)], separator=" "))
        .when(rest_len == 7)
        .then(pl.concat_str([rest.str.slice(0, 3), rest.str.slice(3)], separator=" "))
        .otherwise(rest)
    )
    prefix, international, separator, spaced = zip(*_FORMATS, strict=True)
    return pl.concat_str(
        [
            fmt.replace_strict(dict(enumerate(prefix)), return_dtype=pl.String),
            pl.when(fmt.is_in(_indices(international))).then(area.str.slice(1)).otherwise(area),
            fmt.replace_strict(dict(enumerate(separator)), return_dtype=pl.String),
            pl.when(fmt.is_in(_indices(spaced))).then(grouped).otherwise(rest),
        ]
    )


def _indices(flags: tuple[bool, ...]) -> list[int]:
    """Positions of the true flags."""
    return [i for i, flag in enumerate(flags) if flag]
