"""The duplicate check: the live records a trader about to be created most likely is.

One definition of "the same trader" serves the overnight job and the check: the probe record goes
through the same normaliser (`dedup.normalise.normalise_traders`), is paired by the same blocking
rules (`dedup.blocking.pairs.probe_pairs_sql`: the pairs an incremental run would make once the
record is in the table, block caps counted with it), and scored by the same SQL
(`dedup.score.score_pairs_sqls`) with the same comparisons, term-frequency adjustments, shared
evidence, hard rules and thresholds. The adjustments are those the run would compute with the
record in the table: the counts of the active records plus one for each of the probe's values
(`dedup.score.TF_VALUES` from integer counts, so the doubles are the run's to the last bit), the
sector spread with the probe's sector, and the businesses sharing the probe's address with its
own (`dedup.rules.shared`).

A `Matcher` does the work that does not depend on the probe once: a dry run of the pipeline as
the next overnight run would do it (normalised table, and the cluster each record will be in:
`survivor_id`), the value counts, the sector spread of each value, and each blocking rule's keys
sorted for lookups. Each check then normalises one record, looks up its blocks, and scores a
handful of pairs on temp tables of a few rows.

A pair in the merge band is `merge` unless the cluster it would make with the new record is held
back as a run would hold it (too large, two whitelisted records, a keep-apart hard rule or a
never-merge decision inside it): then `review`, with `hold_reason`. A pair below the review
threshold with a score above 0 is `weak`; pairs a `never_match` hard rule rules out are left out.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import polars as pl

from dedup.blocking.pairs import keyed_records_sql, probe_pairs_sql
from dedup.decisions import ACTIVE_NEVER_MERGE
from dedup.errors import DedupError
from dedup.explain import explanation_query, rule_terms_sql
from dedup.normalise import normalise_traders
from dedup.pipeline import RunResult, normalise_stage, run_pipeline
from dedup.rules.ruleset import RuleSet
from dedup.score import TF_VALUES, hard_column, score_pairs_sqls, sector_columns, tf_columns, value_counts_query
from dedup.search import SearchResult, build_index, normalise_recent, recent_sql, search_sql
from dedup.search import result as search_result
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.store import Store
from dedup.survivor import choose_survivors_sql
from dedup.tables import StageTables

MATCH_PREFIX = "__dedup__match_"
CHECK_PREFIX = "__dedup__check_"
BANDS = ("merge", "review", "weak")
#: The smallest 8-digit trader reference, the first a store without one gives.
FIRST_REFERENCE = 10_000_000
LAST_REFERENCE = 99_999_999
PROBE_FIELDS = ("name", "address", "postcode", "phone", "website")
#: One candidate's explanation: per comparison (with the new and the existing normalised value)
#: and the hard rules that fired.
EXPLANATION = pl.Struct({
    "comparisons": pl.List(pl.Struct({"comparison": pl.String, "level": pl.Int64, "label": pl.String,
                                      "weight": pl.Float64, "column": pl.String, "new": pl.String,
                                      "existing": pl.String})),
    "hard_rules": pl.List(pl.Struct({"rule": pl.String, "effect": pl.String})),
})
CANDIDATE_SCHEMA = pl.Schema({
    "rank": pl.Int64, "trader_id": pl.Int64, "band": pl.String, "score": pl.Float64, "hold_reason": pl.String,
    "survivor_id": pl.Int64, "name": pl.String, "address": pl.String, "postcode": pl.String, "phone": pl.String,
    "website": pl.String, "blocking_rule": pl.String, "explanation": EXPLANATION,
})


@dataclass
class CheckResult:
    """What the check found for one record.

    Attributes:
        candidates: ranked (merge, then review, then weak; by score): rank, trader_id, band, score,
            hold_reason, survivor_id (the live record it will be after the next overnight run),
            the record's name, address, postcode, phone, website, blocking_rule, and `explanation`
            (per comparison: label, level, weight, the new and the existing normalised value; the
            hard rules that fired).
        merge_into: the record the new one would be merged into (the survivor among the merge
            band's records), or None.
        normalised: the new record's normalised fields.
        probe_id: the reference the record was checked as (the next free one).
    """

    candidates: pl.DataFrame
    merge_into: int | None
    normalised: dict
    probe_id: int


def next_reference(runner: Runner) -> int:
    """The next free 8-digit trader reference (above every record, merged ones too)."""
    top = runner.scalar(SqlStep("highest reference", "SELECT max(trader_id) FROM traders"))
    reference = max((top or 0) + 1, FIRST_REFERENCE)
    if reference > LAST_REFERENCE:
        raise DedupError(f"no 8-digit trader reference is left above {top}")
    return reference


def probe_frame(probe_id: int, fields: dict) -> pl.DataFrame:
    """One raw trader row, as the normaliser takes it."""
    return pl.DataFrame({"trader_id": [probe_id], **{f: [fields.get(f)] for f in PROBE_FIELDS}},
                        schema={"trader_id": pl.Int64, **{f: pl.String for f in PROBE_FIELDS}})


class Matcher:
    """The duplicate check on an open store, with everything that does not depend on the record
    checked prepared once (see the module's docstring).

    Args:
        store: an open store (read-only is fine: only temp tables are written).
        rules: the rule set (the overnight job's).
        today: the date tracks and certificates count as active on (survivor choice).
        since: the pending run's increment (`dedup.incremental.run_since`); None: full.
        on_stage: progress hook for the pending run's stages.
        pending: run the pipeline as the next overnight run would, for each candidate's
            `survivor_id`; without it only the normalised table is made (the creation gate needs
            no survivors) and a candidate's survivor is itself.
    """

    def __init__(self, store: Store, rules: RuleSet, *, today: dt.date | None = None,
                 since: dt.datetime | None = None, on_stage=None, pending: bool = True):
        self.store, self.runner, self.rules = store, store.runner, rules
        self.today = today or dt.date.today()
        self.base, self.tables = StageTables(MATCH_PREFIX), StageTables(CHECK_PREFIX)
        if pending:
            self.pending: RunResult | None = run_pipeline(store, rules, today=self.today, since=since,
                                                          tables=self.base, on_stage=on_stage)
        else:
            self.pending = None
            normalise_stage(self.runner, self.base)
            self.runner.run(SqlStep("no pending clusters", f"""
                CREATE OR REPLACE TEMP TABLE {quote_ident(self.base.clusters)} AS
                SELECT trader_id, trader_id AS cluster_id FROM {quote_ident(self.base.normalised)} WHERE FALSE"""))
        self._prepare()

    def _prepare(self) -> None:
        base, runner, rules = self.base, self.runner, self.rules
        runner.run([SqlStep("drop pending pairs", f"DROP TABLE IF EXISTS {quote_ident(t)}")
                    for t in (base.candidate_pairs, base.scored, base.members, base.survivors)])
        normalised = quote_ident(base.normalised)  # by reference, so a check reads few of its row groups
        runner.run(SqlStep("sort normalised", f"CREATE OR REPLACE TEMP TABLE {normalised} AS "
                                              f"SELECT * FROM {normalised} ORDER BY trader_id"))
        self.totals: dict[str, tuple[int, int]] = {}
        for column in tf_columns(rules):
            counts = quote_ident(base.match_counts(column))
            runner.run(SqlStep(f"value counts {column}", f"CREATE OR REPLACE TEMP TABLE {counts} AS "
                               f"{value_counts_query(column, base.normalised)} ORDER BY value"))
            total, squares = runner.fetchone(SqlStep(
                f"totals {column}", f"SELECT coalesce(sum(k), 0), coalesce(sum(k::HUGEINT * k), 0) FROM {counts}"))
            self.totals[column] = (int(total), int(squares))
        for column in sector_columns(rules):
            col = quote_ident(column)
            runner.run(SqlStep(f"sector pairs {column}", f"""
                CREATE OR REPLACE TEMP TABLE {quote_ident(base.match_sector_pairs(column))} AS
                SELECT DISTINCT {col} AS value, postcode_sector FROM {quote_ident(base.normalised)}
                WHERE {col} IS NOT NULL ORDER BY value"""))
        for evidence in rules.shared_evidence:
            columns = ", ".join(quote_ident(c) for c in (*evidence.on, evidence.distinct))
            present = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in evidence.on)
            runner.run(SqlStep(f"shared evidence {evidence.name}", f"""
                CREATE OR REPLACE TEMP TABLE {quote_ident(base.match_shared(evidence.name))} AS
                SELECT DISTINCT {columns} FROM {quote_ident(base.normalised)} WHERE {present} ORDER BY ALL"""))
        runner.run([keyed_records_sql(rule, base.normalised, base.match_keyed(i))
                    for i, rule in enumerate(rules.blocking)])
        runner.run(rule_terms_sql(rules, self.tables))
        self.probe_id = next_reference(runner)
        self._indexed = self._views = False
        self._columns = [next(lvl.column for lvl in c.levels if lvl.column) for c in rules.comparisons]

    # --- search ----------------------------------------------------------------------------------

    def search(self, name: str, *, address_contains: str | None = None, postcode: str | None = None,
               limit: int = 100) -> SearchResult:
        """Trader search (`dedup.search`) on this matcher's normalised table (indexed once)."""
        if not self._indexed:
            build_index(self.runner, self.base)
            self._indexed = True
        return search_result(self.runner, search_sql(self.base, name=name, address_contains=address_contains,
                                                     postcode=postcode, today=self.today, limit=limit))

    def recent(self, ts_id: str, *, limit: int = 100) -> SearchResult:
        """Live traders created in the last 30 days whose postcode maps to `ts_id`."""
        return search_result(self.runner, recent_sql(self.base.normalised, ts_id=ts_id, today=self.today,
                                                     limit=limit))

    # --- one check -------------------------------------------------------------------------------

    def check(self, *, name: str, address: str | None = None, postcode: str | None = None,
              phone: str | None = None, website: str | None = None, limit: int | None = 10) -> CheckResult:
        """The live records most likely to be the record described, ranked (see `CheckResult`)."""
        if not name or not name.strip():
            raise DedupError("--name: the trader's name is required")
        fields = {"name": name, "address": address, "postcode": postcode, "phone": phone, "website": website}
        normalised = normalise_traders(probe_frame(self.probe_id, fields)).with_columns(
            whitelisted=pl.lit(False), in_increment=pl.lit(True), from_cache=pl.lit(False))
        probe = normalised.row(0, named=True)
        if probe["name_norm"] is None:
            raise DedupError(f"--name {name!r}: nothing is left of it to match on once normalised")
        runner, tables, base = self.runner, self.tables, self.base
        runner.register(tables.probe, normalised)
        runner.run(probe_pairs_sql(self.rules.blocking, self.rules.max_block_size,
                                   [base.match_keyed(i) for i in range(len(self.rules.blocking))],
                                   tables.probe, tables.candidate_pairs))
        runner.run(SqlStep("check records", f"""
            CREATE OR REPLACE TEMP TABLE {quote_ident(tables.normalised)} AS
            SELECT * FROM {quote_ident(base.normalised)}
            WHERE trader_id IN (SELECT left_id FROM {quote_ident(tables.candidate_pairs)})
            UNION ALL BY NAME SELECT * FROM {quote_ident(tables.probe)}"""))
        first = not self._views
        if first:
            runner.run(self._frequency_views())
            self._views = True
        runner.run(score_pairs_sqls(self.rules, tables, frequencies=False))
        if first:
            runner.run(SqlStep("check merge band", f"""
                CREATE OR REPLACE TEMP VIEW {quote_ident(tables.members)} AS
                SELECT left_id AS trader_id, 0 AS component FROM {quote_ident(tables.scored)} WHERE band = 'merge'"""))
        rows = self._scored_rows(probe)
        members = sum(r["band"] == "merge" for r in rows)
        hold = self._hold() if members else None
        candidates = _ranked(rows, hold, limit)
        merge_into = None if hold or not members else self._survivor()
        del probe["whitelisted"], probe["in_increment"], probe["from_cache"], probe["trader_id"]
        return CheckResult(candidates, merge_into, probe, self.probe_id)

    def _frequency_views(self) -> list[SqlStep]:
        """Views giving the term-frequency, sector-spread and shared-evidence rows each check's
        pairs need, as the run would compute them with the probe in the table (its values counted
        once more, its business among those sharing its value); made once, read by each check's
        scoring statement (one statement fewer per table)."""
        steps, tables, base = [], self.tables, self.base
        probe, normalised = quote_ident(tables.probe), quote_ident(tables.normalised)
        for column in tf_columns(self.rules):
            total, squares = self.totals[column]
            col, counts = quote_ident(column), quote_ident(base.match_counts(column))
            steps.append(SqlStep(f"check term frequencies {column}", f"""
                CREATE OR REPLACE TEMP VIEW {quote_ident(tables.term_frequencies(column))} AS
                SELECT value, {TF_VALUES} FROM (
                    SELECT v.value, coalesce(c.k, 0) + CASE WHEN v.value = p.value THEN 1 ELSE 0 END AS k,
                           {int(total)}::HUGEINT + CASE WHEN p.value IS NULL THEN 0 ELSE 1 END AS total,
                           {int(squares)}::HUGEINT + CASE WHEN p.value IS NULL THEN 0
                               ELSE 2 * coalesce(pc.k, 0) + 1 END AS squares
                    FROM (SELECT DISTINCT {col} AS value FROM {normalised} WHERE {col} IS NOT NULL) v
                    LEFT JOIN {counts} c USING (value)
                    CROSS JOIN (SELECT {col} AS value FROM {probe}) p
                    LEFT JOIN {counts} pc ON pc.value = p.value)"""))
        for column in sector_columns(self.rules):
            col = quote_ident(column)
            steps.append(SqlStep(f"check sector spread {column}", f"""
                CREATE OR REPLACE TEMP VIEW {quote_ident(tables.sectors(column))} AS
                SELECT value, count(DISTINCT postcode_sector) AS sectors FROM (
                    SELECT value, postcode_sector FROM {quote_ident(base.match_sector_pairs(column))}
                    WHERE value IN (SELECT {col} FROM {normalised})
                    UNION ALL SELECT {col}, postcode_sector FROM {probe} WHERE {col} IS NOT NULL)
                GROUP BY value"""))
        for evidence in self.rules.shared_evidence:
            source = quote_ident(tables.shared_source(evidence.name))
            columns = ", ".join(quote_ident(c) for c in (*evidence.on, evidence.distinct))
            same = " AND ".join(f"s.{quote_ident(c)} = p.{quote_ident(c)}" for c in evidence.on)
            steps += [SqlStep(f"check shared evidence {evidence.name}", f"""
                CREATE OR REPLACE TEMP VIEW {source} AS
                SELECT s.* FROM (SELECT {columns} FROM {quote_ident(base.match_shared(evidence.name))}) s
                SEMI JOIN {probe} p ON {same}
                UNION ALL SELECT {columns} FROM {probe}"""),
                      SqlStep(f"check businesses sharing {evidence.name}", f"""
                CREATE OR REPLACE TEMP VIEW {quote_ident(tables.shared_counts(evidence.name))} AS
                {evidence.counts_query(tables.shared_source(evidence.name))}""")]
        return steps

    def _hold(self) -> str | None:
        """Why the cluster of the new record and its merge-band records would be held back, as a
        run holds clusters (`dedup.pipeline.cluster_stage`, `dedup.decisions`), or None."""
        tables, rules = self.tables, self.rules
        members = quote_ident(tables.members)
        fired = " OR ".join(quote_ident(hard_column(n)) for n in rules.keep_apart) or "FALSE"
        size, whitelisted, kept_apart, decided = self.runner.fetchone(SqlStep("cluster holds", f"""
            SELECT count(*), count(*) FILTER (WHERE n.whitelisted),
                   (SELECT count(*) FROM {quote_ident(tables.scored)}
                    WHERE ({fired}) AND left_id IN (SELECT trader_id FROM {members})),
                   (SELECT count(*) FROM (SELECT decision_id FROM ({ACTIVE_NEVER_MERGE})
                                          WHERE trader_id IN (SELECT trader_id FROM {members})
                                          GROUP BY decision_id HAVING count(*) > 1))
            FROM {members} m JOIN {quote_ident(tables.normalised)} n USING (trader_id)"""))
        if size + 1 > rules.max_cluster_size:
            return f"cluster larger than max_cluster_size ({size + 1} > {rules.max_cluster_size})"
        if whitelisted > 1:
            return "more than one whitelisted record"
        if kept_apart:
            return "two of its records are different traders by a hard rule"
        if decided:
            return "a never-merge decision keeps two of its records apart"
        return None

    def _survivor(self) -> int:
        """The record of the merge band that survives by the rule set's survivor order."""
        self.runner.run(choose_survivors_sql(self.tables.members, self.tables.survivors, self.today,
                                             self.rules.merge.survivor_order))
        return self.runner.scalar(SqlStep("survivor", f"SELECT min(survivor_id) FROM "
                                                      f"{quote_ident(self.tables.survivors)}"))

    def _scored_rows(self, probe: dict) -> list[dict]:
        """Every scored pair a never-match hard rule does not rule out, with the candidate's record,
        pending survivor and explanation (per comparison with the new and existing values)."""
        tables = self.tables
        rows = self.runner.records(SqlStep("check candidates", f"""
            SELECT s.left_id AS trader_id, s.band, s.score, coalesce(k.cluster_id, s.left_id) AS survivor_id,
                   t.name, t.address, t.postcode, t.phone, t.website, s.blocking_rule,
                   e.explanation::VARCHAR AS explanation
            FROM {quote_ident(tables.scored)} s
            JOIN ({explanation_query(self.rules, tables.scored, tables)}) e USING (left_id, right_id)
            JOIN traders t ON t.trader_id = s.left_id
            LEFT JOIN {quote_ident(self.base.clusters)} k ON k.trader_id = s.left_id
            WHERE NOT s.never_match AND (s.band <> 'none' OR s.score > 0)"""))
        values = {r["trader_id"]: r for r in self.runner.records(SqlStep(
            "candidate values", f"SELECT * FROM {quote_ident(tables.normalised)}"))}
        for row in rows:
            explanation = json.loads(row["explanation"])
            for item, column in zip(explanation["comparisons"], self._columns):
                item.update(column=column, new=probe[column], existing=values[row["trader_id"]][column])
            row["explanation"] = {"comparisons": explanation["comparisons"], "hard_rules": explanation["hard_rules"]}
        return rows


def _ranked(rows: list[dict], hold: str | None, limit: int | None) -> pl.DataFrame:
    """The candidates as the check reports them: a merge-band pair of a cluster that would be held
    is `review` with the reason, one below the review threshold `weak`; ranked by band, then score
    (then reference); the first `limit`."""
    for row in rows:
        row["hold_reason"] = hold if row["band"] == "merge" else None
        row["band"] = {"none": "weak", "merge": "review" if hold else "merge"}.get(row["band"], row["band"])
    rows.sort(key=lambda r: (BANDS.index(r["band"]), -r["score"], r["trader_id"]))
    rows = rows[:limit] if limit else rows
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return pl.DataFrame(rows, schema=CANDIDATE_SCHEMA, orient="row") if rows else CANDIDATE_SCHEMA.to_frame()


# --- one-off searches (no Matcher kept) ------------------------------------------------------------

SEARCH_PREFIX = "__dedup__search_"


def search_once(store: Store, name: str, *, address_contains: str | None = None, postcode: str | None = None,
                today: dt.date, limit: int = 100) -> SearchResult:
    """A search without a Matcher: the active traders normalised as a run does (its cache first),
    the merged ones for the call, then `dedup.search.search_sql`."""
    tables = StageTables(SEARCH_PREFIX)
    step = search_sql(tables, name=name, address_contains=address_contains, postcode=postcode, today=today,
                      limit=limit)  # checks the query before the work
    normalise_stage(store.runner, tables)
    build_index(store.runner, tables)
    return search_result(store.runner, step)


def recent_once(store: Store, ts_id: str, *, today: dt.date, limit: int = 100) -> SearchResult:
    """Recently added traders without a Matcher: only those records are normalised."""
    normalised = normalise_recent(store.runner, StageTables(SEARCH_PREFIX), today=today)
    return search_result(store.runner, recent_sql(normalised, ts_id=ts_id, today=today, limit=limit))
