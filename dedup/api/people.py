"""Who is who: users (`dedup users`) and the audit of what they did."""

from __future__ import annotations

import polars as pl

from dedup.api._common import PathLike, open_existing
from dedup.audit_log import audit_entries
from dedup.store import Store
from dedup.users import add_user as add
from dedup.users import disable_user as disable
from dedup.users import list_users, user_dict

__all__ = ["add_user", "audit", "disable_user", "users"]


def users(db: PathLike, *, role: str | None = None, include_disabled: bool = False) -> pl.DataFrame:
    """`dedup users list`: user_id, display_name, role, ts_id, centre, restricted, disabled_at,
    ts_name (from the TS areas); disabled users only with `include_disabled`."""
    with open_existing(db) as store:
        return list_users(store.runner, role=role, include_disabled=include_disabled)


def add_user(db: PathLike, user_id: str, role: str, *, as_user: str | None = None,
             display_name: str | None = None, ts_id: str | None = None, centre: str | None = None,
             restricted: bool = False) -> dict:
    """`dedup users add`: add a user, done by the admin `as_user` (None only while the store has
    no active admin); audited. Returns the user as stored."""
    with Store(db) as store:
        return user_dict(add(store.runner, actor=as_user, user_id=user_id, role=role,
                             display_name=display_name, ts_id=ts_id, centre=centre, restricted=restricted))


def disable_user(db: PathLike, user_id: str, *, as_user: str | None = None) -> dict:
    """`dedup users disable`: the user can no longer act (`--as`); audited."""
    with open_existing(db, read_only=False) as store:
        return user_dict(disable(store.runner, actor=as_user, user_id=user_id))


def audit(db: PathLike, *, table_name: str | None = None, row_id=None, user_id: str | None = None,
          limit: int | None = None) -> pl.DataFrame:
    """`dedup audit`: what people did through the engine, newest first (audit_id, acted_at,
    user_id, action, table_name, row_id, before, after, reason, details as JSON text)."""
    with open_existing(db) as store:
        return audit_entries(store.runner, table_name=table_name, row_id=row_id, user_id=user_id, limit=limit)
