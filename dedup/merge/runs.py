"""An apply run end to end: record it, run the pipeline, plan, apply, queue proposals, report.

Safety of the unattended overnight job rests on three things:

- the caller opens the store read-write, and DuckDB's file lock keeps any second writer out for
  the whole run (the store turns that into "the store is in use by another process");
- the run is recorded as 'running' in its own committed statement before any work, and a run
  still 'running' when the next apply starts can only belong to a killed process (the lock rules
  out a live one), so it is marked 'interrupted';
- every write (straggler sweep, merges, moves, field fills, proposals, the run's final status and
  summary) happens in ONE transaction: a kill or error at any moment leaves the store exactly as
  it was before the run, and the next run redoes the work from scratch, deterministically, so it
  ends where an uninterrupted run would have.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator

from dedup.errors import is_interrupt
from dedup.merge.apply import apply_merge, sweep_stragglers
from dedup.merge.plan import MergePlan, merge_plan, pipeline_groups_sql
from dedup.merge.proposals import queue_proposals_sqls
from dedup.pipeline import RunResult, StageHook, StageTimer, run_pipeline
from dedup.proposal_reasons import proposal_reasons_sql
from dedup.rules.ruleset import RuleSet
from dedup.sql import Runner, SqlStep, quote_ident, sigint_deferred
from dedup.store import Store
from dedup.tables import StageTables


def mark_interrupted_sql() -> SqlStep:
    """Runs left 'running' by a process that died (no live process can hold the store now)."""
    return SqlStep("mark interrupted runs",
                   "UPDATE runs SET status = 'interrupted' WHERE status = 'running'")


def start_run_sql(rules: RuleSet, mode: str = "apply") -> SqlStep:
    """Record a new run as 'running' and return its id."""
    return SqlStep("start run",
                   "INSERT INTO runs (run_id, started_at, mode, rules_name, rules_hash, status) "
                   "SELECT coalesce(max(run_id), 0) + 1, now()::TIMESTAMP, ?, ?, ?, 'running' "
                   "FROM runs RETURNING run_id", (mode, rules.name, rules.hash))


def remember_rules_sql(rules: RuleSet) -> SqlStep:
    """Keep the rule set's text by hash (once), so later runs can be compared against it (a rule
    set built in code, with no text, is not kept: `dedup diff` then asks for --against)."""
    return SqlStep("remember rule set",
                   "INSERT INTO rule_sets SELECT ?, ?, ?, now()::TIMESTAMP "
                   "WHERE ? <> '' AND NOT EXISTS (SELECT 1 FROM rule_sets WHERE rules_hash = ?)",
                   (rules.hash, rules.name, rules.text, rules.text, rules.hash))


def finish_run_sql(run_id: int, status: str, summary: dict) -> SqlStep:
    return SqlStep("finish run",
                   "UPDATE runs SET status = ?, finished_at = now()::TIMESTAMP, summary = ? "
                   "WHERE run_id = ?", (status, json.dumps(summary, default=str), run_id))


def record_failure_sql(run_id: int, exc: BaseException) -> SqlStep:
    """Mark a run that stopped with an exception 'interrupted' (Ctrl-C is not a failure) or
    'failed', only while it is still 'running': a run that committed before a late Ctrl-C
    stays 'succeeded'."""
    status = "interrupted" if is_interrupt(exc) else "failed"
    return SqlStep("record failure",
                   "UPDATE runs SET status = ?, finished_at = now()::TIMESTAMP, summary = ? "
                   "WHERE run_id = ? AND status = 'running'",
                   (status, json.dumps({"error": str(exc)}), run_id))


@contextlib.contextmanager
def recorded_run(runner: Runner, rules: RuleSet, *, remember_rules: bool = False,
                 mode: str = "apply") -> Iterator[int]:
    """A run recorded in `runs`, for both apply paths: runs a killed process left 'running' are
    marked 'interrupted', the new run is recorded 'running' in its own committed statement
    (with `remember_rules`, its rule set's text is kept too; `mode` is 'apply' or, for an
    accepted review proposal, 'accept'), and the block gets its id. The
    block writes the run's final status itself, inside its own transaction; if it raises, the
    run is marked failed or interrupted (`record_failure_sql`) and the exception goes on."""
    runner.run(mark_interrupted_sql())
    run_id = runner.scalar(start_run_sql(rules, mode))
    if remember_rules:
        runner.run(remember_rules_sql(rules))
    try:
        yield run_id
    except BaseException as exc:
        try:
            runner.run(record_failure_sql(run_id, exc))
        except Exception:  # the connection itself may be gone; the next run marks it interrupted
            pass
        raise


#: An apply run re-examines the survivors it filled at most this many times (a fill rarely
#: makes a new match, and one that does rarely makes a third).
MAX_ROUNDS = 10


def _apply_round(result: RunResult, run_id: int, *, today: dt.date, merged_at: dt.datetime,
                 timer: StageTimer, counts: dict) -> tuple[int, int]:
    """Plan and apply one round's clusters and queue its proposals (inside the run's transaction);
    add its counts to `counts`. Returns (records merged, survivors filled)."""
    runner, rules, tables = result.runner, result.rules, result.tables
    plan: MergePlan | None = None

    def make_plan() -> int:
        nonlocal plan
        runner.run(pipeline_groups_sql(tables.clusters, tables.merge_groups))
        plan = merge_plan(runner, rules, tables.merge_groups, today=today, scored=result.scored, tables=tables)
        return runner.scalar(SqlStep("count plan", f"SELECT count(*) FROM {quote_ident(plan.table)}"))

    def apply() -> int:
        merged = apply_merge(runner, plan, run_id=run_id, merged_at=merged_at)
        for key, value in merged.items():
            counts[key] = counts.get(key, 0) + value
        *stage_steps, insert = queue_proposals_sqls(rules, run_id, merged_at, tables)
        runner.run(stage_steps)
        counts["proposals_queued"] = counts.get("proposals_queued", 0) + (runner.scalar(insert) or 0)
        runner.run(proposal_reasons_sql(run_id, rules.merge_threshold))
        result.refresh_cache()  # the records normalised afresh this round, for the next
        return merged["records_merged"]

    timer.timed("plan", make_plan)
    merged = timer.timed("apply", apply)
    runner.run(SqlStep("survivors filled this round", f"""
        CREATE OR REPLACE TEMP TABLE {quote_ident(tables.refilled)} AS
        SELECT DISTINCT survivor_id AS trader_id FROM {quote_ident(tables.apply_changes)}
        WHERE field = 'updated_at'"""))
    filled = runner.scalar(SqlStep("count filled", f"SELECT count(*) FROM {quote_ident(tables.refilled)}"))
    return merged, filled


def apply_in_transaction(store: Store, result: RunResult, run_id: int, *, today: dt.date,
                         merged_at: dt.datetime, on_stage: StageHook | None = None) -> dict:
    """Plan and apply a pipeline run's clusters and queue its proposals, in one transaction, and
    re-examine the survivors that filled until nothing more merges.

    A merge fills a survivor's missing fields from the records merged into it, and a survivor with
    a postcode it lacked can now reach the merge band with a record it could not before. So each
    round's filled survivors are the increment of another pipeline round in the same transaction
    (paired with the whole table, in the same stage tables), until a round merges nothing or fills nothing (at most
    `MAX_ROUNDS`): one apply leaves the store at a fixed point, and the next night's increment
    leaves these survivors out (`dedup.incremental.in_increment_expr`). Each round's merges are
    stamped `merged_at` plus the round's number in microseconds. A round queues only the review
    pairs of records it neither merged nor filled (`queue_proposals_sqls`), so every proposal's
    score and explanation are those of its own records as they are.

    The run's final status and summary are written in the same transaction, so a run is either
    'succeeded' with all its merges or has none of them.

    Args:
        store: the store (opened read-write) the pipeline ran on.
        result: the first round's pipeline run (its rule set, tables and summary).
        run_id: the run (recorded 'running').
        today: the date on which tracks and certificates count as active.
        merged_at: the time recorded on the first round's merges and proposals.
        on_stage: progress hook for every round's stages.

    Returns:
        The full run summary: the first round's pipeline counts, the merge counts summed over the
        rounds, `rounds` (one entry per round: records merged, survivors filled) and
        `converged` (False only when `MAX_ROUNDS` rounds still filled survivors).
    """
    runner = result.runner
    timer = StageTimer(on_stage)
    counts: dict = {}
    rounds: list[dict] = []
    with runner.transaction("apply"):
        counts["stragglers_repointed"] = sweep_stragglers(runner, run_id)
        current, filled = result, 0
        for number in range(1, MAX_ROUNDS + 1):
            stamp = merged_at + dt.timedelta(microseconds=number - 1)
            merged, filled = _apply_round(current, run_id, today=today, merged_at=stamp, timer=timer, counts=counts)
            rounds.append({"round": number, "records_merged": merged, "survivors_filled": filled})
            if not merged or not filled or number == MAX_ROUNDS:
                break
            with sigint_deferred():  # its Arrow hand-overs are no place for a KeyboardInterrupt
                current = run_pipeline(store, result.rules, today=today, on_stage=on_stage,
                                       tables=result.tables, increment=result.tables.refilled)
            timer.stats.extend(current.stages)
        summary = {"run_id": run_id, **result.summary, **counts, "rounds": rounds,
                   "converged": not (merged and filled),
                   "stages": result.summary["stages"] + [vars(s) for s in timer.stats]}
        runner.run(finish_run_sql(run_id, "succeeded", summary))
    return summary


def apply_run(store: Store, rules: RuleSet, *, today: dt.date | None = None,
              on_stage: StageHook | None = None, now: dt.datetime | None = None,
              since: dt.datetime | None = None) -> dict:
    """`dedup run --apply`: run the pipeline and merge its merge band, atomically, until the
    store is at a fixed point (`apply_in_transaction`).

    Args:
        store: a store opened read-write (its lock keeps other writers out).
        rules: the rule set.
        today: the date on which tracks and certificates count as active (default: today).
        on_stage: progress hook, called with (stage, "start" | "end").
        now: the time recorded on merges and proposals (default: now).
        since: passed to `run_pipeline`: the start of the increment, None for a full run.

    Returns:
        The run summary: the pipeline's counts (its `mode` is 'full' or 'incremental'), the run
        id, clusters and records merged, child rows re-pointed per table, fields filled,
        proposals queued, the rounds and every stage's time. It is also stored as the run's
        `summary`.
    """
    today = today or dt.date.today()
    with recorded_run(store.runner, rules, remember_rules=True) as run_id:
        result = run_pipeline(store, rules, today=today, on_stage=on_stage, since=since)
        return apply_in_transaction(store, result, run_id, today=today, merged_at=now or dt.datetime.now(),
                                    on_stage=on_stage)


def apply_groups(store: Store, rules: RuleSet, groups: str, *, today: dt.date | None = None,
                 scored: str | None = None, now: dt.datetime | None = None,
                 after: Callable[[int], None] | None = None, mode: str = "apply",
                 survivor: int | None = None) -> dict:
    """Merge given groups (a table of trader_id, group_id) as one recorded, atomic apply run,
    without running the pipeline: the path for clusters decided elsewhere (a review decision,
    a test). Survivors, fills, audit and safety checks are exactly those of `apply_run`.

    Args:
        store: a store opened read-write.
        rules: supplies the survivor order, the fields to fill and the audited rule-set hash.
        groups: the temp or store table of groups on the store's connection.
        today: the date on which tracks and certificates count as active (default: today).
        scored: optional scored pairs to explain the merges with.
        now: the time recorded on the merges (default: now).
        after: called with the run id inside the transaction, after the merges (an accepted
            review proposal records its decision there, so both commit or neither does).
        mode: the run's mode in `runs`: 'apply', or 'accept' for an accepted proposal.
        survivor: a trader to survive its group whatever the survivor order says (a reviewer's
            choice).

    Returns:
        run_id and the merge counts of `apply_merge`.
    """
    runner = store.runner
    today = today or dt.date.today()
    with recorded_run(runner, rules, mode=mode) as run_id, runner.transaction("apply"):
        plan = merge_plan(runner, rules, groups, today=today, scored=scored, tables=StageTables(),
                          survivor=survivor)
        summary = {"run_id": run_id, "mode": "apply", "groups": groups,
                   **apply_merge(runner, plan, run_id=run_id, merged_at=now or dt.datetime.now())}
        if after is not None:
            after(run_id)
        runner.run(finish_run_sql(run_id, "succeeded", summary))
    return summary
