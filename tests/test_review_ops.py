"""What operations staff see and do in the review queue, through the real CLI on a real store:

- why each proposal is in the queue (`proposals.reason`, `review list`'s reason column): the
  review band, a review-only hard rule holding a merge-band pair back, a held cluster; written
  by the apply run that queues it, and by schema migration 6 on a store's older proposals;
- `review show` printing every value in full, wrapped to the terminal's width;
- `review accept --survivor`, accept saying which record survived, and the status `undone` of
  an accepted proposal whose merge was undone."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from dedup.rules.ruleset import default_rules_text
from dedup.store import Store
from dedup_cli import app
from tests.conftest import store_fingerprint

TRADERS = """trader_id,name,address,postcode,phone,website
40000001,Harbour Plumbing Ltd,"12 Quay Street, Falmouth",TR11 3HH,01326 111222,
40000002,Harbour Plumbing Ltd,"14 Quay Street, Falmouth",TR11 3HH,01326 111222,
40000011,Kernow Roofing,"3 Mill Lane, Redruth",TR15 2AB,01209 333444,kernowroofing.co.uk
40000012,Kernow Roofing Ltd,"3 Mill Lane, Redruth",TR15 2AB,01209 333444,
40000013,KERNOW ROOFING,"3 Mill Ln, Redruth",TR15 2AB,,www.kernowroofing.co.uk
40000021,Bramble Florist,"Unit 4, The Old Corn Exchange Buildings, Market Place, Penzance, Cornwall",TR18 2JA,,
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
        store.con.execute("DELETE FROM schema_migrations WHERE version >= 6")   # and those after
    result = cli.invoke(app, ["init", "--db", str(queued)])
    assert result.exit_code == 0, result.output
    rows = json.loads(listed(cli, queued, "--json"))
    assert {tuple(r["trader_ids"]): r["reason"] for r in rows} == EXPECTED


def test_without_its_rule_set_a_fired_review_only_rule_is_the_reason(cli, queued):
    """With no rule set text to read the merge threshold from, a pair on which a review-only
    hard rule fired is taken to be held back by it."""
    with Store(queued) as store:
        store.con.execute("ALTER TABLE proposals DROP COLUMN reason")
        store.con.execute("DELETE FROM schema_migrations WHERE version >= 6")   # and those after
        store.con.execute("DELETE FROM rule_sets")
    assert cli.invoke(app, ["init", "--db", str(queued)]).exit_code == 0
    rows = json.loads(listed(cli, queued, "--json"))
    assert {tuple(r["trader_ids"]): r["reason"] for r in rows} == {
        **EXPECTED, (40000031, 40000032): "hard rule different_house_number"}


LONG_ADDRESS = "Unit 4, The Old Corn Exchange Buildings, Market Place, Penzance, Cornwall"


def show(cli, db, proposal: int, columns: int) -> list[str]:
    result = cli.invoke(app, ["review", "show", "--db", str(db), str(proposal)],
                        env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def proposal_of(cli, db, ids) -> int:
    return next(r["proposal_id"] for r in json.loads(listed(cli, db, "--json")) if r["trader_ids"] == list(ids))


def field_lines(lines: list[str], field: str) -> list[str]:
    """The line of `field` and its continuation lines (those starting with blanks only up to the
    first column)."""
    start = next(i for i, line in enumerate(lines) if line[2:].startswith(f"{field} "))
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith(" " * 16):
            break
        block.append(line)
    return block


def records_block(lines: list[str]) -> list[str]:
    """The records side by side: from the trader ids to what a merge would move."""
    start = next(i for i, line in enumerate(lines) if line.startswith(" " * 16) or line.startswith("  trader "))
    return lines[start:next(i for i, line in enumerate(lines) if line.startswith("  what a merge"))]


def test_show_prints_full_values_on_a_wide_terminal(cli, queued):
    lines = show(cli, queued, proposal_of(cli, queued, (40000021, 40000022)), 200)
    address = field_lines(lines, "address")
    assert len(address) == 1 and LONG_ADDRESS in address[0]
    assert max(map(len, records_block(lines))) <= 200


def test_show_wraps_values_to_a_narrow_terminal(cli, queued):
    lines = show(cli, queued, proposal_of(cli, queued, (40000021, 40000022)), 70)
    address = field_lines(lines, "address")
    assert len(address) > 2, address
    assert max(map(len, records_block(lines))) <= 70
    # the first record's column, read down, is the whole address
    column = (70 - 16) // 2 - 2
    words = " ".join(line[16:16 + column].strip() for line in address)
    assert words == LONG_ADDRESS
    assert lines[2].split() == ["40000021", "40000022"]
    created = next(line for line in lines if line[2:].startswith("updated_at"))
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", created), created


def test_show_puts_many_records_one_after_another_when_columns_would_be_too_narrow(cli, queued):
    lines = show(cli, queued, proposal_of(cli, queued, (40000011, 40000012, 40000013)), 50)
    assert [line for line in lines if line.startswith("  trader ")] == [
        "  trader 40000011:", "  trader 40000012:", "  trader 40000013:"]
    assert "* address       3 Mill Ln, Redruth" in lines
    assert max(map(len, records_block(lines))) <= 50


# --- accept --survivor, and 'undone' ------------------------------------------------------------

HARBOUR = (40000001, 40000002)   # the survivor order picks 40000001 (a tie: the lowest id)
KERNOW = (40000011, 40000012, 40000013)


def run(cli, db, *args):
    return cli.invoke(app, [*args, "--db", str(db)])


def statuses(db) -> dict[int, tuple]:
    with Store(db, read_only=True) as store:
        return {i: (s, m) for i, s, m in store.con.execute(
            "SELECT trader_id, status, merged_into FROM traders WHERE trader_id >= 40000000").fetchall()}


def test_accept_prints_the_survivor_the_order_picks(cli, queued):
    pid = proposal_of(cli, queued, HARBOUR)
    result = run(cli, queued, "review", "accept", str(pid), "--by", "ann")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(rf"accepted proposal {pid}: merged 40000002 into 40000001, which survives "
                        rf"\(run 2, decision 1\)\n", result.stdout), result.stdout
    assert statuses(queued)[40000002] == ("merged", 40000001)


def test_accept_with_a_chosen_survivor(cli, queued):
    pid = proposal_of(cli, queued, HARBOUR)
    result = run(cli, queued, "review", "accept", str(pid), "--by", "ann", "--survivor", "40000002", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["survivor_id"] == 40000002
    assert statuses(queued)[40000001] == ("merged", 40000002)
    assert statuses(queued)[40000002] == ("active", None)
    # a held cluster of three: both others go into the chosen one
    pid = proposal_of(cli, queued, KERNOW)
    result = run(cli, queued, "review", "accept", str(pid), "--by", "ann", "--survivor", "40000013")
    assert result.exit_code == 0, result.output
    assert "merged 40000011, 40000012 into 40000013, which survives" in result.stdout
    assert [statuses(queued)[i] for i in KERNOW] == [("merged", 40000013)] * 2 + [("active", None)]


def test_a_survivor_outside_the_proposal_or_over_a_whitelisted_record_is_refused(cli, queued, tmp_path):
    pid = proposal_of(cli, queued, HARBOUR)
    result = run(cli, queued, "review", "accept", str(pid), "--by", "ann", "--survivor", "40000011")
    assert result.exit_code == 1 and result.stderr.strip() == (
        f"error: --survivor 40000011: not one of proposal {pid}'s records (40000001, 40000002)")
    (tmp_path / "whitelist.csv").write_text("trader_id,reason\n40000001,canonical\n")
    assert run(cli, queued, "import", "--whitelist", str(tmp_path / "whitelist.csv")).exit_code == 0
    before = store_fingerprint(queued)
    result = run(cli, queued, "review", "accept", str(pid), "--by", "ann", "--survivor", "40000002")
    assert result.exit_code == 1 and result.stderr.strip() == (
        "error: --survivor 40000002: trader 40000001 is whitelisted and must survive "
        "(a whitelisted record is never merged away)")
    assert store_fingerprint(queued) == before


def test_an_accepted_proposal_whose_merge_is_undone_is_undone(cli, queued):
    pid = proposal_of(cli, queued, HARBOUR)
    assert run(cli, queued, "review", "accept", str(pid), "--by", "ann").exit_code == 0
    assert run(cli, queued, "undo", "--run", "2").exit_code == 0
    rows = json.loads(listed(cli, queued, "--status", "undone", "--json"))
    assert [(r["proposal_id"], r["status"]) for r in rows] == [(pid, "undone")]
    assert rows[0]["closed_reason"] == "accepted by ann; merge undone by run 3"
    assert show(cli, queued, pid, 100)[0].endswith(": undone (accepted by ann; merge undone by run 3)")
    assert run(cli, queued, "review", "accept", str(pid), "--by", "ann").stderr.strip() == \
        f"error: proposal {pid} is undone, not open"
    # undoing one merge of an accepted cluster undoes the proposal too
    kernow = proposal_of(cli, queued, KERNOW)
    accepted = json.loads(run(cli, queued, "review", "accept", str(kernow), "--by", "bob", "--json").stdout)
    with Store(queued, read_only=True) as store:
        merge = store.con.execute("SELECT min(merge_id) FROM merges WHERE run_id = ?",
                                  (accepted["run_id"],)).fetchone()[0]
    assert run(cli, queued, "undo", "--merge", str(merge)).exit_code == 0
    assert json.loads(run(cli, queued, "review", "show", str(kernow), "--json").stdout)["status"] == "undone"


def test_migration_6_marks_proposals_undone_before_it(cli, queued):
    pid = proposal_of(cli, queued, HARBOUR)
    assert run(cli, queued, "review", "accept", str(pid), "--by", "ann").exit_code == 0
    assert run(cli, queued, "undo", "--run", "2").exit_code == 0
    with Store(queued) as store:  # as an older version left it
        store.con.execute("UPDATE proposals SET status = 'accepted', closed_reason = 'accepted by ann'")
        store.con.execute("ALTER TABLE proposals DROP COLUMN reason")
        store.con.execute("DELETE FROM schema_migrations WHERE version >= 6")   # and those after
    assert run(cli, queued, "init").exit_code == 0
    shown = json.loads(run(cli, queued, "review", "show", str(pid), "--json").stdout)
    assert (shown["status"], shown["closed_reason"]) == ("undone", "accepted by ann; merge undone by run 3")
