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
