"""Survivorship reads `dedup.missing`: a placeholder never fills a survivor, a survivor's own
placeholder counts as empty, undo restores the placeholder it had, and the one-off report
lists the merges made before survivorship knew."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from dedup.rules import RuleSet
from dedup.rules.merging import FILLABLE_FIELDS, MergeConfig
from dedup.store import Store
from dedup_cli import app
from tests.conftest import store_fingerprint
from tests.merge.merge_helpers import apply_given, build, rows_by_key, trader

A, B, C, D, E = 11111111, 22222222, 33333333, 44444444, 55555555
OLDEST = dataclasses.replace(RuleSet.default(), merge=MergeConfig(survivor_order=("oldest",)))
PLACEHOLDER_VALUES = ["N/A", "n/a", "TBC", "-", "?", "none", "unknown", "0000", "  ", "", "N / A",
                      "t.b.c."]
REAL = {"postcode": "CF24 3SD", "phone": "029 2000 0001", "website": "acme.co.uk",
        "address": "3 Castle St, Cardiff"}


def three(path, survivor_value, first_value, second_value, field):
    """A (oldest, the survivor), B ranked next, C last, differing only in `field`."""
    return build(path, traders=[
        trader(A, created_at=dt.datetime(2010, 1, 1), **{field: survivor_value}),
        trader(B, created_at=dt.datetime(2011, 1, 1), **{field: first_value}),
        trader(C, created_at=dt.datetime(2012, 1, 1), **{field: second_value})])


@pytest.mark.parametrize("field", FILLABLE_FIELDS)
@pytest.mark.parametrize("placeholder", PLACEHOLDER_VALUES)
def test_a_placeholder_never_fills_a_survivor(tmp_path, field, placeholder):
    path = three(tmp_path / "s.duckdb", None, placeholder, placeholder, field)
    with Store(path) as store:
        summary = apply_given(store, [[A, B, C]], OLDEST)
        assert summary["records_merged"] == 2 and summary["fields_filled"] == 0
        assert rows_by_key(store, "traders")[A][field] is None


@pytest.mark.parametrize("field", FILLABLE_FIELDS)
@pytest.mark.parametrize("placeholder", PLACEHOLDER_VALUES)
def test_a_survivors_placeholder_takes_the_first_real_value_past_other_placeholders(
        tmp_path, field, placeholder):
    path = three(tmp_path / "s.duckdb", placeholder, "TBC", REAL[field], field)
    with Store(path) as store:
        summary = apply_given(store, [[A, B, C]], OLDEST)
        assert summary["fields_filled"] == 1
        assert rows_by_key(store, "traders")[A][field] == REAL[field]
        source, changes = store.con.execute(
            "SELECT merged_id, field_changes FROM merges WHERE len(field_changes) > 0").fetchone()
        assert source == C  # B, ranked before C, has only "TBC"
        assert {"field": field, "old_value": placeholder, "new_value": REAL[field]} in changes


def test_a_survivors_na_postcode_takes_cf24_3sd_and_undo_restores_the_na(cli, tmp_path):
    path = build(tmp_path / "s.duckdb", traders=[
        trader(A, created_at=dt.datetime(2010, 1, 1), postcode="N/A"),
        trader(B, created_at=dt.datetime(2011, 1, 1), postcode="CF24 3SD")])
    before = store_fingerprint(path)
    with Store(path) as store:
        original = rows_by_key(store, "traders")[A]
        run_id = apply_given(store, [[A, B]], OLDEST)["run_id"]
        assert rows_by_key(store, "traders")[A]["postcode"] == "CF24 3SD"
    result = cli.invoke(app, ["undo", "--db", str(path), "--run", str(run_id), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["fields_reverted"] == 1
    with Store(path) as store:
        assert rows_by_key(store, "traders")[A] == original  # "N/A" and updated_at as they were
    changed = {t for t, digest in store_fingerprint(path).items() if before[t] != digest}
    assert changed <= {"runs", "merges", "merge_moves"}  # only the audit of the merge and its undo


def spoilt_store(path):
    """A store with merges made by the old survivorship, as it wrote them: merge 1 copied B's
    'N/A' into A's empty postcode; merge 2 left A's 'N/A' postcode and own 'TBC' phone although C
    had real ones (CF24 3SD lost). Merge 3 (a real fill) and merge 4 (undone) are not spoilt."""
    build(path, traders=[
        trader(A, postcode="N/A", phone="TBC", website=None),
        trader(B, postcode="N/A", status="merged", merged_into=A),
        trader(C, postcode="CF24 3SD", phone="029 2000 0001", status="merged", merged_into=A),
        trader(E, postcode=None, website="acme.co.uk", status="merged", merged_into=A),
        trader(D, postcode="?", status="active")])
    with Store(path) as store:
        rows = rows_by_key(store, "traders")
        record = {t: json.dumps({**rows[t], "status": "active", "merged_into": None}, default=str)
                  for t in rows}
        changes = {
            1: [{"field": "postcode", "old_value": None, "new_value": "N/A"}],
            2: [],
            3: [{"field": "website", "old_value": None, "new_value": "acme.co.uk"}],
        }
        store.con.execute("UPDATE traders SET website = 'acme.co.uk' WHERE trader_id = ?", [A])
        merges = [(1, 1, A, B, changes[1], None), (2, 1, A, C, changes[2], None),
                  (3, 2, A, E, changes[3], None),
                  (4, 2, A, D, [{"field": "postcode", "old_value": None, "new_value": "?"}],
                   dt.datetime(2025, 2, 1))]
        store.con.executemany(
            "INSERT INTO merges (merge_id, run_id, survivor_id, merged_id, rules_hash, merged_record, "
            "field_changes, merged_at, undone_at) VALUES (?, ?, ?, ?, 'old', ?, ?, ?, ?)",
            [(m, r, s, t, record[t], ch, dt.datetime(2025, 1, 1), undone)
             for m, r, s, t, ch, undone in merges])
    return path


def test_the_report_lists_fills_from_placeholders_and_values_a_placeholder_kept_out(cli, tmp_path):
    path = spoilt_store(tmp_path / "s.duckdb")
    before = store_fingerprint(path)
    result = cli.invoke(app, ["report", "placeholder-fills", "--db", str(path), "--json"])
    assert result.exit_code == 0, result.output
    rows = [(r["merge_id"], r["field"], r["kind"], r["survivor_value"], r["merged_value"])
            for r in json.loads(result.output)]
    assert rows == [
        (1, "postcode", "placeholder_filled", "N/A", "N/A"),
        (2, "phone", "value_not_taken", "TBC", "029 2000 0001"),
        (2, "postcode", "value_not_taken", "N/A", "CF24 3SD"),
    ]
    assert store_fingerprint(path) == before  # a report writes nothing

    csv = cli.invoke(app, ["report", "placeholder-fills", "--db", str(path), "--csv"])
    assert csv.exit_code == 0 and csv.output.splitlines()[0].startswith("merge_id,run_id,")
    assert len(csv.output.splitlines()) == 4
    table = cli.invoke(app, ["report", "placeholder-fills", "--db", str(path)])
    assert table.exit_code == 0 and "value_not_taken" in table.output


def test_the_report_is_empty_on_merges_made_now(cli, tmp_path):
    path = three(tmp_path / "s.duckdb", "N/A", "TBC", "CF24 3SD", "postcode")
    with Store(path) as store:
        apply_given(store, [[A, B, C]], OLDEST)
    result = cli.invoke(app, ["report", "placeholder-fills", "--db", str(path), "--json"])
    assert result.exit_code == 0 and json.loads(result.output) == []
