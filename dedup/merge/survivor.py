"""Which record of a cluster survives a merge.

Order (documented in docs/rules.md): a whitelisted record; then a record with an active track or
certificate (today within its start and end dates); then the most cases; then the oldest; then
the lowest id. The ranking is one window query over the whole clusters table.
"""

from __future__ import annotations

import datetime as dt

from dedup.sql import SqlStep, quote_ident


def survivor_features_sql(members: str) -> str:
    """Per member of `members` (trader_id, component): the facts survivor choice ranks on.

    The query takes one parameter: the date on which a track or certificate must be active.
    """
    return f"""
        SELECT m.trader_id, m.component,
               w.trader_id IS NOT NULL AS whitelisted,
               coalesce(a.active, 0) > 0 AS has_active,
               coalesce(c.n, 0) AS cases,
               t.created_at
        FROM {quote_ident(members)} m
        JOIN traders t USING (trader_id)
        LEFT JOIN whitelist w USING (trader_id)
        LEFT JOIN (SELECT trader_id, count(*) AS n FROM cases
                   WHERE trader_id IN (SELECT trader_id FROM {quote_ident(members)})
                   GROUP BY ALL) c USING (trader_id)
        LEFT JOIN (SELECT trader_id, count(*) AS active FROM (
                       SELECT trader_id, start_date, end_date FROM tracks
                       UNION ALL SELECT trader_id, start_date, end_date FROM certificates)
                   WHERE $today BETWEEN start_date AND end_date
                   GROUP BY ALL) a USING (trader_id)"""


def choose_survivors_sql(members: str, output: str, today: dt.date) -> SqlStep:
    """Create `output` (trader_id, component, survivor_id, whitelisted) from `members`."""
    return SqlStep(
        "choose survivors",
        f"CREATE OR REPLACE TEMP TABLE {quote_ident(output)} AS "
        f"SELECT trader_id, component, whitelisted, "
        f"first_value(trader_id) OVER (PARTITION BY component ORDER BY whitelisted DESC, "
        f"has_active DESC, cases DESC, created_at ASC NULLS LAST, trader_id ASC) AS survivor_id "
        f"FROM ({survivor_features_sql(members)})",
        {"today": today},
    )
