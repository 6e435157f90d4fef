"""Which records an overnight run must look at: the increment since the last successful run.

A run is incremental by default: it pairs only traders new or changed since the last successful
pipeline apply run (updated_at at or after that run's start, or unknown) with the whole table.
The survivors that run itself filled are not "changed since": an apply run re-examines them in
its own later rounds until nothing more merges (`dedup.merge.runs`), so a second apply with
nothing new has nothing to look at.
It is full when there is no such run, when that run used a different rule set (a rule change
must re-examine everything), or when the caller asks for it (`dedup run --full`).
"""

from __future__ import annotations

import datetime as dt

from dedup.rules.ruleset import RuleSet
from dedup.sql import Runner, SqlStep, quote_ident


def last_apply_sql() -> SqlStep:
    """The newest succeeded apply run that ran the pipeline: (started_at, rules_hash).

    Applies of given groups (`apply_groups`: review decisions, tests) compared nothing, so they
    do not count; a pipeline run's summary always has `candidate_pairs`.
    """
    return SqlStep("last successful apply run", _last_apply_query("started_at, rules_hash"))


def _last_apply_query(columns: str) -> str:
    """SELECT `columns` of the newest succeeded apply run that ran the pipeline."""
    return (f"SELECT {columns} FROM runs WHERE mode = 'apply' AND status = 'succeeded' "
            f"AND json_exists(summary, '$.candidate_pairs') ORDER BY started_at DESC, run_id DESC LIMIT 1")


#: The last pipeline apply run, if it converged (re-examined every survivor it filled).
CONVERGED_LAST_APPLY = (f"(SELECT run_id FROM ({_last_apply_query('run_id, summary')}) "
                        f"WHERE coalesce(json_extract(summary, '$.converged')::BOOLEAN, FALSE))")


def in_increment_expr(alias: str, increment: str | None = None) -> str:
    """SQL: is trader row `alias` in the increment?

    With `increment` (a table of trader_id): exactly when it is listed there. Otherwise (the
    parameter `$since`): always for a full run ($since NULL) and for a record whose updated_at is
    unknown; else when updated_at is at or after $since and is not the time a live merge of the
    last pipeline apply run filled it, if that run converged (it re-examined its own fills before
    it committed; one stopped by `MAX_ROUNDS` leaves its last fills to the next run).
    """
    if increment is not None:
        return f"{alias}.trader_id IN (SELECT trader_id FROM {quote_ident(increment)})"
    return (f"($since IS NULL OR {alias}.updated_at IS NULL OR ({alias}.updated_at >= $since "
            f"AND NOT EXISTS (SELECT 1 FROM merges m WHERE m.survivor_id = {alias}.trader_id "
            f"AND m.merged_at = {alias}.updated_at AND m.undone_at IS NULL "
            f"AND m.run_id = {CONVERGED_LAST_APPLY})))")


def increment_since(runner: Runner, rules: RuleSet) -> dt.datetime | None:
    """The time from which records are in the increment, or None for a full run.

    None when no pipeline apply run has succeeded yet, or when the newest one used another rule
    set (its `rules_hash` differs from `rules.hash`). Reads `runs` only, so it works on a
    read-only store.
    """
    row = runner.fetchone(last_apply_sql())
    if row is None or row[1] != rules.hash:
        return None
    return row[0]


def run_since(runner: Runner, rules: RuleSet, *, full: bool) -> dt.datetime | None:
    """The one resolution of `--full` for dry runs, applies and the API: None (compare every
    record) when `full` is asked for, else `increment_since`."""
    return None if full else increment_since(runner, rules)
