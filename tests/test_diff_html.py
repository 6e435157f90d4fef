"""`dedup.diff_html`: the `dedup diff --html` page, from a real diff of two rule sets on a small
store whose traders (and one rule set's name) are full of markup. The page is parsed back: every
value reads as it was typed and none of it is markup, the tables carry the diff's counts, the
histograms its pairs; and the file is written (or the failure is one line)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from html.parser import HTMLParser

import polars as pl
import pytest

from dedup.api import write_diff_html
from dedup.diff import DESCRIPTIONS, RuleDiff, diff_rules
from dedup.diff_html import histogram_svg, render_html
from dedup.errors import DedupError
from dedup.rules import RuleSet
from dedup.rules.ruleset import default_rules_text
from dedup.store import Store
from tests.conftest import TODAY
from tests.merge.merge_helpers import build, trader

NASTY = '<script>alert("x")</script> & Sons'
BAKERY = "Tom's \"Best\" <b>Bakery</b>"
GENERATED = dt.datetime(2026, 11, 2, 3, 4, 5)


class Page(HTMLParser):
    """The page's tags, its text, each table's rows of cell texts, and the SVG bars' titles."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.titles: list[tuple[int, str]] = []   # (which SVG on the page, the bar's title)
        self._cell: list[str] | None = None
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._open.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if self._open and self._open[-1] == tag:
            self._open.pop()
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._open and self._open[-1] == "title" and "svg" in self._open:
            self.titles.append((self.tags.count("svg"), data))

    def table_after(self, header: list[str]) -> list[list[str]]:
        """The body rows of the table whose header row is `header`."""
        return next(t[1:] for t in self.tables if t and t[0] == header)


def rules_text(name: str, merge: float) -> str:
    text = default_rules_text()
    return text.replace('name = "default"', f"name = {name!r}", 1).replace(
        "\nmerge = 11.0", f"\nmerge = {merge}", 1)


@pytest.fixture(scope="module")
def diff(tmp_path_factory) -> RuleDiff:
    """The default rules against a stricter set that merges nothing: the merge-band pairs are
    lost, their clusters split."""
    folder = tmp_path_factory.mktemp("diff_html")
    high = {"address": "5 High Street, Truro", "postcode": "TR1 1AA", "phone": "01872 123456"}
    quay = {"address": "2 The Quay, Padstow", "postcode": "PL28 8AQ", "website": "https://best.example.co.uk/?a=1&b=<2>"}
    db = build(folder / "nasty.duckdb", traders=[
        trader(1, NASTY, **high), trader(2, NASTY + " Ltd", **high),
        trader(3, BAKERY, **quay), trader(4, BAKERY.upper(), **quay),
        trader(5, "Harbour View Cafe", address="3 The Quay, Padstow", postcode="PL28 8AQ")])
    truth = folder / "truth.csv"
    truth.write_text("trader_id,entity_id\n1,1\n2,1\n3,3\n4,3\n5,5\n")
    strict = RuleSet.from_toml_text(rules_text("<i>strict</i> & co", 1000.0))
    with Store(db, read_only=True) as store:
        return diff_rules(store, strict, RuleSet.default(), today=TODAY, truth=truth)


@pytest.fixture(scope="module")
def page(diff) -> Page:
    return Page(render_html(diff, generated=GENERATED))


def test_the_diff_has_something_to_show(diff):
    assert diff.counts["merge_lost"] >= 2 and diff.counts["clusters_split"] >= 2
    assert diff.examples["merge_lost"].height >= 2


def test_store_values_and_rule_names_read_as_typed_and_are_never_markup(diff, page):
    html = render_html(diff, generated=GENERATED)
    assert not {"script", "b", "i"} & set(page.tags)
    assert "<script>" not in html and "<b>Bakery" not in html and "<i>strict" not in html
    text = "".join(page.text)
    assert NASTY in text and BAKERY in text and "https://best.example.co.uk/?a=1&b=<2>" in text
    assert f"dedup diff: default ({diff.old.hash}) → <i>strict</i> & co ({diff.new.hash})" in text
    assert html.startswith("<!DOCTYPE html>\n") and html.rstrip().endswith("</html>")


def test_the_page_needs_nothing_from_outside(diff):
    """A website from the store is text on the page, never a link: the file opens offline."""
    html = render_html(diff, generated=GENERATED)
    assert not re.search(r"\b(href|src)\s*=", html) and "url(" not in html and "@import" not in html
    assert not {"script", "link", "img", "iframe", "a"} & set(Page(html).tags)


def test_the_changes_table_carries_every_count_and_its_meaning(diff, page):
    rows = page.table_after(["category", "count", "meaning"])
    assert {c: (int(n.replace(",", "")), m) for c, n, m in rows} == {
        c: (diff.counts[c], DESCRIPTIONS[c]) for c in DESCRIPTIONS}


def test_the_runs_table_carries_both_runs(diff, page):
    rows = {r[0]: r[1:] for r in page.table_after(["", "old", "new"])}
    assert rows["records"] == [str(diff.runs["old"]["records"]), str(diff.runs["new"]["records"])] == ["5", "5"]
    assert rows["pairs in merge band"] == [str(diff.runs[s]["pairs_merge_band"]) for s in ("old", "new")]
    assert rows["pairs in merge band"][1] == "0"   # the strict rules merge nothing
    assert rows["clusters to merge"] == [str(diff.runs[s]["clusters"]) for s in ("old", "new")]


def test_the_truth_metrics_and_their_direction(diff, page):
    rows = {r[0]: r[1:] for r in page.table_after(["", "old", "new", "direction"])}
    truth = diff.metrics
    for k in ("precision", "recall", "f1"):
        assert rows[k] == [f"{truth['old']['truth'][k]:.2f}", f"{truth['new']['truth'][k]:.2f}",
                           truth["direction"][k]]
    assert rows["recall"][2] == "down"   # merging nothing finds no true pair


def test_examples_show_both_records_of_each_lost_pair_with_both_scores(diff, page):
    text = "".join(page.text)
    shown = diff.examples["merge_lost"]
    assert f"merge_lost: {shown.height} of {diff.counts['merge_lost']:,}" in text
    cells = [cell for table in page.tables for row in table for cell in row]
    for row in shown.iter_rows(named=True):
        assert str(row["left_id"]) in cells and str(row["right_id"]) in cells
        assert f"{row['old_score']:.2f} merge" in cells and f"{row['new_score']:.2f} review" in cells
    assert "clusters_split: " in text


def test_one_histogram_per_rule_set_whose_bars_add_up_to_its_pairs(diff, page):
    assert page.tags.count("svg") == 2
    drawn = {1: 0, 2: 0}
    for svg, title in page.titles:
        drawn[svg] += int(re.search(r": ([\d,]+) pairs$", title).group(1).replace(",", ""))
    hist = diff.histograms
    assert [drawn[1], drawn[2]] == [hist.filter(hist["side"] == side)["pairs"].sum() for side in ("old", "new")]
    assert drawn[1] == sum(diff.runs["old"]["pairs_by_rule"].values()) > 0   # every candidate pair


def test_histogram_bars_thresholds_and_bands():
    hist = pl.DataFrame({"side": ["old"] * 3 + ["new"], "bin": [3, 12, 12, 5],
                         "band": ["none", "merge", "review", "none"], "pairs": [1000, 9, 1, 7]})
    svg = histogram_svg(hist, "old", range(0, 20), merge=11.0, review=7.0)
    parsed = Page(svg)
    assert [t for _, t in parsed.titles] == ["score 3 to 4, none: 1,000 pairs", "score 12 to 13, review: 1 pairs",
                                             "score 12 to 13, merge: 9 pairs"]   # the new side's bar is not drawn
    assert "review 7" in svg and "merge 11" in svg and svg.count("stroke-dasharray") == 2
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert heights[0] > heights[1] + heights[2] > 0             # 1,000 pairs stand taller than 10
    assert heights[2] == pytest.approx(9 * heights[1], abs=0.5)  # one bar's bands share it in proportion
    outside = histogram_svg(hist, "old", range(0, 5), merge=11.0, review=7.0)
    assert "stroke-dasharray" not in outside                    # thresholds off the axis are not drawn


def test_identical_rule_sets_say_there_are_no_changes(diff):
    same = dataclasses.replace(diff, new=diff.old, pairs=diff.pairs.clear(), examples={},
                               counts=dict.fromkeys(diff.counts, 0))
    html = render_html(same, generated=GENERATED)
    text = "".join(Page(html).text)
    assert "No changes: the two rule sets give the same bands and clusters." in text
    assert "Generated 2026-11-02 03:04:05." in text


def test_the_report_is_written_as_one_utf8_file_or_a_one_line_error(diff, tmp_path):
    out = tmp_path / "report.html"
    write_diff_html(diff, out)
    written = out.read_text(encoding="utf-8")
    assert "→" in written and Page(written).tags.count("svg") == 2
    with pytest.raises(DedupError) as caught:
        write_diff_html(diff, tmp_path / "no such folder" / "report.html")
    assert str(caught.value).startswith(f"--html {tmp_path / 'no such folder' / 'report.html'}: no such folder")
    assert "\n" not in str(caught.value)
