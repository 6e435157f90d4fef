import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dedup.cluster import connected_components


def reference_components(edges: list[tuple[int, int]]) -> dict[int, int]:
    """Plain union-find: node -> smallest node of its component."""
    parent: dict[int, int] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {node: find(node) for node in parent}


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=120))
def test_components_match_a_reference_union_find(edges):
    nodes, labels = connected_components(np.array([a for a, _ in edges]), np.array([b for _, b in edges]))
    assert dict(zip(nodes.tolist(), labels.tolist())) == reference_components(edges)


def test_a_long_chain_is_one_component():
    left = np.arange(0, 10_000)
    nodes, labels = connected_components(left, left + 1)
    assert len(nodes) == 10_001 and set(labels.tolist()) == {0}


def test_a_cluster_joining_two_units_through_a_bare_record_is_held(tmp_path):
    """Unit 39 and Unit 45 never match each other (different_unit), but a record with no address
    matches both; with `clustering.keep_apart = ["different_unit"]` (the default) the cluster is
    held for review instead of merging the two units."""
    import dataclasses

    from dedup.pipeline import run_pipeline
    from dedup.rules import RuleSet
    from dedup.store import Store
    from tests.merge.merge_helpers import build, trader

    estate = "Junction Trading Estate, Chapel Road, Cardiff"
    db = build(tmp_path / "units.duckdb", traders=[
        trader(1, "Evans Van Hire", address=f"Unit 39, {estate}", postcode="CF24 9FL", phone="029 7422 1621"),
        trader(2, "Evans Van Hire", address=None, postcode="CF24 9FL", phone="029 7422 1621"),
        trader(3, "Evans Van Hire", address=f"Unit 45, {estate}", postcode="CF24 9FL")])
    rules = RuleSet.default()
    with Store(db, read_only=True) as store:
        result = run_pipeline(store, rules)
        clusters = dict(result.clusters().iter_rows())
        held = store.con.execute("SELECT count(*) FILTER (WHERE held), any_value(hold_reason) "
                                 "FROM __dedup__clusters").fetchone()
        merge_pairs = store.con.execute("SELECT count(*) FROM __dedup__scored WHERE band = 'merge'").fetchone()[0]
    assert merge_pairs == 2                                   # 1-2 and 2-3; 1-3 never match
    assert clusters == {1: 1, 2: 2, 3: 3} and held[0] == 3 and "hard rule" in held[1]
    with Store(db, read_only=True) as store:                  # without the guard the units merge
        loose = run_pipeline(store, dataclasses.replace(rules, keep_apart=()))
        assert len(set(dict(loose.clusters().iter_rows()).values())) == 1
