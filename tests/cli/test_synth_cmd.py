"""`dedup synth` (dedup_cli/synth_cmd.py) through the real CLI: the files it writes and names on
stderr, the same seed giving the same data, the scenario options, and one-line or usage errors.
(What the generator makes: tests/test_synth.py, tests/synth/.)"""

from __future__ import annotations

import datetime as dt

import polars as pl

from dedup.synth import SCENARIOS, TABLES
from dedup_cli import app
from dedup_cli.synth_cmd import Scenario
from tests.synth.test_scenarios import GROUP_OF


def synth(cli, out, *args):
    return cli.invoke(app, ["synth", str(out), *args])


def test_every_table_is_written_and_named_on_stderr(cli, tmp_path):
    out = tmp_path / "data"
    result = synth(cli, out, "-n", "300", "--format", "csv")
    assert result.exit_code == 0 and result.stdout == ""
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(f"{t}.csv" for t in TABLES)
    assert result.stderr.splitlines() == [f"wrote {out / name}" for name in [f"{t}.csv" for t in TABLES]]
    assert pl.read_csv(out / "traders.csv").height == 300


def test_the_same_seed_writes_the_same_files_and_another_seed_does_not(cli, tmp_path):
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        assert synth(cli, tmp_path / name, "-n", "200", "--seed", seed, "--format", "csv").exit_code == 0
    same = [(tmp_path / "a" / f"{t}.csv").read_bytes() == (tmp_path / "b" / f"{t}.csv").read_bytes() for t in TABLES]
    assert all(same)
    assert (tmp_path / "a" / "traders.csv").read_bytes() != (tmp_path / "c" / "traders.csv").read_bytes()


def test_as_of_dates_the_data(cli, tmp_path):
    assert synth(cli, tmp_path / "old", "-n", "200", "--as-of", "2020-06-30").exit_code == 0
    created = pl.read_parquet(tmp_path / "old" / "traders.parquet")["created_at"]
    assert created.max() <= dt.datetime(2020, 7, 1)
    assert synth(cli, tmp_path / "new", "-n", "200").exit_code == 0
    assert pl.read_parquet(tmp_path / "new" / "traders.parquet")["created_at"].max() > dt.datetime(2020, 7, 1)


def test_a_bad_date_is_one_line_and_a_bad_count_a_usage_error(cli, tmp_path):
    bad = synth(cli, tmp_path / "bad", "--as-of", "30/06/2020")
    assert bad.exit_code == 1 and bad.stdout == ""
    assert bad.stderr == "error: --as-of '30/06/2020': expected a date as YYYY-MM-DD\n"
    assert not (tmp_path / "bad").exists()
    none = synth(cli, tmp_path / "none", "-n", "0")
    assert none.exit_code == 2 and not (tmp_path / "none").exists()
    unknown = synth(cli, tmp_path / "csv", "--format", "xlsx")
    assert unknown.exit_code == 2 and not (tmp_path / "csv").exists()


def test_cli_offers_exactly_the_scenarios() -> None:
    assert tuple(s.value for s in Scenario) == SCENARIOS


def test_cli_hard_and_scenario_options(cli, tmp_path) -> None:
    out = tmp_path / "one"
    result = cli.invoke(app, ["synth", str(out), "-n", "3000", "--scenario", "virtual_offices",
                              "--scenario", "bridging", "--format", "csv"])
    assert result.exit_code == 0, result.output
    kinds = set(pl.read_csv(out / "truth.csv")["group_kind"].drop_nulls().unique())
    assert kinds - {"unit", "neighbour"} == {"virtual_office", "bridge"}
    result = cli.invoke(app, ["synth", str(tmp_path / "all"), "-n", "3000", "--hard"])
    assert result.exit_code == 0, result.output
    kinds = set(pl.read_parquet(tmp_path / "all" / "truth.parquet")["group_kind"].drop_nulls().unique())
    assert kinds >= set().union(*GROUP_OF.values())
    result = cli.invoke(app, ["synth", str(tmp_path / "bad"), "--scenario", "moon_base"])
    assert result.exit_code == 2 and not (tmp_path / "bad").exists()
