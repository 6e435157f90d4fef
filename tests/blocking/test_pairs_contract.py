"""Every blocking rule meets the candidate-pair contract (recordlinkage's test_lower_triangular)."""

from __future__ import annotations

import dataclasses

import pytest

from dedup.blocking.pairs import block_report_sql, candidate_pairs_sql, keyed_records_sql, probe_pairs_sql
from dedup.blocking.rules import BlockingRule
from dedup.pipeline import blocking_report, normalise_stage
from dedup.rules import RuleSet
from dedup.sql import SqlStep
from dedup.store import Store
from dedup.tables import StageTables

DEFAULT = RuleSet.default()


def pairs_for(store: Store, rules, max_block_size: int) -> list[tuple]:
    tables = StageTables()
    normalise_stage(store.runner, tables)
    store.runner.run(candidate_pairs_sql(rules, max_block_size, tables))
    return store.runner.fetchall(SqlStep("pairs", f"SELECT left_id, right_id, blocking_rule "
                                                  f"FROM {tables.candidate_pairs}"))


@pytest.mark.parametrize("rule", DEFAULT.blocking, ids=[r.name for r in DEFAULT.blocking])
def test_each_rule_yields_each_pair_once_ordered_and_never_a_self_pair(mixed_store, rule):
    with Store(mixed_store, read_only=True) as store:
        pairs = pairs_for(store, [rule], DEFAULT.max_block_size)
    keys = [(a, b) for a, b, _ in pairs]
    assert len(keys) == len(set(keys))
    assert all(a < b for a, b in keys)
    assert {r for _, _, r in pairs} <= {rule.name}
    assert pairs, f"{rule.name} produced no pair on the small store (and traders_abroad)"


def test_union_of_rules_keeps_each_pair_once_with_its_first_rule(small_store):
    with Store(small_store, read_only=True) as store:
        together = pairs_for(store, DEFAULT.blocking, DEFAULT.max_block_size)
        alone = {r.name: {(a, b) for a, b, _ in pairs_for(store, [r], DEFAULT.max_block_size)}
                 for r in DEFAULT.blocking}
    keys = [(a, b) for a, b, _ in together]
    assert len(keys) == len(set(keys))
    assert set(keys) == set().union(*alone.values())
    order = [r.name for r in DEFAULT.blocking]
    for a, b, rule in together:
        first = next(name for name in order if (a, b) in alone[name])
        assert rule == first


def test_blocks_above_the_cap_are_skipped_and_reported(small_store):
    rule = BlockingRule("postcode", ("postcode",))
    with Store(small_store, read_only=True) as store:
        capped = pairs_for(store, [rule], max_block_size=3)
        pairs, blocks, skipped, skipped_records, largest = store.runner.fetchone(
            block_report_sql(rule, 3, StageTables().normalised))
    # TR1 1AU holds 4 records in traders_small: over a cap of 3
    assert skipped == 1 and skipped_records == 4
    assert largest[0] == {"key": "TR1 1AU", "records": 4}
    assert pairs == len(capped)
    assert all(a not in (23204319, 23204320, 23204401, 23204502) for a, _, _ in capped)


def test_blocking_report_counts_match_generated_pairs(small_store):
    rules = dataclasses.replace(DEFAULT, max_block_size=3)
    with Store(small_store, read_only=True) as store:
        report = blocking_report(store, rules)
        for entry, rule in zip(report, rules.blocking):
            assert entry["pairs"] == len(pairs_for(store, [rule], 3))


def test_left_n_key_blocks_on_a_prefix(small_store):
    rule = BlockingRule("prefix", ("left(name_norm, 3)",))
    with Store(small_store, read_only=True) as store:
        pairs = pairs_for(store, [rule], 100)
        names = dict(store.con.execute("SELECT trader_id, name_norm FROM __dedup__normalised").fetchall())
    assert pairs and all(names[a][:3] == names[b][:3] for a, b, _ in pairs)


@pytest.mark.parametrize("cap", [3, 4, 100])
def test_a_probe_record_is_paired_as_an_incremental_run_pairs_it(small_store, cap):
    """`probe_pairs_sql` (the duplicate check) gives, for each record held out as the probe, the
    pairs an incremental run makes once the record is in the table and is the whole increment:
    the same pairs and first rules, with block caps counted with the record in (TR1 1AU holds 4
    records of traders_small: a cap of 3 skips its block, 4 keeps it)."""
    full, rest = StageTables("__t_full_"), StageTables("__t_rest_")
    with Store(small_store, read_only=True) as store:
        runner = store.runner
        normalise_stage(runner, full)
        ids = [r[0] for r in runner.fetchall(SqlStep("ids", f"SELECT trader_id FROM {full.normalised}"))]
        for probe in ids:
            runner.run(SqlStep("rest", f"CREATE OR REPLACE TEMP TABLE {rest.normalised} AS "
                                       f"SELECT * FROM {full.normalised} WHERE trader_id <> {probe}"))
            runner.run(SqlStep("probe", f"CREATE OR REPLACE TEMP TABLE {rest.probe} AS "
                                        f"SELECT * FROM {full.normalised} WHERE trader_id = {probe}"))
            runner.run([keyed_records_sql(r, rest.normalised, rest.match_keyed(i))
                        for i, r in enumerate(DEFAULT.blocking)])
            keyed = [rest.match_keyed(i) for i in range(len(DEFAULT.blocking))]
            runner.run(probe_pairs_sql(DEFAULT.blocking, cap, keyed, rest.probe, rest.candidate_pairs))
            runner.run(SqlStep("increment", f"UPDATE {full.normalised} SET in_increment = (trader_id = {probe})"))
            runner.run(candidate_pairs_sql(DEFAULT.blocking, cap, full, incremental=True))
            ours, run = ({(min(a, b), max(a, b), rule) for a, b, rule in runner.fetchall(SqlStep(
                "pairs", f"SELECT left_id, right_id, blocking_rule FROM {t.candidate_pairs}"))} for t in (rest, full))
            assert ours == run, probe
            assert all(probe in pair[:2] for pair in ours)
