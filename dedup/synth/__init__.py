"""Deterministic synthetic UK trader data with ground truth.

:func:`generate` draws real-world businesses (entities), types each into one
or more trader records the way advisers do (typos, legal-form variants,
abbreviations, messy postcodes and phones), and hangs cases, tracks,
certificates and a whitelist off the records. The ``truth`` table maps
every trader_id to its entity. :func:`write_tables` saves the tables.

Everything is vectorised with numpy and polars, and every draw comes from one
``numpy.random.default_rng(seed)``, so equal arguments give equal tables.

Layout: :mod:`~dedup.synth.vocab` (word lists, postcode districts),
:mod:`~dedup.synth.entities` with :mod:`~dedup.synth.geography`,
:mod:`~dedup.synth.names` and :mod:`~dedup.synth.phones` (the businesses),
:mod:`~dedup.synth.records` (records of each business),
:mod:`~dedup.synth.scenarios` (the opt-in hard scenarios),
:mod:`~dedup.synth.corrupt` (how advisers type them, with the slips of
:mod:`~dedup.synth.typos`, a model of its own that shares nothing with the
normaliser) and
:mod:`~dedup.synth.children` (cases, tracks, certificates, whitelist).
"""

from __future__ import annotations

import datetime
import pathlib
from collections.abc import Iterable

import numpy as np
import polars as pl

from dedup.synth.children import build_cases, build_certificates, build_tracks, build_whitelist
from dedup.synth.common import DAY_US, GROUP_KINDS, NO_GROUP
from dedup.synth.corrupt import render_records
from dedup.synth.entities import ENTITY_CHUNK, describe_entities, plan_entities
from dedup.synth.people import build_ts_areas, build_users
from dedup.synth.records import assign_trader_ids, build_records
from dedup.synth.scenarios import SCENARIOS, bridge_records, name_records_by_domain, parse_scenarios

__all__ = ["SCENARIOS", "TABLES", "generate", "write_tables"]

TABLES = ("traders", "cases", "tracks", "certificates", "whitelist", "users", "ts_areas", "truth")
_FORMATS = ("parquet", "csv")
_TRADER_COLUMNS = ("trader_id", "name", "address", "postcode", "phone", "website", "created_at", "created_by")
# Entity facts the child tables are drawn from.
_ENTITY_FACTS = ("entity_id", "is_original", "kind", "size", "ts_id", "goods_code", "group", "group_leader")


def generate(
    n_records: int, seed: int = 0, as_of: datetime.date = datetime.date(2026, 11, 1),
    scenarios: Iterable[str] = (),
) -> dict[str, pl.DataFrame]:
    """Generate a trader database of ``n_records`` records with ground truth.

    Args:
        n_records: Exact number of trader records (at least 1).
        seed: Seed of the single random generator used throughout.
        as_of: The day the data is taken: records, cases, whitelist entries
            and the start of tracks and certificates are not after it (their
            end dates may be).
        scenarios: Hard scenarios to add, any of ``SCENARIOS`` (see
            :mod:`dedup.synth.scenarios`); none by default.

    Returns:
        Tables keyed by name, in ``TABLES`` order: traders, cases, tracks,
        certificates, whitelist, users, ts_areas (who is who:
        :mod:`~dedup.synth.people`) and truth (trader_id -> entity_id).

    Raises:
        ValueError: If ``n_records`` is below 1 or a scenario is unknown.
    """
    if n_records < 1:
        raise ValueError(f"n_records must be at least 1, got {n_records}")
    scenarios = parse_scenarios(scenarios)
    rng = np.random.default_rng(seed)
    as_of_us = (as_of - datetime.date(1970, 1, 1)).days * DAY_US
    records = _typed_records(rng, n_records, as_of_us, seed, scenarios)
    traders = records.select(
        *_TRADER_COLUMNS, status=pl.lit("active"), merged_into=pl.lit(None, dtype=pl.Int64)
    )
    return {
        "traders": traders,
        "cases": build_cases(rng, records, as_of_us),
        "tracks": build_tracks(rng, records, as_of_us),
        "certificates": build_certificates(rng, records, as_of_us),
        "whitelist": build_whitelist(rng, records, as_of_us),
        "users": build_users(),
        "ts_areas": build_ts_areas(),
        "truth": _truth(records),
    }


def _truth(records: pl.DataFrame) -> pl.DataFrame:
    """trader_id -> entity_id, with what makes an entity a hard negative: its `kind` (chain
    branches are entities of kind 'chain') and, for units in one building ('unit'), similar
    businesses side by side ('neighbour') and the groups of the hard scenarios
    ('virtual_office', 'shared_website', 'lookalike', 'name_collision', 'bridge'),
    `group_kind` and `group_id` (the entity id of the group's first member)."""
    group_kind = pl.col("group").replace_strict(dict(enumerate(GROUP_KINDS, start=1)),
                                                default=None, return_dtype=pl.String)
    return records.select(
        "trader_id", "entity_id", "kind", group_kind=group_kind,
        group_id=pl.when(pl.col("group") != NO_GROUP).then(pl.col("group_leader")))


def _typed_records(rng: np.random.Generator, n_records: int, as_of_us: int, seed: int,
                   scenarios: tuple[str, ...]) -> pl.DataFrame:
    """Draw entities and type their records, one slice of entities at a time.

    Args:
        rng: Random generator.
        n_records: Number of records.
        as_of_us: The as-of date (midnight) in epoch microseconds.
        seed: The seed (the scenarios draw from a stream of their own).
        scenarios: Hard scenarios to add.

    Returns:
        One row per record, ordered by trader_id: the trader columns plus
        the entity facts the child tables need.
    """
    plan = plan_entities(rng, n_records, as_of_us, seed, scenarios)
    slices = []
    for start in range(0, len(plan), ENTITY_CHUNK):
        entities = describe_entities(rng, plan, start, min(start + ENTITY_CHUNK, len(plan)))
        records = build_records(rng, entities, as_of_us)
        if plan.scenarios is not None:
            records = bridge_records(records, entities, plan.scenarios, start)
        typed = render_records(rng, records)
        if plan.scenarios is not None:
            typed = name_records_by_domain(typed, plan.scenarios)
        # Keep only what later steps need: the intermediate text columns are
        # most of the memory.
        slices.append(typed.select(*_TRADER_COLUMNS[1:], *_ENTITY_FACTS))
    records = pl.concat(slices, rechunk=False)
    slices.clear()  # the sort below copies every column; hold one copy at a time
    return assign_trader_ids(rng, records)


def write_tables(
    tables: dict[str, pl.DataFrame], out_dir: pathlib.Path, fmt: str = "parquet"
) -> list[pathlib.Path]:
    """Write each table to ``out_dir/<table>.<fmt>``.

    Args:
        tables: Tables keyed by name, as returned by :func:`generate`.
        out_dir: Directory to write into; created if missing.
        fmt: "parquet" or "csv".

    Returns:
        The written paths, in the order of ``tables``.

    Raises:
        ValueError: If ``fmt`` is not supported.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"fmt must be one of {_FORMATS}, got {fmt!r}")
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in tables.items():
        path = out_dir / f"{name}.{fmt}"
        if fmt == "parquet":
            table.write_parquet(path)
        else:
            table.write_csv(path)
        paths.append(path)
    return paths
