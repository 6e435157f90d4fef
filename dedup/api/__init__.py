"""The engine's operations: the one surface the faces (the `dedup` CLI, later the web app) and a
notebook call. Every command is a function returning polars.

Each function takes the store's path, opens it for just that call (read-only unless the
operation writes) and closes it again, so a notebook never holds DuckDB's file lock between
cells. Tables come back as polars DataFrames; a single object (a run summary, one proposal)
as a dict. Problems raise `dedup.DedupError` with the same one-line message the CLI prints.
Names that would clash with a module of the package (`dedup.explain`, `dedup.evaluate`) get a
suffix: `explain_pair`, `evaluate_rules`. Long operations take `on_stage`, a progress hook
called with (stage, "start" | "end").

    >>> import dedup
    >>> run = dedup.dry_run("traders.duckdb")
    >>> run.clusters.filter(pl.col("trader_id") != pl.col("cluster_id"))
    >>> dedup.proposals("traders.duckdb", status="open", sort="score")

The topic modules: `loading` (init, import, synthetic data), `running` (dry runs, applies,
evaluation, explanations, blocking, diffs, training), `auditing` (runs, history, undo, reports)
and `reviewing` (the review queue and decisions). The few names at the end are for faces that
format results the way the CLI does.
"""

from dedup.api._common import PathLike, RulesLike, load_rules, resolve_db_path
from dedup.api.advising import (
    BANDS,
    Matcher,
    SearchResult,
    TraderCheck,
    add_trader,
    check_trader,
    recent_traders,
    search_traders,
)
from dedup.api.auditing import history, history_report, placeholder_fills, run_details, runs, undo
from dedup.api.loading import SCENARIOS, import_data, init_store, synthesise
from dedup.api.people import add_user, audit, disable_user, users
from dedup.api.reviewing import (
    COMPARED_FIELDS,
    accept,
    decisions,
    export_decisions,
    import_decisions,
    proposal,
    proposals,
    reject,
    withdraw_decision,
)
from dedup.api.running import (
    DryRun,
    apply,
    blocking_report,
    diff_rules,
    dry_run,
    evaluate_rules,
    evaluation_report,
    explain_pair,
    train_rules,
    write_diff_html,
)
from dedup.diff import CLUSTER_CHANGES, DESCRIPTIONS, RECORD_FIELDS, SIDES, RuleDiff
from dedup.errors import DedupError, is_interrupt
from dedup.importer import warning_line
from dedup.paths import check_output, check_output_folder
from dedup.sql import Runner


def committed_transactions() -> int:
    """Transactions committed so far by this process (a face that is interrupted can tell
    whether its command had already saved its work)."""
    return Runner.commits


__all__ = [
    "BANDS", "CLUSTER_CHANGES", "COMPARED_FIELDS", "DESCRIPTIONS", "DedupError", "DryRun", "Matcher",
    "PathLike", "RECORD_FIELDS", "RuleDiff", "RulesLike", "SCENARIOS", "SIDES", "SearchResult", "TraderCheck",
    "accept", "add_trader", "add_user", "apply", "audit", "blocking_report", "check_output",
    "check_output_folder", "check_trader", "committed_transactions", "decisions", "diff_rules",
    "disable_user", "dry_run", "evaluate_rules", "evaluation_report", "explain_pair", "export_decisions",
    "history", "history_report", "import_data", "import_decisions", "init_store", "is_interrupt",
    "load_rules", "placeholder_fills", "proposal", "proposals", "recent_traders", "reject", "resolve_db_path",
    "run_details", "runs", "search_traders", "synthesise", "train_rules", "undo", "users", "warning_line",
    "withdraw_decision", "write_diff_html",
]
