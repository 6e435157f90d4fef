"""Unknown keys in a rule file's tables: each one is a problem, with the closest known key."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def unknown_keys(table: dict, known: Iterable[str], where: str) -> list[str]:
    """One problem per key of `table` outside `known`, named with the table it is in.

    Args:
        table: a parsed TOML table.
        known: the keys that table may hold.
        where: the table's place in the file (`comparisons[1].levels[2]`; empty for the top level).

    Returns:
        Messages such as "comparisons[0].levels[1]: unknown key 'tf_adjst' (did you mean
        'tf_adjust'?)", in the file's order; the known keys are listed when none is close.
    """
    known = list(known)
    problems = []
    for key in table:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"one of {', '.join(known)}"
        problems.append(f"{where + ': ' if where else ''}unknown key {key!r} ({hint})")
    return problems
