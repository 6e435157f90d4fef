"""Running the pipeline: dry runs, applies, evaluation, explanations, blocking, diffs, training."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dedup.api._common import PathLike, RulesLike, load_rules, open_existing
from dedup.compare import compare_traders
from dedup.diff import RuleDiff, last_applied_rules
from dedup.diff import diff_rules as compare_rule_sets
from dedup.diff_html import render_html
from dedup.errors import DedupError
from dedup.evaluate import blocking_recall, load_truth
from dedup.evaluate import evaluation_report as evaluate_run
from dedup.incremental import run_since
from dedup.merge.runs import apply_run
from dedup.paths import check_output, write_error
from dedup.pipeline import StageHook, run_pipeline
from dedup.pipeline import blocking_report as report_blocking
from dedup.rules.ruleset import RuleSet, default_rules_text
from dedup.store import Store
from dedup.tables import StageTables
from dedup.train import TrainResult, train, write_trained_rules

__all__ = ["DryRun", "apply", "blocking_report", "diff_rules", "dry_run", "evaluate_rules",
           "evaluation_report", "explain_pair", "train_rules", "write_diff_html"]


@dataclass
class DryRun:
    """What a dry run found.

    Attributes:
        summary: the run summary (counts, mode, rule set), as `dedup run --json` prints it.
        stages: stage, seconds, rows.
        clusters: trader_id, cluster_id (the trader that would survive), held, for every active
            trader (None when asked for no frames).
        pairs: the scored pairs in the merge and review bands: left_id, right_id, blocking_rule,
            score, band, and each comparison's level (`level_<name>`) (None when asked for no
            frames).
    """

    summary: dict
    stages: pl.DataFrame
    clusters: pl.DataFrame | None
    pairs: pl.DataFrame | None


def dry_run(db: PathLike, rules: RulesLike = None, *, full: bool = False,
            today: dt.date | None = None, on_stage: StageHook | None = None,
            frames: bool = True) -> DryRun:
    """`dedup run`: run the pipeline on a read-only store and return what would merge.

    Args:
        db: the store.
        rules: a RuleSet, a rule file, or None for the packaged default.
        full: compare every record, not only those new or changed since the last apply run.
        today: the date on which tracks and certificates count as active (default: today).
        on_stage: progress hook, called with (stage, "start" | "end").
        frames: False leaves `clusters` and `pairs` out (a summary is all a caller needs).
    """
    rule_set = load_rules(rules)
    with open_existing(db) as store:
        result = run_pipeline(store, rule_set, today=today, on_stage=on_stage,
                              since=run_since(store.runner, rule_set, full=full))
        clusters = result.clusters(held=True) if frames else None
        pairs = result.pairs() if frames else None
    stages = pl.DataFrame([vars(s) for s in result.stages],
                          schema={"stage": pl.String, "seconds": pl.Float64, "rows": pl.Int64})
    return DryRun(summary=result.summary, stages=stages, clusters=clusters, pairs=pairs)


def apply(db: PathLike, rules: RulesLike = None, *, full: bool = False,
          today: dt.date | None = None, on_stage: StageHook | None = None) -> dict:
    """`dedup run --apply`: merge the merge band and queue the review band, atomically.

    Returns:
        The run summary (also stored on the run; see `runs`).
    """
    rule_set = load_rules(rules)
    with Store(db) as store:  # created if new, as every writing command does
        return apply_run(store, rule_set, today=today, on_stage=on_stage,
                         since=run_since(store.runner, rule_set, full=full))


def evaluation_report(db: PathLike, truth: PathLike, rules: RulesLike = None, *,
                      on_stage: StageHook | None = None) -> dict:
    """`dedup evaluate --json`: a full dry run measured against a truth file (trader_id,
    entity_id): the merge band's pairwise precision, recall and F1 (`merge_band`), wrong merges of
    hard negatives and per group kind with a `dedup synth` truth file (`hard_negatives`,
    `group_merges`; None without its columns), the largest clusters, and the metrics of the
    scored pairs at each score threshold (`thresholds`)."""
    rule_set = load_rules(rules)
    with open_existing(db) as store:
        table = load_truth(store.runner, Path(truth))
        return evaluate_run(run_pipeline(store, rule_set, on_stage=on_stage), table)


def evaluate_rules(db: PathLike, truth: PathLike, rules: RulesLike = None) -> pl.DataFrame:
    """`dedup evaluate`: pairwise precision, recall and F1 against a truth file.

    Returns:
        The first row (`measure` 'clusters') scores the clusters a full run would merge; the
        others (`measure` 'pairs') the scored pairs at each score threshold.
    """
    report = evaluation_report(db, truth, rules)
    rows = [{"measure": "clusters", "threshold": None, **report["merge_band"]}]
    rows += [{"measure": "pairs", **row} for row in report["thresholds"]]
    return pl.DataFrame(rows)


def explain_pair(db: PathLike, trader_a: int, trader_b: int, rules: RulesLike = None) -> dict:
    """`dedup explain`: why two traders would (or would not) merge. The `comparisons` entry is
    a DataFrame (comparison, left, right, level, weight ...); the rest as `dedup explain --json`."""
    with open_existing(db) as store:
        report = compare_traders(store.runner, load_rules(rules), trader_a, trader_b)
    return {**report, "comparisons": pl.DataFrame(report["comparisons"])}


def blocking_report(db: PathLike, rules: RulesLike = None, *, truth: PathLike | None = None) -> pl.DataFrame:
    """`dedup blocking`: per blocking rule, the pairs it generates and the blocks it skips.

    With `truth` (trader_id, entity_id; CSV or Parquet), also the true pairs each rule compares
    (`true_pairs_compared`, of `true_pairs` among the store's active records), those no other
    rule compares (`true_pairs_only_this_rule`) and its `blocking_recall`, and a last row,
    rule `all rules`, for the union a run compares (`pairs`: its distinct candidate pairs).
    """
    rule_set = load_rules(rules)
    with open_existing(db) as store:
        tables = StageTables()
        report = report_blocking(store, rule_set, tables)
        if truth is None:
            return pl.DataFrame(report)
        recall = blocking_recall(store.runner, rule_set, tables, load_truth(store.runner, Path(truth), tables))
    rows = [{**row, "true_pairs": recall["true_pairs"], **per_rule} for row, per_rule in zip(report, recall["rules"])]
    rows.append({"rule": "all rules", "keys": [], "max_block_size": None, "pairs": recall["candidate_pairs"],
                 "blocks": None, "skipped_blocks": None, "skipped_records": None, "largest_blocks": [],
                 "true_pairs": recall["true_pairs"], "true_pairs_compared": recall["true_pairs_compared"],
                 "true_pairs_only_this_rule": None, "blocking_recall": recall["blocking_recall"]})
    return pl.DataFrame(rows)


def diff_rules(db: PathLike, rules: RulesLike, against: RulesLike = None, *,
               truth: PathLike | None = None, examples: int = 5, today: dt.date | None = None,
               on_stage: StageHook | None = None) -> RuleDiff:
    """`dedup diff`: what changes if `rules` replace `against` (default: the rule set of the last
    applied run, else the packaged default; `against_note` says which). Returns a
    `dedup.diff.RuleDiff`: its `pairs`, `examples` and `histograms` are DataFrames; `counts` and
    `metrics` dicts."""
    new = load_rules(rules)
    with open_existing(db) as store:
        old, note = (load_rules(against), "") if against is not None else last_applied_rules(store.runner)
        diff = compare_rule_sets(store, new, old, today=today, truth=Path(truth) if truth else None,
                                 examples=examples, on_stage=on_stage)
    diff.against_note = note
    return diff


def write_diff_html(diff: RuleDiff, path: PathLike) -> None:
    """`dedup diff --html`: write the comparison as one self-contained HTML page."""
    path = check_output(path, "--html")
    try:
        path.write_text(render_html(diff), encoding="utf-8")
    except OSError as exc:
        raise write_error(path, exc, "--html") from exc


def train_rules(db: PathLike, rules: PathLike | None = None, *, out: PathLike,
                force: bool = False, random_pairs: int = 1_000_000, seed: int = 0,
                merge_probability: float = 0.999, review_probability: float = 0.5) -> TrainResult:
    """`dedup train`: learn weights from the store's traders without labels and write them, with
    the input rule file's comments and other settings, to `out` (which must then load)."""
    out = check_output(out, "--out")
    if out.exists() and not force:
        raise DedupError(f"--out {out} exists; use --force to overwrite it")
    if review_probability > merge_probability:
        raise DedupError("--review-probability must not be above --merge-probability")
    text = Path(rules).read_text() if rules else default_rules_text()
    rule_set = load_rules(rules)
    with open_existing(db) as store:
        result = train(store.runner, rule_set, random_pairs=random_pairs, seed=seed,
                       merge_probability=merge_probability, review_probability=review_probability)
    try:
        write_trained_rules(text, result, out)
    except OSError as exc:
        raise write_error(out, exc, "--out") from exc
    RuleSet.from_toml(out)  # the file we wrote must load: fail loudly here, not at the next run
    return result
