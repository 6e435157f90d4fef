"""Trader records: when each record of an entity was created, by whom, and its id.

The first record of an entity is created at the entity's first complaint;
its duplicates come later (skewed towards soon after, when the business is
being complained about), each typed by an adviser who did not find the
existing record.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dedup.synth.common import ALL_ADVISERS, DAY_US, YEARS, adviser_ids, office_time_us, to_datetime

# Trader references are 8 digits, allocated in creation order from here;
# a few numbers are skipped (records deleted since).
FIRST_TRADER_ID = 20_000_000
_DELETED_P = 0.03
# Advisers: ids rotate as staff join and leave; about this many are active
# at any time (out of ALL_ADVISERS over the whole period).
_ACTIVE_ADVISERS = 150
# Share of weekend creations moved to the Friday before (the service mostly
# works weekdays).
_WEEKDAY_SHIFT_P = 0.85
# Entity columns every record carries for rendering and children.
_ENTITY_COLUMNS = (
    "entity_id", "kind", "size", "ts_id", "goods_code", "the", "head", "tail", "legal", "owner",
    "domain", "unit", "building", "house", "street_name", "street_type", "street_abbr", "locality",
    "town", "county", "postcode", "phone", "phone_area_len", "phone_alt", "phone_alt_area_len",
    "group", "group_leader",
)  # fmt: skip


def _creation_times(
    rng: np.random.Generator, first: np.ndarray, is_original: np.ndarray, as_of_us: int
) -> np.ndarray:
    """Creation time of each record in epoch microseconds.

    Args:
        rng: Random generator.
        first: Creation time of the entity's first record, per record.
        is_original: True for the first record of each entity.
        as_of_us: The as-of date (midnight) in epoch microseconds.

    Returns:
        Times in office hours, mostly on weekdays, strictly after ``first``
        for duplicates and before ``as_of_us``.
    """
    n = len(first)
    later = first + (rng.beta(0.6, 2.5, n) * (as_of_us - first)).astype(np.int64)
    day = later // DAY_US
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    day = np.where((weekday >= 5) & (rng.random(n) < _WEEKDAY_SHIFT_P), day - (weekday - 4), day)
    later = day * DAY_US + office_time_us(rng, n)
    minute = 60_000_000
    later = np.clip(later, first + minute, as_of_us - minute)
    return np.where(is_original, first, later)


def _advisers(
    rng: np.random.Generator, created: np.ndarray, entity_start: np.ndarray, as_of_us: int
) -> pl.Series:
    """Adviser ids ("ADV0412") of record creators.

    The adviser pool drifts over time, and a duplicate is always typed by a
    different adviser from the one who created the entity's first record.

    Args:
        rng: Random generator.
        created: Creation times (epoch us) per record.
        entity_start: Per record, the position of its entity's first record.
        as_of_us: The as-of date (midnight) in epoch microseconds.

    Returns:
        String series of adviser ids.
    """
    period_us = YEARS * 365 * DAY_US
    drift = (created - (as_of_us - period_us)) / period_us * (ALL_ADVISERS - _ACTIVE_ADVISERS)
    adviser = 1 + drift.astype(np.int64) + rng.integers(0, _ACTIVE_ADVISERS, len(created))
    first = adviser[entity_start]
    adviser = np.where(
        (adviser == first) & (np.arange(len(created)) != entity_start), adviser % ALL_ADVISERS + 1, adviser
    )
    return adviser_ids(adviser)


def assign_trader_ids(rng: np.random.Generator, records: pl.DataFrame) -> pl.DataFrame:
    """Allocate 8-digit trader references in creation order, with some gaps.

    Duplicates of an entity are created months or years apart, so their ids
    are far apart too.

    Args:
        rng: Random generator.
        records: Records of all entities, with created_at.

    Returns:
        ``records`` with a leading trader_id column, sorted by it.
    """
    n = len(records)
    step = 1 + (rng.random(n) < _DELETED_P) * rng.integers(1, 4, n)
    # One gather by a numpy order: a frame sort holds more copies at once.
    order = np.argsort(records["created_at"].cast(pl.Int64).to_numpy(), kind="stable")
    trader_id = pl.Series("trader_id", FIRST_TRADER_ID - 1 + np.cumsum(step))
    return records[order].insert_column(0, trader_id)


def build_records(rng: np.random.Generator, entities: pl.DataFrame, as_of_us: int) -> pl.DataFrame:
    """Expand entities into their trader records (not yet typed).

    Args:
        rng: Random generator.
        entities: Output of :func:`dedup.synth.entities.describe_entities`.
        as_of_us: The as-of date (midnight) in epoch microseconds.

    Returns:
        One row per record, grouped by entity: is_original, created_at
        (Datetime us), created_by, plus the entity columns in
        ``_ENTITY_COLUMNS``.
    """
    size = entities["size"].to_numpy()
    entity_idx = np.repeat(np.arange(len(size)), size)
    entity_start = np.repeat(np.cumsum(size) - size, size)
    is_original = np.arange(len(entity_idx)) == entity_start
    created = _creation_times(rng, entities["first_created"].to_numpy()[entity_idx], is_original, as_of_us)
    return entities.select(_ENTITY_COLUMNS)[entity_idx].with_columns(
        is_original=pl.Series(is_original),
        created_at=to_datetime(created),
        created_by=_advisers(rng, created, entity_start, as_of_us),
    )
