"""blocks.py (pure block builders and validation) and display.py (MIME bundles)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from strategy_docs.sections import blocks, display

try:
    from tests.browser import Chart, make_chart, sample_meta
except ImportError:  # tests/ is on sys.path, not a package
    from browser import Chart, make_chart, sample_meta


def cells(block, row):
    return [c["text"] for c in block["rows"][row]["cells"]]


# --- heading, prose, callout -------------------------------------------------------------

def test_heading():
    b = blocks.heading("Needs & demand", 2)
    assert b == {"kind": "heading", "level": 2, "text": "Needs & demand", "id": "needs-and-demand"}
    assert blocks.heading("X", 3, id="custom-id")["id"] == "custom-id"


@pytest.mark.parametrize("level", [1, 5, "2", True])
def test_heading_levels_are_2_to_4(level):
    with pytest.raises(ValueError):
        blocks.heading("Title", level)


def test_heading_needs_text():
    with pytest.raises(ValueError):
        blocks.heading("  ", 2)


def test_prose_is_sanitised_markdown():
    b = blocks.prose("Hello *world* <script>alert(1)</script> [x](javascript:alert(1))")
    assert b["kind"] == "prose"
    assert "<em>world</em>" in b["html"]
    assert "<script" not in b["html"] and "href" not in b["html"]


def test_callout():
    b = blocks.callout("Be careful", "Numbers are **provisional**.", "warning")
    assert b["tone"] == "warning" and b["title"] == "Be careful"
    assert "<strong>provisional</strong>" in b["html"]
    with pytest.raises(ValueError):
        blocks.callout("T", "x", "danger")


# --- table ---------------------------------------------------------------------------------

@pytest.fixture
def people():
    return pd.DataFrame({
        "Locality": ["North", "South", "East"],
        "People": [12345, 3, None],
        "Weekly cost": [1234.5, 980.0, 1010.25],
        "Rating": ["Good", "Requires improvement", "Inadequate"],
    })


def test_table_structure_and_formatting(people):
    b = blocks.table(people, "People by locality", units={"Weekly cost": "£"})
    assert b["id"] == "table-people-by-locality"
    assert [c["label"] for c in b["columns"]] == ["Locality", "People", "Weekly cost", "Rating"]
    assert [c["numeric"] for c in b["columns"]] == [False, True, True, False]
    assert b["columns"][2]["unit"] == "£"
    first = b["rows"][0]
    assert first["header"] == {"text": "North"}
    assert cells(b, 0) == ["12,345", "1,234.50", "Good"]
    assert cells(b, 2)[0] == "[x]"
    assert "[x] = not available" in b["notes"]
    assert first["cells"][0]["numeric"] is True and first["cells"][0]["sort"] == 12345
    json.dumps(b)  # serialisable as notebook output


def test_table_without_row_header(people):
    b = blocks.table(people, "No headers", row_header=False)
    assert all(r["header"] is None for r in b["rows"])
    assert len(b["rows"][0]["cells"]) == len(b["columns"]) == 4


def test_table_numeric_columns_override(people):
    b = blocks.table(people, "T", numeric_columns=["People"])
    assert [c["numeric"] for c in b["columns"]] == [False, True, False, False]
    assert cells(b, 0)[1] == "1234.5"


def test_table_statuses_default_words_mapping_and_callable(people):
    b = blocks.table(people, "T", statuses=["Rating"])
    assert [r["cells"][2]["status"] for r in b["rows"]] == [
        {"label": "Good", "tone": "good"},
        {"label": "Requires improvement", "tone": "warning"},
        {"label": "Inadequate", "tone": "bad"},
    ]
    b = blocks.table(people, "T", statuses={"Rating": {"Good": "neutral"}})
    assert b["rows"][0]["cells"][2]["status"]["tone"] == "neutral"
    b = blocks.table(people, "T", statuses={"Rating": lambda v: (v.upper(), "bad")})
    assert b["rows"][0]["cells"][2]["status"] == {"label": "GOOD", "tone": "bad"}
    assert b["rows"][0]["cells"][2]["text"] == "GOOD"  # the word is always there
    with pytest.raises(ValueError):
        blocks.table(people, "T", statuses={"Rating": lambda v: "purple"})
    with pytest.raises(ValueError):
        blocks.table(people, "T", statuses=["Nope"])


def test_table_small_number_suppression(people):
    b = blocks.table(people, "T", suppress_below=5)
    south = b["rows"][1]["cells"]
    assert south[0] == {"text": "[c]", "numeric": True, "suppressed": True}
    assert south[1]["text"] == "980.00"  # costs are not counts: not suppressed by default
    assert "[c] = suppressed: fewer than 5" in b["notes"]
    assert "12,345" in json.dumps(b)
    # explicit columns
    b = blocks.table(people, "T", suppress_below=1000, suppress_columns=["Weekly cost"])
    assert cells(b, 1)[:2] == ["3", "[c]"]
    # zero is not suppressed
    zero = pd.DataFrame({"Area": ["A"], "People": [0]})
    assert cells(blocks.table(zero, "Z", suppress_below=5), 0) == ["0"]


def test_table_footer_and_notes(people):
    b = blocks.table(people, "T", footer={"Locality": "Total", "People": 12348, "Weekly cost": None, "Rating": None},
                     notes="Source: records.")
    total = b["footer_rows"][0]
    assert total["header"]["text"] == "Total"
    assert [c["text"] for c in total["cells"]] == ["12,348", "", ""]
    assert b["notes"].startswith("Source: records.")


def test_table_decimals_are_consistent_per_column():
    df = pd.DataFrame({"Year": ["2023/24", "2024/25"], "Rate": [12.0, 7.25], "Big": [1e6, 2.5e6]})
    b = blocks.table(df, "Rates")
    assert cells(b, 0) == ["12.00", "1,000,000"]
    assert cells(b, 1) == ["7.25", "2,500,000"]


def test_table_with_non_text_column_names_and_index():
    df = pd.DataFrame({"Area": ["A", "B"], 2024: [1500, 20], 2034: [1700.5, 30.25]}, index=[10, 11])
    b = blocks.table(df, "Years", suppress_below=25)
    assert [c["label"] for c in b["columns"]] == ["Area", "2024", "2034"]
    assert cells(b, 0) == ["1,500", "1,700.50"]
    assert cells(b, 1) == ["[c]", "30.25"]


def test_table_negative_numbers_and_rounding():
    assert blocks.format_number(-1234.5, 1) == "-1,234.5"
    assert blocks.format_number(-0.001, 0) == "0"
    assert blocks.format_number(float("nan")) == "[x]"
    assert blocks.format_number(None) == "[x]"


def test_table_rejects_bad_input(people):
    with pytest.raises(ValueError):
        blocks.table(people, "")
    with pytest.raises(ValueError):
        blocks.table(people, "T", units={"Missing": "£"})
    with pytest.raises(ValueError):
        blocks.table(people, "T", id="1bad id")


# --- figure -------------------------------------------------------------------------------

def test_figure_returns_figure_then_its_table():
    fig_block, table_block = blocks.figure(make_chart("needs-chart"))
    assert fig_block["kind"] == "figure" and table_block["kind"] == "table"
    assert fig_block["id"] == "needs-chart"
    assert fig_block["table_id"] == table_block["id"] == "needs-chart-data"
    assert fig_block["alt"].startswith("Bar chart")
    assert fig_block["svg"].startswith("<svg")
    assert table_block["caption"].startswith("Data for: ")
    json.dumps(fig_block)


def test_figure_svg_is_deterministic_vector_text():
    a = blocks.figure(make_chart())[0]["svg"]
    b = blocks.figure(make_chart())[0]["svg"]
    assert a == b
    assert "<dc:date>" not in a and "<?xml" not in a
    assert "<text" in a  # svg.fonttype none: text stays text
    assert "<image" not in a  # no raster images


def test_figure_refuses_empty_alt():
    chart = make_chart()
    for alt in ("", "   ", None):
        bad = Chart(id=chart.id, figure=chart.figure, alt=alt, caption=chart.caption, table=chart.table)
        with pytest.raises(ValueError, match="alt"):
            blocks.figure(bad)


def test_figure_needs_a_table():
    chart = make_chart()
    bad = Chart(id=chart.id, figure=chart.figure, alt="A chart", caption="C", table=None)
    with pytest.raises(ValueError, match="table"):
        blocks.figure(bad)


# --- facts, cycle -------------------------------------------------------------------------

def test_facts():
    b = blocks.facts([("People", 12345.0, "in 2024"), {"label": "Budget", "value": "£4.2m"}])
    assert b["items"] == [
        {"label": "People", "value": "12,345", "detail": "in 2024"},
        {"label": "Budget", "value": "£4.2m", "detail": ""},
    ]
    with pytest.raises(ValueError):
        blocks.facts([])


def test_cycle():
    b = blocks.cycle(["Analyse", "Plan", "Do", "Review"], [
        {"label": "Day services", "current": [0, 1], "expected": [2, 3], "current_text": "a", "expected_text": "b"},
    ])
    assert b["rows"][0]["current"] == [0, 1]
    with pytest.raises(ValueError):
        blocks.cycle(["A", "B"], [{"label": "x", "current": [0, 2], "expected": [0, 1]}])
    with pytest.raises(ValueError):
        blocks.cycle(["A", "B"], [{"label": "x", "current": [1, 0], "expected": [0, 1]}])


# --- validate_block -----------------------------------------------------------------------

@pytest.mark.parametrize("block", [
    {"kind": "poem"},
    {"kind": "heading", "level": 2, "text": "T"},
    {"kind": "heading", "level": 2, "text": "T", "id": "bad id"},
    {"kind": "figure", "id": "f", "svg": "<svg/>", "alt": "", "caption": "c", "table_id": "t"},
    {"kind": "figure", "id": "f", "svg": "<p>no</p>", "alt": "a", "caption": "c", "table_id": "t"},
    {"kind": "table", "id": "t", "caption": "c", "columns": [{"label": "A"}], "rows": [{"header": None, "cells": []}]},
    {"kind": "table", "id": "t", "caption": "c", "columns": [{"label": "A"}],
     "rows": [{"header": None, "cells": [{"text": "x", "status": {"label": "", "tone": "good"}}]}]},
    {"kind": "table", "id": "t", "caption": "c", "columns": [{"label": "A"}],
     "rows": [{"header": None, "cells": [{"text": "x", "html": "y"}]}]},
    {"kind": "callout", "tone": "loud", "title": "t", "html": ""},
    {"kind": "facts", "items": []},
])
def test_validate_block_rejects(block):
    with pytest.raises(ValueError):
        blocks.validate_block(block)


# --- display ------------------------------------------------------------------------------

def test_display_bundle_has_block_html_and_text():
    bundle = display.bundle(blocks.heading("Needs", 2))
    assert set(bundle) == {blocks.MIME_TYPE, "text/html", "text/plain"}
    assert bundle[blocks.MIME_TYPE]["kind"] == "heading"
    assert bundle["text/html"].strip() == '<h2 id="needs">Needs</h2>'
    assert bundle["text/plain"] == "## Needs"


def _one_of_each_kind() -> list[dict]:
    df = pd.DataFrame({"Area": ["North", "South"], "People": [120, 80]})
    table = blocks.table(df, "People by area", id="people", numeric_columns=["People"],
                         units={"People": "people"}, footer={"Area": "Total", "People": 200},
                         notes="Counts at 31 March.")
    table["rows"][0]["cells"][0]["status"] = {"label": "On track", "tone": "good"}
    table["rows"][1]["cells"][0] = {"html": "<em>80</em>", "numeric": True}
    cycle = dict(blocks.cycle(["Analyse", "Plan", "Do", "Review"],
                              [{"label": "Day care", "current": [0, 1], "expected": [2, 2],
                                "current_text": "Reviewing", "expected_text": "Tendering"}]), id="cycle-1")
    return [blocks.heading("Needs & demand", 2), blocks.prose("Some *text* & more."), table,
            *blocks.figure(make_chart()), blocks.facts([("People", "200", "at 31 March")]), cycle,
            blocks.callout("Not yet known", "The **survey** reports in May.", tone="warning")]


def _normalised(html: str) -> str:
    """HTML as the published page serialises it (attributes in order, void tags alike)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(True):
        tag.attrs = dict(sorted(tag.attrs.items()))
    return str(soup).strip()


def test_display_fallback_is_what_the_document_renders():
    """Jupyter's text/html of every block kind is exactly the block's HTML in the published document."""
    import nbformat

    from strategy_docs.outputs import html as render

    made = _one_of_each_kind()
    assert {b["kind"] for b in made} == {"heading", "prose", "table", "figure", "facts", "cycle", "callout"}
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"input_path": "notebooks/03-needs.ipynb"}
    cell = nbformat.v4.new_code_cell("display.show(blocks)")
    cell.outputs = [nbformat.v4.new_output("display_data", data=display.bundle(b)) for b in made]
    nb.cells = [cell]
    document = _normalised(render.render_html(render.assemble([nb]), sample_meta(), render.default_template_dir()))
    for output, block in zip(cell.outputs, made):
        fallback = output.data["text/html"]
        assert fallback == render.render_block_html(block)
        assert _normalised(fallback) in document, block["kind"]
    assert "<em>80</em>" in document and "On track" in document and 'class="callout callout-warning"' in document


def test_display_fallback_escapes_user_text():
    df = pd.DataFrame({"Area": ["<script>alert(1)</script>"], "People": [1]})
    html = display.bundle(blocks.table(df, "<b>caption</b>"))["text/html"]
    assert "<script>" not in html and "<b>caption" not in html
    assert "&lt;script&gt;" in html


def test_display_helpers_emit_ipython_displays(monkeypatch):
    import types

    import IPython.display

    captured = types.SimpleNamespace(outputs=[])

    def fake_display(obj, raw=False, **kwargs):
        assert raw is True
        captured.outputs.append(types.SimpleNamespace(data=obj))

    monkeypatch.setattr(IPython.display, "display", fake_display)
    if True:
        display.heading("Needs", 2)
        display.table(pd.DataFrame({"A": ["x"], "B": [1]}), "Caption")
        made = display.figure(make_chart())
        display.facts([("A", 1)])
        display.callout("T", "text")
        display.cycle(["A", "B"], [{"label": "x", "current": [0, 0], "expected": [1, 1]}])
        display.prose("Hello")
    kinds = [o.data[blocks.MIME_TYPE]["kind"] for o in captured.outputs]
    assert kinds == ["heading", "table", "figure", "table", "facts", "callout", "cycle", "prose"]
    assert all("text/html" in o.data and "text/plain" in o.data for o in captured.outputs)
    assert [b["kind"] for b in made] == ["figure", "table"]
    assert re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="Bar chart', captured.outputs[2].data["text/html"])
