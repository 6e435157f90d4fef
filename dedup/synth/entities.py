"""Real-world businesses ("entities") behind the synthetic trader records.

One row per entity, with its canonical (uncorrupted) name parts, address
parts, postcode, phones and website, and the number of trader records it
will get. :mod:`dedup.synth.records` then copies and corrupts them.

Hard negatives are built in here, because they are facts of the world rather
than of data entry:

* unit groups: 2-4 businesses in one building (same postcode and street,
  different "Unit N" or "Flat N"), sometimes with the same trade or stem;
* neighbour groups: 2-3 businesses on one street (same postcode, house
  numbers n, n+1/n+2), usually with the same name stem and another trade
  ("Mabel's Boutique" next to "Mabel's Cat Grooming Parlour");
* chain branches: one brand, many towns, sometimes two branches in a town;
* common names: vocabularies are Zipf-weighted, so "Smith Roofing" recurs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl

from dedup.synth import vocab
from dedup.synth.common import (
    CHAIN,
    DAY_US,
    KINDS,
    LTD,
    NO_GROUP,
    ONLINE,
    SOLE,
    UNIT_GROUP,
    YEARS,
    Groups,
    choice,
    office_time_us,
    pick,
    zipf_choice,
)
from dedup.synth.geography import draw_geography
from dedup.synth.names import draw_name_parts, render_names
from dedup.synth.phones import draw_phones
from dedup.synth.scenarios import ScenarioPlan, apply_to_entities, plan_scenarios

# Share of each kind (KINDS order) among entities.
_KIND_P = np.array([0.36, 0.38, 0.03, 0.01, 0.005, 0.15, 0.065])
_KIND_P = _KIND_P / _KIND_P.sum()

# Chance that an entity has any duplicate record, by kind. Online sellers
# have no address to search on, so advisers miss them more often; chain
# branches are well known and often whitelisted.
_DUP_P = np.array([0.19, 0.18, 0.18, 0.15, 0.21, 0.26, 0.09])
# Extra records of a duplicated entity: 1 + floor(scale * Lomax(shape)), so
# P(extra >= k) = (1 + (k - 1) / scale) ** -shape: about 55% have one extra
# record, 22% two, 18% three or four, and the tail is heavy enough that a
# 1M-record set has a handful of entities with 50+ records.
_EXTRA_SCALE = 4.0
_EXTRA_SHAPE = 3.6

# Hard-negative groups occupy blocks of 4 consecutive entity slots, so that
# groups never overlap. Chances of a block holding no/unit/neighbour group:
_BLOCK = 4
_GROUP_BLOCK_P = (0.92, 0.05, 0.03)
_UNIT_GROUP_SIZES, _UNIT_GROUP_SIZE_P = (2, 3, 4), (0.5, 0.3, 0.2)
_NEIGHBOUR_GROUP_SIZES, _NEIGHBOUR_GROUP_SIZE_P = (2, 3), (0.65, 0.35)

# Chains: about this many branches per brand on average, brand sizes
# Zipf-distributed with this exponent.
_BRANCHES_PER_BRAND = 200
_BRAND_ZIPF_S = 0.4

# Entities are described (and their records rendered) in slices of this
# many, to bound memory; a multiple of the group block.
ENTITY_CHUNK = 200 * 1024


def _draw_groups(rng: np.random.Generator, n: int) -> Groups:
    """Lay out hard-negative groups over ``n`` entity slots.

    Args:
        rng: Random generator.
        n: Number of entity slots.

    Returns:
        Group kind, leader index and position of every slot.
    """
    n_blocks = n // _BLOCK + 1
    block_kind = rng.choice(3, size=n_blocks, p=_GROUP_BLOCK_P)
    block_size = np.where(
        block_kind == UNIT_GROUP,
        choice(rng, _UNIT_GROUP_SIZES, _UNIT_GROUP_SIZE_P, n_blocks),
        choice(rng, _NEIGHBOUR_GROUP_SIZES, _NEIGHBOUR_GROUP_SIZE_P, n_blocks),
    )
    slot = np.arange(n)
    block, pos = np.divmod(slot, _BLOCK)
    in_group = (block_kind[block] != NO_GROUP) & (pos < block_size[block])
    return Groups(
        kind=np.where(in_group, block_kind[block], NO_GROUP).astype(np.int8),
        leader=np.where(in_group, block * _BLOCK, slot),
        pos=np.where(in_group, pos, 0),
    )


def _draw_kinds(rng: np.random.Generator, groups: Groups) -> np.ndarray:
    """Draw each entity's kind; hard-negative group members are local firms."""
    kind = rng.choice(len(KINDS), size=len(groups.kind), p=_KIND_P).astype(np.int8)
    local = np.where(rng.random(len(kind)) < 0.45, SOLE, LTD).astype(np.int8)
    needs_local = (groups.kind != NO_GROUP) & np.isin(kind, (ONLINE, CHAIN))
    return np.where(needs_local, local, kind)


def _draw_sizes(rng: np.random.Generator, kind: np.ndarray, n_records: int) -> np.ndarray:
    """Draw the number of records of each entity, heavy-tailed.

    Args:
        rng: Random generator.
        kind: Kinds of all candidate entity slots.
        n_records: Total number of records wanted.

    Returns:
        Sizes of the leading entities, adding up to exactly ``n_records``
        (the last one trimmed).

    Raises:
        ValueError: If the candidate slots cannot hold ``n_records`` records.
    """
    # The cap grows with the data so that small sets are not dominated by a
    # single entity while large ones still get entities with hundreds.
    cap = max(9, int(n_records**0.5 / 4))
    extra = np.minimum(
        1 + np.floor(_EXTRA_SCALE * rng.pareto(_EXTRA_SHAPE, size=len(kind))).astype(np.int64), cap
    )
    size = 1 + np.where(rng.random(len(kind)) < _DUP_P[kind], extra, 0)
    total = np.cumsum(size)
    n_entities = int(np.searchsorted(total, n_records)) + 1
    if n_entities > len(size):
        raise ValueError("too few entity slots for the requested number of records")
    size = size[:n_entities]
    size[-1] -= int(total[n_entities - 1]) - n_records
    return size


def _draw_first_created(rng: np.random.Generator, n: int, as_of_us: int) -> np.ndarray:
    """Creation time (epoch microseconds) of each entity's first record.

    The service grows, so first records are skewed towards recent years.
    """
    days_ago = 1 + np.floor(YEARS * 365 * (1 - rng.random(n) ** 0.8)).astype(np.int64)
    return as_of_us - days_ago * DAY_US + office_time_us(rng, n)


class EntityPlan(NamedTuple):
    """Per-entity facts drawn for the whole data set before any text."""

    kind: np.ndarray
    size: np.ndarray  # number of trader records
    groups: Groups
    brand: np.ndarray  # index into brands (meaningful for chains only)
    brands: tuple[tuple[str, str, str], ...]  # (name, goods code, website)
    first_created: np.ndarray  # epoch us of the entity's first record
    scenarios: ScenarioPlan | None = None  # the hard scenarios' entities, when asked for

    def __len__(self) -> int:
        return len(self.size)


def plan_entities(rng: np.random.Generator, n_records: int, as_of_us: int, seed: int = 0,
                  scenarios: tuple[str, ...] = ()) -> EntityPlan:
    """Draw kinds, sizes and hard-negative groups of the entities behind ``n_records`` records.

    Args:
        rng: Random generator.
        n_records: Total number of trader records the entities must produce.
        as_of_us: The as-of date (midnight) in epoch microseconds.
        seed: The seed, for the scenarios' own random stream.
        scenarios: Hard scenarios to lay out (none: no draws are made for them).

    Returns:
        The plan; :func:`describe_entities` turns slices of it into text.
    """
    # The mean entity size is about 1.45, so n/1.2 slots is ample.
    n_slots = int(n_records / 1.2) + 64
    groups = _draw_groups(rng, n_slots)
    kind = _draw_kinds(rng, groups)
    size = _draw_sizes(rng, kind, n_records)
    n = len(size)
    kind = kind[:n]
    # More data, more chains: the biggest keeps a realistic number of branches.
    n_brands = int(np.clip((kind == CHAIN).sum() // _BRANCHES_PER_BRAND, len(vocab.CHAINS), vocab.MAX_CHAINS))
    groups = Groups(*(a[:n] for a in groups))
    return EntityPlan(
        kind=kind,
        size=size,
        groups=groups,
        brand=zipf_choice(rng, n_brands, n, _BRAND_ZIPF_S),
        brands=vocab.chain_brands(n_brands),
        first_created=_draw_first_created(rng, n, as_of_us),
        scenarios=plan_scenarios(seed, scenarios, kind, size, groups.kind != NO_GROUP, ENTITY_CHUNK)
        if scenarios else None,
    )


def _unique_domains(domain: pl.Series, is_chain: np.ndarray, start: int) -> pl.Series:
    """Give every business its own website domain, as the registry does.

    Names built from one vocabulary collide ("gadgethub.co.uk" for two different shops), but a
    registered domain belongs to one business: only a chain's branches share one. The first
    business with a name in the first slice keeps the plain domain; every other non-chain
    business gets its entity number in the first label ("gadgethub48213.co.uk"), which is
    unique across slices.
    """
    frame = pl.DataFrame({"domain": domain, "chain": is_chain,
                          "entity_id": np.arange(start + 1, start + len(domain) + 1, dtype=np.int64)})
    first = pl.int_range(pl.len()).over("domain") == 0
    keep = pl.col("domain").is_null() | pl.col("chain") | (first & (start == 0))
    numbered = pl.concat_str([pl.col("domain").str.extract(r"^([^.]+)"),
                              pl.col("entity_id").cast(pl.String),
                              pl.col("domain").str.extract(r"^[^.]+(\..*)$")])
    return frame.select(pl.when(keep).then("domain").otherwise(numbered).alias("domain"))["domain"]


def describe_entities(rng: np.random.Generator, plan: EntityPlan, start: int, stop: int) -> pl.DataFrame:
    """Draw names, addresses and contacts of entities ``start:stop`` of a plan.

    Working in slices bounds memory for large data sets. ``start`` must be a
    multiple of ``ENTITY_CHUNK`` (itself a multiple of the group block), so
    no hard-negative group straddles two slices.

    Args:
        rng: Random generator.
        plan: Output of :func:`plan_entities`.
        start: First entity position (0-based) of the slice.
        stop: End (exclusive) of the slice.

    Returns:
        One row per entity: entity_id (position + 1), kind, size, group and
        group_leader (entity_id), first_created (epoch us), ts_id (local
        Trading Standards service), name parts (the, head, tail, legal, owner),
        goods_code, domain, address parts (unit, building, house,
        street_name, street_type, street_abbr, locality, town, county),
        postcode and phones (phone, phone_area_len, phone_alt,
        phone_alt_area_len).
    """
    part = slice(start, stop)
    kind, brand = plan.kind[part], plan.brand[part]
    groups = Groups(plan.groups.kind[part], plan.groups.leader[part] - start, plan.groups.pos[part])
    geo = draw_geography(rng, kind, brand, groups)
    district = geo["district"].to_numpy()
    parts = draw_name_parts(rng, kind, brand, plan.brands, groups, geo["town"])
    names = render_names(rng, kind, parts)
    names = names.with_columns(domain=_unique_domains(names["domain"], kind == CHAIN, start))
    ids = pl.DataFrame(
        {
            "entity_id": np.arange(start + 1, stop + 1, dtype=np.int64),
            "kind": pick(KINDS, kind),
            "size": plan.size[part].astype(np.int64),
            "group": groups.kind,
            "group_leader": groups.leader.astype(np.int64) + start + 1,
            "first_created": plan.first_created[part],
            "ts_id": pick(vocab.DISTRICT_TS, district),
        }
    )
    entities = pl.concat([ids, names, geo.drop("district"), draw_phones(rng, kind, district)], how="horizontal")
    return entities if plan.scenarios is None else apply_to_entities(entities, plan.scenarios, start, stop)
