"""The review queue and the decisions it leaves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from dedup.api._common import PathLike, RulesLike, load_rules, open_existing
from dedup.compare import compare_traders
from dedup.decisions import export_decisions as export
from dedup.decisions import import_decisions as load
from dedup.decisions import list_decisions, withdraw
from dedup.paths import check_output
from dedup.review import COMPARED_FIELDS, list_proposals, proposal_rules, show_proposal
from dedup.review import accept as accept_proposal
from dedup.review import reject as reject_proposal

__all__ = ["COMPARED_FIELDS", "accept", "decisions", "export_decisions", "import_decisions",
           "proposal", "proposals", "reject", "withdraw_decision"]


def proposals(db: PathLike, *, run: int | None = None, status: str | None = None,
              min_score: float | None = None, trader: int | None = None, tracked: bool = False,
              sort: str = "newest", limit: int | None = None) -> pl.DataFrame:
    """`dedup review list`: proposals, filtered and sorted ('newest' or 'score')."""
    with open_existing(db) as store:
        return list_proposals(store.runner, run_id=run, status=status, min_score=min_score,
                              trader=trader, tracked=tracked, sort=sort, limit=limit)


def proposal(db: PathLike, proposal_id: int, today: dt.date | None = None) -> dict:
    """`dedup review show`: one proposal; `records` (side by side) is a DataFrame."""
    with open_existing(db) as store:
        shown = show_proposal(store.runner, proposal_id, today)
        current = None
        if shown.pop("rescore"):  # a record changed since it was queued: score it as it is now
            left, right = shown["trader_ids"]
            report = compare_traders(store.runner, proposal_rules(store.runner, shown["run_id"]), left, right)
            current = {"score": report["score"], "band": report["band"], "explanation": report}
    return {**shown, "current": current, "records": pl.DataFrame(shown["records"], infer_schema_length=None)}


def accept(db: PathLike, proposal_id: int, *, by: str, note: str | None = None,
           rules: RulesLike = None, today: dt.date | None = None,
           survivor: int | None = None) -> dict:
    """`dedup review accept`: merge the proposal (same plan, checks and audit as a run); with
    `survivor` (one of its records) that record survives. The result's `survivor_id` is the
    record that survived."""
    with open_existing(db, read_only=False) as store:
        return accept_proposal(store, load_rules(rules), proposal_id, by=by, note=note, today=today,
                               survivor=survivor)


def reject(db: PathLike, proposal_id: int, *, by: str, note: str | None = None) -> dict:
    """`dedup review reject`: never merge these records (until one of them changes)."""
    with open_existing(db, read_only=False) as store:
        return reject_proposal(store.runner, proposal_id, by=by, note=note)


def decisions(db: PathLike) -> pl.DataFrame:
    """`dedup decisions list`: every decision, with whether it still applies."""
    with open_existing(db) as store:
        return list_decisions(store.runner)


def withdraw_decision(db: PathLike, decision_id: int, *, by: str) -> dict:
    """`dedup decisions withdraw`."""
    with open_existing(db, read_only=False) as store:
        return withdraw(store.runner, decision_id, by=by)


def export_decisions(db: PathLike, path: PathLike) -> int:
    """`dedup decisions export`: write every decision to a CSV; returns how many."""
    path = check_output(path)
    with open_existing(db) as store:
        return export(store.runner, path)


def import_decisions(db: PathLike, path: PathLike) -> dict:
    """`dedup decisions import`: load decisions from a CSV, all or nothing."""
    with open_existing(db, read_only=False) as store:
        return load(store.runner, Path(path))
