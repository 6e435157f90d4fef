"""`dedup.train`: EM recovers known parameters; u is the level share among random pairs. (The
`dedup train` command: tests/cli/test_match_cmds.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from dedup.rules import RuleSet
from dedup.train import estimate_u, expectation_maximisation


def simulate(rules: RuleSet, m, u, share: float, n: int, seed: int):
    """Level patterns of `n` pairs drawn from a known Fellegi-Sunter model."""
    rng = np.random.default_rng(seed)
    is_match = rng.random(n) < share
    cols = []
    for c in range(len(rules.comparisons)):
        k = len(m[c])
        cols.append(np.where(is_match, rng.choice(k, n, p=m[c]), rng.choice(k, n, p=u[c])))
    levels = np.stack(cols, axis=1)
    patterns, counts = np.unique(levels, axis=0, return_counts=True)
    return patterns, counts.astype(float)


def known_model(rules: RuleSet, seed: int):
    """m favours early levels, u late ones; missing levels equally likely on both sides."""
    rng = np.random.default_rng(seed)
    m, u = [], []
    for comparison in rules.comparisons:
        k = len(comparison.levels)
        mc = np.array([4.0 / (i + 1) for i in range(k)]) * rng.uniform(0.8, 1.2, k)
        uc = np.array([0.05 * (i + 1) ** 2 for i in range(k)]) * rng.uniform(0.8, 1.2, k)
        for i, level in enumerate(comparison.levels):
            if level.kind == "missing":
                mc[i] = uc[i] = 0.0
        m.append(mc / mc.sum())
        u.append(uc / uc.sum())
    return m, u


def test_em_recovers_m_u_and_the_share_of_duplicates():
    rules = RuleSet.default()
    m, u = known_model(rules, seed=3)
    patterns, counts = simulate(rules, m, u, share=0.3, n=400_000, seed=4)
    u_start = [np.full(len(c.levels), 1.0 / len(c.levels)) for c in rules.comparisons]
    m_hat, u_hat, share, iterations = expectation_maximisation(patterns, counts, u_start, rules)
    assert share == pytest.approx(0.3, abs=0.01)
    for true, estimate in zip(m + u, m_hat + u_hat):
        assert np.abs(true - estimate).max() < 0.02
    assert iterations < 200


def test_u_is_the_level_share_among_random_pairs():
    rules = RuleSet.default()
    _, u = known_model(rules, seed=5)
    patterns, counts = simulate(rules, u, u, share=0.0, n=200_000, seed=6)
    for true, estimate in zip(u, estimate_u(patterns, counts, rules)):
        assert np.abs(true - estimate).max() < 0.01
