"""trader-dedup: keeps a trader database free of duplicate trader records.

The names an analyst's notebook needs; nothing else is promised. The functions (from
`dedup.api`) take the store's path, open it for the one call, and return polars DataFrames:

    import dedup
    dedup.import_data("traders.duckdb", directory="extract/")
    run = dedup.dry_run("traders.duckdb", "candidate.toml", full=True)
    run.summary["records_to_merge"], run.pairs.filter(pl.col("band") == "review")
    dedup.proposals("traders.duckdb", status="open", sort="score")
"""

from dedup.api import (
    DryRun,
    Matcher,
    SearchResult,
    TraderCheck,
    accept,
    add_trader,
    add_user,
    apply,
    audit,
    blocking_report,
    check_trader,
    decisions,
    diff_rules,
    disable_user,
    dry_run,
    evaluate_rules,
    evaluation_report,
    explain_pair,
    export_decisions,
    history,
    history_report,
    import_data,
    import_decisions,
    init_store,
    load_rules,
    placeholder_fills,
    proposal,
    proposals,
    recent_traders,
    reject,
    run_details,
    runs,
    search_traders,
    synthesise,
    train_rules,
    undo,
    users,
    withdraw_decision,
    write_diff_html,
)
from dedup.errors import DedupError
from dedup.pipeline import RunResult, run_pipeline
from dedup.rules import RuleSet
from dedup.store import Store

__all__ = [
    "DedupError", "DryRun", "Matcher", "RuleSet", "RunResult", "SearchResult", "Store", "TraderCheck",
    "accept", "add_trader", "add_user", "apply", "audit", "blocking_report", "check_trader", "decisions",
    "diff_rules", "disable_user", "dry_run", "evaluate_rules", "evaluation_report", "explain_pair",
    "export_decisions", "history", "history_report", "import_data", "import_decisions", "init_store",
    "load_rules", "placeholder_fills", "proposal", "proposals", "recent_traders", "reject",
    "run_details", "run_pipeline", "runs", "search_traders", "synthesise", "train_rules", "undo",
    "users", "withdraw_decision", "write_diff_html",
]
