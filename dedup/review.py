"""The review queue: list, show, accept and reject proposals; decisions that stick.

- A **rejection** records a `never_merge` decision for the proposal's traders. While it is
  active (not withdrawn, and every one of its records still has the `updated_at` stored with it)
  the pipeline puts every scored pair inside it in band 'none' with `decision = 'never_merge'`
  (`decisions_sql`), so later runs neither propose nor merge it. Editing one of the records
  (an import that changes a matching field moves its `updated_at`) lifts it.
- An **acceptance** merges the proposal's traders through `apply_groups` (the overnight job's
  plan, apply, safety checks and audit, recorded as a run) and records an `always_merge`
  decision, in the same transaction. While that decision is active and its records are active
  (after a store rebuild and `dedup decisions import`), the pipeline scores its pairs and puts
  them in the merge band (`decisions_sql`); the usual cluster guards still apply. Undoing the
  merge withdraws the decision, so the next run does not merge the records again.
- An apply run closes open proposals whose records have since been merged or changed as
  'stale' (`close_stale_sql`), and never queues a second open proposal for the same traders.

Functions return polars DataFrames or dicts; SQL builders end in `_sql`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import polars as pl

from dedup.errors import DedupError
from dedup.schema import active_on_sql
from dedup.sql import Runner, SqlStep, quote_ident

STATUSES = ("open", "accepted", "rejected", "stale")
DECISION_KINDS = ("never_merge", "always_merge")
REVIEW_GROUPS = "__dedup__review_groups"
COMPARED_FIELDS = ("name", "address", "postcode", "phone", "website", "created_at", "created_by",
                   "status", "merged_into", "updated_at")

def active_decisions_sql(kind: str) -> str:
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
ACTIVE_NEVER_MERGE = active_decisions_sql("never_merge")
#: Active always-merge decisions, one row per (decision, trader).
ACTIVE_ALWAYS_MERGE = active_decisions_sql("always_merge")


def decided_pairs_sql(active: str) -> str:
    """Every pair (a < b) of records inside one active decision."""
    return (f"SELECT DISTINCT l.trader_id AS a, r.trader_id AS b FROM ({active}) l "
            f"JOIN ({active}) r ON l.decision_id = r.decision_id AND l.trader_id < r.trader_id")


# --- the pipeline hook -------------------------------------------------------------------------

def has_decisions_sql() -> SqlStep:
    return SqlStep("has decisions table",
                   "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'decisions' "
                   "AND database_name = current_database() AND NOT temporary")


def add_always_merge_pairs_sql(pairs: str = "__dedup__candidate_pairs",
                               normalised: str = "__dedup__normalised") -> SqlStep:
    """Add to the candidate pairs every pair inside an active always-merge decision whose records
    are both active (in `normalised`) and that blocking did not produce, so it is scored (and
    explained) like any other pair; `blocking_rule` says where it came from."""
    pairs, normalised = quote_ident(pairs), quote_ident(normalised)
    return SqlStep("pairs of always-merge decisions", f"""
        INSERT INTO {pairs} (left_id, right_id, blocking_rule)
        SELECT d.a, d.b, 'always_merge decision' FROM ({decided_pairs_sql(ACTIVE_ALWAYS_MERGE)}) d
        SEMI JOIN {normalised} l ON l.trader_id = d.a
        SEMI JOIN {normalised} r ON r.trader_id = d.b
        ANTI JOIN {pairs} p ON p.left_id = d.a AND p.right_id = d.b""")


def decisions_sql(scored: str = "__dedup__scored") -> list[SqlStep]:
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
        SqlStep("apply always-merge decisions", f"""
            UPDATE {scored} SET rules_band = coalesce(rules_band, band), band = 'merge',
                   decision = 'always_merge'
            FROM ({decided_pairs_sql(ACTIVE_ALWAYS_MERGE)}) d
            WHERE {scored}.left_id = d.a AND {scored}.right_id = d.b"""),
        SqlStep("apply never-merge decisions", f"""
            UPDATE {scored} SET rules_band = coalesce(rules_band, band), band = 'none',
                   decision = 'never_merge'
            FROM ({decided_pairs_sql(ACTIVE_NEVER_MERGE)}) d
            WHERE {scored}.left_id = d.a AND {scored}.right_id = d.b"""),
    ]


def add_decided_pairs(runner: Runner, pairs: str = "__dedup__candidate_pairs") -> None:
    """Run `add_always_merge_pairs_sql` when the store has a decisions table."""
    if runner.scalar(has_decisions_sql()):
        runner.run(add_always_merge_pairs_sql(pairs))


def apply_decisions(runner: Runner, scored: str = "__dedup__scored") -> None:
    """Run `decisions_sql` when the store has a decisions table (older read-only stores don't)."""
    if runner.scalar(has_decisions_sql()):
        runner.run(decisions_sql(scored))


def hold_never_merge_sql(clusters: str = "__dedup__clusters") -> SqlStep:
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


def hold_decided_clusters(runner: Runner, clusters: str = "__dedup__clusters") -> None:
    """Run `hold_never_merge_sql` when the store has a decisions table."""
    if runner.scalar(has_decisions_sql()):
        runner.run(hold_never_merge_sql(clusters))


# --- proposals across re-runs ------------------------------------------------------------------

def close_stale_sql(closed_at: dt.datetime) -> SqlStep:
    """Close as 'stale' every open proposal one of whose records is no longer active (merged) or
    was changed after the proposal was made, with the reason."""
    return SqlStep("close stale proposals", """
        UPDATE proposals SET status = 'stale', closed_at = $closed_at, closed_reason = x.reason
        FROM (SELECT p.proposal_id,
                     CASE WHEN bool_or(t.trader_id IS NULL OR t.status <> 'active')
                          THEN 'merged: ' || string_agg(m.trader_id::VARCHAR, ', ' ORDER BY m.trader_id)
                                  FILTER (WHERE t.trader_id IS NULL OR t.status <> 'active')
                               || ' no longer active'
                          ELSE 'changed: ' || string_agg(m.trader_id::VARCHAR, ', ' ORDER BY m.trader_id)
                                  FILTER (WHERE t.updated_at > p.created_at)
                               || ' updated since proposed' END AS reason
              FROM proposals p, unnest(p.trader_ids) AS m(trader_id)
              LEFT JOIN traders t ON t.trader_id = m.trader_id
              WHERE p.status = 'open'
              GROUP BY p.proposal_id
              HAVING bool_or(t.trader_id IS NULL OR t.status <> 'active' OR t.updated_at > p.created_at)) x
        WHERE proposals.proposal_id = x.proposal_id
        RETURNING proposals.proposal_id""", {"closed_at": closed_at})


# --- reading the queue -------------------------------------------------------------------------

def list_proposals_sql(*, run_id: int | None = None, status: str | None = None,
                       min_score: float | None = None, trader: int | None = None,
                       tracked: bool = False, sort: str = "newest", limit: int | None = None,
                       today: dt.date | None = None) -> SqlStep:
    """Proposals with filters; `tracked` keeps those naming a trader with an active track."""
    where, params = ["TRUE"], {}
    if run_id is not None:
        where.append("p.run_id = $run_id")
        params["run_id"] = run_id
    if status is not None:
        where.append("p.status = $status")
        params["status"] = status
    if min_score is not None:
        where.append("p.score >= $min_score")
        params["min_score"] = min_score
    if trader is not None:
        where.append("list_contains(p.trader_ids, $trader)")
        params["trader"] = trader
    if tracked:
        where.append("EXISTS (SELECT 1 FROM tracks k WHERE list_contains(p.trader_ids, k.trader_id) "
                     f"AND {active_on_sql('k')})")
        params["today"] = today or dt.date.today()
    order = "p.score DESC NULLS LAST, p.proposal_id" if sort == "score" else \
        "p.created_at DESC, p.proposal_id DESC"
    lim = ""
    if limit is not None:
        lim = "LIMIT $limit"
        params["limit"] = limit
    return SqlStep("list proposals", f"""
        SELECT p.proposal_id, p.run_id, p.kind, p.trader_ids,
               (SELECT list(t.name ORDER BY t.trader_id) FROM traders t
                WHERE list_contains(p.trader_ids, t.trader_id)) AS names,
               p.score, p.status, p.created_at, p.decided_by, p.closed_at, p.closed_reason
        FROM proposals p WHERE {' AND '.join(where)} ORDER BY {order} {lim}""", params)


def list_proposals(runner: Runner, **filters) -> pl.DataFrame:
    if filters.get("status") not in (None, *STATUSES):
        raise DedupError(f"--status {filters['status']!r}: expected one of {', '.join(STATUSES)}")
    if filters.get("sort", "newest") not in ("newest", "score"):
        raise DedupError(f"--sort {filters['sort']!r}: expected newest or score")
    return runner.frame(list_proposals_sql(**filters))


def get_proposal(runner: Runner, proposal_id: int) -> dict:
    row = runner.fetchone(SqlStep("proposal", """
        SELECT proposal_id, run_id, kind, trader_ids, score, explanation, status, created_at,
               decided_by, closed_at, closed_reason
        FROM proposals WHERE proposal_id = ?""", (proposal_id,)))
    if row is None:
        raise DedupError(f"no proposal {proposal_id}")
    keys = ("proposal_id", "run_id", "kind", "trader_ids", "score", "explanation", "status",
            "created_at", "decided_by", "closed_at", "closed_reason")
    proposal = dict(zip(keys, row))
    proposal["explanation"] = json.loads(proposal["explanation"]) if proposal["explanation"] else None
    return proposal


def show_proposal(runner: Runner, proposal_id: int, today: dt.date | None = None) -> dict:
    """A proposal with its records side by side (fields that differ listed), what a merge would
    move per record, and which records are whitelisted or tracked."""
    proposal = get_proposal(runner, proposal_id)
    today = today or dt.date.today()
    records = runner.frame(SqlStep("proposal records", f"""
        SELECT t.trader_id, {', '.join('t.' + quote_ident(c) for c in COMPARED_FIELDS)},
               w.trader_id IS NOT NULL AS whitelisted,
               (SELECT count(*) FROM cases c WHERE c.trader_id = t.trader_id) AS cases,
               (SELECT count(*) FROM tracks k WHERE k.trader_id = t.trader_id) AS tracks,
               (SELECT count(*) FROM certificates c WHERE c.trader_id = t.trader_id) AS certificates,
               EXISTS (SELECT 1 FROM tracks k WHERE k.trader_id = t.trader_id
                       AND {active_on_sql('k')}) AS tracked
        FROM traders t LEFT JOIN whitelist w USING (trader_id)
        WHERE list_contains($ids, t.trader_id) ORDER BY t.trader_id""",
        {"ids": proposal["trader_ids"], "today": today}))
    rows = records.to_dicts()
    differing = [f for f in ("name", "address", "postcode", "phone", "website")
                 if len({r[f] for r in rows}) > 1]
    return {**proposal, "records": rows, "differing_fields": differing}


# --- deciding ----------------------------------------------------------------------------------

def _open_proposal(runner: Runner, proposal_id: int) -> dict:
    proposal = get_proposal(runner, proposal_id)
    if proposal["status"] != "open":
        raise DedupError(f"proposal {proposal_id} is {proposal['status']}, not open")
    return proposal


def _by(name: str) -> str:
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


def close_proposal_sql(proposal_id: int, status: str, decided_by: str, note: str | None,
                       closed_at: dt.datetime) -> SqlStep:
    return SqlStep("close proposal", """
        UPDATE proposals SET status = $status, decided_by = $by, closed_at = $at,
               closed_reason = $reason WHERE proposal_id = $id""",
                   {"status": status, "by": decided_by, "at": closed_at, "id": proposal_id,
                    "reason": f"{status} by {decided_by}" + (f": {note}" if note else "")})


def reject(runner: Runner, proposal_id: int, *, by: str, note: str | None = None,
           now: dt.datetime | None = None) -> dict:
    """Reject an open proposal: close it and record a never-merge decision, in one transaction."""
    by = _by(by)
    now = now or dt.datetime.now()
    with runner.transaction("reject"):
        proposal = _open_proposal(runner, proposal_id)
        runner.run(close_proposal_sql(proposal_id, "rejected", by, note, now))
        decision_id = runner.scalar(record_decision_sql(proposal["trader_ids"], "never_merge", by,
                                                        note, now, proposal_id))
    return {"proposal_id": proposal_id, "status": "rejected", "decision_id": decision_id,
            "trader_ids": proposal["trader_ids"]}


def accept(store, rules, proposal_id: int, *, by: str, note: str | None = None,
           today: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """Accept an open proposal: merge its traders through `apply_groups` (the overnight job's
    plan, checks and audit, recorded as an apply run), put the proposal's score and explanation
    on the merges, close it and record an always-merge decision, all in one transaction."""
    # imported here: dedup.merge.runs imports the pipeline, which imports this module
    from dedup.merge.runs import apply_groups

    runner = store.runner
    by = _by(by)
    now = now or dt.datetime.now()
    proposal = _open_proposal(runner, proposal_id)
    ids = proposal["trader_ids"]
    inactive, whitelisted = runner.fetchone(SqlStep("check proposal records", """
        SELECT list(x.trader_id ORDER BY x.trader_id) FILTER (WHERE t.status IS DISTINCT FROM 'active'),
               count(w.trader_id)
        FROM unnest($ids::BIGINT[]) AS x(trader_id) LEFT JOIN traders t USING (trader_id)
        LEFT JOIN whitelist w ON w.trader_id = x.trader_id""", {"ids": ids}))
    if inactive:
        raise DedupError(f"proposal {proposal_id} is out of date: trader(s) "
                         f"{', '.join(map(str, inactive))} no longer active")
    if whitelisted > 1:
        raise DedupError(f"proposal {proposal_id} cannot be merged: it holds more than one "
                         f"whitelisted record")
    runner.register(REVIEW_GROUPS, pl.DataFrame({"trader_id": ids, "group_id": [ids[0]] * len(ids)},
                                                schema={"trader_id": pl.Int64, "group_id": pl.Int64}))
    decided: dict = {}

    def record(run_id: int) -> None:
        runner.run(SqlStep("explain accepted merges",
                           "UPDATE merges SET score = $score, explanation = $explanation "
                           "WHERE run_id = $run_id",
                           {"score": proposal["score"], "run_id": run_id,
                            "explanation": json.dumps({**(proposal["explanation"] or {}),
                                                       "accepted_proposal": proposal_id,
                                                       "accepted_by": by})}))
        runner.run(close_proposal_sql(proposal_id, "accepted", by, note, now))
        decided["decision_id"] = runner.scalar(record_decision_sql(ids, "always_merge", by, note,
                                                                   now, proposal_id))

    summary = apply_groups(store, rules, REVIEW_GROUPS, today=today, now=now, after=record)
    return {"proposal_id": proposal_id, "status": "accepted", "trader_ids": ids, **decided,
            **summary}


# --- decisions ---------------------------------------------------------------------------------

DECISION_COLUMNS = ("decision_id", "kind", "trader_ids", "decided_by", "note", "decided_at",
                    "proposal_id", "record_versions", "withdrawn_at", "withdrawn_by", "active")


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
    by = _by(by)
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


EXPORT_COLUMNS = ("decision_id", "kind", "trader_ids", "decided_by", "note", "decided_at",
                  "proposal_id", "withdrawn_at", "withdrawn_by")


def decisions_csv_frame(runner: Runner) -> pl.DataFrame:
    """Decisions as flat text columns (trader_ids separated by ';'), for CSV."""
    return runner.frame(SqlStep("decisions for csv", """
        SELECT decision_id, kind, array_to_string(trader_ids, ';') AS trader_ids, decided_by, note,
               decided_at::VARCHAR AS decided_at, proposal_id,
               withdrawn_at::VARCHAR AS withdrawn_at, withdrawn_by
        FROM decisions ORDER BY decision_id"""))


def export_decisions(runner: Runner, path: Path) -> int:
    frame = decisions_csv_frame(runner)
    try:
        frame.write_csv(path)
    except OSError as exc:
        raise DedupError(f"{path}: cannot write: {exc.strerror or exc}") from None
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
