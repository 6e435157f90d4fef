"""What the CLI tests share: the small store's ground truth, and an apply run through the CLI."""

from __future__ import annotations

import polars as pl

from dedup_cli import app
from tests.conftest import DATA


def truth() -> dict[int, int]:
    """traders_small's trader_id -> entity."""
    frame = pl.read_csv(DATA / "traders_small.csv")
    return dict(zip(frame["trader_id"], frame["entity"]))


def apply(cli, db, *extra):
    return cli.invoke(app, ["run", "--db", str(db), "--apply", "--today", "2026-11-01", "-s", *extra])
