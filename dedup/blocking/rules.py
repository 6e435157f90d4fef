"""Blocking rules: which records are close enough to be compared at all.

A rule names block keys; two records form a candidate pair when every key is equal and not null.
A key is a normalised column or `left(column, N)`, its first N characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dedup.columns import NORMALISED_COLUMNS
from dedup.sql import quote_ident

_LEFT = re.compile(r"^left\((\w+),\s*(\d+)\)$")


def key_expr(key: str, alias: str) -> str:
    """SQL for one block key on the table aliased `alias`."""
    match = _LEFT.match(key)
    if match:
        return f"left({alias}.{quote_ident(match.group(1))}, {int(match.group(2))})"
    return f"{alias}.{quote_ident(key)}"


def _check_key(key: str) -> None:
    match = _LEFT.match(key)
    column = match.group(1) if match else key
    if column not in NORMALISED_COLUMNS:
        raise ValueError(f"unknown block key {key!r}: use a normalised column "
                         f"({', '.join(NORMALISED_COLUMNS)}) or left(column, N)")
    if match and int(match.group(2)) < 1:
        raise ValueError(f"block key {key!r}: N must be at least 1")


@dataclass(frozen=True)
class BlockingRule:
    """Records sharing every key become candidate pairs.

    Args:
        name: shown on every pair the rule produces.
        on: the block keys.
        max_block_size: this rule's own cap on block size (a loose key such as the name alone
            wants a tighter cap than the rule set's `blocking.max_block_size`).
    """

    name: str
    on: tuple[str, ...]
    max_block_size: int | None = None

    def __post_init__(self):
        if not self.on:
            raise ValueError(f"blocking rule {self.name!r} needs at least one key in 'on'")
        if self.max_block_size is not None and (not isinstance(self.max_block_size, int)
                                                or isinstance(self.max_block_size, bool)
                                                or self.max_block_size < 2):
            raise ValueError("max_block_size must be a whole number of at least 2")
        for key in self.on:
            _check_key(key)

    def cap(self, default: int) -> int:
        """The largest block this rule pairs up."""
        return self.max_block_size or default

    def key_exprs(self, alias: str) -> list[str]:
        return [key_expr(k, alias) for k in self.on]
