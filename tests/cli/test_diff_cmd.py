"""`dedup diff` (dedup_cli/diff_cmd.py) through the real CLI on a real store, which must not
change: the table agrees with the JSON, the HTML report is self-contained, --against defaults to
the last applied rule set, and bad input is one line."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser

import duckdb
import pytest
from typer.testing import CliRunner

from dedup.diff import PAIR_CHANGES
from dedup.rules import RuleSet
from dedup_cli import app
from tests.conftest import TODAY, store_fingerprint
from tests.diff_helpers import files, rule_set


@pytest.fixture(scope="module")
def store(diff_store):
    return diff_store


def cli_diff(db, *args):
    return CliRunner().invoke(app, ["diff", "--db", str(db), "--today", TODAY.isoformat(), *args])


def test_json_agrees_with_the_table(store):
    rules = str(files(store)["merge13"])
    table = cli_diff(store, "--rules", rules, "--against", str(files(store)["default"]), "-s")
    assert table.exit_code == 0, table.output
    as_json = cli_diff(store, "--rules", rules, "--against", str(files(store)["default"]), "--json",
                       "-s", "--examples", "2")
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    shown = {m.group(1): int(m.group(2).replace(",", ""))
             for m in re.finditer(r"^(\w+) +([\d,]+)  ", table.stdout, re.M)}
    assert shown == report["counts"]
    assert report["counts"]["merge_lost"] > 0 and report["counts"]["merge_gained"] == 0
    assert len(report["examples"]["merge_lost"]) == 2
    assert report["new"]["merge_threshold"] == 13.0 and report["old"]["hash"] == RuleSet.default().hash
    assert "merge_lost (examples):" in table.stdout


class Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]


def test_html_report_is_self_contained_with_an_svg_per_rule_set(store, tmp_path):
    out = tmp_path / "diff.html"
    result = cli_diff(store, "--rules", str(files(store)["merge13"]), "--html", str(out),
                      "--truth", str(files(store)["truth"]), "-s")
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    parser = Refs()
    parser.feed(page)
    external = [(k, v) for k, v in parser.attrs
                if re.match(r"\s*(https?:|//)", v, re.I) or (k in ("src", "href") and v)]
    assert external == []
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(parser.tags)
    assert "url(" not in page and "@import" not in page
    assert parser.tags.count("svg") == 2
    assert "merge_lost" in page and "clusters_split" in page and "precision" in page


def test_against_defaults_to_the_last_applied_rule_set(store, tmp_path):
    db = tmp_path / "applied.duckdb"
    shutil.copyfile(store, db)
    rules = str(files(store)["merge13"])
    none_yet = cli_diff(db, "--rules", rules, "--json", "-s")
    assert none_yet.exit_code == 0, none_yet.output
    assert "packaged default" in none_yet.stderr
    assert json.loads(none_yet.stdout)["old"]["hash"] == RuleSet.default().hash

    applied = CliRunner().invoke(app, ["run", "--apply", "--db", str(db), "--rules", rules,
                                       "--today", TODAY.isoformat(), "-s", "--json"])
    assert applied.exit_code == 0, applied.output
    same = cli_diff(db, "--rules", rules, "--json", "-s")
    assert same.exit_code == 0, same.output
    report = json.loads(same.stdout)
    assert report["old"]["hash"] == report["new"]["hash"] == rule_set(store, "merge13").hash
    assert not any(report["counts"].values())
    assert "of the apply run" in same.stderr
    table = cli_diff(db, "--rules", rules, "-s")
    assert "No changes" in table.stdout

    with duckdb.connect(str(db)) as con:   # a store from before rule_sets kept the text
        con.execute("DELETE FROM rule_sets")
    lost = cli_diff(db, "--rules", rules)
    assert lost.exit_code == 1 and "--against" in lost.output and lost.output.count("\n") == 1


def test_diff_changes_nothing_in_the_store(store, tmp_path):
    before = store_fingerprint(store)
    mtime = store.stat().st_mtime_ns
    result = cli_diff(store, "--rules", str(files(store)["review9"]), "--truth",
                      str(files(store)["truth"]), "--html", str(tmp_path / "r.html"), "-s")
    assert result.exit_code == 0, result.output
    assert store_fingerprint(store) == before
    assert store.stat().st_mtime_ns == mtime


def test_bad_input_is_a_one_line_error(store, tmp_path):
    missing = cli_diff(store, "--rules", str(tmp_path / "nope.toml"))
    assert missing.exit_code == 1 and missing.output.count("\n") == 1
    assert "cannot read rule file" in missing.output
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    for args in (["--rules", str(bad)], ["--rules", str(files(store)["default"]), "--against", str(bad)]):
        result = cli_diff(store, *args)
        assert result.exit_code == 1 and result.output.count("\n") == 1 and "not valid TOML" in result.output
    no_store = cli_diff(tmp_path / "none.duckdb", "--rules", str(files(store)["default"]))
    assert no_store.exit_code == 1 and "no store at" in no_store.output


def test_help_explains_the_sections():
    result = CliRunner().invoke(app, ["diff", "--help"])
    assert result.exit_code == 0
    for change in PAIR_CHANGES + ("clusters_split", "clusters_joined"):
        assert change in result.output


def test_the_table_shows_the_truth_metrics_and_no_examples_when_asked_for_none(store, tmp_path):
    report = json.loads(cli_diff(store, "--rules", str(files(store)["merge13"]), "--truth",
                                 str(files(store)["truth"]), "--json", "-s").stdout)
    result = cli_diff(store, "--rules", str(files(store)["merge13"]), "--truth", str(files(store)["truth"]),
                      "--examples", "0", "--html", str(tmp_path / "report.html"))
    assert result.exit_code == 0, result.output
    truth = report["metrics"]
    for k in ("precision", "recall", "f1"):
        assert (f"{k:<18}{truth['old']['truth'][k]:>10.4f} -> {truth['new']['truth'][k]:.4f}  "
                f"{truth['direction'][k]}") in result.stdout
    assert "(examples):" not in result.stdout
    assert f"wrote {tmp_path / 'report.html'}" in result.stderr and (tmp_path / "report.html").exists()


def test_an_html_report_that_cannot_be_written_is_one_line(store, tmp_path):
    out = tmp_path / "missing" / "report.html"
    result = cli_diff(store, "--rules", str(files(store)["merge13"]), "--against", str(files(store)["default"]),
                      "--html", str(out), "-s")
    # refused before either run (dedup.paths checks every output first)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"error: --html {out}: no such folder {out.parent}\n"
