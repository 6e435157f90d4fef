"""The store's cache of normalised trader fields, so a night's run normalises only what changed.

A cached row is used only while it is exact: the trader's raw name, address, postcode, phone
and website are those it was computed from, and the normaliser is the same code (`VERSION`, a
fingerprint of this package's source and of `dedup.missing`, so any change to a normaliser
invalidates every row without anyone remembering to bump a number). Normalising is per record (a batch gives each row
what a one-row frame would), so a cached row equals a fresh one.

Reading is plain SQL and works on a read-only store; rows are written by apply runs (inside the
run's transaction), so a dry run still writes nothing.
"""

from __future__ import annotations

import hashlib
from importlib import resources

from dedup.normalise.traders import NORMALISED_FIELDS
from dedup.sql import SqlStep, quote_ident

CACHE = "trader_normalised"
RAW_FIELDS = ("name", "address", "postcode", "phone", "website")


def _fingerprint() -> str:
    """A digest of the normaliser's source: this package, and `dedup/missing.py`, the one
    definition of a missing value that every field normaliser starts with."""
    digest = hashlib.sha256()
    package = resources.files("dedup.normalise")
    files = [package.joinpath(name) for name in
             sorted(p.name for p in package.iterdir() if p.name.endswith(".py"))]
    files.append(resources.files("dedup").joinpath("missing.py"))
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


#: The normaliser's fingerprint: cached rows made by other code are not used.
VERSION = _fingerprint()


def cache_schema_sqls() -> list[SqlStep]:
    """Migration 5: the cache table (its columns are the normaliser's at the time)."""
    fields = ",\n".join(f"  {quote_ident(f)} {'BOOLEAN' if f == 'postcode_valid' else 'VARCHAR'}"
                        for f in NORMALISED_FIELDS)
    raw = ",\n".join(f"  {quote_ident('raw_' + f)} VARCHAR" for f in RAW_FIELDS)
    return [SqlStep("create trader_normalised", f"""
        CREATE TABLE {CACHE} (
          trader_id BIGINT NOT NULL,       -- one row per trader (refresh deletes, then inserts)
          normaliser VARCHAR NOT NULL,     -- dedup.normalise.cache.VERSION of the code that made it
{raw},
{fields}
        )""")]


def added_columns_sqls() -> list[SqlStep]:
    """Migration 7: the normalised columns added since migration 5 made the table
    (`postal_code_other`); a store made since has them already. Rows written before carry
    another `VERSION`, so they are never read."""
    return [SqlStep("trader_normalised postal_code_other",
                    f"ALTER TABLE {CACHE} ADD COLUMN IF NOT EXISTS postal_code_other VARCHAR")]


def _raw_matches(cache: str, traders: str) -> str:
    return " AND ".join(f"{cache}.{quote_ident('raw_' + f)} IS NOT DISTINCT FROM {traders}.{quote_ident(f)}"
                        for f in RAW_FIELDS)


def cached_rows_sql(active: str, output: str, version: str = VERSION) -> SqlStep:
    """`output`: the rows of `active` (trader_id, raw fields, whitelisted, in_increment) whose
    cached normalisation is exact, with the normalised fields and `from_cache` = TRUE."""
    fields = ", ".join(f"c.{quote_ident(f)}" for f in NORMALISED_FIELDS)
    return SqlStep("normalised rows from the cache", f"""
        CREATE OR REPLACE TEMP TABLE {quote_ident(output)} AS
        SELECT a.trader_id, {fields}, a.whitelisted, a.in_increment, TRUE AS from_cache
        FROM {quote_ident(active)} a JOIN {CACHE} c
          ON c.trader_id = a.trader_id AND c.normaliser = $version AND {_raw_matches('c', 'a')}""",
                   {"version": version})


def refresh_cache_sqls(normalised: str, fresh_raw: str, version: str = VERSION) -> list[SqlStep]:
    """Write the rows `normalised` did not take from the cache, with the raw fields they were
    computed from (`fresh_raw`: trader_id and the raw fields), for traders still active; drop
    the rows of traders no longer active (merged records). Call inside the apply run's
    transaction, after its merges: a survivor whose fields a merge filled gets a row for its
    old fields, which the next run sees no longer match."""
    fields = ", ".join(quote_ident(f) for f in NORMALISED_FIELDS)
    raw_names = ", ".join(quote_ident("raw_" + f) for f in RAW_FIELDS)
    raw_values = ", ".join(f"f.{quote_ident(f)}" for f in RAW_FIELDS)
    n_fields = ", ".join(f"n.{quote_ident(f)}" for f in NORMALISED_FIELDS)
    return [
        SqlStep("cache: drop rows of inactive traders",
                f"DELETE FROM {CACHE} WHERE trader_id NOT IN "
                f"(SELECT trader_id FROM traders WHERE status = 'active')"),
        SqlStep("cache: drop rows being rewritten",
                f"DELETE FROM {CACHE} WHERE trader_id IN (SELECT trader_id FROM {quote_ident(fresh_raw)})"),
        SqlStep("cache: write new rows", f"""
            INSERT INTO {CACHE} (trader_id, normaliser, {raw_names}, {fields})
            SELECT n.trader_id, $version, {raw_values}, {n_fields}
            FROM {quote_ident(normalised)} n JOIN {quote_ident(fresh_raw)} f USING (trader_id)
            JOIN traders t USING (trader_id)
            WHERE t.status = 'active'""", {"version": version}),
    ]
