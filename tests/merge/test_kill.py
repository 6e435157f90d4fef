"""SIGKILL an apply at random moments: the store stays consistent and a re-run finishes the work.

A synthetic store is built once (dedup.synth, imported with the real importer). A measuring run
of the real CLI (`python -m dedup_cli -v run --apply`) gives the apply window: from the
transaction's BEGIN to its COMMIT, both visible in the `-v` SQL log. Each trial copies the store,
starts the same command, waits for BEGIN and kills the process with SIGKILL after a delay drawn
by a seeded RNG (0 to 80% of the window for most trials, 90 to 130% for the last three), so nearly
every kill lands mid-apply and a few just after the commit. Then:

- the store opens and is consistent: the run is either wholly absent (traders and children exactly
  as before, no merges, moves or proposals; the run still 'running') or wholly there (exactly an
  uninterrupted run's result, the run 'succeeded'); every child row exists with identical content
  but for trader_id; no child points at a merged trader; the audit matches the traders;
- a re-run completes and ends exactly where one uninterrupted run ends, whether the kill came
  before the commit or after it (an apply leaves the store at a fixed point, so a second apply
  merges nothing), with a run killed before its commit marked 'interrupted'.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dedup.importer import ImportSource, find_sources, import_files
from dedup.incremental import run_since
from dedup.merge.runs import apply_run
from dedup.rules import RuleSet
from dedup.schema import TABLES_BY_NAME
from dedup.store import Store
from tests.merge.merge_helpers import CHILDREN, KEYS, TODAY

ROOT = Path(__file__).resolve().parents[2]
#: The default suite kills a 20,000-record apply (a few seconds per trial); `-m large` also
#: kills a 150,000-record one (about half a minute per trial).
SIZES = [20_000, pytest.param(150_000, marks=pytest.mark.large)]
TRIALS = 20
SEED = 20261101


def fingerprint(store: Store) -> dict[str, tuple]:
    """Order-free digest of traders (updated_at aside: it carries each run's own clock) and of
    the child tables, in full."""
    digest = {"traders": store.con.execute(
        "SELECT count(*), sum(hash(t)) FROM (SELECT * EXCLUDE (updated_at) FROM traders) t").fetchall()[0]}
    for table in CHILDREN:
        digest[table] = store.con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} t").fetchall()[0]
    return digest


def content_digest(store: Store, table: str) -> tuple:
    """Digest of a child table without its trader_id: what a merge must never change."""
    return store.con.execute(f"SELECT count(*), sum(hash(t)) FROM "
                             f"(SELECT * EXCLUDE (trader_id) FROM {table}) t").fetchall()[0]


def rerun(store: Store, rules: Path) -> dict:
    """What the scheduler runs again: `dedup run --apply` (incremental after a succeeded apply)."""
    rule_set = RuleSet.from_toml(rules)
    return apply_run(store, rule_set, today=TODAY, since=run_since(store.runner, rule_set, full=False))


class ApplyProcess:
    """`dedup -v run --apply` in a subprocess, its SQL log read by a thread with timestamps."""

    def __init__(self, db: Path, rules: Path):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dedup_cli", "-v", "run", "--apply", "--db", str(db),
             "--rules", str(rules), "--today", TODAY.isoformat(), "-s"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[tuple[float, str]] = []
        self.began = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append((time.monotonic(), line.rstrip()))
            if "ran begin " in line:
                self.began.set()

    def time_of(self, marker: str) -> float | None:
        return next((t for t, line in self.lines if marker in line), None)

    def finish(self, timeout: float = 300) -> int:
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return code


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"{n}_records")
def world(request, tmp_path_factory):
    """The base store, the apply window, and the fingerprints after one and after two runs."""
    from dedup.synth import generate, write_tables

    folder = tmp_path_factory.mktemp("kill")
    # A copy of the rules as they are now, so every run of the test matches with the same ones.
    rules = folder / "rules.toml"
    rules.write_text((ROOT / "dedup" / "rules" / "default.toml").read_text())
    write_tables(generate(request.param, seed=7), folder / "data", "parquet")
    base = folder / "base.duckdb"
    with Store(base) as store:
        import_files(store.runner, [ImportSource(TABLES_BY_NAME[t], p, {})
                                    for t, p in find_sources(folder / "data").items()])
        before = fingerprint(store)
        contents = {t: content_digest(store, t) for t in CHILDREN}

    reference = folder / "reference.duckdb"
    shutil.copyfile(base, reference)
    measured = ApplyProcess(reference, rules)
    assert measured.finish() == 0, measured.lines[-5:]
    begin, commit = measured.time_of("ran begin "), measured.time_of("ran commit ")
    with Store(reference) as store:
        one_run = fingerprint(store)
        merged = store.con.execute("SELECT count(*) FROM merges").fetchall()[0][0]
        rerun(store, rules)
        two_runs = fingerprint(store)
    assert merged > 1000, "the store must be big enough for a long apply"
    assert two_runs == one_run, "an apply leaves the store at a fixed point: a second merges nothing"
    return {"base": base, "folder": folder, "rules": rules, "window": commit - begin, "before": before,
            "contents": contents, "one_run": one_run, "two_runs": two_runs}


def check_consistent(store: Store, world: dict) -> str:
    """Assert the store after a kill is consistent; return 'rolled back' or 'committed'."""
    status = store.con.execute("SELECT status FROM runs WHERE run_id = 1").fetchall()
    audit = store.con.execute("SELECT (SELECT count(*) FROM merges), (SELECT count(*) FROM merge_moves), "
                              "(SELECT count(*) FROM proposals)").fetchall()[0]
    for table in CHILDREN:
        assert content_digest(store, table) == world["contents"][table], table
        assert store.con.execute(f"SELECT count(*) FROM {table} c JOIN traders t USING (trader_id) "
                                 f"WHERE t.status <> 'active'").fetchall() == [(0,)], table
    # the audit and the traders agree: one live merge per merged trader, pointing where it does
    mismatched = store.con.execute("""
        SELECT count(*) FROM traders t FULL JOIN (SELECT * FROM merges WHERE undone_at IS NULL) m
            ON m.merged_id = t.trader_id
        WHERE (t.status = 'merged') IS DISTINCT FROM (m.merge_id IS NOT NULL)
           OR (m.merge_id IS NOT NULL AND m.survivor_id IS DISTINCT FROM t.merged_into)""")
    assert mismatched.fetchall() == [(0,)]
    # every recorded move names a row now on its merge's survivor, or on the record that survivor
    # was merged into by a later round (an apply re-examines the survivors it filled)
    for table in CHILDREN:
        astray = store.con.execute(f"""
            SELECT count(*) FROM merge_moves mv JOIN merges m USING (merge_id)
            JOIN trader_resolution r ON r.trader_id = m.survivor_id
            LEFT JOIN {table} c ON c.{KEYS[table]} = mv.row_id
            WHERE mv.table_name = '{table}' AND c.trader_id IS DISTINCT FROM r.resolved_id""")
        assert astray.fetchall() == [(0,)], table
    if status in ([], [("running",)], [("interrupted",)]):  # interrupted: by Ctrl-C
        assert fingerprint(store) == world["before"] and audit == (0, 0, 0)
        return "rolled back"
    assert status == [("succeeded",)]
    assert fingerprint(store) == world["one_run"] and audit[0] > 0
    return "committed"


def test_sigkill_at_random_moments_leaves_a_consistent_store_and_a_rerun_finishes(world):
    rng = random.Random(SEED)
    outcomes = []
    for trial in range(TRIALS):
        db = world["folder"] / f"trial{trial}.duckdb"
        shutil.copyfile(world["base"], db)
        process = ApplyProcess(db, world["rules"])
        assert process.began.wait(timeout=120), process.lines[-5:]
        # most kills inside the window, the last few around its end: the window was measured once,
        # and on a shared machine a trial's own window may be shorter or longer
        share = rng.uniform(0.9, 1.3) if trial >= TRIALS - 3 else rng.uniform(0, 0.8)
        delay = share * world["window"]
        time.sleep(max(0.0, process.time_of("ran begin ") + delay - time.monotonic()))
        process.proc.send_signal(signal.SIGKILL)
        code = process.finish()
        mid_apply = process.time_of("ran commit ") is None

        with Store(db, read_only=True) as store:
            outcome = check_consistent(store, world)
        # a kill after the commit was logged keeps everything (one during COMMIT may go either way)
        assert outcome == "committed" or mid_apply

        with Store(db) as store:
            rerun(store, world["rules"])
            # killed before or after its commit, a re-run ends where one uninterrupted run ends
            assert fingerprint(store) == world["one_run"], f"trial {trial}: {outcome}"
            statuses = [s for (s,) in store.con.execute("SELECT status FROM runs ORDER BY run_id").fetchall()]
            assert statuses == (["interrupted", "succeeded"] if outcome == "rolled back"
                                else ["succeeded", "succeeded"])
        outcomes.append((outcome, code))
        db.unlink()
    killed_mid_apply = sum(1 for outcome, code in outcomes if outcome == "rolled back" and code != 0)
    print(f"\n{TRIALS} kills, window {world['window']:.2f}s: {killed_mid_apply} mid-apply, "
          f"{TRIALS - killed_mid_apply} after the commit")
    assert killed_mid_apply >= TRIALS // 2


def test_ctrl_c_during_an_apply_exits_130_with_one_line_and_the_store_as_it_was(world):
    """SIGINT (Ctrl-C) inside the apply's transaction: `interrupted: nothing was changed`, exit
    130, no traceback, and nothing of the run but its own record (status 'interrupted'). A
    signal that lands after the commit leaves the run succeeded and says so."""
    interrupted = 0
    for trial, share in enumerate((0.1, 0.3, 0.5, 0.7, 0.9)):
        db = world["folder"] / f"sigint{trial}.duckdb"
        shutil.copyfile(world["base"], db)
        process = ApplyProcess(db, world["rules"])
        assert process.began.wait(timeout=120), process.lines[-5:]
        time.sleep(max(0.0, process.time_of("ran begin ") + share * world["window"] - time.monotonic()))
        process.proc.send_signal(signal.SIGINT)
        code = process.finish()
        log = [line for _, line in process.lines]
        assert not any("Traceback" in line for line in log), log[-20:]
        with Store(db, read_only=True) as store:
            outcome = check_consistent(store, world)
            statuses = store.con.execute("SELECT status FROM runs").fetchall()
        if code == 130 and log[-1] == "interrupted: nothing was changed":
            interrupted += 1
            assert outcome == "rolled back" and statuses == [("interrupted",)]
        else:  # the signal came as the commit ran, or after it: the run is done, and says so
            assert outcome == "committed" and statuses == [("succeeded",)], log[-5:]
            assert code == 0 or log[-1] == "interrupted: the changes were already saved", log[-5:]
        db.unlink()
    assert interrupted >= 3
