"""SQL that turns blocking rules into candidate pairs.

Invariants of the candidate pairs (`StageTables.candidate_pairs`) (a contract every rule meets): each pair appears once,
with `left_id < right_id`, never a record paired with itself, and `blocking_rule` naming the first
rule (in rule-set order) that produced it. Blocks larger than `max_block_size` are left out of
their rule (a chain's head-office phone number would otherwise pair thousands of branches) and
reported by `block_report_sql`.

An incremental run keeps only pairs with at least one record `in_increment` (a column of
the normalised records). Block sizes are still counted over the whole table, so a pair is produced
incrementally exactly when a full run produces it and it touches the increment.
"""

from __future__ import annotations

from collections.abc import Sequence

from dedup.blocking.rules import BlockingRule
from dedup.sql import SqlStep, quote_ident
from dedup.tables import StageTables


def keyed_query(rule: BlockingRule, normalised: str, incremental: bool = False) -> str:
    """Records of `normalised` with every block key present, keys as b0, b1, ... (and
    `in_increment`)."""
    keys = rule.key_exprs("n")
    cols = ", ".join(f"{k} AS b{i}" for i, k in enumerate(keys))
    # A NULL key would never join anyway; filtering first keeps the join and the size count honest.
    not_null = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    flag = ", n.in_increment" if incremental else ""
    return f"SELECT n.trader_id, {cols}{flag} FROM {quote_ident(normalised)} n WHERE {not_null}"


def _block_cols(rule: BlockingRule) -> list[str]:
    return [f"b{i}" for i in range(len(rule.on))]


def rule_pairs_query(rule: BlockingRule, order: int, max_block_size: int, normalised: str,
                     incremental: bool = False) -> str:
    """A SELECT of (left_id, right_id, rule_order) for one rule, oversized blocks left out.

    With `incremental`, only pairs touching the increment: the (small) increment side is joined
    to every record of its blocks, and a pair of two increment records is taken once.
    """
    max_block_size = rule.cap(max_block_size)
    cols = _block_cols(rule)
    join = " AND ".join(f"l.{c} = r.{c}" for c in cols)
    in_ok_blocks = (f"(SELECT k.* FROM ({keyed_query(rule, normalised, incremental)}) k SEMI JOIN ("
                    f"SELECT {', '.join(cols)} FROM ({keyed_query(rule, normalised)}) GROUP BY ALL "
                    f"HAVING count(*) BETWEEN 2 AND {int(max_block_size)}) ok USING ({', '.join(cols)}))")
    if not incremental:
        return (f"SELECT l.trader_id AS left_id, r.trader_id AS right_id, {order} AS rule_order "
                f"FROM {in_ok_blocks} l "
                f"JOIN ({keyed_query(rule, normalised)}) r ON {join} AND l.trader_id < r.trader_id")
    return (f"SELECT least(l.trader_id, r.trader_id) AS left_id, "
            f"greatest(l.trader_id, r.trader_id) AS right_id, {order} AS rule_order "
            f"FROM (SELECT * FROM {in_ok_blocks} WHERE in_increment) l "
            f"JOIN ({keyed_query(rule, normalised, incremental)}) r ON {join} AND l.trader_id <> r.trader_id "
            f"AND (NOT r.in_increment OR l.trader_id < r.trader_id)")


def candidate_pairs_sql(rules: Sequence[BlockingRule], max_block_size: int, tables: StageTables,
                        incremental: bool = False) -> SqlStep:
    """Create `tables.candidate_pairs` from `tables.normalised` and all rules, each pair once with
    its first rule; with `incremental`, only pairs with at least one record in the increment."""
    return _first_rule_pairs_sql("candidate pairs", rules, tables.candidate_pairs,
                                 [rule_pairs_query(r, i, max_block_size, tables.normalised, incremental)
                                  for i, r in enumerate(rules)])


def _first_rule_pairs_sql(name: str, rules: Sequence[BlockingRule], output: str, queries: list[str]) -> SqlStep:
    """Create `output` from the union of per-rule (left_id, right_id, rule_order) queries: each
    pair once, named by its first rule."""
    names = "[" + ", ".join("?" for _ in rules) + "]"
    union = "\nUNION ALL\n".join(queries)
    return SqlStep(
        name,
        f"CREATE OR REPLACE TEMP TABLE {quote_ident(output)} AS "
        f"SELECT left_id, right_id, ({names}::VARCHAR[])[min(rule_order) + 1] AS blocking_rule "
        f"FROM ({union}) GROUP BY left_id, right_id",
        tuple(r.name for r in rules),
    )


def rule_pairs_sql(rules: Sequence[BlockingRule], max_block_size: int, tables: StageTables) -> SqlStep:
    """Create `tables.rule_pairs` from `tables.normalised`: each candidate pair once, with the
    list of every rule (by its order in `rules`) that produces it."""
    union = "\nUNION ALL\n".join(rule_pairs_query(r, i, max_block_size, tables.normalised)
                                  for i, r in enumerate(rules))
    return SqlStep("pairs with their rules",
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(tables.rule_pairs)} AS "
                   f"SELECT left_id, right_id, list(rule_order ORDER BY rule_order) AS rules "
                   f"FROM ({union}) GROUP BY left_id, right_id")


def keyed_records_sql(rule: BlockingRule, normalised: str, output: str) -> SqlStep:
    """`output`: the records of `normalised` with every key of `rule` present (trader_id, b0,
    b1, ...), sorted by the keys, so looking up one block reads few row groups. The duplicate
    check builds one per rule once (`dedup.matcher`), and pairs each probe record through them
    (`probe_pairs_sql`)."""
    return SqlStep(f"keyed records {rule.name}",
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(output)} AS {keyed_query(rule, normalised)} "
                   f"ORDER BY {', '.join(_block_cols(rule))}")


def probe_pairs_sql(rules: Sequence[BlockingRule], max_block_size: int, keyed: Sequence[str], probe: str,
                    output: str) -> SqlStep:
    """`output`: the candidate pairs of one new record (the one row of `probe`, with the
    normalised columns) with the records of `keyed` (one `keyed_records_sql` table per rule),
    exactly as an incremental run would pair it once it is in the table: a pair for every
    record sharing all of a rule's keys with it, unless that block, with the new record
    counted in, is over the rule's cap; each pair once (`left_id` the existing record,
    `right_id` the new one, whose id is above every other), named by its first rule."""
    queries = []
    for order, (rule, table) in enumerate(zip(rules, keyed)):
        cols = _block_cols(rule)
        join = " AND ".join(f"k.{c} = p.{c}" for c in cols)
        queries.append(f"SELECT left_id, right_id, {order} AS rule_order FROM ("
                       f"SELECT k.trader_id AS left_id, p.trader_id AS right_id, count(*) OVER () AS n "
                       f"FROM ({keyed_query(rule, probe)}) p JOIN {quote_ident(table)} k ON {join}) "
                       f"WHERE n + 1 <= {int(rule.cap(max_block_size))}")
    return _first_rule_pairs_sql("probe pairs", rules, output, queries)


def block_report_sql(rule: BlockingRule, max_block_size: int, normalised: str,
                     largest: int = 5) -> SqlStep:
    """Per rule: pairs it would generate, blocks skipped for size, and its largest blocks.

    Returns one row: (pairs, blocks, skipped_blocks, skipped_records, largest) where `largest`
    is a list of {key, records} structs, biggest first.
    """
    max_block_size = rule.cap(max_block_size)
    cols = _block_cols(rule)
    key_text = " || ' | ' || ".join(f"{c}::VARCHAR" for c in cols)
    return SqlStep(
        f"block report {rule.name}",
        f"WITH sizes AS (SELECT {key_text} AS key, count(*) AS n FROM ({keyed_query(rule, normalised)}) "
        f"GROUP BY ALL HAVING count(*) >= 2) "
        f"SELECT coalesce(sum(n * (n - 1) // 2) FILTER (WHERE n <= {int(max_block_size)}), 0), "
        f"count(*), count(*) FILTER (WHERE n > {int(max_block_size)}), "
        f"coalesce(sum(n) FILTER (WHERE n > {int(max_block_size)}), 0), "
        f"(SELECT list({{'key': key, 'records': n}} ORDER BY n DESC, key) "
        f"FROM (SELECT * FROM sizes ORDER BY n DESC, key LIMIT {int(largest)})) "
        f"FROM sizes")


def pairs_by_rule_sql(pairs: str) -> SqlStep:
    """How many candidate pairs of `pairs` each rule contributed first."""
    return SqlStep("pairs by rule",
                   f"SELECT blocking_rule, count(*) FROM {quote_ident(pairs)} GROUP BY ALL ORDER BY 2 DESC")
