"""The review loop through the real CLI on a real store: proposals, reject, accept, decisions that
stick across runs, a changed record reopening a rejection, stale proposals, export/import."""

from __future__ import annotations

import csv
import io
import json

import polars as pl
import pytest

from dedup.rules.ruleset import default_rules_text
from dedup.store import Store
from dedup_cli import app
from tests.conftest import DATA, store_fingerprint

BRIGHT = [30000001, 30000002]   # review band in traders_small: rejected below
SMITH = [30000010, 30000011]    # review band: accepted below


def dedup(cli, db, *args):
    return cli.invoke(app, [*args, "--db", str(db)])


# The loop needs pairs in the review band whatever the packaged weights are: this rule set is the
# default with nothing merged automatically, so every pair at or above review is proposed.
REVIEW_ONLY_RULES = default_rules_text().replace("\nmerge = ", "\nmerge = 1000.0 # ", 1)


RULES = None  # the file written by `review_rules`, used by every apply in this module


@pytest.fixture(autouse=True)
def review_rules(tmp_path):
    global RULES
    RULES = tmp_path / "review_only.toml"
    RULES.write_text(REVIEW_ONLY_RULES)


def apply(cli, db, *extra, review_only: bool = True):
    """An apply run; with review_only, under rules that merge nothing automatically."""
    rules = ["--rules", str(RULES)] if review_only else []
    result = dedup(cli, db, "run", "--apply", "--today", "2026-11-01", "--json", *rules, *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def proposals(db) -> list[tuple]:
    with Store(db, read_only=True) as store:
        return store.con.execute("SELECT proposal_id, trader_ids, status, closed_reason "
                                 "FROM proposals ORDER BY proposal_id").fetchall()


def proposal_id(db, ids, status="open") -> int:
    return next(p for p, t, s, _ in proposals(db) if t == ids and s == status)


@pytest.fixture
def reviewed(cli, small_store):
    """A store after one apply run, with BRIGHT rejected and SMITH accepted."""
    first = apply(cli, small_store)
    assert first["proposals_queued"] >= 2
    rejected = dedup(cli, small_store, "review", "reject", str(proposal_id(small_store, BRIGHT)),
                     "--by", "ann", "--note", "two different firms")
    assert rejected.exit_code == 0, rejected.output
    accepted = dedup(cli, small_store, "review", "accept", str(proposal_id(small_store, SMITH)),
                     "--by", "bob", "--today", "2026-11-01")
    assert accepted.exit_code == 0, accepted.output
    return small_store


def test_the_whole_loop(cli, reviewed, tmp_path):
    db = reviewed
    with Store(db, read_only=True) as store:
        merges = store.con.execute("SELECT survivor_id, merged_id, score, explanation FROM merges "
                                   "WHERE list_contains(?, merged_id)", [SMITH]).fetchall()
        statuses = dict(store.con.execute("SELECT trader_id, status FROM traders "
                                          "WHERE list_contains(?, trader_id)", [SMITH]).fetchall())
        kinds = store.con.execute("SELECT kind, trader_ids, decided_by FROM decisions "
                                  "ORDER BY decision_id").fetchall()
    # the accepted pair is merged with its audit (score and explanation of the proposal)
    assert len(merges) == 1 and sorted(merges[0][:2]) == SMITH and merges[0][2] is not None
    assert json.loads(merges[0][3])["accepted_by"] == "bob"
    assert sorted(statuses.values()) == ["active", "merged"]
    assert kinds == [("never_merge", BRIGHT, "ann"), ("always_merge", SMITH, "bob")]
    history = dedup(cli, db, "history", "--trader", str(SMITH[1]))
    assert history.exit_code == 0 and "merged into" in history.output

    # a full re-run neither proposes nor merges the rejected pair
    again = apply(cli, db, "--full")
    assert again["records_merged"] == 0
    bright = [(p, s) for p, t, s, _ in proposals(db) if t == BRIGHT]
    assert [s for _, s in bright] == ["rejected"]
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT status FROM traders WHERE trader_id = ?",
                                 [BRIGHT[1]]).fetchone() == ("active",)

    # editing one rejected record (re-import with a changed name) reopens it
    frame = pl.read_csv(DATA / "traders_small.csv", infer_schema_length=0)
    edited = frame.filter(pl.col("trader_id") == str(BRIGHT[1])).with_columns(
        pl.col("name").str.to_uppercase()).select("trader_id", "name", "address", "postcode")
    path = tmp_path / "edit.csv"
    edited.write_csv(path)
    assert dedup(cli, db, "import", "--traders", str(path)).exit_code == 0
    decisions = json.loads(dedup(cli, db, "decisions", "list", "--json").output)
    assert [d["active"] for d in decisions if d["kind"] == "never_merge"] == [False]
    third = apply(cli, db)
    assert third["proposals_queued"] == 1
    assert [s for _, t, s, _ in proposals(db) if t == BRIGHT] == ["rejected", "open"]


def test_dry_run_still_read_only_with_decisions(cli, reviewed):
    before = store_fingerprint(reviewed)
    result = dedup(cli, reviewed, "run", "--full", "--json")
    assert result.exit_code == 0, result.output
    assert store_fingerprint(reviewed) == before


def test_list_filters_and_formats(cli, reviewed):
    db = reviewed
    rows = json.loads(dedup(cli, db, "review", "list", "--json").output)
    assert {r["status"] for r in rows} >= {"open", "accepted", "rejected"}
    rejected = json.loads(dedup(cli, db, "review", "list", "--status", "rejected", "--json").output)
    assert [r["trader_ids"] for r in rejected] == [BRIGHT]
    by_trader = json.loads(dedup(cli, db, "review", "list", "--trader", str(SMITH[0]), "--json").output)
    assert [r["trader_ids"] for r in by_trader] == [SMITH]
    by_score = json.loads(dedup(cli, db, "review", "list", "--sort", "score", "--json").output)
    scores = [r["score"] for r in by_score if r["score"] is not None]
    assert scores == sorted(scores, reverse=True)
    high = json.loads(dedup(cli, db, "review", "list", "--min-score", "10", "--json").output)
    assert all(r["score"] >= 10 for r in high)
    assert len(json.loads(dedup(cli, db, "review", "list", "--limit", "1", "--json").output)) == 1
    assert json.loads(dedup(cli, db, "review", "list", "--run", "99", "--json").output) == []
    assert json.loads(dedup(cli, db, "review", "list", "--tracked", "--json").output) == []
    out = dedup(cli, db, "review", "list", "--csv").output
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert len(parsed) == len(rows) and parsed[0]["trader_ids"].count(";") == 1
    table = dedup(cli, db, "review", "list")
    assert table.exit_code == 0 and "Bright Spark" in table.output
    bad = dedup(cli, db, "review", "list", "--status", "maybe")
    assert bad.exit_code == 1 and bad.output.strip().startswith("error:")


def test_show_both_records(cli, reviewed):
    pid = proposal_id(reviewed, BRIGHT, "rejected")
    result = dedup(cli, reviewed, "review", "show", str(pid))
    assert result.exit_code == 0, result.output
    assert all(str(i) in result.output for i in BRIGHT)
    assert "* name" in result.output and "postcode" in result.output and "hard rules" in result.output
    report = json.loads(dedup(cli, reviewed, "review", "show", str(pid), "--json").output)
    assert [r["trader_id"] for r in report["records"]] == BRIGHT
    assert "name" in report["differing_fields"] and report["explanation"]["comparisons"]


@pytest.mark.parametrize("verb", ["accept", "reject"])
def test_unknown_or_closed_proposal_is_one_line(cli, reviewed, verb):
    before = store_fingerprint(reviewed)
    for pid, expected in (("999", "no proposal 999"),
                          (str(proposal_id(reviewed, BRIGHT, "rejected")), "not open")):
        result = dedup(cli, reviewed, "review", verb, pid, "--by", "ann")
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0]
    assert store_fingerprint(reviewed) == before


def test_decisions_export_import_round_trip(cli, reviewed, tmp_path):
    out = tmp_path / "decisions.csv"
    assert dedup(cli, reviewed, "decisions", "export", str(out)).exit_code == 0
    exported = list(csv.DictReader(out.open()))
    assert [r["kind"] for r in exported] == ["never_merge", "always_merge"]
    # into the same store: nothing new
    again = dedup(cli, reviewed, "decisions", "import", str(out))
    assert again.exit_code == 0 and "imported 0" in again.output
    # into a rebuilt store: the rejection holds there too
    rebuilt = tmp_path / "rebuilt.duckdb"
    assert dedup(cli, rebuilt, "import", "--traders", str(DATA / "traders_small.csv")).exit_code == 0
    loaded = dedup(cli, rebuilt, "decisions", "import", str(out))
    assert loaded.exit_code == 0 and "imported 2" in loaded.output, loaded.output
    listed = json.loads(dedup(cli, rebuilt, "decisions", "list", "--json").output)
    assert [(d["kind"], d["trader_ids"], d["active"]) for d in listed] == \
        [("never_merge", BRIGHT, True), ("always_merge", SMITH, True)]
    run = apply(cli, rebuilt, review_only=False)   # BRIGHT scores in the merge band here
    assert BRIGHT not in [t for _, t, _, _ in proposals(rebuilt)]
    assert run["records_merged"] > 0
    # withdraw, then the pair is proposed again on a full run
    assert dedup(cli, rebuilt, "decisions", "withdraw", "1", "--by", "ann").exit_code == 0
    twice = dedup(cli, rebuilt, "decisions", "withdraw", "1", "--by", "ann")
    assert twice.exit_code == 1 and "already withdrawn" in twice.output
    apply(cli, rebuilt, "--full")
    assert BRIGHT in [t for _, t, s, _ in proposals(rebuilt) if s == "open"]


@pytest.mark.parametrize("content, message", [
    ("kind,trader_ids,decided_by\nnever_merge,1;2,ann\n", "missing column(s) decided_at"),
    ("kind,trader_ids,decided_by,decided_at\nmaybe,30000001;30000002,ann,2026-01-01\n", "column kind"),
    ("kind,trader_ids,decided_by,decided_at\nnever_merge,30000001;x,ann,2026-01-01\n", "trader_ids"),
    ("kind,trader_ids,decided_by,decided_at\nnever_merge,30000001;30000002,ann,soon\n", "not a date-time"),
    (("kind,trader_ids,decided_by,decided_at\nnever_merge,30000001;30000002,ann,2026-01-01\n"
      "never_merge,30000001;12345,ann,2026-01-01\n"), "no trader 12345"),
])
def test_bad_decisions_file_is_one_line_and_all_or_nothing(cli, reviewed, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    before = store_fingerprint(reviewed)
    result = dedup(cli, reviewed, "decisions", "import", str(path))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    assert store_fingerprint(reviewed) == before


def test_open_proposal_closed_stale_when_its_record_changes(cli, small_store, tmp_path):
    apply(cli, small_store)
    pid = proposal_id(small_store, [30000020, 30000021])
    frame = pl.read_csv(DATA / "traders_small.csv", infer_schema_length=0)
    edited = frame.filter(pl.col("trader_id") == "30000021").with_columns(
        pl.col("name").str.to_uppercase()).select("trader_id", "name", "address", "postcode")
    edited.write_csv(tmp_path / "edit.csv")
    assert dedup(cli, small_store, "import", "--traders", str(tmp_path / "edit.csv")).exit_code == 0
    apply(cli, small_store)
    rows = {p: (s, r) for p, _, s, r in proposals(small_store)}
    assert rows[pid][0] == "stale" and "changed: 30000021" in rows[pid][1]
    # ...and it is proposed afresh, once
    assert [s for _, t, s, _ in proposals(small_store) if t == [30000020, 30000021]] == ["stale", "open"]
    apply(cli, small_store, "--full")
    assert [s for _, t, s, _ in proposals(small_store) if t == [30000020, 30000021]] == ["stale", "open"]


def test_never_merge_holds_a_cluster_linking_its_records_through_a_third(cli, small_store, tmp_path):
    mabel = [23204319, 23204401, 23204502]   # one business, three records, all in the merge band
    path = tmp_path / "d.csv"
    path.write_text("kind,trader_ids,decided_by,decided_at\n"
                    f"never_merge,{mabel[0]};{mabel[2]},ann,2026-01-01 10:00:00\n")
    assert dedup(cli, small_store, "decisions", "import", str(path)).exit_code == 0
    apply(cli, small_store, review_only=False)   # mabel is in the merge band
    with Store(small_store, read_only=True) as store:
        statuses = store.con.execute("SELECT status FROM traders WHERE list_contains(?, trader_id)",
                                     [mabel]).fetchall()
        held = store.con.execute("SELECT explanation FROM proposals WHERE kind = 'held_cluster' "
                                 "AND trader_ids = ?", [mabel]).fetchall()
    assert statuses == [("active",)] * 3
    assert len(held) == 1 and "never-merge" in json.loads(held[0][0])["reason"]


def test_accepted_merge_is_made_again_in_a_rebuilt_store(cli, reviewed, tmp_path):
    """An always-merge decision acts: after a rebuild and an import of the decisions, the next
    run merges the accepted pair even under rules that merge nothing on score alone."""
    out = tmp_path / "decisions.csv"
    assert dedup(cli, reviewed, "decisions", "export", str(out)).exit_code == 0
    rebuilt = tmp_path / "rebuilt.duckdb"
    assert dedup(cli, rebuilt, "import", "--traders", str(DATA / "traders_small.csv")).exit_code == 0
    assert dedup(cli, rebuilt, "decisions", "import", str(out)).exit_code == 0
    dry = json.loads(dedup(cli, rebuilt, "run", "--json", "--rules", str(RULES)).output)
    assert dry["records_to_merge"] == 1
    run = apply(cli, rebuilt)
    assert run["records_merged"] == 1
    with Store(rebuilt, read_only=True) as store:
        merged = store.con.execute("SELECT survivor_id, merged_id, explanation FROM merges").fetchall()
    assert len(merged) == 1 and sorted(merged[0][:2]) == SMITH
    assert SMITH not in [t for _, t, s, _ in proposals(rebuilt) if s == "open"]
    # a decision applies once: the merged record is no longer active, so the next run has nothing
    assert apply(cli, rebuilt, "--full")["records_merged"] == 0


def test_undoing_an_accepted_merge_withdraws_its_decision(cli, reviewed):
    db = reviewed
    with Store(db, read_only=True) as store:
        (merge_id,) = store.con.execute("SELECT merge_id FROM merges WHERE list_contains(?, merged_id)",
                                        [SMITH]).fetchone()
    assert dedup(cli, db, "undo", "--merge", str(merge_id)).exit_code == 0
    decisions = json.loads(dedup(cli, db, "decisions", "list", "--json").output)
    always = [d for d in decisions if d["kind"] == "always_merge"]
    assert len(always) == 1 and always[0]["withdrawn_by"].startswith("undo run")
    assert always[0]["active"] is False
    # the next full run does not merge them again (the review-only rules merge nothing by score)
    assert apply(cli, db, "--full")["records_merged"] == 0
    with Store(db, read_only=True) as store:
        statuses = store.con.execute("SELECT DISTINCT status FROM traders WHERE list_contains(?, trader_id)",
                                     [SMITH]).fetchall()
    assert statuses == [("active",)]


def test_show_says_when_a_record_changed_since_and_scores_the_pair_again(cli, small_store, tmp_path):
    apply(cli, small_store)
    pid = proposal_id(small_store, BRIGHT)
    shown = json.loads(dedup(cli, small_store, "review", "show", str(pid), "--json").output)
    assert shown["changed_since"] == [] and shown["current"] is None
    # an import changes one record's phone after the proposal was queued
    frame = pl.read_csv(DATA / "traders_small.csv", infer_schema_length=0)
    edited = tmp_path / "edited.csv"
    frame.filter(pl.col("trader_id") == str(BRIGHT[1])).with_columns(
        phone=pl.lit("01999 000111")).write_csv(edited)
    assert dedup(cli, small_store, "import", "--traders", str(edited)).exit_code == 0
    shown = json.loads(dedup(cli, small_store, "review", "show", str(pid), "--json").output)
    assert len(shown["changed_since"]) == 1 and shown["changed_since"][0].startswith(f"{BRIGHT[1]} updated ")
    current = shown["current"]
    assert current["explanation"]["pair"] == BRIGHT
    phone = next(c for c in current["explanation"]["comparisons"] if c["comparison"] == "phone")
    assert "01999000111" in (phone["left"], phone["right"])
    assert current["score"] != pytest.approx(shown["score"])  # the stored score is of the old record
    text = dedup(cli, small_store, "review", "show", str(pid)).output
    assert f"changed since proposed: {BRIGHT[1]} updated" in text
    assert f"scored again as the records are now: {current['score']:.2f} ({current['band']} band)" in text
    # the next apply closes it as stale, with the reason
    apply(cli, small_store)
    assert any(p == pid and s == "stale" and r.startswith(f"changed: {BRIGHT[1]}")
               for p, _, s, r in proposals(small_store))


def test_show_says_when_a_record_was_merged_since(cli, small_store):
    apply(cli, small_store)
    pid = proposal_id(small_store, BRIGHT)
    with Store(small_store) as store:  # merge BRIGHT's second record elsewhere, by hand
        store.con.execute("UPDATE traders SET status = 'merged', merged_into = ? WHERE trader_id = ?",
                          [SMITH[0], BRIGHT[1]]).fetchall()
    shown = json.loads(dedup(cli, small_store, "review", "show", str(pid), "--json").output)
    assert shown["changed_since"] == [f"{BRIGHT[1]} merged into {SMITH[0]}"] and shown["current"] is None
