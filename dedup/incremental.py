"""Which records an overnight run must look at: the increment since the last successful run.

A run is incremental by default: it pairs only traders new or changed since the last successful
pipeline apply run (updated_at at or after that run's start, or unknown) with the whole table.
It is full when there is no such run, when that run used a different rule set (a rule change
must re-examine everything), or when the caller asks for it (`dedup run --full`).
"""

from __future__ import annotations

import datetime as dt

from dedup.rules.ruleset import RuleSet
from dedup.sql import Runner, SqlStep


def last_apply_sql() -> SqlStep:
    """The newest succeeded apply run that ran the pipeline: (started_at, rules_hash).

    Applies of given groups (`apply_groups`: review decisions, tests) compared nothing, so they
    do not count; a pipeline run's summary always has `candidate_pairs`.
    """
    return SqlStep("last successful apply run",
                   "SELECT started_at, rules_hash FROM runs "
                   "WHERE mode = 'apply' AND status = 'succeeded' "
                   "AND json_exists(summary, '$.candidate_pairs') "
                   "ORDER BY started_at DESC, run_id DESC LIMIT 1")


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
