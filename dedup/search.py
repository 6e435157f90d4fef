"""Trader search, as advisers and Trading Standards use it, on the engine's own normalisation.

- **Search** (`search_sql`): the name is required and matches by "begins with" on the normalised
  name (`name_norm`: "Amazon" finds "Amazon Windows" and "Amazon Bathrooms", "mabels" finds
  "Mabel's Boutique", "Mabels Boutique Ltd" finds both spellings); "address contains" matches the
  address as typed or as normalised ("Tristan Road" finds "5 Tristan Rd"), case aside; the
  postcode matches in any spacing or case, a full postcode exactly, an outward code ("TR1") or an
  area ("TR") as the district or area. Merged records are searched too but never shown: each
  match is shown as the live record it resolves to, once. At most 100 rows, newest first, each
  marking an active track and an active certificate (today within its start and end dates).
- **Recently added** (`recent_sql`): live traders created in the last 30 days whose postcode
  maps to the user's TS (`ts_areas`: the district's TS, else the area's).

Both read a search index (`build_index`): one row per trader, active or merged, with its live
record (`trader_resolution`) and the normalised fields searched on. A long-lived `Matcher` builds
it once from its normalised table; a one-off search builds it for the call.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import polars as pl

from dedup.errors import DedupError
from dedup.normalise import normalise_traders
from dedup.schema import active_on_condition
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.tables import StageTables
from dedup.users import ts_of_postcode_expr

#: The most rows a search shows (the source system's limit).
MAX_RESULTS = 100
RECENT_DAYS = 30
DISTRICT = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]?")
AREA = re.compile(r"[A-Z]{1,2}")
INDEX_FIELDS = ("name_norm", "address_norm", "postcode", "postcode_area", "postcode_district")


@dataclass
class SearchResult:
    """What a search found: `rows` (at most `MAX_RESULTS`, newest first: trader_id, name, address,
    postcode, created_at, created_by, tracked, certified, via: the merged records that matched in
    its place) and `total`, how many live traders matched."""

    rows: pl.DataFrame
    total: int


def _raw_frame(runner: Runner, where: str, params=()) -> pl.DataFrame:
    return runner.frame(SqlStep("traders to normalise", f"SELECT trader_id, name, address, postcode, phone, website "
                                                        f"FROM traders WHERE {where}", params))


def build_index(runner: Runner, tables: StageTables) -> None:
    """Create `tables.search_index` from `tables.normalised` (every active trader, as a run
    normalises them) and the merged records, normalised here."""
    merged = normalise_traders(_raw_frame(runner, "status <> 'active'"))
    fields = ", ".join(quote_ident(f) for f in INDEX_FIELDS)
    runner.register(tables.fresh, merged.select("trader_id", *INDEX_FIELDS))
    runner.run([SqlStep("search index", f"""
        CREATE OR REPLACE TEMP TABLE {quote_ident(tables.search_index)} AS
        SELECT r.resolved_id, x.*, lower(t.address) AS address_lower FROM (
            SELECT trader_id, {fields} FROM {quote_ident(tables.normalised)}
            UNION ALL SELECT trader_id, {fields} FROM {quote_ident(tables.fresh)}) x
        JOIN trader_resolution r USING (trader_id) JOIN traders t USING (trader_id)
        WHERE x.name_norm IS NOT NULL
        ORDER BY x.name_norm"""),
                SqlStep("drop staging", f"DROP TABLE {quote_ident(tables.fresh)}")])


def _query_fields(name: str | None, address: str | None, postcode: str | None) -> dict:
    frame = pl.DataFrame({"trader_id": [0], "name": [name], "address": [address], "postcode": [postcode],
                          "phone": [None], "website": [None]},
                         schema={"trader_id": pl.Int64, **{c: pl.String for c in
                                                           ("name", "address", "postcode", "phone", "website")}})
    return normalise_traders(frame).row(0, named=True)


def _postcode_condition(postcode: str, normalised: dict) -> tuple[str, dict]:
    compact = re.sub(r"\s+", "", postcode).upper()
    if normalised["postcode_valid"]:
        return "i.postcode = $postcode", {"postcode": normalised["postcode"]}
    if DISTRICT.fullmatch(compact):
        return "i.postcode_district = $postcode", {"postcode": compact}
    if AREA.fullmatch(compact):
        return "i.postcode_area = $postcode", {"postcode": compact}
    return "replace(i.postcode, ' ', '') = $postcode", {"postcode": compact}


def _marks(alias: str) -> str:
    """An active track / certificate mark for the live trader `alias`, as of $today."""
    return ", ".join(f"EXISTS (SELECT 1 FROM {table} x WHERE x.trader_id = {alias}.trader_id "
                     f"AND {active_on_condition('x')}) AS {mark}"
                     for table, mark in (("tracks", "tracked"), ("certificates", "certified")))


def search_sql(tables: StageTables, *, name: str, address_contains: str | None = None,
               postcode: str | None = None, today: dt.date, limit: int = MAX_RESULTS) -> SqlStep:
    """The search's rows (see the module's docstring), with the count of all matches as `total`."""
    if not name or not name.strip():
        raise DedupError("NAME: give the start of the trader's name (it matches the start of names)")
    if not 1 <= limit <= MAX_RESULTS:
        raise DedupError(f"--limit {limit}: between 1 and {MAX_RESULTS}")
    normalised = _query_fields(name, address_contains, postcode)
    if normalised["name_norm"] is None:
        raise DedupError(f"NAME {name!r}: nothing is left of it to search for once normalised")
    where = ["starts_with(i.name_norm, $name)"]
    params: dict = {"name": normalised["name_norm"], "today": today}
    if address_contains and address_contains.strip():
        where.append("(contains(i.address_lower, $address_raw) OR contains(i.address_norm, $address_norm))")
        params.update(address_raw=" ".join(address_contains.lower().split()),
                      address_norm=normalised["address_norm"] or address_contains.lower())
    if postcode and postcode.strip():
        condition, values = _postcode_condition(postcode, normalised)
        where.append(condition)
        params.update(values)
    return SqlStep("search traders", f"""
        WITH found AS (
            SELECT i.resolved_id AS trader_id,
                   list(i.trader_id ORDER BY i.trader_id) FILTER (WHERE i.trader_id <> i.resolved_id) AS via
            FROM {quote_ident(tables.search_index)} i
            WHERE {' AND '.join(where)}
            GROUP BY i.resolved_id)
        SELECT t.trader_id, t.name, t.address, t.postcode, t.created_at, t.created_by, {_marks('t')},
               coalesce(f.via, []) AS via, count(*) OVER () AS total
        FROM found f JOIN traders t USING (trader_id)
        WHERE t.status = 'active'
        ORDER BY t.created_at DESC NULLS LAST, t.trader_id DESC
        LIMIT {int(limit)}""", params)


def recent_sql(normalised: str, *, ts_id: str, today: dt.date, days: int = RECENT_DAYS,
               limit: int = MAX_RESULTS) -> SqlStep:
    """Live traders created in the `days` before `today` (and today) whose postcode maps to
    `ts_id`, newest first; `normalised` holds (at least) those traders' normalised postcodes."""
    return SqlStep("recently added traders", f"""
        SELECT t.trader_id, t.name, t.address, t.postcode, t.created_at, t.created_by, {_marks('t')},
               []::BIGINT[] AS via, count(*) OVER () AS total
        FROM traders t JOIN {quote_ident(normalised)} n USING (trader_id)
        WHERE t.status = 'active' AND t.created_at >= $since
          AND {ts_of_postcode_expr('n.postcode_district', 'n.postcode_area')} = $ts_id
        ORDER BY t.created_at DESC, t.trader_id DESC
        LIMIT {int(limit)}""", {"since": dt.datetime.combine(today - dt.timedelta(days=days), dt.time()),
                                "ts_id": ts_id, "today": today})


def result(runner: Runner, step: SqlStep) -> SearchResult:
    """Run a search or recent step into a `SearchResult`."""
    frame = runner.frame(step)
    total = int(frame["total"][0]) if frame.height else 0
    return SearchResult(frame.drop("total"), total)


def normalise_recent(runner: Runner, tables: StageTables, *, today: dt.date, days: int = RECENT_DAYS) -> str:
    """`tables.fresh`: the recently created live traders, normalised (for a one-off `recent_sql`
    without a Matcher's normalised table); returns its name."""
    since = dt.datetime.combine(today - dt.timedelta(days=days), dt.time())
    frame = normalise_traders(_raw_frame(runner, "status = 'active' AND created_at >= ?", (since,)))
    runner.register(tables.fresh, frame)
    return tables.fresh
