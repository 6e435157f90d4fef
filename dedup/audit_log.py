"""The audit of what people do through the engine, one row per change (`audit_log`).

Every change a person makes through a command (a trader created, a duplicate-check refusal
overridden, a user added or disabled) is recorded in the same transaction as the change: who
(`user_id`), when, what (`action`), the row (`table_name`, `row_id`), the row before and after
as JSON, and why (`reason`, with `details` such as the candidates an override passed). Merges
keep their own, fuller audit (`merges`, `merge_moves`).
"""

from __future__ import annotations

import json

import polars as pl

from dedup.sql import Runner, SqlStep, quote_ident

#: What one audit entry holds, in order.
AUDIT_COLUMNS = ("audit_id", "acted_at", "user_id", "action", "table_name", "row_id", "before", "after",
                 "reason", "details")


def row_json(runner: Runner, table: str, key: str, value) -> str | None:
    """One row of `table` (where `key` = `value`) as JSON text, or None when there is none."""
    return runner.scalar(SqlStep(f"{table} row as JSON",
                                 f"SELECT to_json(t)::VARCHAR FROM {quote_ident(table)} t "
                                 f"WHERE {quote_ident(key)} = ?", (value,)))


def record(runner: Runner, *, user_id: str | None, action: str, table_name: str, row_id,
           before: str | None = None, after: str | None = None, reason: str | None = None,
           details: dict | list | None = None) -> int:
    """Add one entry (call inside the change's transaction); returns its audit_id."""
    return runner.scalar(SqlStep("audit", """
        INSERT INTO audit_log
        SELECT coalesce(max(audit_id), 0) + 1, now()::TIMESTAMP, ?, ?, ?, ?, ?::JSON, ?::JSON, ?, ?::JSON
        FROM audit_log RETURNING audit_id""",
                                 (user_id, action, table_name, str(row_id), before, after, reason,
                                  None if details is None else json.dumps(details, default=str))))


def audit_entries(runner: Runner, *, table_name: str | None = None, row_id=None,
                  user_id: str | None = None, limit: int | None = None) -> pl.DataFrame:
    """Audit entries, newest first, optionally for one row, one table or one user."""
    where, params = [], []
    for column, value in (("table_name", table_name), ("row_id", None if row_id is None else str(row_id)),
                          ("user_id", user_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    limit_sql = f" LIMIT {int(limit)}" if limit else ""
    return runner.frame(SqlStep("audit entries",
                                f"SELECT {', '.join(AUDIT_COLUMNS[:6])}, before::VARCHAR AS before, "
                                f"after::VARCHAR AS after, reason, details::VARCHAR AS details "
                                f"FROM audit_log {clause} ORDER BY audit_id DESC{limit_sql}", params))
