"""Comparison levels: one test on a pair's two normalised values, with a match weight.

Each level renders a SQL condition over the `<column>_l` / `<column>_r` columns of the candidate
pairs and a label people can read. Levels check their parameters when built.
"""

from __future__ import annotations

from dataclasses import dataclass

from dedup.columns import NORMALISED_COLUMNS
from dedup.sql import quote_ident

LEVEL_KINDS = ("missing", "exact", "jaro_winkler", "token_overlap", "phonetic", "else")


def _cols(column: str) -> tuple[str, str]:
    return quote_ident(f"{column}_l"), quote_ident(f"{column}_r")


@dataclass(frozen=True)
class Level:
    """One level of a comparison.

    Args:
        kind: one of LEVEL_KINDS.
        weight: match weight (log2 Bayes factor) added to a pair's score at this level.
        column: the normalised column compared (not used by `else`).
        min_similarity: threshold in [0, 1] for `jaro_winkler` and `token_overlap`.
    """

    kind: str
    weight: float
    column: str | None = None
    min_similarity: float | None = None

    def __post_init__(self):
        if self.kind not in LEVEL_KINDS:
            raise ValueError(f"unknown level kind {self.kind!r} (one of {', '.join(LEVEL_KINDS)})")
        if self.kind != "else" and self.column not in NORMALISED_COLUMNS:
            raise ValueError(f"level {self.kind!r} needs a column, one of {', '.join(NORMALISED_COLUMNS)}")
        needs_threshold = self.kind in ("jaro_winkler", "token_overlap")
        if needs_threshold and not (isinstance(self.min_similarity, (int, float))
                                    and 0.0 <= self.min_similarity <= 1.0):
            raise ValueError(f"level {self.kind!r} needs min_similarity between 0 and 1")
        if not needs_threshold and self.min_similarity is not None:
            raise ValueError(f"level {self.kind!r} takes no min_similarity")
        if not isinstance(self.weight, (int, float)):
            raise ValueError("weight must be a number")

    @property
    def label(self) -> str:
        if self.kind == "else":
            return "anything else"
        if self.kind == "missing":
            return f"{self.column} missing on either side"
        if self.min_similarity is not None:
            return f"{self.kind.replace('_', '-')} similarity of {self.column} >= {self.min_similarity}"
        return f"{self.column} {'equal' if self.kind == 'exact' else 'sounds alike'}"

    def condition_sql(self) -> str:
        """A boolean SQL expression over the pair's columns; true when the pair is at this level."""
        if self.kind == "else":
            return "TRUE"
        left, right = _cols(self.column)
        if self.kind == "missing":
            return f"({left} IS NULL OR {right} IS NULL)"
        if self.kind in ("exact", "phonetic"):
            return f"{left} = {right}"
        if self.kind == "jaro_winkler":
            return f"jaro_winkler_similarity({left}, {right}) >= {float(self.min_similarity)!r}"
        # Overlap coefficient of the two word sets: shared words / words in the shorter name.
        return (f"len(list_intersect(list_distinct(string_split({left}, ' ')), "
                f"list_distinct(string_split({right}, ' ')))) / "
                f"greatest(least(len(list_distinct(string_split({left}, ' '))), "
                f"len(list_distinct(string_split({right}, ' ')))), 1) >= {float(self.min_similarity)!r}")


@dataclass(frozen=True)
class Comparison:
    """A field compared through ordered levels; the first level whose condition holds wins.

    Args:
        name: the comparison's name (e.g. "name", "postcode").
        levels: ordered levels; the last must be `else` so every pair gets a level.
    """

    name: str
    levels: tuple[Level, ...]

    def __post_init__(self):
        if not self.levels or self.levels[-1].kind != "else":
            raise ValueError(f"comparison {self.name!r}: the last level must be kind = \"else\"")

    def level_sql(self) -> str:
        """SQL giving the index of the level each pair reaches."""
        whens = " ".join(f"WHEN {lvl.condition_sql()} THEN {i}"
                         for i, lvl in enumerate(self.levels[:-1]))
        return f"CASE {whens} ELSE {len(self.levels) - 1} END" if whens else "0"

    def weight_sql(self, level_column: str) -> str:
        """SQL turning a level index column into its weight."""
        whens = " ".join(f"WHEN {i} THEN {float(lvl.weight)!r}" for i, lvl in enumerate(self.levels))
        return f"CASE {quote_ident(level_column)} {whens} END"
