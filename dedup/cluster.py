"""Connected components over merge-band pairs, vectorised with numpy.

Label propagation with pointer jumping: every node starts as its own label; each round, both ends
of every edge take the smaller label, then labels follow their own labels to a fixed point. The
number of rounds grows with the logarithm of a component's diameter, and each round is a handful
of numpy passes over the edges, so no Python runs per pair.
"""

from __future__ import annotations

import numpy as np


def connected_components(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Components of the undirected graph with edges (left[i], right[i]).

    Args:
        left: node ids (int64), one per edge.
        right: node ids (int64), one per edge.

    Returns:
        (nodes, component): every node that appears on an edge, sorted, and the id of its
        component, which is the smallest node id in that component.
    """
    nodes = np.unique(np.concatenate([left, right]))
    u = np.searchsorted(nodes, left)
    v = np.searchsorted(nodes, right)
    labels = np.arange(len(nodes))
    while True:
        smaller = np.minimum(labels[u], labels[v])
        before = labels.copy()
        np.minimum.at(labels, u, smaller)
        np.minimum.at(labels, v, smaller)
        labels = _jump(labels)
        if np.array_equal(labels, before):
            return nodes, nodes[labels]


def _jump(labels: np.ndarray) -> np.ndarray:
    """Follow labels to their roots (every label's label is itself afterwards)."""
    while True:
        parent = labels[labels]
        if np.array_equal(parent, labels):
            return labels
        labels = parent
