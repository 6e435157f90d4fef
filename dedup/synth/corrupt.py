"""Render trader records from canonical entity parts, with adviser-style errors.

Every corruption is an independent coin flip per record, so several can
stack. Duplicate records get the full rates; an entity's first record gets
a quarter of them (the first adviser also typed it by hand, but was not
rushing past a record they failed to find).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dedup.synth import vocab
from dedup.synth.phones import PHONE_FORMAT_P, format_phone
from dedup.synth.typos import (
    ABBREVIATIONS,
    NAME_SLIPS,
    PHONE_SLIPS,
    POSTCODE_SLIPS,
    SlipDraws,
    SlipModel,
    apply_rules,
    slip,
)

_ORIGINAL_INTENSITY = 0.25
_c = pl.col

_LEGAL_VARIANTS = (  # canonical forms -> forms advisers type (None: left off)
    (("Ltd", "Limited"), ("Ltd", "Ltd.", "Limited", "LTD", "ltd", None)),
    (("PLC",), ("PLC", "plc", "Plc", "P.L.C.", None)),
    (("LLP",), ("LLP", "L.L.P.", None)),
)
_ADDED_LEGAL = ("Ltd", "Limited", "Ltd.", "LTD")
_WEBSITE_FORMATS = (  # (prefix, suffix) around the host
    ("www.", ""), ("", ""), ("http://", "/"), ("https://www.", "/"), ("https://", ""),
    ("https://www.", "/contact"), ("WWW.", ""), ("http://www.", "/index.html"),
)  # fmt: skip
_WEBSITE_FORMAT_P = (0.35, 0.15, 0.1, 0.15, 0.08, 0.08, 0.04, 0.05)


class Dice:
    """Per-record random draws; corruption chances scale with record intensity.

    Args:
        rng: Random generator.
        is_original: True for each entity's first record.
    """

    def __init__(self, rng: np.random.Generator, is_original: np.ndarray) -> None:
        self.rng = rng
        self.n = len(is_original)
        self.intensity = np.where(is_original, _ORIGINAL_INTENSITY, 1.0)

    def flag(self, p: float) -> pl.Series:
        """A per-record coin that lands true with chance ``p`` times the intensity."""
        return pl.Series(self.rng.random(self.n) < p * self.intensity)

    def scaled(self) -> pl.Series:
        """Uniform floats divided by the intensity.

        ``scaled() < p`` holds with chance ``p`` times the intensity, so one
        draw can pick among several corruptions (e.g. UPPER / lower / Title).
        """
        return pl.Series(self.rng.random(self.n) / self.intensity)

    def uniform(self, size: int | None = None) -> pl.Series:
        """Uniform floats in [0, 1), not scaled: one per record, or ``size``."""
        return pl.Series(self.rng.random(self.n if size is None else size))

    def index(self, p: tuple[float, ...], size: int | None = None) -> pl.Series:
        """Option indices drawn with probabilities ``p``: one per record, or ``size``."""
        return pl.Series(self.rng.choice(len(p), size=self.n if size is None else size, p=p).astype(np.int8))


def _step(df: pl.DataFrame, draws: dict[str, pl.Series], column: str, expr: pl.Expr) -> pl.DataFrame:
    """Set ``column`` to ``expr``, evaluated with ``draws`` as temporary columns.

    Each corruption is one step over materialised columns: nesting the
    steps as one expression would repeat every earlier step in each later
    one that refers to the value more than once.
    """
    return df.with_columns(**draws).with_columns(expr.alias(column)).drop(list(draws))


def _pick(options: tuple[str | None, ...], r: pl.Expr) -> pl.Expr:
    """Choose one of ``options`` uniformly by the uniform float ``r``."""
    expr = pl.when(r < 1 / len(options)).then(pl.lit(options[0], pl.String))
    for i, option in enumerate(options[1:], start=2):
        expr = expr.when(r < i / len(options)).then(pl.lit(option, pl.String))
    return expr


def with_typo(df: pl.DataFrame, column: str, dice: Dice, p: float, model: SlipModel) -> pl.DataFrame:
    """Give ``column`` one slip (:mod:`dedup.synth.typos`) with chance ``p``.

    Values under 4 characters are left alone. Only the hit rows are worked on, as slips are
    string surgery and most rows have none.

    Args:
        df: Frame holding ``column``.
        column: Name of a String column.
        dice: Per-record random draws.
        p: Chance of a slip (times the record intensity).
        model: How the field is mistyped.

    Returns:
        ``df`` with ``column`` updated.
    """
    values = df[column]
    long_enough = (values.str.len_chars() >= 4).fill_null(False).to_numpy()
    rows = np.flatnonzero(dice.flag(p).to_numpy() & long_enough)
    draws = SlipDraws.draw(dice.rng, dice.n, model)  # for every record: see SlipDraws
    typed = slip(values.gather(rows), model, draws.take(rows))
    return df.with_columns(values.clone().scatter(rows, typed))


def _abbreviate(df: pl.DataFrame, column: str, dice: Dice, p: float) -> pl.DataFrame:
    """Shorten one trade word of ``column`` ("Maint", "Bros") with chance ``p``, where it has one."""
    values = df[column]
    rows = np.flatnonzero(dice.flag(p).to_numpy() & values.is_not_null().to_numpy())
    keys = dice.rng.integers(0, 2**63, dice.n, dtype=np.uint64)  # for every record: see SlipDraws
    short, _ = apply_rules(values.gather(rows), ABBREVIATIONS, keys[rows])
    return df.with_columns(values.clone().scatter(rows, short))


def _change_case(
    df: pl.DataFrame, column: str, dice: Dice, upper: float, lower: float, title: float
) -> pl.DataFrame:
    """Write ``column`` in UPPER, lower or Title case with the given chances."""
    s, r = _c(column), _c("_r")
    expr = (
        pl.when(r < upper)
        .then(s.str.to_uppercase())
        .when(r < upper + lower)
        .then(s.str.to_lowercase())
        .when(r < upper + lower + title)
        .then(s.str.to_titlecase())
        .otherwise(s)
    )
    return _step(df, {"_r": dice.scaled()}, column, expr)


def _typed_legal() -> pl.Expr:
    """The legal suffix as typed: Ltd / Ltd. / Limited / LTD / dropped / added."""
    legal, r = _c("legal"), _c("_r")
    variant = pl.when(legal.is_in(_LEGAL_VARIANTS[0][0])).then(_pick(_LEGAL_VARIANTS[0][1], r))
    for canonical, typed in _LEGAL_VARIANTS[1:]:
        variant = variant.when(legal.is_in(canonical)).then(_pick(typed, r))
    return (
        pl.when(legal.is_null())
        .then(pl.when("_add_legal").then(_pick(_ADDED_LEGAL, r)))
        .when("_vary_legal")
        .then(variant)
        .otherwise(legal)
    )


def _render_name(df: pl.DataFrame, dice: Dice) -> pl.DataFrame:
    """Add the trader name as an adviser typed it, from the entity name parts."""
    # Drop the trade word only when the head can stand alone ("John Smith").
    parts = [
        pl.when(_c("the") ^ _c("_flip_the")).then(pl.lit("The")),
        "head",
        pl.when(~(_c("_drop_tail") & _c("head").str.contains(" ", literal=True))).then("tail"),
        _typed_legal(),
    ]
    draws = {
        "_r": dice.uniform(),
        "_vary_legal": dice.flag(0.35),
        "_add_legal": dice.flag(0.1),
        "_drop_tail": dice.flag(0.05),
        "_flip_the": dice.flag(0.08),
    }
    df = _step(df, draws, "name", pl.concat_str(parts, separator=" ", ignore_nulls=True))

    name, owner, r = _c("name"), _c("owner"), _c("_r")
    trading_as = (
        pl.when(r < 0.35)
        .then(pl.format("{} t/a {}", owner, name))
        .when(r < 0.6)
        .then(pl.format("{} ({})", name, owner))
        .when(r < 0.8)
        .then(pl.format("{} trading as {}", owner, name))
        .otherwise(pl.format("{} T/A {}", owner, name))
    )
    applies = _c("_t_a") & owner.is_not_null() & ~name.str.starts_with(owner.fill_null(""))
    df = _step(
        df,
        {"_r": dice.uniform(), "_t_a": dice.flag(0.15)},
        "name",
        pl.when(applies).then(trading_as).otherwise(name),
    )

    ampersand = (
        pl.when(_c("_to_and"))
        .then(name.str.replace_all(" & ", " and ", literal=True))
        .when(_c("_to_amp"))
        .then(name.str.replace_all(" and ", " & ", literal=True))
        .otherwise(name)
    )
    df = _step(df, {"_to_and": dice.flag(0.3), "_to_amp": dice.flag(0.05)}, "name", ampersand)
    apostrophe = (
        pl.when(_c("_drop"))
        .then(name.str.replace_all("'", "", literal=True))  # "Mabels Boutique"
        .when(_c("_curly"))
        .then(name.str.replace_all("'", "\u2019", literal=True))  # pasted from a website
        .otherwise(name)
    )
    df = _step(df, {"_drop": dice.flag(0.4), "_curly": dice.flag(0.05)}, "name", apostrophe)
    df = _abbreviate(df, "name", dice, 0.08)
    df = with_typo(df, "name", dice, 0.22, NAME_SLIPS)
    df = with_typo(df, "name", dice, 0.05, NAME_SLIPS)  # a second one
    spaced = pl.when("_space").then(name.str.replace(" ", "  ", literal=True) + " ").otherwise(name)
    df = _step(df, {"_space": dice.flag(0.04)}, "name", spaced)
    return _change_case(df, "name", dice, upper=0.12, lower=0.04, title=0.05)


def _render_postcode(df: pl.DataFrame, dice: Dice) -> pl.DataFrame:
    """Replace the canonical postcode by the postcode as typed.

    Typed postcodes may be mistyped ("TR1 IAU"), lack the space, have extra
    spaces, be lower case, be a placeholder ("N/A", "TBC") or be missing.
    """
    df = with_typo(df, "postcode", dice, 0.05, POSTCODE_SLIPS)
    pc = _c("postcode")
    spacing = (
        pl.when("_no_space")
        .then(pc.str.replace(" ", "", literal=True))
        .when("_extra_space")
        .then(pl.concat_str([pl.lit(" "), pc.str.replace(" ", "  ", literal=True), pl.lit(" ")]))
        .otherwise(pc)
    )
    df = _step(df, {"_no_space": dice.flag(0.15), "_extra_space": dice.flag(0.05)}, "postcode", spacing)
    df = _change_case(df, "postcode", dice, upper=0, lower=0.1, title=0)
    draws = {"_r": dice.uniform(), "_placeholder": dice.flag(0.03), "_missing": dice.flag(0.1)}
    typed = (
        pl.when("_placeholder")
        .then(_pick(vocab.POSTCODE_PLACEHOLDERS, _c("_r")))
        .when("_missing")
        .then(pl.lit(None, pl.String))
        .otherwise(pc)
    )
    return _step(df, draws, "postcode", typed)


def _render_address(df: pl.DataFrame, dice: Dice) -> pl.DataFrame:
    """Add the address as typed: comma-separated lines (at most 6), or null.

    Lines may be abbreviated (Road / Rd), merged ("Unit 4 Riverside Business
    Park"), dropped (locality, town, county), swapped, or followed by the
    typed postcode; the whole address may be missing or in another case.
    """
    df = with_typo(df, "street_name", dice, 0.1, NAME_SLIPS)
    merge_unit = _c("_merge") & _c("building").is_not_null()
    locality = pl.when(~_c("_no_locality")).then("locality")
    town = pl.when(~(_c("_no_town") & _c("locality").is_not_null())).then("town")
    lines = [
        pl.when(merge_unit).then(pl.format("{} {}", "unit", "building")).otherwise("unit"),
        pl.when(~merge_unit).then("building"),
        pl.concat_str(
            ["house", "street_name", pl.when("_abbreviate").then("street_abbr").otherwise("street_type")],
            separator=" ",
            ignore_nulls=True,
        ),
        pl.when("_swap").then(town).otherwise(locality),
        pl.when("_swap").then(locality).otherwise(town),
        pl.when(~_c("_no_county")).then("county"),
    ]
    n_lines = pl.sum_horizontal([line.is_not_null() for line in lines])
    lines.append(pl.when(_c("_add_postcode") & (n_lines < 6)).then("postcode"))
    address = pl.concat_str(lines, separator=", ", ignore_nulls=True)
    draws = {
        "_abbreviate": dice.flag(0.3),
        "_merge": dice.flag(0.3),
        "_swap": dice.flag(0.04),
        "_no_locality": dice.flag(0.25),
        "_no_town": dice.flag(0.05),
        "_no_county": dice.flag(0.3),
        "_add_postcode": dice.flag(0.05),
        "_missing": dice.flag(0.06),
    }
    # Entities without an address (online sellers) have no street.
    present = _c("street_name").is_not_null() & ~_c("_missing")
    df = _step(df, draws, "address", pl.when(present).then(address))
    return _change_case(df, "address", dice, upper=0.08, lower=0.02, title=0)


def _render_phone(df: pl.DataFrame, dice: Dice) -> pl.DataFrame:
    """Replace the phone by the number as typed: main or alternative, any format, or null."""
    use_alt = _c("_alt") & _c("phone_alt").is_not_null()
    df = df.with_columns(_alt=dice.flag(0.2)).with_columns(
        _digits=pl.when(use_alt).then("phone_alt").otherwise("phone"),
        _area_len=pl.when(use_alt).then("phone_alt_area_len").otherwise("phone_area_len"),
    )
    df = with_typo(df, "_digits", dice, 0.03, PHONE_SLIPS)
    typed = pl.when(~_c("_missing")).then(format_phone(_c("_digits"), _c("_area_len"), _c("_fmt")))
    draws = {"_missing": dice.flag(0.3), "_fmt": dice.index(PHONE_FORMAT_P)}
    return _step(df, draws, "phone", typed).drop("_alt", "_digits", "_area_len")


def _render_website(df: pl.DataFrame, dice: Dice) -> pl.DataFrame:
    """Add the website as typed ("www.x.co.uk", "https://x.co.uk/"), or null."""
    fmt = _c("_fmt")
    prefix, suffix = zip(*_WEBSITE_FORMATS, strict=True)
    url = pl.concat_str(
        [
            fmt.replace_strict(dict(enumerate(prefix)), return_dtype=pl.String),
            "domain",
            fmt.replace_strict(dict(enumerate(suffix)), return_dtype=pl.String),
        ]
    )
    # Chain branches often have their store page typed in.
    town_slug = _c("town").str.to_lowercase().str.replace_all(" ", "-", literal=True)
    store = pl.format("https://www.{}/stores/{}", "domain", town_slug)
    typed = (
        pl.when("_missing")
        .then(pl.lit(None, pl.String))
        .when((_c("kind") == "chain") & _c("town").is_not_null() & _c("_store"))
        .then(store)
        .otherwise(url)
    )
    draws = {"_fmt": dice.index(_WEBSITE_FORMAT_P), "_store": dice.flag(0.3), "_missing": dice.flag(0.35)}
    return _step(df, draws, "website", typed)


def render_records(rng: np.random.Generator, records: pl.DataFrame) -> pl.DataFrame:
    """Add the typed fields of every record.

    Args:
        rng: Random generator.
        records: Output of :func:`dedup.synth.records.build_records`.

    Returns:
        ``records`` with name, address, postcode, phone and website as an
        adviser typed them (postcode and phone replace the canonical ones;
        the street_name part may carry a typo).
    """
    dice = Dice(rng, records["is_original"].to_numpy())
    df = _render_name(records, dice)
    df = _render_postcode(df, dice)
    df = _render_address(df, dice)
    df = _render_phone(df, dice)
    return _render_website(df, dice)
