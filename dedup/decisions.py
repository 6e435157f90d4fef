"""Review decisions: what people decided about records, stored once and read three ways.

- A **never_merge** decision (a rejected proposal) keeps its records apart: while it is active
  (not withdrawn, and every one of its records still has the `updated_at` stored with it) the
  pipeline puts every scored pair inside it in band 'none' with `decision = 'never_merge'`, and
  holds back a cluster that would join two of its records through a third. Editing one of the
  records (an import that changes a matching field moves its `updated_at`) lifts it.
- An **always_merge** decision (an accepted proposal) brings its merge back: while it is active
  and its records are active (after a store rebuild and `dedup decisions import`), the pipeline
  scores its pairs even if no blocking rule makes them and puts them in the merge band; the
  usual cluster guards still apply. Undoing the merge withdraws the decision.

The pipeline's hooks (`add_decided_pairs`, `apply_decisions`, `hold_decided_clusters`) are no-ops
on an older read-only store without a decisions table. `dedup diff` reads the same active
decisions as labels. Recording, withdrawing, listing, exporting and importing decisions live
here too; the review workflow that makes them is `dedup.review`.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl

from dedup.errors import DedupError
from dedup.paths import write_error
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.tables import StageTables

DECISION_KINDS = ("never_merge", "always_merge")


def active_decisions_query(kind: str) -> str:
    """Active decisions of one kind, one row per (decision, trader): not withdrawn, and no record
    changed since (each record's updated_at is the one stored with the decision)."""
    if kind not in DECISION_KINDS:  # spliced into SQL: only the known kinds
        raise ValueError(f"not a decision kind: {kind!r}")
    members = (f"SELECT decision_id, unnest(trader_ids) AS trader_id, "
               f"unnest(record_versions) AS version "
               f"FROM decisions WHERE kind = '{kind}' AND withdrawn_at IS NULL")
    return f"""
    SELECT v.decision_id, v.trader_id FROM ({members}) v
    WHERE v.decision_id IN (
        SELECT x.decision_id FROM ({members}) x
        LEFT JOIN traders t ON t.trader_id = x.trader_id
        GROUP BY x.decision_id
        HAVING bool_and(t.trader_id IS NOT NULL AND t.updated_at IS NOT DISTINCT FROM x.version))"""


#: Active never-merge decisions, one row per (decision, trader).
ACTIVE_NEVER_MERGE = active_decisions_query("never_merge")
#: Active always-merge decisions, one row per (decision, trader).
ACTIVE_ALWAYS_MERGE = active_decisions_query("always_merge")


def decided_pairs_query(active: str) -> str:
    """Every pair (a < b) of records inside one active decision."""
    return (f"SELECT DISTINCT l.trader_id AS a, r.trader_id AS b FROM ({active}) l "
            f"JOIN ({active}) r ON l.decision_id = r.decision_id AND l.trader_id < r.trader_id")


# --- the pipeline hook -------------------------------------------------------------------------

def has_decisions_sql() -> SqlStep:
    return SqlStep("has decisions table",
                   "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'decisions' "
                   "AND database_name = current_database() AND NOT temporary")


def add_always_merge_pairs_sql(tables: StageTables) -> SqlStep:
    """Add to the run's candidate pairs every pair inside an active always-merge decision whose
    records are both active (in the run's normalised table) and that blocking did not produce,
    so it is scored (and explained) like any other pair; `blocking_rule` says where it came
    from."""
    pairs, normalised = quote_ident(tables.candidate_pairs), quote_ident(tables.normalised)
    return SqlStep("pairs of always-merge decisions", f"""
        INSERT INTO {pairs} (left_id, right_id, blocking_rule)
        SELECT d.a, d.b, 'always_merge decision' FROM ({decided_pairs_query(ACTIVE_ALWAYS_MERGE)}) d
        SEMI JOIN {normalised} l ON l.trader_id = d.a
        SEMI JOIN {normalised} r ON r.trader_id = d.b
        ANTI JOIN {pairs} p ON p.left_id = d.a AND p.right_id = d.b""")


def apply_decisions_sqls(scored: str) -> list[SqlStep]:
    """Apply active decisions to the scored pairs (only temp tables change: fine on a read-only
    store), marking each decided pair in a `decision` column:

    - a pair inside an always-merge decision goes to band 'merge', whatever its score or hard
      rules say: a person looked at these records and merged them (this is how accepted merges
      come back after a store is rebuilt and the decisions imported);
    - a pair inside a never-merge decision goes to band 'none'. It is applied second, so when
      people have decided both ways about the same two records, they are not merged.

    A decided pair keeps the band the rules gave it in `rules_band` (NULL on other pairs), so
    `dedup diff` can check a rule set against the decisions people made.
    """
    scored = quote_ident(scored)
    return [
        SqlStep("decision column", f"ALTER TABLE {scored} ADD COLUMN IF NOT EXISTS decision VARCHAR"),
        SqlStep("rules band column", f"ALTER TABLE {scored} ADD COLUMN IF NOT EXISTS rules_band VARCHAR"),
        *(SqlStep(f"apply {kind.replace('_', '-')} decisions", f"""
            UPDATE {scored} SET rules_band = coalesce(rules_band, band), band = $band,
                   decision = $kind
            FROM ({decided_pairs_query(active)}) d
            WHERE {scored}.left_id = d.a AND {scored}.right_id = d.b""", {"band": band, "kind": kind})
          for kind, band, active in (("always_merge", "merge", ACTIVE_ALWAYS_MERGE),
                                     ("never_merge", "none", ACTIVE_NEVER_MERGE))),
    ]


def hold_never_merge_sql(clusters: str) -> SqlStep:
    """Hold back (not merge) every cluster that would join two records of one active never-merge
    decision through other records: their own pair is out of the merge band already, but a third
    record could still link them."""
    c = quote_ident(clusters)
    return SqlStep("hold clusters split by decisions", f"""
        UPDATE {c} SET held = TRUE, cluster_id = trader_id,
               hold_reason = 'a never-merge decision keeps two of its records apart'
        WHERE component IN (
            SELECT k.component FROM {c} k JOIN ({ACTIVE_NEVER_MERGE}) d ON d.trader_id = k.trader_id
            WHERE k.component IS NOT NULL AND NOT k.held
            GROUP BY k.component, d.decision_id HAVING count(*) > 1)""")


def add_decided_pairs(runner: Runner, tables: StageTables) -> None:
    """Block stage: run `add_always_merge_pairs_sql` when the store has a decisions table."""
    if runner.scalar(has_decisions_sql()):
        runner.run(add_always_merge_pairs_sql(tables))


def apply_decisions(runner: Runner, tables: StageTables) -> None:
    """Score stage: run `apply_decisions_sqls` when the store has a decisions table (older
    read-only stores don't)."""
    if runner.scalar(has_decisions_sql()):
        runner.run(apply_decisions_sqls(tables.scored))


def hold_decided_clusters(runner: Runner, tables: StageTables) -> None:
    """Cluster stage: run `hold_never_merge_sql` when the store has a decisions table."""
    if runner.scalar(has_decisions_sql()):
        runner.run(hold_never_merge_sql(tables.clusters))


# --- recording, listing, withdrawing ----------------------------------------------------------

def check_decided_by(name: str) -> str:
    if not name or not name.strip():
        raise DedupError("--by: give the name of who decided")
    return name.strip()


def record_decision_sql(trader_ids: list[int], kind: str, decided_by: str, note: str | None,
                        decided_at: dt.datetime, proposal_id: int | None) -> SqlStep:
    """Insert a decision, stamping the traders' current updated_at; returns its id."""
    return SqlStep("record decision", """
        INSERT INTO decisions (decision_id, trader_ids, kind, decided_by, note, decided_at,
                               proposal_id, record_versions)
        SELECT (SELECT coalesce(max(decision_id), 0) + 1 FROM decisions), $ids, $kind, $by, $note,
               $at, $proposal_id,
               (SELECT list(t.updated_at ORDER BY x.trader_id)
                FROM unnest($ids::BIGINT[]) AS x(trader_id) LEFT JOIN traders t USING (trader_id))
        RETURNING decision_id""",
                   {"ids": sorted(trader_ids), "kind": kind, "by": decided_by, "note": note,
                    "at": decided_at, "proposal_id": proposal_id})


def list_decisions(runner: Runner) -> pl.DataFrame:
    """Every decision; `active` says whether it still applies (not withdrawn, no record changed
    since)."""
    return runner.frame(SqlStep("list decisions", f"""
        SELECT d.decision_id, d.kind, d.trader_ids, d.decided_by, d.note, d.decided_at,
               d.proposal_id, d.record_versions, d.withdrawn_at, d.withdrawn_by,
               d.decision_id IN (SELECT decision_id FROM ({ACTIVE_NEVER_MERGE})
                                 UNION ALL SELECT decision_id FROM ({ACTIVE_ALWAYS_MERGE})) AS active
        FROM decisions d ORDER BY d.decision_id"""))


def withdraw(runner: Runner, decision_id: int, *, by: str, now: dt.datetime | None = None) -> dict:
    by = check_decided_by(by)
    row = runner.fetchone(SqlStep("decision", "SELECT withdrawn_at FROM decisions WHERE decision_id = ?",
                                  (decision_id,)))
    if row is None:
        raise DedupError(f"no decision {decision_id}")
    if row[0] is not None:
        raise DedupError(f"decision {decision_id} was already withdrawn at {row[0]:%Y-%m-%d %H:%M:%S}")
    runner.run(SqlStep("withdraw decision",
                       "UPDATE decisions SET withdrawn_at = ?, withdrawn_by = ? WHERE decision_id = ?",
                       (now or dt.datetime.now(), by, decision_id)))
    return {"decision_id": decision_id, "withdrawn_by": by}


def decisions_csv_frame(runner: Runner) -> pl.DataFrame:
    """Decisions as flat text columns (trader_ids separated by ';'), for CSV."""
    return runner.frame(SqlStep("decisions for csv", """
        SELECT decision_id, kind, array_to_string(trader_ids, ';') AS trader_ids, decided_by, note,
               strftime(decided_at, '%Y-%m-%dT%H:%M:%S.%f') AS decided_at, proposal_id,
               strftime(withdrawn_at, '%Y-%m-%dT%H:%M:%S.%f') AS withdrawn_at, withdrawn_by
        FROM decisions ORDER BY decision_id"""))


def export_decisions(runner: Runner, path: Path) -> int:
    frame = decisions_csv_frame(runner)
    try:
        frame.write_csv(path)
    except OSError as exc:
        raise write_error(path, exc) from None
    return frame.height


def _parse_time(value: str, where: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise DedupError(f"{where}: {value!r} is not a date-time") from None


def read_decisions_csv(path: Path) -> list[dict]:
    """Parse and check a decisions CSV (as written by `export_decisions`); any problem is one
    DedupError naming the file, row and column."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in ("kind", "trader_ids", "decided_by", "decided_at") if c not in header]
            if missing:
                raise DedupError(f"{path}: missing column(s) {', '.join(missing)}")
            rows = list(reader)
    except OSError as exc:
        raise DedupError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DedupError(f"{path}: cannot read as CSV: {exc}") from None
    out = []
    for n, row in enumerate(rows, start=2):
        where = f"{path}: row {n}"
        kind = (row.get("kind") or "").strip()
        if kind not in DECISION_KINDS:
            raise DedupError(f"{where}, column kind: {kind!r} is not one of {', '.join(DECISION_KINDS)}")
        try:
            ids = sorted({int(x) for x in (row.get("trader_ids") or "").split(";") if x.strip()})
        except ValueError:
            raise DedupError(f"{where}, column trader_ids: {row.get('trader_ids')!r} is not a "
                             f"';'-separated list of trader ids") from None
        if len(ids) < 2:
            raise DedupError(f"{where}, column trader_ids: a decision needs two or more traders")
        by = (row.get("decided_by") or "").strip()
        if not by:
            raise DedupError(f"{where}, column decided_by: empty")
        decided_at = _parse_time((row.get("decided_at") or "").strip(), f"{where}, column decided_at")
        if decided_at is None:
            raise DedupError(f"{where}, column decided_at: empty")
        proposal = (row.get("proposal_id") or "").strip()
        if proposal and not proposal.isdigit():
            raise DedupError(f"{where}, column proposal_id: {proposal!r} is not a number")
        out.append({"trader_ids": ids, "kind": kind, "decided_by": by,
                    "note": row.get("note") or None, "decided_at": decided_at,
                    "proposal_id": int(proposal) if proposal else None,
                    "withdrawn_at": _parse_time((row.get("withdrawn_at") or "").strip(),
                                                f"{where}, column withdrawn_at"),
                    "withdrawn_by": (row.get("withdrawn_by") or "").strip() or None, "row": n})
    return out


def import_decisions(runner: Runner, path: Path) -> dict:
    """Load decisions from a CSV, all or nothing. Each is anchored to its records as they are in
    this store now (their current updated_at), so decisions survive a store rebuild; a decision
    already present (same traders, kind and decision time) is skipped. Every trader must exist."""
    rows = read_decisions_csv(path)
    known = {r[0] for r in runner.fetchall(SqlStep(
        "known traders", "SELECT trader_id FROM traders WHERE list_contains($ids, trader_id)",
        {"ids": sorted({i for r in rows for i in r["trader_ids"]})}))}
    for r in rows:
        unknown = [i for i in r["trader_ids"] if i not in known]
        if unknown:
            raise DedupError(f"{path}: row {r['row']}, column trader_ids: no trader {unknown[0]} "
                             f"in the store")
    added = skipped = 0
    with runner.transaction("import decisions"):
        for r in rows:
            exists = runner.scalar(SqlStep("decision exists", """
                SELECT count(*) FROM decisions
                WHERE trader_ids = $ids AND kind = $kind AND decided_at = $at""",
                {"ids": r["trader_ids"], "kind": r["kind"], "at": r["decided_at"]}))
            if exists:
                skipped += 1
                continue
            decision_id = runner.scalar(record_decision_sql(r["trader_ids"], r["kind"], r["decided_by"],
                                                            r["note"], r["decided_at"], r["proposal_id"]))
            if r["withdrawn_at"] is not None:
                runner.run(SqlStep("imported withdrawal",
                                   "UPDATE decisions SET withdrawn_at = ?, withdrawn_by = ? "
                                   "WHERE decision_id = ?",
                                   (r["withdrawn_at"], r["withdrawn_by"], decision_id)))
            added += 1
    return {"decisions_added": added, "decisions_skipped": skipped}
