"""Evidence that knows when it is shared: a value many different businesses hold says little.

A virtual office (Kemp House, 152-160 City Road, EC1V 2NX is the registered office of tens of
thousands of companies), a formation agent's or accountant's address, a storefront platform's
domain or a call centre's number is held by records of many *differently named* traders. Two
records agreeing on it are no more likely to be one business than two records picked at random
from those traders. A `[[shared_evidence]]` entry of a rule file names such evidence by the
normalised columns that make it (`on`) and the column that tells businesses apart (`distinct`,
by default `name_key`, the phonetic key of a name's first word, which forgives most typos):

    [[shared_evidence]]
    name = "shared_address"
    on = ["postcode", "address_number", "address_street"]

For each value of `on` (all columns present), k is the number of distinct `distinct` values
among the active records holding it, measured on the store at run time like the term
frequencies. A pair agreeing on every column of `on` gets

    adjustment = -log2(k)          (0 when one business holds the value)

added to its score, and the explanation lists it. Under the usual match-weight reading (a
weight is log2(m/u)), agreeing on a value that k different businesses share is k times as
likely between two different businesses as agreeing on a value only one holds, so its u is k
times larger and its weight log2(k) lower. Records of one business count once, however many
duplicates it has, so an ordinary address with one trader's five records costs nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dedup.columns import NORMALISED_COLUMNS
from dedup.sql import quote_ident

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class SharedEvidence:
    """One kind of evidence whose weight falls with the number of businesses sharing it.

    Args:
        name: the entry's name (lower case, digits, underscores): names the adjustment in
            explanations and its column (`adj_<name>`) in the scored pairs.
        on: the normalised columns whose values together make the evidence.
        distinct: the normalised column that tells businesses apart (default `name_key`).
    """

    name: str
    on: tuple[str, ...]
    distinct: str = "name_key"

    def __post_init__(self):
        if isinstance(self.on, str) or not isinstance(self.on, (list, tuple)):
            raise ValueError("on: expected a list of column names")
        object.__setattr__(self, "on", tuple(self.on))
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError("name: lower-case letters, digits and underscores, starting with a letter")
        if not self.on:
            raise ValueError("on: give at least one column")
        for column in (*self.on, self.distinct):
            if column not in NORMALISED_COLUMNS:
                raise ValueError(f"unknown column {column!r} (one of {', '.join(NORMALISED_COLUMNS)})")

    @property
    def column(self) -> str:
        """The scored pairs' column holding this adjustment."""
        return f"adj_{self.name}"

    def counts_query(self, normalised: str) -> str:
        """Per value of `on`: k, the distinct businesses holding it (values held by one left out)."""
        keys = ", ".join(quote_ident(c) for c in self.on)
        present = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in self.on)
        return (f"SELECT {keys}, count(DISTINCT {quote_ident(self.distinct)}) AS k "
                f"FROM {quote_ident(normalised)} WHERE {present} GROUP BY {keys} HAVING k > 1")

    def join_expr(self, alias: str) -> str:
        """The join condition of the counts table `alias` to a pair of values (`<c>_l` / `<c>_r`):
        both records hold the value."""
        return " AND ".join(f"{alias}.{quote_ident(c)} = {quote_ident(c + '_l')} "
                            f"AND {quote_ident(c + '_r')} = {quote_ident(c + '_l')}" for c in self.on)

    def adjustment_expr(self, alias: str) -> str:
        """The pair's adjustment from the joined counts table `alias`: -log2(k), or 0."""
        return f"coalesce(-log2({alias}.k), 0.0)"
