"""Shared constants and small sampling helpers of the synthetic data generator."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl

from dedup.synth import vocab

# Kinds of business (entity).
KINDS = ("sole", "ltd", "partnership", "llp", "plc", "online", "chain")
SOLE, LTD, PARTNERSHIP, LLP, PLC, ONLINE, CHAIN = range(len(KINDS))

# Kinds of hard-negative group an entity can belong to: units of one building and neighbours
# always; the rest only in the hard scenarios (dedup.synth.scenarios).
GROUP_KINDS = ("unit", "neighbour", "virtual_office", "shared_website", "lookalike", "name_collision", "bridge")
NO_GROUP = 0
(UNIT_GROUP, NEIGHBOUR_GROUP, VIRTUAL_OFFICE_GROUP, SHARED_WEBSITE_GROUP, LOOKALIKE_GROUP,
 NAME_COLLISION_GROUP, BRIDGE_GROUP) = range(1, len(GROUP_KINDS) + 1)

# Trader records span this many years before the as-of date.
YEARS = 10

# Number of adviser ids in use over the whole period ("ADV0001".."ADV0650").
ALL_ADVISERS = 650

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000


class Groups(NamedTuple):
    """Hard-negative group membership, one entry per entity.

    Members of a group are consecutive entities; the first is the leader and
    the others (followers) copy some of its attributes.
    """

    kind: np.ndarray  # NO_GROUP / UNIT_GROUP / NEIGHBOUR_GROUP
    leader: np.ndarray  # index of the group's leader (self if in no group)
    pos: np.ndarray  # 0 for the leader (or no group), 1.. for followers

    @property
    def follower(self) -> np.ndarray:
        """Boolean mask of entities that copy attributes from a leader."""
        return self.pos > 0

    def copy_from_leader(self, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Return ``values`` with the entries under ``mask`` replaced by their leader's."""
        return np.where(mask, values[self.leader], values)

    def distinct_offsets(self, rng: np.random.Generator) -> np.ndarray:
        """Offsets 0, 1-2, 3-4, 5-6 by group position: distinct within a group.

        Used to number units or houses of group members ("Unit 3", "Unit 4").
        """
        return np.where(self.pos > 0, 2 * self.pos - rng.integers(0, 2, len(self.pos)), 0)


def pick(words: tuple[str, ...], idx: np.ndarray) -> pl.Series:
    """Return the words at positions ``idx`` as a polars String series.

    Args:
        words: Vocabulary.
        idx: Integer positions into ``words``.

    Returns:
        A String series of ``len(idx)`` words.
    """
    return pl.Series(values=words, dtype=pl.String).gather(idx)


def where(mask: np.ndarray, a: pl.Series, b: pl.Series | None) -> pl.Series:
    """Element-wise ``a if mask else b`` for polars series (``b=None``: null).

    Args:
        mask: Boolean array.
        a: Values where ``mask`` holds.
        b: Values elsewhere, or None for nulls.

    Returns:
        A series named like ``a``.
    """
    other = pl.lit(None, dtype=a.dtype) if b is None else pl.lit(b)
    return (
        pl.select(pl.when(pl.lit(pl.Series(mask))).then(pl.lit(a)).otherwise(other))
        .to_series()
        .rename(a.name)
    )


def zipf_choice(rng: np.random.Generator, n_items: int, size: int, s: float) -> np.ndarray:
    """Draw positions into a rank-ordered list with Zipf(``s``) weights.

    Args:
        rng: Random generator.
        n_items: Length of the list.
        size: Number of draws.
        s: Zipf exponent.

    Returns:
        Integer array of ``size`` positions.
    """
    return rng.choice(n_items, size=size, p=vocab.zipf_weights(n_items, s))


def choice(rng: np.random.Generator, options: tuple[int, ...], p: tuple[float, ...], size: int) -> np.ndarray:
    """Draw ``size`` numbers from ``options`` with probabilities ``p``.

    Args:
        rng: Random generator.
        options: Numbers to choose from.
        p: Probabilities, one per option.
        size: Number of draws.

    Returns:
        Integer array of drawn values.
    """
    return np.asarray(options)[rng.choice(len(options), size=size, p=p)]


def pick_weighted(
    rng: np.random.Generator, words: tuple[str, ...], p: tuple[float, ...], size: int
) -> pl.Series:
    """Draw ``size`` words with probabilities ``p``, as a polars String series.

    Args:
        rng: Random generator.
        words: Vocabulary.
        p: Probabilities, one per word.
        size: Number of draws.

    Returns:
        A String series (built from indices: numpy string arrays are large).
    """
    return pick(words, rng.choice(len(words), size=size, p=p))


def choice_by_kind(rng: np.random.Generator, kind: np.ndarray, table: dict[int, tuple]) -> np.ndarray:
    """Draw, for each entity, an option index from its kind's probability row.

    Args:
        rng: Random generator.
        kind: Entity kinds.
        table: For each kind, the probabilities of options 0, 1, ...

    Returns:
        Int8 array of option indices.
    """
    out = np.zeros(len(kind), dtype=np.int8)
    for k, p in table.items():
        sel = kind == k
        out[sel] = rng.choice(len(p), size=int(sel.sum()), p=np.asarray(p) / sum(p))
    return out


def adviser_ids(numbers: np.ndarray) -> pl.Series:
    """Format adviser numbers as the service's adviser ids ("ADV0412").

    Args:
        numbers: Adviser numbers (1-9999).

    Returns:
        String series of ids.
    """
    return "ADV" + pl.Series(numbers).cast(pl.String).str.zfill(4)


def to_datetime(us: np.ndarray) -> pl.Series:
    """Epoch microseconds as a Datetime("us") series, floored to whole seconds.

    The case system stores times to the second; the dtype keeps microseconds.

    Args:
        us: Epoch microseconds.

    Returns:
        Datetime series.
    """
    second = 1_000_000
    return pl.Series(us // second * second).cast(pl.Datetime("us"))


def office_time_us(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random times of day between 08:00 and 19:00, in microseconds.

    Args:
        rng: Random generator.
        n: Number of times.

    Returns:
        Int64 array of microseconds since midnight.
    """
    return 8 * HOUR_US + rng.integers(0, 11 * HOUR_US, n)


def group_leaders(group_of: np.ndarray, members: np.ndarray) -> np.ndarray:
    """For each member position, the first position with the same group number."""
    order = np.lexsort((members, group_of))
    first = np.ones(len(order), dtype=bool)
    first[1:] = group_of[order][1:] != group_of[order][:-1]
    leader_sorted = members[order][np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))]
    out = np.empty(len(members), dtype=np.int64)
    out[order] = leader_sorted
    return out


def rank_in_group(group_of: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Each member's 0-based rank by position among the members of its group."""
    order = np.lexsort((members, group_of))
    sorted_groups = group_of[order]
    starts = np.r_[0, np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1]
    run = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.empty(len(members), dtype=np.int64)
    rank[order] = np.arange(len(order)) - run
    return rank
