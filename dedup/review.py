"""The review workflow: list, show, accept and reject the proposals an apply run queues.

- `reject` closes an open proposal and records a `never_merge` decision (`dedup.decisions`), in
  one transaction: later runs neither propose nor merge its records together.
- `accept` merges the proposal's traders through `dedup.merge.runs.apply_groups` (the overnight
  job's plan, apply, safety checks and audit, recorded as a run), puts the proposal's score and
  explanation on the merges, closes it and records an `always_merge` decision, all in the same
  transaction.
- An apply run closes open proposals whose records have since been merged or changed as 'stale'
  (`dedup.merge.proposals`), and never queues a second open proposal for the same traders.

Functions return polars DataFrames or dicts.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from dedup.decisions import check_decided_by, record_decision_sql
from dedup.errors import DedupError
from dedup.merge.runs import apply_groups
from dedup.rules.ruleset import RuleSet
from dedup.schema import active_on_condition
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.store import Store
from dedup.tables import StageTables

STATUSES = ("open", "accepted", "rejected", "stale", "undone")
SORTS = ("newest", "score")

COMPARED_FIELDS = ("name", "address", "postcode", "phone", "website", "created_at", "created_by",
                   "status", "merged_into", "updated_at")


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
                     f"AND {active_on_condition('k')})")
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
               p.score, p.reason, p.status, p.created_at, p.decided_by, p.closed_at, p.closed_reason
        FROM proposals p WHERE {' AND '.join(where)} ORDER BY {order} {lim}""", params)


def list_proposals(runner: Runner, **filters) -> pl.DataFrame:
    if filters.get("status") not in (None, *STATUSES):
        raise DedupError(f"--status {filters['status']!r}: expected one of {', '.join(STATUSES)}")
    if filters.get("sort", "newest") not in SORTS:
        raise DedupError(f"--sort {filters['sort']!r}: expected newest or score")
    return runner.frame(list_proposals_sql(**filters))


def get_proposal(runner: Runner, proposal_id: int) -> dict:
    row = runner.fetchone(SqlStep("proposal", """
        SELECT proposal_id, run_id, kind, trader_ids, score, explanation, reason, status, created_at,
               decided_by, closed_at, closed_reason
        FROM proposals WHERE proposal_id = ?""", (proposal_id,)))
    if row is None:
        raise DedupError(f"no proposal {proposal_id}")
    keys = ("proposal_id", "run_id", "kind", "trader_ids", "score", "explanation", "reason", "status",
            "created_at", "decided_by", "closed_at", "closed_reason")
    proposal = dict(zip(keys, row))
    proposal["explanation"] = json.loads(proposal["explanation"]) if proposal["explanation"] else None
    return proposal


def show_proposal(runner: Runner, proposal_id: int, today: dt.date | None = None) -> dict:
    """A proposal with its records side by side (fields that differ listed), what a merge would
    move per record, and which records are whitelisted or tracked. `changed_since` lists its
    records merged or changed since it was queued; `rescore` is True for an open pair with both
    records still active (the stored score and explanation are of the records as they were:
    `dedup.api.proposal` scores it again)."""
    proposal = get_proposal(runner, proposal_id)
    today = today or dt.date.today()
    records = runner.frame(SqlStep("proposal records", f"""
        SELECT t.trader_id, {', '.join('t.' + quote_ident(c) for c in COMPARED_FIELDS)},
               w.trader_id IS NOT NULL AS whitelisted,
               (SELECT count(*) FROM cases c WHERE c.trader_id = t.trader_id) AS cases,
               (SELECT count(*) FROM tracks k WHERE k.trader_id = t.trader_id) AS tracks,
               (SELECT count(*) FROM certificates c WHERE c.trader_id = t.trader_id) AS certificates,
               EXISTS (SELECT 1 FROM tracks k WHERE k.trader_id = t.trader_id
                       AND {active_on_condition('k')}) AS tracked
        FROM traders t LEFT JOIN whitelist w USING (trader_id)
        WHERE list_contains($ids, t.trader_id) ORDER BY t.trader_id""",
        {"ids": proposal["trader_ids"], "today": today}))
    rows = records.to_dicts()
    differing = [f for f in ("name", "address", "postcode", "phone", "website")
                 if len({r[f] for r in rows}) > 1]
    changes = changed_since(proposal, rows)
    return {**proposal, "records": rows, "differing_fields": differing, "changed_since": changes,
            "rescore": bool(proposal["kind"] == "pair" and proposal["status"] == "open" and changes
                            and len(rows) == 2 and all(r["status"] == "active" for r in rows))}


def changed_since(proposal: dict, records: list[dict]) -> list[str]:
    """Why the proposal's evidence may no longer hold: each of its records merged since it was
    queued, or changed after (a newer updated_at); empty when it is about its records as they are."""
    changes = []
    for r in records:
        if r["status"] != "active":
            into = f" into {r['merged_into']}" if r["merged_into"] else ""
            changes.append(f"{r['trader_id']} {r['status']}{into}")
        elif r["updated_at"] is not None and r["updated_at"] > proposal["created_at"]:
            changes.append(f"{r['trader_id']} updated {r['updated_at'].isoformat(timespec='seconds')}")
    missing = set(proposal["trader_ids"]) - {r["trader_id"] for r in records}
    return changes + [f"{t} no longer in the store" for t in sorted(missing)]


def proposal_rules(runner: Runner, run_id: int) -> RuleSet:
    """The rule set the proposal's run matched with (its kept text), else the packaged default."""
    text = runner.scalar(SqlStep("proposal's rule set", """
        SELECT s.text FROM runs r JOIN rule_sets s USING (rules_hash) WHERE r.run_id = ?""", (run_id,)))
    return RuleSet.from_toml_text(text, f"rule set of run {run_id}") if text else RuleSet.default()


# --- deciding ----------------------------------------------------------------------------------

def _check_survivor(proposal: dict, survivor: int | None, whitelisted: list[int]) -> None:
    """A chosen survivor must be one of the proposal's records, and may not overrule a
    whitelisted one (a canonical record is never merged away)."""
    if survivor is None:
        return
    ids = proposal["trader_ids"]
    if survivor not in ids:
        raise DedupError(f"--survivor {survivor}: not one of proposal {proposal['proposal_id']}'s "
                         f"records ({', '.join(map(str, ids))})")
    if whitelisted and whitelisted[0] != survivor:
        raise DedupError(f"--survivor {survivor}: trader {whitelisted[0]} is whitelisted and must "
                         f"survive (a whitelisted record is never merged away)")


def _open_proposal(runner: Runner, proposal_id: int) -> dict:
    proposal = get_proposal(runner, proposal_id)
    if proposal["status"] != "open":
        raise DedupError(f"proposal {proposal_id} is {proposal['status']}, not open")
    return proposal


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
    by = check_decided_by(by)
    now = now or dt.datetime.now()
    with runner.transaction("reject"):
        proposal = _open_proposal(runner, proposal_id)
        runner.run(close_proposal_sql(proposal_id, "rejected", by, note, now))
        decision_id = runner.scalar(record_decision_sql(proposal["trader_ids"], "never_merge", by,
                                                        note, now, proposal_id))
    return {"proposal_id": proposal_id, "status": "rejected", "decision_id": decision_id,
            "trader_ids": proposal["trader_ids"]}


def accept(store: Store, rules: RuleSet, proposal_id: int, *, by: str, note: str | None = None,
           today: dt.date | None = None, now: dt.datetime | None = None,
           survivor: int | None = None) -> dict:
    """Accept an open proposal: merge its traders through `apply_groups` (the overnight job's
    plan, checks and audit, recorded as an apply run), put the proposal's score and explanation
    on the merges, close it and record an always-merge decision, all in one transaction.
    `survivor` (one of its records, not overruling a whitelisted one) survives instead of the
    one the survivor order picks. The result's `survivor_id` says which record survived."""
    runner = store.runner
    by = check_decided_by(by)
    now = now or dt.datetime.now()
    proposal = _open_proposal(runner, proposal_id)
    ids = proposal["trader_ids"]
    inactive, whitelisted = runner.fetchone(SqlStep("check proposal records", """
        SELECT list(x.trader_id ORDER BY x.trader_id) FILTER (WHERE t.status IS DISTINCT FROM 'active'),
               list(w.trader_id ORDER BY w.trader_id) FILTER (WHERE w.trader_id IS NOT NULL)
        FROM unnest($ids::BIGINT[]) AS x(trader_id) LEFT JOIN traders t USING (trader_id)
        LEFT JOIN whitelist w ON w.trader_id = x.trader_id""", {"ids": ids}))
    if inactive:
        raise DedupError(f"proposal {proposal_id} is out of date: trader(s) "
                         f"{', '.join(map(str, inactive))} no longer active")
    whitelisted = whitelisted or []
    if len(whitelisted) > 1:
        raise DedupError(f"proposal {proposal_id} cannot be merged: it holds more than one "
                         f"whitelisted record")
    _check_survivor(proposal, survivor, whitelisted)
    groups = StageTables().review_groups
    runner.register(groups, pl.DataFrame({"trader_id": ids, "group_id": [ids[0]] * len(ids)},
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
        decided["survivor_id"] = runner.scalar(SqlStep(
            "accepted survivor", "SELECT min(survivor_id) FROM merges WHERE run_id = $run_id",
            {"run_id": run_id}))

    summary = apply_groups(store, rules, groups, today=today, now=now, after=record, mode="accept",
                           survivor=survivor)
    return {"proposal_id": proposal_id, "status": "accepted", "trader_ids": ids, **decided,
            **summary}

