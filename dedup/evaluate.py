"""Pairwise precision and recall of a run against ground truth (trader_id, entity_id).

Counts are set-based: the pairs inside a group of n records number n(n-1)/2, so no pair list is
ever built for clusters. Precision = true pairs found / pairs predicted; recall = true pairs found
/ all true pairs among the run's records.
"""

from __future__ import annotations

from pathlib import Path

from dedup.blocking.pairs import rule_pairs_sql
from dedup.errors import DedupError, SqlError
from dedup.pipeline import RunResult
from dedup.rules.ruleset import RuleSet
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.tables import StageTables

DEFAULT_THRESHOLDS = (0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0)


TRUTH_COLUMNS = ("trader_id", "entity_id")
_READERS = {".csv": "read_csv", ".parquet": "read_parquet"}


def _reader(path: Path) -> str:
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise DedupError(f"--truth {path}: use a .csv or .parquet file")
    if path.is_dir():
        raise DedupError(f"--truth {path}: is a folder, expected a .csv or .parquet file")
    if not path.is_file():
        raise DedupError(f"--truth {path}: no such file")
    return reader


def load_truth_sql(path: Path, table: str) -> SqlStep:
    """The truth table `table` from a truth file; `load_truth` checks the file first."""
    reader = _reader(path)
    # Extra columns (`dedup synth` adds kind, group_kind, group_id) are kept for
    # `hard_negative_merges`.
    return SqlStep("load truth", f"CREATE OR REPLACE TEMP TABLE {quote_ident(table)} AS "
                                 f"SELECT * REPLACE (trader_id::BIGINT AS trader_id, "
                                 f"entity_id::BIGINT AS entity_id) "
                                 f"FROM {reader}(?)", (str(path),))


def check_truth_sql(path: Path) -> SqlStep:
    """The first row (1-based, in file order) whose trader_id or entity_id is not a whole
    number: row, column, value. (A cast alone would not do: DuckDB casts '1.5' to BIGINT 2,
    which would make business 1.5 one with business 2.)"""
    columns = ", ".join(f"{c}::VARCHAR AS {c}" for c in TRUTH_COLUMNS)
    checks = " UNION ALL ".join(
        f"SELECT __row, '{c}', {c} FROM rows WHERE {c} IS NOT NULL AND (TRY_CAST({c} AS BIGINT) IS NULL "
        f"OR TRY_CAST({c} AS DOUBLE) <> TRY_CAST({c} AS BIGINT))"
        for c in TRUTH_COLUMNS)
    return SqlStep("check truth", f"WITH rows AS (SELECT row_number() OVER () AS __row, {columns} "
                                  f"FROM {_reader(path)}(?)) {checks} ORDER BY 1 LIMIT 1",
                   (str(path),))


def load_truth(runner: Runner, path: Path, tables: StageTables | None = None) -> str:
    """Load a truth file (trader_id, entity_id) into `tables.truth` (by default
    `StageTables().truth`) and return that table's name, for the metrics below.

    Raises:
        DedupError: one line naming the file for a file that is not there or cannot be read, a
            missing trader_id or entity_id column, or a value that is not a whole number.
    """
    reader = _reader(path)
    try:
        found = [r[0] for r in runner.fetchall(SqlStep(
            "truth columns", f"DESCRIBE SELECT * FROM {reader}(?)", (str(path),)))]
    except SqlError as exc:
        raise DedupError(f"--truth {path}: cannot read the file: {_first_line(exc.cause)}") from exc
    missing = [c for c in TRUTH_COLUMNS if c not in found]
    if missing:
        raise DedupError(f"--truth {path}: no column {' or '.join(missing)} (a truth file has "
                         f"trader_id and entity_id; columns found: {', '.join(found)})")
    bad = runner.fetchone(check_truth_sql(path))
    if bad:
        row, column, value = bad
        raise DedupError(f"--truth {path}: row {row}, column {column}: {value[:40]!r} is not a "
                         f"whole number")
    table = (tables or StageTables()).truth
    runner.run(load_truth_sql(path, table))
    return table


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _metrics(tp: int, predicted: int, actual: int) -> dict:
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"true_positives": tp, "predicted_pairs": predicted, "true_pairs": actual,
            "precision": round(precision, 6), "recall": round(recall, 6), "f1": round(f1, 6)}


def cluster_metrics(run: RunResult, truth: str) -> dict:
    """Pairwise metrics of the clusters the run would merge (held clusters count as unmerged)."""
    runner, clusters, truth = run.runner, quote_ident(run.cluster_table), quote_ident(truth)
    tp, predicted, actual = runner.fetchone(SqlStep("cluster metrics", f"""
        WITH c AS (SELECT c.trader_id, c.cluster_id, t.entity_id
                   FROM {clusters} c JOIN {truth} t USING (trader_id))
        SELECT (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM
                   (SELECT count(*) n FROM c GROUP BY cluster_id, entity_id)),
               (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM
                   (SELECT count(*) n FROM c GROUP BY cluster_id)),
               (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM
                   (SELECT count(*) n FROM c GROUP BY entity_id))"""))
    return _metrics(int(tp), int(predicted), int(actual))


def threshold_metrics(run: RunResult, truth: str, thresholds=DEFAULT_THRESHOLDS) -> list[dict]:
    """Pair-level metrics of scored pairs at each threshold (hard rules applied, no clustering).

    Recall's denominator is every true pair among the run's records, so pairs that blocking never
    produced count as missed.
    """
    runner, clusters, truth = run.runner, quote_ident(run.cluster_table), quote_ident(truth)
    scored = quote_ident(run.scored)
    actual = runner.scalar(SqlStep("true pairs", f"""
        SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (
            SELECT count(*) n FROM {clusters} JOIN {truth} USING (trader_id) GROUP BY entity_id)"""))
    rows = runner.fetchall(SqlStep("threshold metrics", f"""
        WITH s AS (SELECT s.score, NOT s.never_match AS eligible, tl.entity_id = tr.entity_id AS same
                   FROM {scored} s JOIN {truth} tl ON tl.trader_id = s.left_id
                   JOIN {truth} tr ON tr.trader_id = s.right_id)
        SELECT t.threshold, count(s.score) FILTER (WHERE s.same), count(s.score)
        FROM unnest(?::DOUBLE[]) t(threshold)
        LEFT JOIN s ON s.score >= t.threshold AND s.eligible
        GROUP BY t.threshold ORDER BY t.threshold""", (list(thresholds),)))
    return [{"threshold": t, **_metrics(int(tp), int(pred), int(actual))} for t, tp, pred in rows]


def hard_negative_merges(run: RunResult, truth: str) -> dict | None:
    """The merges precision-first forbids, from a `dedup synth` truth file: clusters that would
    merge branches of a chain (two different entities of kind 'chain'), and clusters that would
    merge different traders of one building (two entities of one 'unit' group). None when the
    truth file does not say (no kind / group columns)."""
    runner, clusters, truth = run.runner, quote_ident(run.cluster_table), quote_ident(truth)
    columns = {r[0] for r in runner.fetchall(SqlStep("truth columns", f"DESCRIBE {truth}"))}
    if not {"kind", "group_kind", "group_id"} <= columns:
        return None
    chains, units = runner.fetchone(SqlStep("hard-negative merges", f"""
        WITH c AS (SELECT c.cluster_id, t.entity_id, t.kind, t.group_kind, t.group_id
                   FROM {clusters} c JOIN {truth} t USING (trader_id))
        SELECT (SELECT count(*) FROM (SELECT cluster_id FROM c WHERE kind = 'chain'
                                      GROUP BY cluster_id HAVING count(DISTINCT entity_id) > 1)),
               (SELECT count(*) FROM (SELECT cluster_id FROM c WHERE group_kind = 'unit'
                                      GROUP BY cluster_id, group_id
                                      HAVING count(DISTINCT entity_id) > 1))"""))
    return {"clusters_merging_chain_branches": int(chains),
            "clusters_merging_units_of_one_building": int(units)}


def group_merges(run: RunResult, truth: str) -> dict | None:
    """Wrong merges per kind of hard-negative group, from a `dedup synth` truth file: for each
    group_kind (unit, neighbour, and the hard scenarios' virtual_office, shared_website,
    lookalike, name_collision, bridge), the clusters that would merge two different entities of
    one group of that kind. None when the truth file has no group columns."""
    runner, clusters, truth = run.runner, quote_ident(run.cluster_table), quote_ident(truth)
    columns = {r[0] for r in runner.fetchall(SqlStep("truth columns", f"DESCRIBE {truth}"))}
    if not {"group_kind", "group_id"} <= columns:
        return None
    rows = runner.fetchall(SqlStep("merges within groups", f"""
        WITH c AS (SELECT c.cluster_id, t.entity_id, t.group_kind, t.group_id
                   FROM {clusters} c JOIN {truth} t USING (trader_id) WHERE t.group_kind IS NOT NULL),
             wrong AS (SELECT group_kind FROM c GROUP BY group_kind, group_id, cluster_id
                       HAVING count(DISTINCT entity_id) > 1),
             kinds AS (SELECT DISTINCT group_kind FROM c)
        SELECT k.group_kind, count(w.group_kind) FROM kinds k LEFT JOIN wrong w USING (group_kind)
        GROUP BY k.group_kind ORDER BY k.group_kind"""))
    return {kind: int(n) for kind, n in rows}


def largest_clusters(run: RunResult, truth: str) -> dict:
    """The largest cluster the run would merge (records), and the most different true entities
    any one merged cluster holds (1 when no cluster joins two businesses)."""
    runner, clusters, truth = run.runner, quote_ident(run.cluster_table), quote_ident(truth)
    records, entities = runner.fetchone(SqlStep("largest clusters", f"""
        SELECT coalesce(max(records), 0), coalesce(max(entities), 0) FROM (
            SELECT count(*) AS records, count(DISTINCT t.entity_id) AS entities
            FROM {clusters} c JOIN {truth} t USING (trader_id) GROUP BY c.cluster_id)"""))
    return {"largest_merged_cluster": int(records), "most_entities_in_one_cluster": int(entities)}


def evaluation_report(run: RunResult, truth: str) -> dict:
    """Everything `dedup evaluate` reports about a run against a loaded truth table: the rule
    set, the merge band's cluster metrics, hard-negative and per-group wrong merges (None without
    a synth truth file's columns), the largest clusters, and the metrics at each threshold."""
    return {"rules": {"name": run.rules.name, "hash": run.rules.hash},
            "merge_band": cluster_metrics(run, truth),
            "hard_negatives": hard_negative_merges(run, truth),
            "group_merges": group_merges(run, truth),
            "largest_clusters": largest_clusters(run, truth),
            "thresholds": threshold_metrics(run, truth)}


def blocking_recall(runner: Runner, rules: RuleSet, tables: StageTables, truth: str) -> dict:
    """How many true pairs blocking ever compares, from `tables.normalised` and a loaded truth
    table: overall (the union of the rules' pairs, as a run makes them) and per rule on its own.

    The true pairs are those among the normalised (active) records; a rule's blocks over its
    `max_block_size` pair nothing, as in a run.

    Returns:
        {"true_pairs": N, "candidate_pairs": distinct pairs of all rules, "true_pairs_compared",
        "blocking_recall", "rules": [{"true_pairs_compared", "true_pairs_only_this_rule",
        "blocking_recall"} per rule, in rule order]}.
    """
    runner.run(rule_pairs_sql(rules.blocking, rules.max_block_size, tables))
    normalised, pairs, truth = (quote_ident(t) for t in (tables.normalised, tables.rule_pairs, truth))
    actual, candidates = runner.fetchone(SqlStep("true pairs among the records", f"""
        SELECT (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (
                    SELECT count(*) n FROM {normalised} JOIN {truth} USING (trader_id) GROUP BY entity_id)),
               (SELECT count(*) FROM {pairs})"""))
    rows = runner.fetchall(SqlStep("true pairs per blocking rule", f"""
        WITH t AS (SELECT p.rules FROM {pairs} p JOIN {truth} l ON l.trader_id = p.left_id
                   JOIN {truth} r ON r.trader_id = p.right_id WHERE l.entity_id = r.entity_id)
        SELECT o.rule_order, count(t.rules), count(t.rules) FILTER (WHERE len(t.rules) = 1)
        FROM range(?) o(rule_order) LEFT JOIN t ON list_contains(t.rules, o.rule_order)
        GROUP BY o.rule_order ORDER BY o.rule_order""", (len(rules.blocking),)))
    compared = runner.scalar(SqlStep("true pairs compared", f"""
        SELECT count(*) FROM {pairs} p JOIN {truth} l ON l.trader_id = p.left_id
        JOIN {truth} r ON r.trader_id = p.right_id WHERE l.entity_id = r.entity_id"""))

    def share(found: int) -> float:
        return round(found / actual, 6) if actual else 1.0

    return {"true_pairs": int(actual), "candidate_pairs": int(candidates),
            "true_pairs_compared": int(compared), "blocking_recall": share(compared),
            "rules": [{"true_pairs_compared": int(found), "true_pairs_only_this_rule": int(only),
                       "blocking_recall": share(found)} for _, found, only in rows]}
