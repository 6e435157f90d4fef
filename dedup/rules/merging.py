"""The `[merge]` table of a rule set: who survives a merge, and which fields it may inherit.

Only names from fixed vocabularies are accepted, so a rule file never carries SQL: the merge code
turns each name into its own ORDER BY term or column.
"""

from __future__ import annotations

from dataclasses import dataclass

from dedup.rules.keys import unknown_keys

#: Survivor criteria, best first within each; the docs (docs/rules.md) describe each one.
SURVIVOR_CRITERIA = {
    "whitelisted": "a whitelisted record (always first: a canonical record is never merged away)",
    "active_track_or_certificate": "a record with a track or certificate active on the run's date",
    "most_cases": "the record with the most cases",
    "oldest": "the record created first (unknown creation dates count as newest)",
    "lowest_id": "the lowest trader id (always last: it breaks every remaining tie)",
}
DEFAULT_SURVIVOR_ORDER = tuple(SURVIVOR_CRITERIA)

#: The keys of the `[merge]` table.
MERGE_KEYS = ("survivor_order", "fill_missing_fields")

#: Trader fields a survivor may take from a merged record when its own is empty.
FILLABLE_FIELDS = ("postcode", "phone", "website", "address")


@dataclass(frozen=True)
class MergeConfig:
    """How a cluster is merged.

    Args:
        survivor_order: criteria from SURVIVOR_CRITERIA, most important first. `whitelisted`
            must come first and `lowest_id` last when they are listed; they are added there when
            left out, so a whitelisted record always survives and the choice is always unique.
        fill_missing_fields: fields (from FILLABLE_FIELDS) a survivor takes from a merged record
            when its own value is empty; empty means never.
    """

    survivor_order: tuple[str, ...] = DEFAULT_SURVIVOR_ORDER
    fill_missing_fields: tuple[str, ...] = FILLABLE_FIELDS

    def __post_init__(self):
        order = _checked(self.survivor_order, SURVIVOR_CRITERIA,
                         unknown="unknown survivor criterion {!r} (one of {})",
                         twice="survivor_order names a criterion twice")
        if "whitelisted" in order and order[0] != "whitelisted":
            raise ValueError("survivor_order: 'whitelisted' must come first")
        if "lowest_id" in order and order[-1] != "lowest_id":
            raise ValueError("survivor_order: 'lowest_id' must come last")
        order = (("whitelisted",) if "whitelisted" not in order else ()) + order
        order += ("lowest_id",) if "lowest_id" not in order else ()
        fields = _checked(self.fill_missing_fields, FILLABLE_FIELDS,
                          unknown="unknown field {!r} in fill_missing_fields (any of {})",
                          twice="fill_missing_fields names a field twice")
        # Frozen: normalise through object.__setattr__ so equal configs hash alike.
        object.__setattr__(self, "survivor_order", order)
        object.__setattr__(self, "fill_missing_fields", fields)

    @classmethod
    def from_table(cls, table: dict) -> MergeConfig:
        """Build from a parsed `[merge]` table; `fill_missing_fields` may be a list or a boolean.

        Raises:
            ValueError: on an unknown key, a wrong type or a name outside the vocabularies.
        """
        unknown = unknown_keys(table, MERGE_KEYS, "")
        if unknown:
            raise ValueError("; ".join(unknown))
        order = table.get("survivor_order", DEFAULT_SURVIVOR_ORDER)
        if not isinstance(order, (list, tuple)) or not all(isinstance(c, str) for c in order):
            raise ValueError("survivor_order: expected a list of criterion names")
        fill = table.get("fill_missing_fields", True)
        if isinstance(fill, bool):
            fill = FILLABLE_FIELDS if fill else ()
        elif not isinstance(fill, (list, tuple)) or not all(isinstance(f, str) for f in fill):
            raise ValueError("fill_missing_fields: expected true, false or a list of field names")
        return cls(survivor_order=tuple(order), fill_missing_fields=tuple(fill))


def _checked(values, vocabulary: tuple[str, ...], *, unknown: str, twice: str) -> tuple[str, ...]:
    """`values` as a tuple, each from `vocabulary` and none twice; ValueError otherwise.

    Args:
        unknown: message for a value outside the vocabulary ({} for the value, {} for the list).
        twice: message for a repeated value.
    """
    values = tuple(values)
    outside = [v for v in values if v not in vocabulary]
    if outside:
        raise ValueError(unknown.format(outside[0], ", ".join(vocabulary)))
    if len(set(values)) != len(values):
        raise ValueError(twice)
    return values
