"""Who is who in the synthetic data: users and the postcode districts of each TS.

Drawn from the generator's own tables, not its random stream, so adding them leaves every other
table exactly as it was: every adviser id the records use (`ALL_ADVISERS`), one user per Trading
Standards service, a few operations staff and an admin; and each postcode district mapped to the
TS of its post town (`vocab.DISTRICT_TS`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dedup.synth import vocab
from dedup.synth.common import ALL_ADVISERS, adviser_ids

#: The delivery centres advisers work in (an adviser's centre follows from their number).
CENTRES = ("Bristol", "Glasgow", "Leeds", "Manchester", "Newcastle", "Norwich", "Swansea", "Truro")
#: Every this-many-th adviser is a restricted user (may not create traders).
RESTRICTED_EVERY = 25


def _ts_names() -> dict[str, str]:
    return {ts: f"{district.town.title()} Trading Standards"
            for ts, district in zip(vocab.DISTRICT_TS, vocab.DISTRICTS)}


def build_users() -> pl.DataFrame:
    """user_id, display_name, role, ts_id, centre, restricted."""
    numbers = np.arange(1, ALL_ADVISERS + 1)
    advisers = pl.DataFrame({
        "user_id": adviser_ids(numbers),
        "display_name": ("Adviser " + pl.Series(numbers).cast(pl.String)),
        "role": "adviser",
        "ts_id": pl.Series([None] * len(numbers), dtype=pl.String),
        "centre": pl.Series([CENTRES[n % len(CENTRES)] for n in numbers], dtype=pl.String),
        "restricted": pl.Series(numbers % RESTRICTED_EVERY == 0),
    })
    names = _ts_names()
    ts = sorted(names)
    trading_standards = pl.DataFrame({
        "user_id": [t.lower() for t in ts], "display_name": [names[t] for t in ts], "role": "ts", "ts_id": ts,
        "centre": pl.Series([None] * len(ts), dtype=pl.String), "restricted": False})
    staff = pl.DataFrame({
        "user_id": ["ops01", "ops02", "admin"], "display_name": ["Operations 1", "Operations 2", "Administrator"],
        "role": ["operations", "operations", "admin"], "ts_id": pl.Series([None] * 3, dtype=pl.String),
        "centre": pl.Series([None] * 3, dtype=pl.String), "restricted": False})
    return pl.concat([advisers, trading_standards, staff])


def build_ts_areas() -> pl.DataFrame:
    """postcode_prefix (a district), ts_id, ts_name."""
    names = _ts_names()
    return pl.DataFrame({"postcode_prefix": [d.outward for d in vocab.DISTRICTS],
                         "ts_id": list(vocab.DISTRICT_TS),
                         "ts_name": [names[t] for t in vocab.DISTRICT_TS]}).unique("postcode_prefix", keep="first",
                                                                                   maintain_order=True)
