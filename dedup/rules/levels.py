"""Comparison levels: one test on a pair's two normalised values, with a match weight.

Each level renders a SQL condition over the `<column>_l` / `<column>_r` columns of the candidate
pairs and a label people can read. Levels check their parameters when built.
"""

from __future__ import annotations

from dataclasses import dataclass

from dedup.columns import NORMALISED_COLUMNS
from dedup.sql import quote_ident

LEVEL_KINDS = ("missing", "exact", "jaro_winkler", "token_overlap", "phonetic", "else")


def tf_column(column: str) -> str:
    """The pair column holding the term-frequency adjustment of the left record's value of
    `column`: log2(u / f), see `Level.tf_adjust`."""
    return f"tf_{column}_l"


def tokens_column(column: str) -> str:
    """The per-record column holding `column`'s distinct words (a list), made once per record
    by the scoring query so a `token_overlap` level does not split both names for every pair."""
    return f"tokens_{column}"


def sectors_column(column: str) -> str:
    """The pair column holding how many distinct postcode sectors the left record's value of
    `column` is found at across the table, for a level's `max_sectors`."""
    return f"sectors_{column}_l"


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
        m: share of true duplicates at this level (written by `dedup train`; informative).
        u: share of different traders at this level (written by `dedup train`); needed by
            `tf_adjust`.
        tf_adjust: for `exact` levels: scale the weight by how common the shared value is, so
            "smith roofing" counts for less than a rare name. The weight becomes
            weight + log2(u / f), where f is the value's share of the records and u = sum of f^2
            over all values, the chance that two random records share a value. Both are measured
            on the store at run time, so the adjustment does not drift with the table's size: a
            value as common as the average one keeps the level's weight.
        max_sectors: for `exact` levels: the level holds only while the shared value is found
            on records in at most this many distinct postcode sectors across the table. A
            website on records all over the country is a brand's (a chain's head-office site),
            and sharing it says which brand, not which branch: such pairs fall through to the
            next level. Measured on the store at run time, like `tf_adjust`.
    """

    kind: str
    weight: float
    column: str | None = None
    min_similarity: float | None = None
    m: float | None = None
    u: float | None = None
    tf_adjust: bool = False
    max_sectors: int | None = None

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
        if not isinstance(self.weight, (int, float)) or isinstance(self.weight, bool):
            raise ValueError("weight must be a number")
        for name in ("m", "u"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and 0.0 < value <= 1.0):
                raise ValueError(f"{name} must be a probability in (0, 1]")
        if self.tf_adjust and self.kind != "exact":
            raise ValueError("tf_adjust needs kind = \"exact\"")
        if self.max_sectors is not None:
            if self.kind != "exact":
                raise ValueError("max_sectors needs kind = \"exact\"")
            if not isinstance(self.max_sectors, int) or isinstance(self.max_sectors, bool) \
                    or self.max_sectors < 1:
                raise ValueError("max_sectors must be a whole number, at least 1")

    @property
    def label(self) -> str:
        if self.kind == "else":
            return "anything else"
        if self.kind == "missing":
            return f"{self.column} missing on either side"
        if self.min_similarity is not None:
            return f"{self.kind.replace('_', '-')} similarity of {self.column} >= {self.min_similarity}"
        label = f"{self.column} {'equal' if self.kind == 'exact' else 'sounds alike'}"
        if self.max_sectors is not None:
            label += f", a value found at no more than {self.max_sectors} postcode sectors"
        return label

    def weight_expr(self) -> str:
        """The level's weight; with `tf_adjust`, plus the pair's `tf_<column>_l` adjustment
        (both sides are equal at an exact level)."""
        # Literals are cast: DuckDB reads 9.0 as DECIMAL, and a sum of decimals is not a float.
        weight = f"{float(self.weight)!r}::DOUBLE"
        if not self.tf_adjust:
            return weight
        return f"({weight} + {quote_ident(tf_column(self.column))})"

    def condition_expr(self, token_lists: bool = False) -> str:
        """A boolean SQL expression over the pair's columns; true when the pair is at this level.

        With `token_lists`, a `token_overlap` level reads the words from `tokens_<column>_l` /
        `_r` (see `tokens_column`) instead of splitting the values itself."""
        if self.kind == "else":
            return "TRUE"
        left, right = _cols(self.column)
        if self.kind == "missing":
            return f"({left} IS NULL OR {right} IS NULL)"
        if self.kind == "exact" and self.max_sectors is not None:
            spread = quote_ident(sectors_column(self.column))
            return f"({left} = {right} AND coalesce({spread}, 0) <= {int(self.max_sectors)})"
        if self.kind in ("exact", "phonetic"):
            return f"{left} = {right}"
        if self.kind == "jaro_winkler":
            return f"jaro_winkler_similarity({left}, {right}) >= {float(self.min_similarity)!r}"
        # Overlap coefficient of the two word sets: shared words / words in the shorter name.
        if token_lists:
            words_l, words_r = (quote_ident(f"{tokens_column(self.column)}_{side}") for side in "lr")
        else:
            words_l, words_r = (f"list_distinct(string_split({col}, ' '))" for col in (left, right))
        return (f"len(list_intersect({words_l}, {words_r})) / "
                f"greatest(least(len({words_l}), len({words_r})), 1) >= {float(self.min_similarity)!r}")


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

    def level_expr(self, token_lists: bool = False) -> str:
        """SQL giving the index of the level each pair reaches (`token_lists`: see
        `Level.condition_expr`)."""
        whens = " ".join(f"WHEN {lvl.condition_expr(token_lists)} THEN {i}"
                         for i, lvl in enumerate(self.levels[:-1]))
        return f"CASE {whens} ELSE {len(self.levels) - 1} END" if whens else "0"

    @property
    def token_columns(self) -> tuple[str, ...]:
        """Columns a `token_overlap` level of this comparison splits into words."""
        return tuple(dict.fromkeys(lvl.column for lvl in self.levels if lvl.kind == "token_overlap"))

    @property
    def sector_columns(self) -> tuple[str, ...]:
        """Columns whose values' spread over postcode sectors a `max_sectors` level needs."""
        return tuple(dict.fromkeys(lvl.column for lvl in self.levels if lvl.max_sectors is not None))

    @property
    def tf_columns(self) -> tuple[str, ...]:
        """Columns whose value frequencies this comparison's weights need."""
        return tuple(dict.fromkeys(lvl.column for lvl in self.levels if lvl.tf_adjust))

    def weight_expr(self, level_column: str) -> str:
        """SQL turning a level index column into its weight (term-frequency adjusted where set)."""
        whens = " ".join(f"WHEN {i} THEN {lvl.weight_expr()}" for i, lvl in enumerate(self.levels))
        return f"CASE {quote_ident(level_column)} {whens} END"
