"""Canonical addresses and postcodes of the synthetic businesses.

An address is kept as parts (unit, building, house, street, locality, town,
county) so that record corruption can abbreviate, drop or reorder them the
way advisers do. Members of a hard-negative group share street, town and full
postcode and differ only in unit or house number.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dedup.synth import vocab
from dedup.synth.common import (
    CHAIN,
    LLP,
    LTD,
    NEIGHBOUR_GROUP,
    NO_GROUP,
    ONLINE,
    PARTNERSHIP,
    PLC,
    SOLE,
    UNIT_GROUP,
    Groups,
    choice_by_kind,
    pick,
)

# Address styles.
STREET, PARK, FLAT, RETAIL, NO_ADDRESS = range(5)
_STYLE_P = {  # by kind: P(street, park, flat, retail, none)
    SOLE: (0.87, 0.05, 0.08, 0, 0),
    LTD: (0.7, 0.3, 0, 0, 0),
    PARTNERSHIP: (0.85, 0.15, 0, 0, 0),
    LLP: (0.9, 0.1, 0, 0, 0),
    PLC: (0.6, 0.4, 0, 0, 0),
    ONLINE: (0, 0, 0, 0, 1),
    CHAIN: (0.5, 0, 0, 0.5, 0),
}
# Share of chain branches placed in the town of another branch of the brand.
_SECOND_BRANCH_P = 0.12
# Share of online sellers that give a (registered office) postcode.
_ONLINE_POSTCODE_P = 0.2

_c = pl.col


def _district_weights() -> np.ndarray:
    """Sampling weights of the postcode districts (rough population)."""
    w = np.array([d.weight for d in vocab.DISTRICTS])
    return w / w.sum()


def _second_branch_in_town(
    rng: np.random.Generator, kind: np.ndarray, brand: np.ndarray, district: np.ndarray
) -> np.ndarray:
    """Move some chain branches into the district of another branch of the brand.

    Big chains often have two branches in one town (a high-street shop and a
    retail-park store); they still differ in street and inward code.

    Args:
        rng: Random generator.
        kind: Entity kinds.
        brand: Chain brand index per entity (ignored for non-chains).
        district: Independently drawn district per entity.

    Returns:
        A copy of ``district`` with some branches moved.
    """
    chain_idx = np.flatnonzero(kind == CHAIN)
    # In brand order, a branch's predecessor is another branch of the same
    # brand unless it is the brand's first.
    ordered = chain_idx[np.argsort(brand[chain_idx], kind="stable")]
    move = (brand[ordered[1:]] == brand[ordered[:-1]]) & (
        rng.random(max(len(ordered) - 1, 0)) < _SECOND_BRANCH_P
    )
    district = district.copy()
    district[ordered[1:][move]] = district[ordered[:-1][move]]
    return district


def _streets_of_postcodes(a: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Street name, street type and locality of each postcode.

    A real postcode covers part of one street, so businesses that share a
    postcode (by chance, or as neighbours) share the street too. Each
    postcode's street is a fixed function of the postcode: a multiplicative
    hash turned into a Zipf-weighted vocabulary position.

    Args:
        a: Drawn arrays with district, inward_digit, inward_a and inward_b.

    Returns:
        Arrays street, street_type and locality (vocabulary positions).
    """
    n_letters = len(vocab.INWARD_LETTERS)
    key = ((a["district"] * 10 + a["inward_digit"]) * n_letters + a["inward_a"]) * n_letters + a["inward_b"]
    out = {}
    for salt, (name, words, s) in enumerate(
        (
            ("street", vocab.STREET_NAMES, 0.7),
            ("street_type", vocab.STREET_TYPES, 1.0),
            ("locality", vocab.LOCALITIES, 0),
        )
    ):
        mixed = (key.astype(np.uint64) + np.uint64(salt)) * np.uint64(0x9E3779B97F4A7C15)
        uniform = (mixed >> np.uint64(11)).astype(np.float64) / 2.0**53
        cdf = np.cumsum(vocab.zipf_weights(len(words), s))
        out[name] = np.minimum(np.searchsorted(cdf, uniform, side="right"), len(words) - 1)
    return out


def _draw_styles(rng: np.random.Generator, kind: np.ndarray, groups: Groups) -> np.ndarray:
    """Draw the address style of each entity.

    Unit groups live in a business park or a house split into flats; neighbour
    groups have plain street addresses; followers take the leader's style.
    """
    n = len(kind)
    style = choice_by_kind(rng, kind, _STYLE_P)
    group_style = np.where(groups.kind == UNIT_GROUP, np.where(rng.random(n) < 0.7, PARK, FLAT), STREET)
    style = np.where(groups.kind != NO_GROUP, group_style, style).astype(np.int8)
    return groups.copy_from_leader(style, groups.follower)


def draw_geography(
    rng: np.random.Generator, kind: np.ndarray, brand: np.ndarray, groups: Groups
) -> pl.DataFrame:
    """Draw the canonical address parts and postcode of each entity.

    Args:
        rng: Random generator.
        kind: Entity kinds.
        brand: Chain brand index per entity.
        groups: Hard-negative groups (members share street and postcode).

    Returns:
        Frame with district (index into ``vocab.DISTRICTS``), unit, building,
        house, street_name, street_type, street_abbr, locality, town, county
        and postcode (null for online sellers without one).
    """
    n = len(kind)
    style = _draw_styles(rng, kind, groups)
    district = rng.choice(len(vocab.DISTRICTS), size=n, p=_district_weights())
    n_letters = len(vocab.INWARD_LETTERS)
    drawn = {
        "district": _second_branch_in_town(rng, kind, brand, district),
        "inward_digit": rng.integers(0, 10, n),
        "inward_a": rng.integers(0, n_letters, n),
        "inward_b": rng.integers(0, n_letters, n),
        "has_locality": rng.random(n) < 0.5,
        "has_county": rng.random(n) < 0.85,
        "park_place": rng.integers(0, len(vocab.PARK_PLACES), n),
        "park_type": rng.integers(0, len(vocab.PARK_TYPES), n),
        "retail_type": rng.integers(0, len(vocab.RETAIL_TYPES), n),
        # Small house numbers are far more common than large ones.
        "house": np.minimum(rng.geometric(1 / 40, n), 400),
        "house_letter": rng.random(n) < 0.04,
        "unit": rng.integers(1, np.where(style == FLAT, 9, 41)),
    }
    a = {k: groups.copy_from_leader(v, groups.follower) for k, v in drawn.items()}
    a.update(_streets_of_postcodes(a))
    offsets = groups.distinct_offsets(rng)
    a["unit"] = a["unit"] + np.where(groups.kind == UNIT_GROUP, offsets, 0)
    a["house"] = a["house"] + np.where(groups.kind == NEIGHBOUR_GROUP, offsets, 0)
    a["house_letter"] &= groups.kind != NEIGHBOUR_GROUP
    has_postcode = (kind != ONLINE) | (rng.random(n) < _ONLINE_POSTCODE_P)
    return _render(style, has_postcode, a)


def _render(style: np.ndarray, has_postcode: np.ndarray, a: dict[str, np.ndarray]) -> pl.DataFrame:
    """Turn drawn address indices into canonical address strings.

    Args:
        style: Address style per entity.
        has_postcode: Whether the entity has a postcode at all.
        a: Drawn (and group-shared) arrays from :func:`draw_geography`.

    Returns:
        The frame described in :func:`draw_geography`.
    """
    districts = vocab.DISTRICTS
    letters = tuple(vocab.INWARD_LETTERS)
    park_place = pick(vocab.PARK_PLACES, a["park_place"])
    df = pl.DataFrame(
        {
            "style": style,
            "district": a["district"],
            "has_postcode": has_postcode,
            "outward": pick(tuple(d.outward for d in districts), a["district"]),
            "inward": pl.Series(a["inward_digit"]).cast(pl.String)
            + pick(letters, a["inward_a"])
            + pick(letters, a["inward_b"]),
            "town": pick(tuple(d.town for d in districts), a["district"]),
            "county": pick(tuple(d.county for d in districts), a["district"]),
            "street_name": pick(vocab.STREET_NAMES, a["street"]),
            "street_type": pick(tuple(t[0] for t in vocab.STREET_TYPES), a["street_type"]),
            "street_abbr": pick(tuple(t[1] for t in vocab.STREET_TYPES), a["street_type"]),
            "locality": pick(vocab.LOCALITIES, a["locality"]),
            "park": park_place + " " + pick(vocab.PARK_TYPES, a["park_type"]),
            "retail": park_place + " " + pick(vocab.RETAIL_TYPES, a["retail_type"]),
            "house_no": pl.Series(a["house"]).cast(pl.String),
            "house_letter": a["house_letter"],
            "unit_no": pl.Series(a["unit"]).cast(pl.String),
            "has_locality": a["has_locality"],
            "has_county": a["has_county"],
        }
    )
    addressed = _c("style") != NO_ADDRESS
    in_building = _c("style").is_in([PARK, RETAIL])
    return df.select(
        "district",
        unit=pl.when(in_building)
        .then(pl.format("Unit {}", "unit_no"))
        .when(_c("style") == FLAT)
        .then(pl.format("Flat {}", "unit_no")),
        building=pl.when(_c("style") == PARK).then("park").when(_c("style") == RETAIL).then("retail"),
        # Units on an estate or in a shopping centre have no house number.
        house=pl.when(addressed & ~in_building).then(
            pl.concat_str(["house_no", pl.when("house_letter").then(pl.lit("A"))], ignore_nulls=True)
        ),
        street_name=pl.when(addressed).then("street_name"),
        street_type=pl.when(addressed).then("street_type"),
        street_abbr=pl.when(addressed).then("street_abbr"),
        locality=pl.when(addressed & _c("has_locality")).then("locality"),
        town=pl.when(addressed).then("town"),
        county=pl.when(addressed & _c("has_county")).then("county"),
        postcode=pl.when("has_postcode").then(pl.format("{} {}", "outward", "inward")),
    )
