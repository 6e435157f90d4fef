"""Canonical business names, owners, goods codes and websites.

A name is kept as parts ``[The] head [tail] [legal]`` ("Bright Spark" +
"Electrical" + "Ltd"), so record corruption can vary the legal form, toggle
"The" or drop the trade word, and so that neighbours can share a head with a
different trade ("Mabel's Boutique" next to "Mabel's Cat Grooming Parlour").
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl

from dedup.synth import vocab
from dedup.synth.common import (
    CHAIN,
    KINDS,
    LLP,
    LTD,
    NEIGHBOUR_GROUP,
    ONLINE,
    PARTNERSHIP,
    PLC,
    SOLE,
    UNIT_GROUP,
    Groups,
    pick,
    pick_weighted,
    where,
    zipf_choice,
)

_c = pl.col


class _Template(NamedTuple):
    """A business-name pattern ``[The] head [tail]`` over name-part columns."""

    kind: int
    weight: float
    head: pl.Expr
    tail: pl.Expr | None
    the: bool = False
    shareable: bool = True  # may a neighbour reuse the head with another trade


_TEMPLATES = (
    _Template(SOLE, 0.22, pl.format("{} {}", "first", "surname"), _c("trade")),  # John Smith Roofing
    _Template(SOLE, 0.12, pl.format("{}. {}", _c("first").str.slice(0, 1), "surname"), _c("trade")),
    _Template(SOLE, 0.24, _c("surname"), _c("trade")),  # Smith Roofing
    _Template(SOLE, 0.12, pl.format("{}'s", "first"), _c("trade")),  # Mabel's Boutique
    _Template(SOLE, 0.08, pl.format("{} & Sons", "surname"), _c("trade")),
    _Template(
        SOLE, 0.06, pl.format("{} the {}", "first", "person"), None, shareable=False
    ),  # Dave the Plumber
    _Template(SOLE, 0.04, pl.format("{} & Co", "surname"), None, shareable=False),
    _Template(SOLE, 0.12, _c("town"), _c("trade")),  # Truro Roofing
    _Template(LTD, 0.30, _c("place"), _c("trade")),  # Bright Spark Electrical Ltd
    _Template(LTD, 0.15, _c("town"), _c("trade")),
    _Template(LTD, 0.20, _c("surname"), _c("trade")),
    _Template(LTD, 0.08, pl.format("{} & {}", "surname", "surname2"), _c("trade")),
    _Template(
        LTD, 0.05, _c("trade"), pl.lit("Company"), the=True, shareable=False
    ),  # The Kitchen Company Ltd
    _Template(LTD, 0.12, _c("initials"), _c("trade")),  # JB Roofing Ltd
    _Template(LTD, 0.10, pl.format("{}'s", "first"), _c("trade")),
    _Template(PARTNERSHIP, 0.6, pl.format("{} & {}", "surname", "surname2"), _c("trade")),
    _Template(PARTNERSHIP, 0.4, pl.format("{} Brothers", "surname"), _c("trade")),
    _Template(LLP, 0.5, pl.format("{} {}", "surname", "surname2"), _c("llp_trade")),
    _Template(LLP, 0.5, pl.format("{} & {}", "surname", "surname2"), _c("llp_trade")),
    _Template(PLC, 1.0, _c("place"), _c("plc_trade")),
    # Online sellers' names come from a small vocabulary, so many shops share a name; the
    # place and surname templates keep exact collisions between different sellers rare.
    _Template(ONLINE, 0.25, pl.format("{}{}", "noun", "suffix"), None),  # GadgetHub
    _Template(ONLINE, 0.15, _c("noun"), _c("suffix")),  # Vape Direct
    _Template(ONLINE, 0.05, _c("noun"), _c("suffix"), the=True),  # The Sneaker Store
    _Template(ONLINE, 0.35, pl.format("{} {}", "place", "noun"), _c("suffix")),  # Apex Tech Zone
    _Template(ONLINE, 0.20, pl.format("{} {}", "surname", "noun"), _c("suffix")),  # Patel Phone Shop
    _Template(CHAIN, 1.0, _c("brand"), None),
)

_LLP_TRADES = ("Estate Agents", "Lettings", "Surveyors", "Property Management", "Accountants")
_PLC_TRADES = ("Group", "Holdings", "Homes", "Energy", "Motor Group", "Retail")
_TLDS = (".co.uk", ".com", ".uk", ".net")
_TLD_P = (0.6, 0.25, 0.1, 0.05)
# Chance that a business of each kind (in KINDS order) has a website.
_WEBSITE_P = np.array([0.2, 0.55, 0.4, 0.9, 1.0, 0.95, 1.0])
# Chance that a unit-group follower reuses the leader's name stem (else,
# maybe its trade), and that a neighbour does.
_UNIT_SHARE_STEM_P = 0.25
_UNIT_SHARE_TRADE_P = 0.35
_NEIGHBOUR_SHARE_STEM_P = 0.7


def _draw_templates(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Draw a name template (index into ``_TEMPLATES``) for each entity."""
    template = np.zeros(len(kind), dtype=np.int16)
    for k in range(len(KINDS)):
        ids = np.array([i for i, t in enumerate(_TEMPLATES) if t.kind == k])
        w = np.array([_TEMPLATES[i].weight for i in ids])
        sel = kind == k
        template[sel] = ids[rng.choice(len(ids), size=int(sel.sum()), p=w / w.sum())]
    return template


def draw_name_parts(
    rng: np.random.Generator,
    kind: np.ndarray,
    brand: np.ndarray,
    brands: tuple[tuple[str, str, str], ...],
    groups: Groups,
    town: pl.Series,
) -> pl.DataFrame:
    """Draw the vocabulary parts that the name templates combine.

    Args:
        rng: Random generator.
        kind: Entity kinds.
        brand: Chain brand index per entity.
        brands: Chain brands as (name, goods code, website).
        groups: Hard-negative groups (members may share a name stem or trade).
        town: Post town of each entity (for "Truro Roofing" style names).

    Returns:
        Frame of name-part strings plus template, trade_idx and noun_idx
        columns and the chain brand's name, goods code and website.
    """
    n = len(kind)
    template = _draw_templates(rng, kind)
    stem = {
        "first": zipf_choice(rng, len(vocab.FIRST_NAMES), n, 0.7),
        "surname": zipf_choice(rng, len(vocab.SURNAMES), n, 1.0),
        "surname2": zipf_choice(rng, len(vocab.SURNAMES), n, 1.0),
        "place": zipf_choice(rng, len(vocab.PLACE_WORDS), n, 0.5),
        "initials": rng.integers(0, 26 * 26, n),
    }
    trade = zipf_choice(rng, len(vocab.TRADES), n, 0.8)

    # Group followers may reuse the leader's stem with another trade, or
    # (unit groups) keep their own stem but share the leader's trade.
    shareable = np.array([t.shareable for t in _TEMPLATES])[template[groups.leader]]
    roll = rng.random(n)
    stem_p = np.where(groups.kind == NEIGHBOUR_GROUP, _NEIGHBOUR_SHARE_STEM_P, _UNIT_SHARE_STEM_P)
    share_stem = groups.follower & shareable & (roll < stem_p)
    share_trade = (
        groups.follower & (groups.kind == UNIT_GROUP) & ~share_stem & (roll > 1 - _UNIT_SHARE_TRADE_P)
    )
    template = groups.copy_from_leader(template, share_stem)
    stem = {k: groups.copy_from_leader(v, share_stem) for k, v in stem.items()}
    other_trade = (trade[groups.leader] + rng.integers(1, len(vocab.TRADES), n)) % len(vocab.TRADES)
    trade = np.where(share_stem, other_trade, groups.copy_from_leader(trade, share_trade))

    alphabet = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    noun = rng.integers(0, len(vocab.ONLINE_NOUNS), n)
    return pl.DataFrame(
        {
            "template": template,
            "trade_idx": trade,
            "noun_idx": noun,
            "first": pick(vocab.FIRST_NAMES, stem["first"]),
            "surname": pick(vocab.SURNAMES, stem["surname"]),
            "surname2": pick(vocab.SURNAMES, stem["surname2"]),
            "place": pick(vocab.PLACE_WORDS, stem["place"]),
            "initials": pick(alphabet, stem["initials"] // 26) + pick(alphabet, stem["initials"] % 26),
            "town": town,
            "trade": pick(tuple(t[0] for t in vocab.TRADES), trade),
            "person": pick(vocab.TRADESPEOPLE, rng.integers(0, len(vocab.TRADESPEOPLE), n)),
            "llp_trade": pick(_LLP_TRADES, rng.integers(0, len(_LLP_TRADES), n)),
            "plc_trade": pick(_PLC_TRADES, rng.integers(0, len(_PLC_TRADES), n)),
            "noun": pick(tuple(x[0] for x in vocab.ONLINE_NOUNS), noun),
            "suffix": pick(vocab.ONLINE_SUFFIXES, zipf_choice(rng, len(vocab.ONLINE_SUFFIXES), n, 0.8)),
            "brand": pick(tuple(b[0] for b in brands), brand),
            "brand_code": pick(tuple(b[1] for b in brands), brand),
            "brand_site": pick(tuple(b[2] for b in brands), brand),
        }
    )


def _heads_and_tails(parts: pl.DataFrame) -> pl.DataFrame:
    """Evaluate each row's template into its head and tail.

    Each template runs on its own rows only: one ``when`` chain over all
    templates would build every template's strings for every row.

    Args:
        parts: Output of :func:`draw_name_parts`.

    Returns:
        Frame of head and tail columns, in the row order of ``parts``.
    """
    indexed = parts.with_row_index("row")
    pieces = [
        indexed.filter(_c("template") == i).select(
            "row", head=t.head, tail=pl.lit(None, pl.String) if t.tail is None else t.tail
        )
        for i, t in enumerate(_TEMPLATES)
    ]
    return pl.concat(pieces).sort("row").drop("row")


def _legal_forms(rng: np.random.Generator, kind: np.ndarray) -> pl.Series:
    """Draw the canonical legal suffix (null when the name carries none)."""
    r = pl.Series(rng.random(len(kind)))
    k = pl.Series(kind)
    return (
        pl.select(
            pl.when(k == LTD)
            .then(pl.when(r < 0.7).then(pl.lit("Ltd")).otherwise(pl.lit("Limited")))
            .when(k == LLP)
            .then(pl.lit("LLP"))
            .when(k == PLC)
            .then(pl.lit("PLC"))
            .when((k == ONLINE) & (r < 0.45))
            .then(pl.lit("Ltd"))
        )
        .to_series()
        .rename("legal")
    )


def _goods_codes(kind: np.ndarray, parts: pl.DataFrame) -> pl.Series:
    """The goods code most complaints about each business are filed under."""
    by_trade = pick(tuple(t[1] for t in vocab.TRADES), parts["trade_idx"].to_numpy())
    by_noun = pick(tuple(x[1] for x in vocab.ONLINE_NOUNS), parts["noun_idx"].to_numpy())
    return where(kind == CHAIN, parts["brand_code"], where(kind == ONLINE, by_noun, by_trade))


def name_slug(name: pl.Expr, separator: str = "") -> pl.Expr:
    """A name as the first label of a web address: "Smith & Sons" -> "smithandsons" (or with
    ``separator`` between words: "smith-and-sons")."""
    words = name.str.to_lowercase().str.replace_all("&", " and ", literal=True)
    return words.str.replace_all(r"[^a-z0-9 ]", "").str.strip_chars().str.replace_all(r" +", separator)


def render_names(rng: np.random.Generator, kind: np.ndarray, parts: pl.DataFrame) -> pl.DataFrame:
    """Combine name parts into canonical name parts, owner, goods code and website.

    Args:
        rng: Random generator.
        kind: Entity kinds.
        parts: Output of :func:`draw_name_parts`.

    Returns:
        Frame with the (bool), head, tail, legal, owner, goods_code and domain
        (website host such as "brightsparkelectrical.co.uk"; null if none).
    """
    n = len(kind)
    names = parts.with_columns(
        kind=pl.Series(kind),
        the=pl.Series(np.array([t.the for t in _TEMPLATES])[parts["template"].to_numpy()]),
        tld=pick_weighted(rng, _TLDS, _TLD_P, n),
        has_site=pl.Series(rng.random(n) < _WEBSITE_P[kind]),
    ).hstack(_heads_and_tails(parts))
    slug = name_slug(pl.concat_str([pl.when("the").then(pl.lit("the")), "head", "tail"], ignore_nulls=True))
    return names.select(
        "the",
        "head",
        "tail",
        legal=_legal_forms(rng, kind),
        # The person behind a sole trader or partnership, for "t/a" forms.
        owner=pl.when(_c("kind").is_in([SOLE, PARTNERSHIP])).then(pl.format("{} {}", "first", "surname")),
        goods_code=_goods_codes(kind, parts),
        # All branches of a chain share the brand's website.
        domain=pl.when(_c("kind") == CHAIN).then("brand_site").when("has_site").then(slug + _c("tld")),
    )
