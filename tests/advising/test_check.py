"""`dedup check` and `dedup.Matcher.check_trader`: ranked candidates with band, score, explanation and
cluster survivor, on a real store (tests/advising/conftest.py)."""

from __future__ import annotations

import csv
import io

import pytest

import dedup.api as dedup
from dedup.store import Store
from dedup_cli import app
from tests.advising.conftest import TODAY, json_out, run_cli

MABELS = ["--name", "Mabels Boutique", "--address", "5 Tristan Rd, Truro", "--postcode", "tr1 1au"]


def check(cli, db, *args, ok=True):
    return run_cli(cli, "check", "--db", db, "--today", TODAY, *args, ok=ok)


def test_the_check_finds_the_live_record_in_the_merge_band_with_why(cli, advising_store):
    report = json_out(check(cli, advising_store, *MABELS, "--json"))
    best = report["candidates"][0]
    assert (best["trader_id"], best["band"], best["rank"], best["survivor_id"]) == (23204319, "merge", 1, 23204319)
    assert report["merge_into"] == 23204319
    assert report["normalised"]["postcode"] == "TR1 1AU" and report["normalised"]["name_norm"] == "mabels boutique"
    names = {c["comparison"]: c for c in best["explanation"]["comparisons"]}
    assert names["name"]["new"] == names["name"]["existing"] == "mabels boutique"
    assert names["postcode"]["label"] == "postcode equal" and names["postcode"]["weight"] == 7.0
    assert sum(c["weight"] for c in best["explanation"]["comparisons"]) == pytest.approx(best["score"])
    with Store(advising_store, read_only=True) as store:
        merged = {r[0] for r in store.con.execute("SELECT trader_id FROM traders WHERE status = 'merged'").fetchall()}
    assert merged and not merged & {c["trader_id"] for c in report["candidates"]}  # never a merged record


def test_a_cats_parlour_next_door_is_not_the_boutique(cli, advising_store):
    report = json_out(check(cli, advising_store, *MABELS, "--json"))
    bands = {c["trader_id"]: c["band"] for c in report["candidates"]}
    assert bands.get(23204320, "weak") != "merge"  # Mabel's Cat Grooming Parlour, same postcode


def test_bands_are_ranked_merge_review_weak_and_weak_scores_above_0(advising_store):
    with dedup.Matcher(advising_store, today=TODAY) as matcher:
        result = matcher.check_trader(name="Amazon Windows", postcode="TR1 2HE", limit=None)
        partial = matcher.check_trader(name="Amazon Windows", phone="01872 400009", limit=None)
    frame = result.candidates
    assert frame["trader_id"][0] == 40000001 and frame["band"][0] == "merge"
    order = {"merge": 0, "review": 1, "weak": 2}
    ranks = [(order[b], -s) for b, s in zip(frame["band"], frame["score"])]
    assert ranks == sorted(ranks) and frame["rank"].to_list() == list(range(1, frame.height + 1))
    weak = partial.candidates.filter(partial.candidates["band"] == "weak")
    assert weak.height and (weak["score"] > 0).all()
    assert result.merge_into == 40000001 and partial.merge_into is None


def test_a_merge_band_cluster_the_run_would_hold_is_review_with_the_reason(cli, advising_store, tmp_path):
    """Two whitelisted records of one business both in the merge band: a run holds the cluster
    (more than one whitelisted record), so the check says review and why."""
    path = tmp_path / "t.csv"
    path.write_text("trader_id,name,address,postcode,phone\n"
                    "41000001,Harbour Lights Gallery,\"2 The Quay, Padstow\",PL28 8AR,01841 500001\n"
                    "41000002,Harbour Lights Gallery Ltd,\"2 The Quay, Padstow\",PL28 8AR,01841 500002\n")
    white = tmp_path / "w.csv"
    white.write_text("trader_id\n41000001\n41000002\n")
    run_cli(cli, "import", "--db", advising_store, "--traders", path, "--whitelist", white)
    report = json_out(check(cli, advising_store, "--name", "Harbour Lights Gallery", "--address", "2 The Quay",
                            "--postcode", "PL28 8AR", "--json"))
    top = [c for c in report["candidates"] if c["trader_id"] in (41000001, 41000002)]
    assert [c["band"] for c in top] == ["review", "review"]
    assert {c["hold_reason"] for c in top} == {"more than one whitelisted record"}
    assert report["merge_into"] is None


def test_the_table_shows_each_candidate_and_why_and_csv_flattens_it(cli, advising_store):
    table = check(cli, advising_store, *MABELS)
    lines = table.stdout.splitlines()
    assert lines[0].split()[:5] == ["rank", "band", "score", "reference", "survivor"]
    assert lines[1].split()[:2] == ["1", "merge"] and "23204319" in lines[1]
    assert any(line.strip().startswith("postcode") and "'TR1 1AU' / 'TR1 1AU'" in line for line in lines)
    assert "would be merged into 23204319 by the next overnight run" in table.stderr
    rows = list(csv.DictReader(io.StringIO(check(cli, advising_store, *MABELS, "--csv").stdout)))
    assert rows[0]["trader_id"] == "23204319" and rows[0]["explanation"].startswith('{"comparisons":')
    nothing = check(cli, advising_store, "--name", "Zanzibar Quantum Holdings", "--postcode", "ZE1 0AA")
    assert nothing.stdout == "" and "no live record is like this trader" in nothing.stderr


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--name", "  "], 1, "error: --name: the trader's name is required"),
    (["--name", "..."], 1, "error: --name '...': nothing is left of it to match on once normalised"),
    (["--name", "x", "--json", "--csv"], 1, "error: give at most one of --json and --csv"),
    (["--name", "x", "--today", "tomorrow"], 1, "error: --today 'tomorrow': expected a date as YYYY-MM-DD"),
    (["--postcode", "TR1 1AU"], 2, ""),
])
def test_check_errors(cli, advising_store, args, code, message):
    result = cli.invoke(app, ["check", "--db", str(advising_store), *args])
    assert result.exit_code == code, result.output
    if message:
        assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_check_on_a_missing_store_is_one_line(cli, tmp_path):
    result = cli.invoke(app, ["check", "--db", str(tmp_path / "none.duckdb"), "--name", "x"])
    assert result.exit_code == 1 and result.stderr.startswith("error: no store at")


def test_one_matcher_serves_many_checks_the_same_as_one_off_checks(advising_store):
    probes = [dict(name="Mabels Boutique", postcode="TR1 1AU"), dict(name="Poundland", address="45 Briggate, Leeds"),
              dict(name="Penrose Motors", postcode="TR13 8EE", phone="01326 561234")]
    with dedup.Matcher(advising_store, today=TODAY) as matcher:
        kept = [matcher.check_trader(**p) for p in probes]
    for probe, result in zip(probes, kept):
        once = dedup.check_trader(advising_store, today=TODAY, **probe)
        assert once.candidates.equals(result.candidates) and once.merge_into == result.merge_into
