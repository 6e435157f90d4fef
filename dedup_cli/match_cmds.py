"""Commands for tuning matching: blocking (what gets compared)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dedup import api
from dedup_cli._app import CsvOption, DbOption, JsonOption, RulesOption, app, emit_rows, err, handled, print_json


@app.command()
@handled
def blocking(db: DbOption = None, rules: RulesOption = None,
             truth: Annotated[Optional[Path], typer.Option(
                 help="Ground truth (trader_id,entity_id; .csv or .parquet): also report the share of "
                      "true pairs each rule, and all of them together, ever compare.")] = None,
             as_json: JsonOption = False, as_csv: CsvOption = False):
    """Report, before any scoring, the pairs each blocking rule would generate.

    Lists per rule the candidate pairs, the blocks, the blocks skipped for being larger than
    blocking.max_block_size (chains, shopping centres) and the largest blocks. Read-only.

    With --truth, also per rule the true pairs it compares (of all the true pairs among the
    store's active records), those no other rule compares, and its blocking recall, the share
    of true pairs it compares; then, for all rules together, the candidate pairs a run would
    score and the share of true pairs among them: a true pair blocking never compares can never
    merge.
    """
    rule_set = api.load_rules(rules)
    frame = api.blocking_report(api.resolve_db_path(db), rule_set, truth=truth)
    if emit_rows(frame, as_json, as_csv):
        return
    report = frame.to_dicts()
    measured = truth is not None
    typer.echo(f"{'rule':<26}{'pairs':>12}{'blocks':>10}{'skipped':>9}"
               + (f"{'true pairs':>12}{'only':>8}{'recall':>8}" if measured else "")
               + f"  largest blocks (max_block_size {rule_set.max_block_size})")
    for r in report[:len(rule_set.blocking)]:
        largest = ", ".join(f"{b['key']} ({b['records']})" for b in r["largest_blocks"][:3])
        found = (f"{r['true_pairs_compared']:>12,}{r['true_pairs_only_this_rule']:>8,}{r['blocking_recall']:>8.4f}"
                 if measured else "")
        typer.echo(f"{r['rule']:<26}{r['pairs']:>12,}{r['blocks']:>10,}{r['skipped_blocks']:>9,}{found}  {largest}")
    if measured:
        total = report[-1]
        typer.echo(f"all rules: {total['pairs']:,} candidate pairs compare {total['true_pairs_compared']:,} of "
                   f"{total['true_pairs']:,} true pairs (blocking recall {total['blocking_recall']:.4f})")


@app.command()
@handled
def train(
    db: DbOption = None,
    rules: RulesOption = None,
    out: Annotated[Path, typer.Option(help="Where to write the trained rule file.")] = Path("trained_rules.toml"),
    random_pairs: Annotated[int, typer.Option(min=1000, help="Random pairs used to estimate u.")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Seed for the random pairs.")] = 0,
    merge_probability: Annotated[float, typer.Option(
        min=0.5, max=0.999999, help="Chance of being a duplicate at which pairs merge.")] = 0.999,
    review_probability: Annotated[float, typer.Option(
        min=0.01, max=0.999999, help="Chance of being a duplicate at which pairs go to review.")] = 0.5,
    force: Annotated[bool, typer.Option(help="Overwrite --out if it exists.")] = False,
    as_json: JsonOption = False,
):
    """Learn match weights from the store's traders, without labels, and write a new rule file.

    u (how often different traders agree) comes from random pairs; m (how often duplicates agree)
    and the share of duplicates from expectation-maximisation over the candidate pairs. Each
    weight becomes log2(m/u); thresholds are set from --merge-probability and
    --review-probability. Comments and every other setting of the input file are kept. Read-only
    on the store.
    """
    result = api.train_rules(api.resolve_db_path(db), rules, out=out, force=force,
                             random_pairs=random_pairs, seed=seed, merge_probability=merge_probability,
                             review_probability=review_probability)
    if as_json:
        print_json(vars(result))
    else:
        typer.echo(f"duplicates among candidate pairs: {result.match_share:.2%} "
                   f"({result.candidate_pairs:,} pairs, EM {result.iterations} iterations; "
                   f"u from {result.random_pairs:,} random pairs)")
        for name, weights in result.weights.items():
            typer.echo(f"  {name:<12}" + "  ".join(f"{w:+.2f}" for w in weights))
        typer.echo(f"thresholds: merge {result.merge_threshold}, review {result.review_threshold}")
    err.print(f"wrote {out}")


@app.command()
@handled
def explain(
    trader_a: Annotated[int, typer.Argument(help="A trader_id.")],
    trader_b: Annotated[int, typer.Argument(help="Another trader_id.")],
    db: DbOption = None,
    rules: RulesOption = None,
    as_json: JsonOption = False,
):
    """Show why two traders would (or would not) merge.

    Per comparison: the two normalised values, the level reached and its weight; then the hard
    rules that fired, the blocking rules that would pair them, the total score and the band.
    Read-only.
    """
    report = api.explain_pair(api.resolve_db_path(db), trader_a, trader_b, rules)
    report["comparisons"] = report["comparisons"].to_dicts()
    if as_json:
        print_json(report)
        return
    left, right = report["pair"]
    width = max([14, *(len(c["comparison"]) + 2 for c in report["comparisons"])])
    typer.echo(f"{'comparison':<{width}}{'trader ' + str(left):<34}{'trader ' + str(right):<34}{'weight':>8}  level")
    for c in report["comparisons"]:
        typer.echo(f"{c['comparison']:<{width}}{str(c['left'])[:32]:<34}{str(c['right'])[:32]:<34}"
                   f"{c['weight']:>+8.2f}  {c['label']}")
    for e in report.get("shared_evidence") or []:
        typer.echo(f"{'shared':<14}{'held by many businesses: ' + e['evidence']:<68}{e['weight']:>+8.2f}")
    for h in report["hard_rules"]:
        typer.echo(f"hard rule {h['rule']} fired: {h['effect']}")
    typer.echo(f"blocked by: {', '.join(report['blocked_by']) or 'no blocking rule (a run would never compare them)'}")
    r = report["rules"]
    typer.echo(f"score {report['score']:.2f}: {report['band']} (merge >= {r['merge_threshold']}, "
               f"review >= {r['review_threshold']}; rule set {r['name']} {r['hash']})")
