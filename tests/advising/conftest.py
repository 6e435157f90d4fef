"""A store advisers work on: the hand-written traders (tests/data/traders_small.csv) plus a few
more, tracks and certificates, a whitelist, users and TS areas, after one overnight apply (so
Mabel's Boutique's duplicates are merged records)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from dedup_cli import app

TODAY = dt.date(2026, 11, 1)
MORE_TRADERS = """trader_id,name,address,postcode,phone,website,created_at,created_by
40000001,Amazon Windows,"2 Quay Street, Truro",TR1 2HE,01872 400001,,2026-10-20 10:00:00,adv1
40000002,Amazon Bathrooms,"7 Lemon Street, Truro",TR1 2LS,01872 400002,,2026-10-25 10:00:00,adv1
40000003,Big Amazon Traders,"9 Boscawen Street, Truro",TR1 2QQ,01872 400003,,2026-10-26 10:00:00,adv1
40000004,Amazonia Plants,"1 Fore Street, Leeds",LS1 1AA,0113 400004,,2026-09-01 10:00:00,adv1
40000005,Crown Perfume,"4 River Street, Truro",TR1 2SJ,01872 400005,crownperfume.co.uk,2020-01-01 10:00:00,adv1
40000006,Boutique Mabels,"8 Lemon Street, Truro",TR1 2LT,01872 400006,,2015-01-01 10:00:00,adv1
40000007,Mabels Boutique,"8 Lemon St, Truro",TR12LT,,,2024-01-01 10:00:00,adv1
"""
TRACKS = """track_id,trader_id,ts_id,start_date,end_date,notes
50000001,40000001,TS123,2026-01-01,2027-01-01,Refer with commitment
50000002,40000002,TS123,2025-01-01,2025-12-31,Ended
50000003,40000004,TS900,,,No dates: never active
"""
CERTIFICATES = """certificate_id,trader_id,ts_id,scheme,start_date,end_date
70000001,40000002,TS123,Buy With Confidence,2026-01-01,2030-01-01
"""
WHITELIST = "trader_id,reason\n40000005,national brand\n"
USERS = """user_id,display_name,role,ts_id,centre,restricted
admin,Administrator,admin,,,
adv1,Adviser One,adviser,,Truro,false
adv2,Adviser Two,adviser,,Truro,true
corn,Cornwall TS,ts,TS123,,
leeds,Leeds TS,ts,TS456,,
ops,Operations,operations,,,
"""
AREAS = "postcode_prefix,ts_id,ts_name\nTR,TS123,Cornwall Trading Standards\nLS,TS456,Leeds Trading Standards\n"


def run_cli(cli, *args, ok: bool = True):
    result = cli.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def json_out(result):
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def advising_template(tmp_path_factory) -> Path:
    """Built once per session; each test gets a copy (`advising_store`)."""
    from typer.testing import CliRunner

    cli = CliRunner()
    folder = tmp_path_factory.mktemp("advising")
    extract = folder / "extract"
    extract.mkdir()
    small = (Path(__file__).parent.parent / "data" / "traders_small.csv").read_text().splitlines()
    header = small[0].rsplit(",", 1)[0]
    rows = [line.rsplit(",", 1)[0] for line in small[1:]]
    (extract / "traders.csv").write_text("\n".join([header, *rows, *MORE_TRADERS.splitlines()[1:]]) + "\n")
    for name, text in (("tracks", TRACKS), ("certificates", CERTIFICATES), ("whitelist", WHITELIST),
                       ("users", USERS), ("ts_areas", AREAS)):
        (extract / f"{name}.csv").write_text(text)
    db = folder / "advising.duckdb"
    run_cli(cli, "import", "--db", db, "--dir", extract)
    run_cli(cli, "run", "--db", db, "--apply", "--today", TODAY)
    return db


@pytest.fixture
def advising_store(advising_template, tmp_path) -> Path:
    path = tmp_path / "advising.duckdb"
    shutil.copy(advising_template, path)
    return path
