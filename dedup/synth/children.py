"""Tables hanging off trader records: cases, tracks, certificates, whitelist.

Children attach to records, not entities, because that is how the service
works: a track sits on the one record the Trading Standards officer found,
and complaints logged against the entity's other records miss it.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dedup.synth import vocab
from dedup.synth.common import (
    ALL_ADVISERS,
    DAY_US,
    adviser_ids,
    choice,
    office_time_us,
    pick,
    pick_weighted,
    to_datetime,
    where,
)

FIRST_CASE_ID = 100_000_000
FIRST_TRACK_ID = 50_000_000
FIRST_CERTIFICATE_ID = 70_000_000

# Cases: a record is created with its first case; some get more, heavy-tailed.
_MORE_CASES_P = 0.42  # for single-record entities
_MORE_CASES_DUP_P = 0.55  # for entities complained about often enough to duplicate
_MORE_CASES_ZIPF_A = 2.5
_MAX_CASES = 300
_CASE_TYPES, _CASE_TYPE_P = ("Civil", "Signpost", "Criminal"), (0.72, 0.2, 0.08)
_OWN_GOODS_CODE_P = 0.8

_TRACK_RECORD_SHARE = 0.0045
_SECOND_TRACK_P = 0.1  # a second TS tracking the same record
_LOCAL_TRACK_P = 0.85
_TRACK_DAYS, _TRACK_DAYS_P = (91, 182, 365, 730), (0.25, 0.35, 0.3, 0.1)
_NO_END_P = 0.04

_CERTIFICATE_SHARE = 0.035
_LOCAL_CERTIFICATE_P = 0.95
_CERT_DAYS, _CERT_DAYS_P = (365, 730, 1095, 1826), (0.3, 0.3, 0.25, 0.15)
_CERT_NO_END_P = 0.03

_WHITELIST_SHARE = 0.007
# Relative chance of whitelisting an entity's first record, by kind: chains
# and large businesses first.
_WHITELIST_WEIGHT = {
    "chain": 30.0,
    "plc": 20.0,
    "llp": 8.0,
    "ltd": 1.0,
    "partnership": 0.5,
    "online": 0.5,
    "sole": 0.3,
}


def _weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Pick ``k`` distinct positions with chance increasing with ``weights``.

    Efraimidis-Spirakis keys (``log(u) / w``, largest win): one vectorised
    pass, and zero weights are never picked.

    Args:
        rng: Random generator.
        weights: Non-negative weight per position.
        k: How many to pick (capped at the number of positive weights).

    Returns:
        Sorted positions.
    """
    k = min(k, int((weights > 0).sum()))
    with np.errstate(divide="ignore"):
        keys = np.log(rng.random(len(weights))) / weights
    return np.sort(np.argpartition(-keys, k - 1)[:k]) if k > 0 else np.zeros(0, dtype=np.int64)


def _ids_in_order(keys: np.ndarray, first_id: int) -> np.ndarray:
    """Consecutive ids from ``first_id``, allocated in ``keys`` order (ties keep row order)."""
    ids = np.empty(len(keys), dtype=np.int64)
    ids[np.argsort(keys, kind="stable")] = first_id + np.arange(len(keys))
    return ids


def _days(us: np.ndarray) -> np.ndarray:
    """Epoch microseconds to epoch days."""
    return us // DAY_US


def _to_date(days: np.ndarray) -> pl.Series:
    """Epoch days to a polars Date series."""
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


def _opened_times(
    rng: np.random.Generator, created: np.ndarray, counts: np.ndarray, as_of_us: int
) -> np.ndarray:
    """When each case was opened (epoch us), cases grouped by record.

    The first case is logged minutes after its record is created; later
    ones cluster soon after it, while the business is active.

    Args:
        rng: Random generator.
        created: Creation time of each record (epoch us).
        counts: Number of cases of each record.
        as_of_us: The as-of date (midnight) in epoch microseconds.

    Returns:
        Opening times, ``counts.sum()`` of them, all before ``as_of_us``.
    """
    n = int(counts.sum())
    created = np.repeat(created, counts)
    is_first = np.arange(n) == np.repeat(np.cumsum(counts) - counts, counts)
    later = created + (rng.beta(0.7, 3.0, n) * (as_of_us - created)).astype(np.int64)
    first = created + rng.integers(0, 20 * 60_000_000, n)
    return np.minimum(np.where(is_first, first, later), as_of_us - 1)


def build_cases(rng: np.random.Generator, records: pl.DataFrame, as_of_us: int) -> pl.DataFrame:
    """Draw the complaint cases of every record.

    A record is created with its first case; some records get more, with a
    heavy tail, and records of often-duplicated entities get more often.

    Args:
        rng: Random generator.
        records: Records with trader_id, created_at, size and goods_code.
        as_of_us: The as-of date (midnight) in epoch microseconds.

    Returns:
        The cases table, ordered by case_id (which follows opened_at).
    """
    n = len(records)
    more_p = np.where(records["size"].to_numpy() > 1, _MORE_CASES_DUP_P, _MORE_CASES_P)
    more = np.minimum(rng.zipf(_MORE_CASES_ZIPF_A, n), _MAX_CASES - 1)
    counts = 1 + np.where(rng.random(n) < more_p, more, 0)
    opened = _opened_times(rng, records["created_at"].cast(pl.Int64).to_numpy(), counts, as_of_us)
    # Case ids follow opening order; build the table in that order directly.
    order = np.argsort(opened, kind="stable")
    rec = np.repeat(np.arange(n), counts)[order]
    n_cases = len(rec)
    other_code = pick(vocab.GOODS_CODES, rng.integers(0, len(vocab.GOODS_CODES), n_cases))
    own_code = rng.random(n_cases) < _OWN_GOODS_CODE_P
    return pl.DataFrame(
        {
            "case_id": FIRST_CASE_ID + np.arange(n_cases, dtype=np.int64),
            "trader_id": records["trader_id"].gather(rec),
            "opened_at": to_datetime(opened[order]),
            "case_type": pick_weighted(rng, _CASE_TYPES, _CASE_TYPE_P, n_cases),
            "goods_code": where(own_code, records["goods_code"].gather(rec), other_code),
        }
    )


def _local_or_other_ts(rng: np.random.Generator, local: pl.Series, local_p: float) -> pl.Series:
    """The owning TS: mostly the trader's local service, else any service."""
    other = pick(vocab.TS_IDS, rng.integers(0, len(vocab.TS_IDS), len(local)))
    return where(rng.random(len(local)) < local_p, local, other)


def _end_dates(
    rng: np.random.Generator, start: np.ndarray, lengths: tuple, p: tuple, no_end_p: float
) -> pl.Series:
    """End dates after ``start`` by one of ``lengths`` days; some left blank."""
    end = start + choice(rng, lengths, p, len(start))
    return where(rng.random(len(start)) >= no_end_p, _to_date(end), None)


def build_tracks(rng: np.random.Generator, records: pl.DataFrame, as_of_us: int) -> pl.DataFrame:
    """Draw Trading Standards tracks on about 0.5% of addressed records.

    Tracks follow complaints, so records of much-complained-about entities
    are likelier to carry one.

    Args:
        rng: Random generator.
        records: Records with trader_id, address, size, ts_id and created_at.
        as_of_us: The as-of date (midnight) in epoch microseconds.

    Returns:
        The tracks table, ordered by track_id (which follows raised_at).
    """
    weights = np.sqrt(records["size"].to_numpy()) * records["address"].is_not_null().to_numpy()
    picked = _weighted_sample(rng, weights, round(_TRACK_RECORD_SHARE * len(records)))
    picked = np.sort(np.concatenate([picked, picked[rng.random(len(picked)) < _SECOND_TRACK_P]]))
    chosen = records[picked]
    as_of_day = _days(as_of_us)
    created_day = _days(chosen["created_at"].cast(pl.Int64).to_numpy())
    # Tracks are mostly recent: TS react to current complaints.
    raised = created_day + np.floor(rng.beta(2.0, 1.2, len(picked)) * (as_of_day - created_day)).astype(
        np.int64
    )
    start = np.minimum(raised + rng.integers(0, 15, len(picked)), as_of_day)
    tracks = pl.DataFrame(
        {
            "track_id": _ids_in_order(raised, FIRST_TRACK_ID),
            "trader_id": chosen["trader_id"],
            "ts_id": _local_or_other_ts(rng, chosen["ts_id"], _LOCAL_TRACK_P),
            "start_date": _to_date(start),
            "end_date": _end_dates(rng, start, _TRACK_DAYS, _TRACK_DAYS_P, _NO_END_P),
            "notes": pick(vocab.TRACK_NOTES, rng.integers(0, len(vocab.TRACK_NOTES), len(picked))),
            "raised_at": _to_date(raised),
        }
    )
    return tracks.sort("track_id")


def build_certificates(rng: np.random.Generator, records: pl.DataFrame, as_of_us: int) -> pl.DataFrame:
    """Draw approved-trader certificates on about 3.5% of addressed records.

    Certified businesses are the reputable ones: entities with few records,
    and mostly their first record.

    Args:
        rng: Random generator.
        records: Records with trader_id, address, size, is_original, ts_id
            and created_at.
        as_of_us: The as-of date (midnight) in epoch microseconds.

    Returns:
        The certificates table, ordered by certificate_id (which follows
        start_date).
    """
    addressed = records["address"].is_not_null().to_numpy()
    weights = addressed * np.where(records["is_original"].to_numpy(), 4.0, 1.0) / records["size"].to_numpy()
    picked = _weighted_sample(rng, weights, round(_CERTIFICATE_SHARE * len(records)))
    chosen = records[picked]
    as_of_day = _days(as_of_us)
    created_day = _days(chosen["created_at"].cast(pl.Int64).to_numpy())
    start = created_day + np.floor(rng.beta(1.5, 1.0, len(picked)) * (as_of_day - created_day)).astype(
        np.int64
    )
    certificates = pl.DataFrame(
        {
            "certificate_id": _ids_in_order(start, FIRST_CERTIFICATE_ID),
            "trader_id": chosen["trader_id"],
            "ts_id": _local_or_other_ts(rng, chosen["ts_id"], _LOCAL_CERTIFICATE_P),
            "scheme": pick_weighted(rng, vocab.SCHEMES, vocab.SCHEME_WEIGHTS, len(picked)),
            "start_date": _to_date(start),
            "end_date": _end_dates(rng, start, _CERT_DAYS, _CERT_DAYS_P, _CERT_NO_END_P),
            "notes": pick(
                vocab.CERTIFICATE_NOTES, rng.integers(0, len(vocab.CERTIFICATE_NOTES), len(picked))
            ),
        }
    )
    return certificates.sort("certificate_id")


def build_whitelist(rng: np.random.Generator, records: pl.DataFrame, as_of_us: int) -> pl.DataFrame:
    """Whitelist about 0.7% of records, at most one per entity.

    Only an entity's first record is eligible (it is the canonical one), and
    chain branches and large businesses are preferred.

    Args:
        rng: Random generator.
        records: Records with trader_id, kind, is_original and created_at.
        as_of_us: The as-of date (midnight) in epoch microseconds.

    Returns:
        The whitelist table, ordered by trader_id.
    """
    kind_weight = records["kind"].replace_strict(_WHITELIST_WEIGHT, return_dtype=pl.Float64).to_numpy()
    weights = kind_weight * records["is_original"].to_numpy()
    chosen = records[_weighted_sample(rng, weights, round(_WHITELIST_SHARE * len(records)))]
    created = chosen["created_at"].cast(pl.Int64).to_numpy()
    later_day = _days(created + (rng.beta(1.0, 2.0, len(chosen)) * (as_of_us - created)).astype(np.int64))
    added = np.clip(later_day * DAY_US + office_time_us(rng, len(chosen)), created + 60_000_000, as_of_us - 1)
    reasons = vocab.WHITELIST_REASONS
    return pl.DataFrame(
        {
            "trader_id": chosen["trader_id"],
            "reason": chosen["kind"].replace_strict(
                reasons, default=reasons["other"], return_dtype=pl.String
            ),
            "added_by": adviser_ids(rng.integers(1, ALL_ADVISERS + 1, len(chosen))),
            "added_at": to_datetime(added),
        }
    ).sort("trader_id")
