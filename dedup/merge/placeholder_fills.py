"""A one-off report: merges whose survivor fields a placeholder spoilt, before survivorship knew.

Until survivorship read `dedup.missing`, a merge filled a survivor's empty field with whatever a
merged record held, "N/A" and "TBC" included, and a survivor's own "N/A" counted as a value, so
a merged record's real postcode was not taken. Merges now get both right; this lists the live
merges (not undone) that got them wrong, per field, as two kinds:

- `placeholder_filled`: the merge wrote a missing value (a placeholder) into the survivor;
- `value_not_taken`: the merged record had a real value and the survivor holds a placeholder
  now (its own, or one a merge filled in).

The survivor's value is read as it is now, so a field corrected since drops out of the report.
"""

from __future__ import annotations

import polars as pl

from dedup.missing import MISSING_SQL_PARAMS, missing_condition
from dedup.rules.merging import FILLABLE_FIELDS
from dedup.sql import Runner, SqlStep

COLUMNS = ("merge_id", "run_id", "merged_at", "survivor_id", "merged_id", "field", "kind",
           "survivor_value", "merged_value", "filled_value")


def placeholder_fills_sql() -> SqlStep:
    """Every spoilt fill of a live merge, one row per merge, field and kind, in merge order."""
    return SqlStep("placeholder fills", f"""
        WITH live AS (
            SELECT m.merge_id, m.run_id, m.merged_at, m.survivor_id, m.merged_id, f.field,
                   m.merged_record ->> f.field AS merged_value,
                   (SELECT c.new_value FROM unnest(m.field_changes) AS x(c)
                    WHERE c.field = f.field) AS filled_value,
                   CASE f.field WHEN 'postcode' THEN s.postcode WHEN 'phone' THEN s.phone
                                WHEN 'website' THEN s.website WHEN 'address' THEN s.address
                   END AS survivor_value
            FROM merges m CROSS JOIN unnest($fields::VARCHAR[]) AS f(field)
            JOIN traders s ON s.trader_id = m.survivor_id
            WHERE m.undone_at IS NULL)
        SELECT merge_id, run_id, merged_at, survivor_id, merged_id, field,
               'placeholder_filled' AS kind, survivor_value, merged_value, filled_value
        FROM live
        WHERE filled_value IS NOT NULL AND {missing_condition('filled_value')}
        UNION ALL
        SELECT merge_id, run_id, merged_at, survivor_id, merged_id, field,
               'value_not_taken', survivor_value, merged_value, filled_value
        FROM live
        WHERE NOT {missing_condition('merged_value')} AND {missing_condition('survivor_value')}
          AND nullif(trim(survivor_value), '') IS NOT NULL  -- an empty one was filled (or not
                                                            -- configured to be): not a placeholder's doing
        ORDER BY merge_id, field, kind""",
        {"fields": list(FILLABLE_FIELDS), **MISSING_SQL_PARAMS})


def placeholder_fills(runner: Runner) -> pl.DataFrame:
    """The report as a frame (`COLUMNS`); empty when no live merge was spoilt."""
    return runner.frame(placeholder_fills_sql()).select(COLUMNS)
