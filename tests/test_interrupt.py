"""Ctrl-C during a dry run (SIGINT to the real CLI process): one line, `interrupted: nothing was
changed`, exit 130, no traceback, the store as it was. (Ctrl-C during an apply, inside its
transaction, is tested with the kill tests in tests/merge/test_kill.py.)"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

import dedup
from tests.conftest import store_fingerprint

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("interrupt")
    dedup.synthesise(folder / "data", 10_000, seed=12)
    db = folder / "traders.duckdb"
    dedup.import_data(db, directory=folder / "data")
    return db


#: SQL steps of the pipeline after whose log line the signal is sent: one in blocking, one just
#: before the scoring query, one in clustering.
MOMENTS = ["candidate pairs", "term frequencies name_norm", "merge edges"]


@pytest.mark.parametrize("moment", MOMENTS)
def test_ctrl_c_during_a_dry_run_is_one_line_and_exit_130(store, moment):
    before = store_fingerprint(store)
    proc = subprocess.Popen([sys.executable, "-m", "dedup_cli", "-v", "run", "--db", str(store),
                             "--full", "-s"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stderr:
        lines.append(line.rstrip("\n"))
        if line.startswith(f"dedup.sql: ran {moment} in "):
            proc.send_signal(signal.SIGINT)
            break
    lines += proc.stderr.read().splitlines()
    code = proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    assert not any("Traceback" in line or "Error" in line for line in lines), lines[-10:]
    assert code == 130, (code, lines[-5:])
    assert lines[-1] == "interrupted: nothing was changed"
    assert not [line for line in lines if not line.startswith("dedup.sql: ")][:-1]
    assert store_fingerprint(store) == before


def test_a_ctrl_c_after_the_command_finished_is_ignored_by_the_dedup_process(store, monkeypatch):
    """Once a command has done its work and reported, the `dedup` process (`dedup_cli.run`)
    ignores SIGINT while it exits: Python would otherwise die by the signal (exit -2) with no
    word on what was saved. A CliRunner (or an embedding program) keeps its own handler."""
    from typer.testing import CliRunner

    from dedup_cli import app, run

    before = signal.getsignal(signal.SIGINT)
    try:
        assert CliRunner().invoke(app, ["runs", "--db", str(store)]).exit_code == 0
        assert signal.getsignal(signal.SIGINT) is before
        for args, code in ((["runs", "--db", str(store)], 0), (["review", "show", "999", "--db", str(store)], 1)):
            signal.signal(signal.SIGINT, before)
            monkeypatch.setattr(sys, "argv", ["dedup", *args])
            with pytest.raises(SystemExit) as exited:
                run()
            assert exited.value.code == code and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
