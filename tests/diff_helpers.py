"""What the tests of `dedup diff` share: a store of 3,000 synthetic traders with its truth file,
and rule files beside it differing from the default in one threshold (`diff_store` in
tests/conftest.py builds it once for the session; nothing changes it)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dedup.rules import RuleSet
from dedup.rules.ruleset import default_rules_text
from dedup.synth import generate, write_tables
from dedup_cli import app


def rules_text(merge: float = 11.0, review: float = 7.0) -> str:
    text = default_rules_text()
    assert "\nmerge = 11.0" in text and "\nreview = 7.0" in text
    return text.replace("\nmerge = 11.0", f"\nmerge = {merge}", 1).replace(
        "\nreview = 7.0", f"\nreview = {review}", 1)


def build_diff_store(folder: Path) -> Path:
    """3,000 synthetic traders (with their truth file) and rule files differing in one threshold."""
    write_tables(generate(3000, seed=5), folder / "data", "parquet")
    db = folder / "traders.duckdb"
    result = CliRunner().invoke(app, ["import", "--db", str(db), "--dir", str(folder / "data")])
    assert result.exit_code == 0, result.output
    (folder / "default.toml").write_text(rules_text())
    (folder / "merge13.toml").write_text(rules_text(merge=13.0))
    (folder / "review9.toml").write_text(rules_text(review=9.0))
    return db


def files(db: Path) -> dict[str, Path]:
    folder = db.parent
    return {"default": folder / "default.toml", "merge13": folder / "merge13.toml",
            "review9": folder / "review9.toml", "truth": folder / "data" / "truth.parquet"}


def rule_set(db: Path, name: str) -> RuleSet:
    return RuleSet.from_toml(files(db)[name])
