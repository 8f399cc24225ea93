"""Text a person would write: every example document read for the artefacts of generated text.

The slow tests build the bundled example once (the session's ``example_build``) and scan the
published HTML of all 15 documents: no internal names or codes, no stray punctuation, no "(0%)"
comparisons, units kept, numbers written by their unit, and hypothesis sentences that do not
repeat row after row. The fast tests pin the formatter and the improved/worsened rule with
values worked out by hand.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from strategy_docs.analysis import formatting as fmt
from strategy_docs.analysis import hypotheses, indicators, resources
from strategy_docs.annual.changes import indicator_change
from strategy_docs.inputs.params import HypothesisTest
from strategy_docs.wording import as_sentence, join_items

# ---------------------------------------------------------------- reading a published page

BLOCK_TAGS = {"p", "li", "td", "th", "caption", "h1", "h2", "h3", "h4", "div", "section", "tr", "dt", "dd",
              "figcaption", "ul", "ol", "table", "br", "main", "header", "footer", "nav", "aside", "summary"}


class Page(HTMLParser):
    """The text a reader sees in <main> (inline elements joined as written) and its tables' cells."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.in_main = 0
        self.tables: dict[str, list[list[str]]] = {}
        self.table_stack: list[str] = []
        self.cell: list[str] | None = None
        self.feed(html)
        self.text = re.sub(r"\s+", " ", "".join(self.parts)).strip()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "main":
            self.in_main += 1
        if tag in BLOCK_TAGS:
            self.parts.append(" ")
        if tag == "table":
            self.table_stack.append(attrs.get("id") or f"table-{len(self.tables)}")
            self.tables[self.table_stack[-1]] = []
        elif tag == "tr" and self.table_stack:
            self.tables[self.table_stack[-1]].append([])
        elif tag in ("td", "th") and self.table_stack:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        if tag == "main":
            self.in_main -= 1
        if tag in BLOCK_TAGS:
            self.parts.append(" ")
        if tag in ("td", "th") and self.cell is not None and self.table_stack:
            rows = self.tables[self.table_stack[-1]]
            if rows:
                rows[-1].append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None
        elif tag == "table" and self.table_stack:
            self.table_stack.pop()

    def handle_data(self, data):
        if self.skip or not self.in_main:
            return
        self.parts.append(data)
        if self.cell is not None:
            self.cell.append(data)

    def column(self, table_prefix: str, heading: str) -> list[str]:
        """The cells under ``heading`` in every table whose id starts with ``table_prefix``."""
        out = []
        for table_id, rows in self.tables.items():
            if not table_id.startswith(table_prefix) or not rows or heading not in rows[0]:
                continue
            at = rows[0].index(heading)
            out += [row[at] for row in rows[1:] if len(row) > at]
        return out


@pytest.fixture(scope="module")
def pages(example_build) -> dict[str, Page]:
    ws, _ = example_build
    found = {str(p.relative_to(ws / "build")): Page(p.read_text(encoding="utf-8"))
             for p in sorted((ws / "build").glob("*/*/*.html"))}
    assert len(found) == 21  # 16 strategies, and Glanmor's five again in Welsh
    return found


def english_pages(pages: dict[str, Page]) -> dict[str, Page]:
    return {name: page for name, page in pages.items() if not name.endswith(".cy.html")}


def _hits(pages: dict[str, Page], pattern: str) -> list[str]:
    rx = re.compile(pattern)
    return [f"{name}: ...{page.text[max(0, m.start() - 80):m.end() + 40]}..."
            for name, page in pages.items() for m in rx.finditer(page.text)]


# ---------------------------------------------------------------- every example document


@pytest.mark.slow
def test_no_internal_names_in_reader_text(pages):
    internal = (r"\((?:service_users|unit_costs|providers|budget|indicators|population) data\)"  # table names
                r"|Indicator '|\b[a-z]+_[a-z_]+\b"  # identifiers with underscores: metric, table, column ids
                r"|'[a-z0-9]+(?:-[a-z0-9]+)+'")  # quoted slugs: indicator, measure ids
    assert _hits(pages, internal) == []
    # the hypotheses about indicators name them by the plan's own name, not the id
    assert _hits(pages, r"\bascof-\d") == []


@pytest.mark.slow
def test_no_stray_punctuation(pages):
    stray = r"\.;|;\.|(?<!\.)\.\.(?!\.)|\. \.|,\.|\.,|:\.|\s[.,;:](?!\d)|\(\s|\s\)|\(\)"
    assert _hits(pages, stray) == []


@pytest.mark.slow
def test_no_zero_percent_comparisons(pages):
    assert _hits(pages, r"\((?:0|0\.0)%\)|\b(?:0|0\.0)% (?:above|below|more|less)") == []


def is_reason(cell: str) -> bool:
    """A rating's reason (written by the code), not the plan's own action."""
    return "the latest value" in cell.lower() or cell.startswith("No value")


def generated_sentences(page: Page) -> list[str]:
    """Text the code writes (not the plan's own words): hypothesis evidence, indicator reasons,
    how demand is worked out, and each table's notes."""
    evidence = [c for c in page.column("hypotheses", "What the evidence shows") if not c.startswith("Recorded")]
    reasons = [c for c in page.column("indicators", "Action") if is_reason(c)]
    return evidence + reasons + page.column("computed-gaps", "How demand is worked out")


@pytest.mark.slow
def test_percentages_in_generated_text_have_one_decimal_place(pages):
    # "occupancy at 96.6%", "grown by 8.0%": never "97%" beside "15.82%"
    wrong = [(name, found) for name, page in pages.items() for sentence in generated_sentences(page)
             for found in re.findall(r"(?<![\d.,])\d{1,3}(?:,\d{3})*%|\d\.\d{2,}%", sentence)]
    assert wrong == []
    assert sum(len(generated_sentences(page)) for page in pages.values()) > 100


@pytest.mark.slow
def test_percentage_columns_have_one_decimal_place(pages):
    wrong = []
    for name, page in pages.items():
        for table_id, rows in page.tables.items():
            if not rows:
                continue
            for at, heading in enumerate(rows[0]):
                if not heading.endswith("(%)"):
                    continue
                for row in rows[1:]:
                    if len(row) > at and re.fullmatch(r"[\d,.]+", row[at]) and not re.fullmatch(r"[\d,]+\.\d", row[at]):
                        wrong.append((name, table_id, heading, row[at]))
    assert wrong == []


@pytest.mark.slow
def test_indicator_reasons_keep_their_units(pages):
    """'is 3.1%, which meets the target of 3.0%', never 'is 3.1, which meets the target of 3'."""
    checked = 0
    for page in pages.values():
        for table_id, rows in page.tables.items():
            if not table_id.startswith("indicators") or "Action" not in rows[0] or "Latest" not in rows[0]:
                continue
            for row in rows[1:]:
                latest_cell, reason = row[rows[0].index("Latest")], row[rows[0].index("Action")]
                if not (latest_cell.split(" (")[0].endswith("%") and is_reason(reason)):
                    continue
                checked += 1
                # every figure (not a period like 2024/25) carries its unit
                figures = re.findall(r"(?<![\d/,.])\d[\d,]*(?:\.\d+)?(?![\d/,.])(%| percentage points)?", reason)
                assert figures and all(figures), reason
    assert checked > 20


@pytest.mark.slow
def test_singular_and_plural(pages):
    assert _hits(pages, r"\b1 (?:providers|places|people|risks|services)\b") == []


@pytest.mark.slow
def test_hypothesis_sentences_vary_from_row_to_row(pages):
    closings = []
    for name, page in pages.items():
        evidence = [cell for cell in page.column("hypotheses", "What the evidence shows") if cell]
        endings = [" ".join(re.sub(r"[\d.,%+£-]+", "#", cell).split()[-5:]) for cell in evidence]
        for first, second in zip(endings, endings[1:]):
            assert first != second, (name, first)
        closings += endings
    assert closings
    assert not _hits(pages, r"so the test is (?:accepted|refuted)")
    most_common, count = Counter(closings).most_common(1)[0]
    assert count <= len(closings) / 2, most_common


@pytest.mark.slow
def test_hypotheses_on_indicators_use_the_indicator_name_and_unit(pages):
    page = pages["2026-27/eastbridge/learning-disability.html"]
    evidence = " ".join(page.column("hypotheses", "What the evidence shows"))
    # H8 tests ascof-1e, which the plan names "Adults with a learning disability in paid employment" (percent)
    assert re.search(r"Adults with a learning disability in paid employment: \d+\.\d% in 2024/25", evidence), evidence


# ---------------------------------------------------------------- the formatter, by hand


def test_counts_are_whole_with_thousands_separators():
    assert fmt.fmt_value(60149.4, "count") == "60,149"
    assert fmt.fmt_value(12.5, "count") == "13"  # half up
    assert fmt.fmt_int(1234567) == "1,234,567"


def test_money_in_pounds_with_pence_only_for_small_amounts():
    assert fmt.fmt_value(1234.0, "pounds") == "£1,234"
    assert fmt.fmt_value(18.456, "pounds") == "£18.46"
    assert fmt.fmt_money(1298000) == "£1,298,000"
    assert fmt.fmt_money(-12000) == "(£12,000)"


def test_rates_and_percentages_have_one_decimal_place():
    assert fmt.fmt_value(3.1, "percent") == "3.1%"
    assert fmt.fmt_value(3, "percent") == "3.0%"
    assert fmt.fmt_value(80, "percent") == "80.0%"
    assert fmt.fmt_value(312.44, "rate per 100,000") == "312.4 per 100,000"
    assert fmt.fmt_value(1234.56, "rate per 100,000") == "1,234.6 per 100,000"
    assert fmt.fmt_value(14.25, "days") == "14.3 days"  # half up, not banker's 14.2
    assert fmt.fmt_value(19, "score") == "19.0"
    assert fmt.fmt_value(2.7, "ratio") == "2.7"
    assert fmt.fmt_value(None, "percent") == "not available"
    assert fmt.fmt_percent(99.44) == "99.4%"
    assert fmt.fmt_rate(-0.04) == "0.0"


def test_changes_in_their_unit():
    assert fmt.fmt_value_change(-0.9, "percent") == "0.9 percentage points"
    assert fmt.fmt_value_change(3, "count") == "3"
    assert fmt.fmt_value_change(2.05, "pounds") == "£2.05"


def test_indicator_reason_keeps_the_unit():
    label, _, reason = indicators.rag(3.1, 3, None, "higher", unit="percent")
    assert (label, reason) == ("On track", "The latest value is 3.1%, which meets the target of 3.0%.")
    # 77 against 80 per 100,000: 3.0 short, within 5% of the target (4.0)
    _, _, reason = indicators.rag(77, 80, None, "higher", unit="rate per 100,000")
    assert reason == ("The latest value is 77.0 per 100,000, which misses the target of 80.0 per 100,000 by "
                      "3.0 per 100,000, within the tolerance of 5.0% of the target (4.0 per 100,000).")
    _, _, reason = indicators.rag(60.0, 66.7, 61.0, "higher", unit="percent")
    assert reason == ("The latest value is 60.0%, which misses the target of 66.7% by 6.7 percentage points "
                      "and is not better than the comparator average of 61.0%.")


def test_a_difference_under_a_tenth_of_a_percent_is_said_in_words():
    row = {"service_type": "Reablement", "unit": "per hour", "unit_cost": 48.76, "comparator_average": 48.85,
           "difference": 48.76 - 48.85, "difference_percent": (48.76 - 48.85) / 48.85 * 100, "position": "below"}
    # 0.09 / 48.85 = 0.18%: one decimal place shows it
    assert resources.unit_cost_sentence(row) == (
        "Reablement: £48.76 per hour, £0.09 (0.2%) below the comparator average of £48.85.")
    row.update(unit_cost=1120.50, comparator_average=1120.00, difference=0.50, difference_percent=0.50 / 1120 * 100,
               position="above")  # 0.045%, which would print as 0.0%
    assert resources.unit_cost_sentence(row) == (
        "Reablement: £1,120.50 per hour, £0.50 above the comparator average of £1,120 (less than 0.1% more).")


def test_items_joined_without_stray_punctuation():
    assert join_items(["Audit", "training"]) == "Audit; training"
    assert join_items(["Monthly meetings.", "A provider of last resort"]) == (
        "Monthly meetings. A provider of last resort.")
    assert as_sentence("Rounded for this example.") == "Rounded for this example."
    assert as_sentence("Rounded for this example;") == "Rounded for this example."
    assert as_sentence("Rounded..") == "Rounded."
    # on a Welsh page an item the plan gives only in English is marked as English: its full stop still counts
    from strategy_docs.i18n import mark

    english = mark("Twenty-four new tenancies.", "en")
    assert join_items([english, "Gwaith cefnogol"]) == f"{english} Gwaith cefnogol."


# ---------------------------------------------------------------- improved or worsened, by hand


@pytest.mark.parametrize("before, after, polarity, target_then, target_now, rating_changed, expected", [
    (60.0, 62.5, "higher", 65, 65, False, "improved"),       # value up, higher is better
    (60.0, 58.0, "higher", 65, 65, True, "worsened"),
    (14.0, 12.0, "lower", 10, 10, False, "improved"),        # days down, lower is better
    (60.0, 60.0, "higher", 65, 55, True, "target changed"),  # only the target moved: not "improved"
    (60.0, 60.0, "higher", 65, 70, False, None),             # same value, same rating: nothing to say
    (60.0, 62.5, "higher", 55, 70, True, "improved"),        # value moved up, though the rating fell
    (None, 62.5, "higher", 65, 65, True, None),              # no earlier value: no direction
])
def test_improved_or_worsened_only_when_the_value_moved(before, after, polarity, target_then, target_now,
                                                        rating_changed, expected):
    assert indicator_change(before, after, polarity, target_then, target_now, rating_changed) == expected


# ---------------------------------------------------------------- hypothesis sentences


def _inputs(indicator_rows):
    from strategy_docs.analysis import AnalysisInputs

    empty = pd.DataFrame()
    return AnalysisInputs(population=empty, service_users=empty, providers=empty, budget=empty, unit_costs=empty,
                          indicators=pd.DataFrame(indicator_rows), measures={}, base_year=2025, end_year=2028,
                          look_ahead_year=2040, nation="england", age_range=None)


def test_indicator_hypothesis_names_the_indicator_and_keeps_its_unit():
    inputs = _inputs([{"client_group": "ld", "indicator_id": "ascof-1e", "period": "2023/24", "value": 5.2,
                       "comparator_average": 4.8},
                      {"client_group": "ld", "indicator_id": "ascof-1e", "period": "2024/25", "value": 5.9,
                       "comparator_average": 5.0}])
    labels = {"ascof-1e": hypotheses.IndicatorLabel("Adults with a learning disability in paid work", "percent")}
    test = HypothesisTest(metric="indicator_latest", args={"indicator_id": "ascof-1e"}, comparison=">=", threshold=6)
    result = hypotheses.evaluate(test, inputs, labels)
    assert result.verdict == "refuted"
    assert result.evidence == (
        "Adults with a learning disability in paid work: 5.9% in 2024/25. The latest value is 5.9%, which is "
        "not at least 6.0%, so the evidence does not support the hypothesis.")
    test = HypothesisTest(metric="indicator_change", args={"indicator_id": "ascof-1e"}, comparison=">", threshold=0)
    result = hypotheses.evaluate(test, inputs, labels, variant=2)
    # 5.9 - 5.2 = 0.7 percentage points
    assert result.evidence == (
        "Adults with a learning disability in paid work: 5.2% in 2023/24 and 5.9% in 2024/25. With the "
        "change since the previous value at +0.7 percentage points against a test of more than 0.0 percentage "
        "points, we accept the hypothesis.")


def test_neighbouring_hypotheses_are_worded_differently():
    inputs = _inputs([{"client_group": "ld", "indicator_id": "x", "period": "2024/25", "value": 10.0,
                       "comparator_average": None}])
    test = HypothesisTest(metric="indicator_latest", args={"indicator_id": "x"}, comparison=">", threshold=5)
    labels = {"x": hypotheses.IndicatorLabel("Shared Lives carers", "count")}
    sentences = {hypotheses.evaluate(test, inputs, labels, variant=i).evidence for i in range(3)}
    assert len(sentences) == 3
    assert all(s.startswith("Shared Lives carers: 10 in 2024/25.") for s in sentences)


# ---------------------------------------------------------------- out of area, abbreviations, glossary


@pytest.mark.slow
def test_placed_out_of_area_tile_only_for_the_services_the_data_records(pages):
    """The example leaves out_of_area blank for services nobody is placed through (a carers' centre,
    home care): the tile covers only the services that record placements, and says which."""
    for name, page in english_pages(pages).items():
        tile = re.search(r"Placed out of area ([\d.]+)% ([\d,]+) (?:person|people) at 31 March 20\d\d"
                         r"(?:, of those using ([^.]*?))? Places by sector", page.text)
        if name.startswith("2026-27/holmdale/"):  # a partial plan with no data: no tile, nothing invented
            assert tile is None and "Placed out of area" not in page.text, name
            continue
        assert tile, name
        if name.endswith("/carers.html"):
            assert tile.group(3) == "Carers' short breaks", name
        if name.endswith("/older-people.html"):
            assert tile.group(3) == "Residential care and Nursing care", name


@pytest.fixture(scope="module")
def raw_pages(example_build) -> dict[str, str]:
    ws, _ = example_build
    return {str(p.relative_to(ws / "build")): p.read_text(encoding="utf-8")
            for p in sorted((ws / "build").glob("*/*/*.html"))}


@pytest.mark.slow
def test_glossary_lists_exactly_the_terms_each_document_uses(pages, raw_pages):
    from strategy_docs.sections import glossary

    for name, page in pages.items():
        # the table's id is "glossary", or "glossary-2" where the section's heading took "glossary"
        listed = [row[0] for row in (page.tables.get("glossary-2") or page.tables.get("glossary") or [])[1:]]
        closing = (" Geirfa Byrfoddau a thermau a ddefnyddir yn y ddogfen hon" if name.endswith(".cy.html")
                   else " Glossary Abbreviations and terms used in this document")
        body = page.text.split(closing)[0]
        used = [t.term for t in glossary.terms_used([body])]
        assert listed == used and listed, name
        html = raw_pages[name]
        for term in glossary.TERMS:
            marked = re.findall(r'<abbr title="[^"]+">' + re.escape(term.term.replace("&", "&amp;")), html)
            assert len(marked) == (1 if term.term in listed else 0), (name, term.term)
    everywhere = {row[0] for page in pages.values()
                  for row in (page.tables.get("glossary-2") or page.tables.get("glossary") or [])[1:]}
    assert {"NHS", "HHI", "ASCOF", "CQC", "CIW", "section 75", "section 33"} <= everywhere


def test_abbreviation_marked_at_first_use_only():
    from strategy_docs.sections import glossary

    html = ("<html><head><title>NHS</title></head><body><nav>NHS</nav><main><h2>The NHS &amp; us</h2>"
            "<p>NHS again, A&amp;E and <a href='#x'>CQC</a> then CQC.</p><script>var NHS = 1 < 2;</script></main></body></html>")
    terms = glossary.terms_used(["NHS A&E CQC"])
    assert [t.term for t in terms] == ["A&E", "CQC", "NHS"]
    out = glossary.mark_first_use(html, terms)
    assert out == ("<html><head><title>NHS</title></head><body><nav>NHS</nav><main><h2>The "
                   '<abbr title="National Health Service">NHS</abbr> &amp; us</h2>'
                   '<p>NHS again, <abbr title="accident and emergency">A&amp;E</abbr> and <a href=\'#x\'>CQC</a> then '
                   '<abbr title="Care Quality Commission">CQC</abbr>.</p><script>var NHS = 1 < 2;</script></main></body></html>')
    assert glossary.mark_first_use(html, []) == html


def test_a_term_the_text_does_not_use_is_never_listed():
    from strategy_docs.sections import glossary

    assert glossary.terms_used(["Services are regulated by the Care Quality Commission."]) == []
    assert glossary.terms_used(["NHSE and ASCOF-like"]) == []  # part of another word or code
    assert [t.term for t in glossary.terms_used(["under section 75 of the Act; the GPs"])] == ["GP", "section 75"]
    rows = glossary.glossary_rows(glossary.terms_used(["BSL"]))
    assert rows == [{"Term": "BSL", "Meaning": "British Sign Language."}]


def test_blank_out_of_area_is_not_recorded_not_zero():
    from strategy_docs.analysis import market

    users = pd.DataFrame([
        {"year": 2025, "client_group": "x", "service_type": "Residential care", "area_code": "A", "people": 40,
         "out_of_area": 6},
        {"year": 2025, "client_group": "x", "service_type": "Home care", "area_code": "A", "people": 160,
         "out_of_area": None},
    ])
    result = market.out_of_area(users)
    # 6 of the 40 people in Residential care (Home care records no placements): 15.0%
    assert (result.people, result.out_of_area, result.percent) == (40, 6, 15.0)
    assert result.service_types == ("Residential care",)
    assert market.records_out_of_area(users)
    assert not market.records_out_of_area(users.assign(out_of_area=None))
    with pytest.raises(ValueError, match="no out-of-area placements are recorded"):
        market.out_of_area(users.assign(out_of_area=None))


def test_tables_round_half_up_like_the_text():
    from strategy_docs.sections import blocks

    # Python's own formatting rounds 0.125 to '0.12' and 2.5 to '2' (to even); the sentences say 0.13 and 3
    assert blocks.format_number(0.125, 2) == fmt.fmt_rate(0.125, 2) == "0.13"
    assert blocks.format_number(2.5, 0) == "3"
    assert blocks.format_number(1234567.5, 0) == "1,234,568"
    assert blocks.format_number(-0.004, 2) == "0.00"


def test_chart_alt_text_never_says_zero_percent_for_a_difference():
    from strategy_docs.sections import charts

    costs = pd.DataFrame([dict(financial_year="2025/26", client_group="op", service_type="Reablement", unit="per hour",
                               unit_cost=1120.50, comparator_average=1120.00)])  # 0.045% above
    alt = charts.unit_cost_chart(costs).alt
    assert "(less than 0.1% above)" in alt and "0.0%" not in alt
