"""Every output a command writes is checked before the work starts: a file in a folder that does
not exist, a folder where a file is expected, a file where a folder is expected, a wrong
extension: one line on stderr naming the option and the path, exit 1, no traceback, the store as
it was and nothing written. And the other things a user can do wrong (issue 12, point 5) stay
one line with a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dedup.rules.ruleset import default_rules_text
from dedup_cli import app
from tests.conftest import store_fingerprint

ROOT = Path(__file__).resolve().parents[1]


def one_line(result) -> str:
    assert result.exit_code == 1, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output and "Error:" not in result.output
    assert result.stdout == ""
    return lines[0]


def default_rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(default_rules_text())
    return path


#: command (DB for the store, OUT for the output path, RULES for a rule file, TRADERS for a traders
#: file), the option named in the message and the output's extension.
COMMANDS = {
    "run --clusters-out": (["run", "--db", "DB", "--clusters-out", "OUT"], "--clusters-out", ".csv"),
    "diff --html": (["diff", "--db", "DB", "--rules", "RULES", "--html", "OUT"], "--html", ".html"),
    "train --out": (["train", "--db", "DB", "--out", "OUT", "--random-pairs", "1000"], "--out", ".toml"),
    "decisions export": (["decisions", "export", "--db", "DB", "OUT"], "", ".csv"),
    "import --rejects": (["import", "--db", "DB", "--traders", "TRADERS", "--rejects", "OUT"],
                         "--rejects", ".csv"),
}


def _args(command: list[str], db: Path, out: Path, tmp_path: Path, traders: Path) -> list[str]:
    swap = {"DB": str(db), "RULES": str(default_rules(tmp_path)), "TRADERS": str(traders),
            "OUT": str(out)}
    return [swap.get(a, a) for a in command]


def _listing(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.name != "rules.toml")


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("problem", ["missing folder", "a folder", "parent is a file"])
def test_an_output_that_cannot_be_written_is_refused_before_the_work(cli, small_store, tmp_path,
                                                                     traders_small_csv, name, problem):
    command, option, suffix = COMMANDS[name]
    (tmp_path / "plain").write_text("a file\n")
    out = {"missing folder": tmp_path / "missing" / f"x{suffix}",
           "a folder": tmp_path / f"taken{suffix}",
           "parent is a file": tmp_path / "plain" / f"x{suffix}"}[problem]
    if problem == "a folder":
        out.mkdir()
    before, listing = store_fingerprint(small_store), _listing(tmp_path)
    line = one_line(cli.invoke(app, _args(command, small_store, out, tmp_path, traders_small_csv)))
    label = f"{option} {out}" if option else str(out)
    assert line == {"missing folder": f"error: {label}: no such folder {out.parent}",
                    "a folder": f"error: {label}: is a folder, expected a file to write",
                    "parent is a file": f"error: {label}: {out.parent} is a file, not a folder"}[problem]
    assert store_fingerprint(small_store) == before
    assert _listing(tmp_path) == listing


@pytest.mark.parametrize("name", ["run --clusters-out", "diff --html", "decisions export",
                                  "import --rejects"])
def test_the_output_is_checked_before_the_store_is_opened(cli, tmp_path, traders_small_csv, name):
    """With no store at --db, the output's problem is the one reported (so it is checked first),
    and no store is created."""
    command, option, suffix = COMMANDS[name]
    db = tmp_path / "none.duckdb"
    out = tmp_path / "missing" / f"x{suffix}"
    line = one_line(cli.invoke(app, _args(command, db, out, tmp_path, traders_small_csv)))
    assert f"no such folder {out.parent}" in line and (option in line)
    assert not db.exists()


def test_clusters_out_with_a_missing_folder_runs_no_sql(small_store, tmp_path):
    """The issue's case, end to end through the installed entry point with the SQL log on: the
    refusal comes before the pipeline (no SQL step is logged), exit 1, one line."""
    out = tmp_path / "missing" / "dir" / "x.csv"
    proc = subprocess.run([sys.executable, "-m", "dedup_cli", "-v", "run", "--db", str(small_store),
                           "--clusters-out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: --clusters-out {out}: no such folder {out.parent}"]
    assert proc.stdout == ""


@pytest.mark.parametrize("name", ["x.txt", "x"])
def test_clusters_out_needs_a_table_extension(cli, small_store, tmp_path, name):
    out = tmp_path / name
    line = one_line(cli.invoke(app, ["run", "--db", str(small_store), "--clusters-out", str(out)]))
    assert line == f"error: --clusters-out {out}: use a .csv, .parquet or .pq file name"


def test_clusters_out_still_writes_a_good_path(cli, small_store, tmp_path):
    out = tmp_path / "clusters.parquet"
    result = cli.invoke(app, ["run", "--db", str(small_store), "--clusters-out", str(out), "-s"])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0


def test_synth_into_a_file_or_under_one_is_one_line(cli, tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("a file\n")
    line = one_line(cli.invoke(app, ["synth", str(plain), "--records", "50"]))
    assert line == f"error: {plain}: is a file, expected a folder"
    line = one_line(cli.invoke(app, ["synth", str(plain / "deeper" / "out"), "--records", "50"]))
    assert line == f"error: {plain / 'deeper' / 'out'}: {plain} is a file, not a folder"
    assert plain.read_text() == "a file\n"
    # a folder that is missing is created, with its parents, as before
    result = cli.invoke(app, ["synth", str(tmp_path / "new" / "out"), "--records", "50"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "out" / "truth.parquet").exists()


def test_demo_checks_its_folder_and_store_first(cli, tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("a file\n")
    line = one_line(cli.invoke(app, ["demo", "--records", "50", "--data-dir", str(plain),
                                     "--db", str(tmp_path / "demo.duckdb")]))
    assert line == f"error: --data-dir {plain}: is a file, expected a folder"
    db = tmp_path / "missing" / "demo.duckdb"
    line = one_line(cli.invoke(app, ["demo", "--records", "50", "--data-dir", str(tmp_path / "d"),
                                     "--db", str(db)]))
    assert line == f"error: --db {db}: no such folder {db.parent}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain"]


def test_the_other_user_mistakes_stay_one_line(cli, small_store, tmp_path):
    """Issue 12 point 5: a truth file without entity_id, --db pointing at a CSV, a misspelt rule
    key (with its close match)."""
    truth = tmp_path / "truth.csv"
    truth.write_text("trader_id,cluster\n30000001,1\n")
    line = one_line(cli.invoke(app, ["evaluate", "--db", str(small_store), "--truth", str(truth)]))
    assert line.startswith(f"error: --truth {truth}: no column entity_id")
    line = one_line(cli.invoke(app, ["run", "--db", str(truth)]))
    assert line == f"error: {truth} is not a trader-dedup store (not a DuckDB file)"
    rules = tmp_path / "bad.toml"
    rules.write_text(default_rules_text().replace("weight = 7.5, tf_adjust = true",
                                                  "weight = 7.5, tf_adjst = true", 1)
                     .replace("max_block_size = 100", "max_blok_size = 100", 1))
    line = one_line(cli.invoke(app, ["run", "--db", str(small_store), "--rules", str(rules)]))
    assert "unknown key 'tf_adjst' (did you mean 'tf_adjust'?)" in line
    assert "unknown key 'max_blok_size' (did you mean 'max_block_size'?)" in line


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("command", [["decisions", "export", "/dev/full"],
                                     ["train", "--out", "/dev/full", "--force", "--random-pairs", "1000"]])
def test_a_write_that_fails_anyway_is_one_line(cli, small_store, command):
    """A path the checks let through can still fail (a full disk: /dev/full refuses every
    write): one line naming it, exit 1."""
    line = one_line(cli.invoke(app, [*command, "--db", str(small_store)]))
    assert "/dev/full" in line and "cannot write: No space left on device" in line
