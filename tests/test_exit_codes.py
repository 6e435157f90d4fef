"""The exit codes the README lists (0, 1, 2, 3, 130), each where the README says it happens,
through the real CLI. (3 is tested in detail by tests/test_import_rejects.py and 130 by
tests/test_interrupt.py and tests/merge/test_kill.py.)"""

from __future__ import annotations

import re
from pathlib import Path

from dedup_cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_readme_lists_every_exit_code():
    table = README[README.index("Exit codes, for every command"):]
    table = table[:table.index("\n\n", table.index("| code |"))]
    assert re.findall(r"^\| \*\*(\d+)\*\* \|", table, re.M) == ["0", "1", "2", "3", "130"]


def test_each_code_where_the_readme_says(cli, small_store, tmp_path):
    assert cli.invoke(app, ["--version"]).exit_code == 0
    assert cli.invoke(app, ["runs", "--db", str(small_store)]).exit_code == 0   # an empty listing
    missing = cli.invoke(app, ["run", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1 and missing.stderr.startswith("error: no store at")
    for usage in (["run", "--no-such-option"], ["synth", str(tmp_path / "x"), "--records", "abc"],
                  ["no-such-command"], ["explain", "--db", str(small_store), "1"]):
        assert cli.invoke(app, usage).exit_code == 2, usage
    bad = tmp_path / "traders.csv"
    bad.write_text("trader_id,name,address,postcode\n10000001,A,x,TR1 1AA\n-5,B,y,TR1 1AB\n")
    rejected = cli.invoke(app, ["import", "--db", str(small_store), "--traders", str(bad),
                                "--rejects", str(tmp_path / "rejects.csv")])
    assert rejected.exit_code == 3, rejected.output
