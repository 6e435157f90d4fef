"""Which record of a cluster survives a merge.

Order (documented in docs/rules.md): a whitelisted record; then a record with an active track or
certificate (today within its start and end dates); then the most cases; then the oldest; then
the lowest id. A rule set may reorder or drop the middle criteria (`[merge] survivor_order`);
whitelisted always comes first and the lowest id always breaks the last tie. The ranking is one
window query over the whole clusters table.
"""

from __future__ import annotations

import datetime as dt

from dedup.rules.merging import DEFAULT_SURVIVOR_ORDER
from dedup.schema import active_on_condition
from dedup.sql import SqlStep, quote_ident


def survivor_features_query(members: str) -> str:
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
                       UNION ALL SELECT trader_id, start_date, end_date FROM certificates) x
                   WHERE {active_on_condition('x')}
                   GROUP BY ALL) a USING (trader_id)"""


def choose_survivors_sql(members: str, output: str, today: dt.date,
                         order: tuple[str, ...] = DEFAULT_SURVIVOR_ORDER) -> SqlStep:
    """Create `output` (trader_id, component, survivor_id, whitelisted) from `members`.

    `order` is a rule set's `merge.survivor_order`; the default gives the documented order.
    """
    return SqlStep(
        "choose survivors",
        f"CREATE OR REPLACE TEMP TABLE {quote_ident(output)} AS "
        f"SELECT trader_id, component, whitelisted, "
        f"first_value(trader_id) OVER (PARTITION BY component ORDER BY {survivor_order_clause(order)}) "
        f"AS survivor_id "
        f"FROM ({survivor_features_query(members)})",
        {"today": today},
    )


#: survivor criterion (dedup.rules.merging.SURVIVOR_CRITERIA) -> its ORDER BY term, best first.
CRITERION_ORDER_SQL = {
    "whitelisted": "whitelisted DESC",
    "active_track_or_certificate": "has_active DESC",
    "most_cases": "cases DESC",
    "oldest": "created_at ASC NULLS LAST",
    "lowest_id": "trader_id ASC",
}


def survivor_order_clause(order: tuple[str, ...]) -> str:
    """The ORDER BY list for a configured survivor order; `trader_id` always breaks ties last."""
    terms = [CRITERION_ORDER_SQL[c] for c in order]
    if terms[-1:] != ["trader_id ASC"]:
        terms.append("trader_id ASC")
    return ", ".join(terms)


def rank_members_sql(members: str, output: str, today: dt.date, order: tuple[str, ...]) -> SqlStep:
    """Create `output` (trader_id, component, whitelisted, has_active, cases, created_at, rank):
    rank 1 is the survivor of its component under the configured order.

    Args:
        members: a table of (trader_id, component).
        output: the temp table to create.
        today: the date on which a track or certificate must be active to count.
        order: survivor criteria, most important first (a validated MergeConfig.survivor_order).
    """
    return SqlStep(
        "rank survivors",
        f"CREATE OR REPLACE TEMP TABLE {quote_ident(output)} AS "
        f"SELECT *, row_number() OVER (PARTITION BY component "
        f"ORDER BY {survivor_order_clause(order)}) AS rank "
        f"FROM ({survivor_features_query(members)})",
        {"today": today},
    )
