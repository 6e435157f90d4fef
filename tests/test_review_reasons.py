"""Why each proposal is in the queue (`proposals.reason`, `review list`'s reason column): the
review band, a review-only hard rule holding a merge-band pair back, a held cluster; written by
the apply run that queues it, and by schema migration 6 on a store's older proposals."""

from __future__ import annotations

import csv
import io
import json

import pytest

from dedup.rules.ruleset import default_rules_text
from dedup.store import Store
from dedup_cli import app

TRADERS = """trader_id,name,address,postcode,phone,website
40000001,Harbour Plumbing Ltd,"12 Quay Street, Falmouth",TR11 3HH,01326 111222,
40000002,Harbour Plumbing Ltd,"14 Quay Street, Falmouth",TR11 3HH,01326 111222,
40000011,Kernow Roofing,"3 Mill Lane, Redruth",TR15 2AB,01209 333444,kernowroofing.co.uk
40000012,Kernow Roofing Ltd,"3 Mill Lane, Redruth",TR15 2AB,01209 333444,
40000013,KERNOW ROOFING,"3 Mill Ln, Redruth",TR15 2AB,,www.kernowroofing.co.uk
40000021,Bramble Florist,"Unit 4, Market Place, Penzance",TR18 2JA,,
40000022,Bramble Florists,,TR18 2JA,,
40000031,Gull Electrical,"21 Fore Street, St Ives",TR26 1AB,,
40000032,Gull Electrical,"23 Fore Street, St Ives",TR26 1AB,,
"""
#: Harbour Plumbing: two house numbers (the review-only hard rule different_house_number) on a
#: merge-band score; Kernow Roofing: three records, one more than max_cluster_size; Bramble
#: Florist: a score between the thresholds; Gull Electrical: two house numbers too, but a score
#: between the thresholds anyway.
EXPECTED = {
    (40000001, 40000002): "hard rule different_house_number",
    (40000011, 40000012, 40000013): "held: cluster larger than max_cluster_size (3 > 2)",
    (40000021, 40000022): "review band",
    (40000031, 40000032): "review band",
}


def rules_text() -> str:
    text = default_rules_text().replace("\nmerge = 11.0", "\nmerge = 20.0", 1)
    return text.replace("\nmax_cluster_size = ", "\nmax_cluster_size = 2 # ", 1)


@pytest.fixture
def queued(cli, tmp_path):
    (tmp_path / "traders.csv").write_text(TRADERS)
    (tmp_path / "rules.toml").write_text(rules_text())
    db = tmp_path / "traders.duckdb"
    for args in (["import", "--traders", str(tmp_path / "traders.csv")],
                 ["run", "--apply", "-s", "--rules", str(tmp_path / "rules.toml")]):
        result = cli.invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 0, result.output
    return db


def listed(cli, db, *fmt) -> str:
    result = cli.invoke(app, ["review", "list", "--db", str(db), *fmt])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_each_proposal_says_why_it_is_in_review(cli, queued):
    rows = json.loads(listed(cli, queued, "--json"))
    assert {tuple(r["trader_ids"]): r["reason"] for r in rows} == EXPECTED
    csv_rows = list(csv.DictReader(io.StringIO(listed(cli, queued, "--csv"))))
    assert {r["trader_ids"]: r["reason"] for r in csv_rows} == {
        ";".join(map(str, ids)): reason for ids, reason in EXPECTED.items()}
    table = listed(cli, queued).splitlines()
    assert table[0].split() == ["id", "run", "status", "kind", "score", "reason", "traders"]
    for ids, reason in EXPECTED.items():
        line = next(line for line in table if f"{ids[0]} " in line)
        assert f"  {reason}  " in line, line
    shown = cli.invoke(app, ["review", "show", "--db", str(queued), str(rows[0]["proposal_id"])])
    assert f"why in review: {rows[0]['reason']}" in shown.stdout


def test_migration_6_gives_older_proposals_their_reason(cli, queued):
    """A store from before the reason was kept (the column dropped, migration 6 unrecorded)
    gets the same reasons when a writing command upgrades it, the merge threshold read from
    the text of the rule set the run kept."""
    with Store(queued) as store:
        store.con.execute("ALTER TABLE proposals DROP COLUMN reason")
        store.con.execute("DELETE FROM schema_migrations WHERE version = 6")
    result = cli.invoke(app, ["init", "--db", str(queued)])
    assert result.exit_code == 0, result.output
    rows = json.loads(listed(cli, queued, "--json"))
    assert {tuple(r["trader_ids"]): r["reason"] for r in rows} == EXPECTED


def test_without_its_rule_set_a_fired_review_only_rule_is_the_reason(cli, queued):
    """With no rule set text to read the merge threshold from, a pair on which a review-only
    hard rule fired is taken to be held back by it."""
    with Store(queued) as store:
        store.con.execute("ALTER TABLE proposals DROP COLUMN reason")
        store.con.execute("DELETE FROM schema_migrations WHERE version = 6")
        store.con.execute("DELETE FROM rule_sets")
    assert cli.invoke(app, ["init", "--db", str(queued)]).exit_code == 0
    rows = json.loads(listed(cli, queued, "--json"))
    assert {tuple(r["trader_ids"]): r["reason"] for r in rows} == {
        **EXPECTED, (40000031, 40000032): "hard rule different_house_number"}
