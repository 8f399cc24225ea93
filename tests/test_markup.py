"""markup.py: Markdown to sanitised HTML, and slugs."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategy_docs.sections import markup


def test_paragraphs_emphasis_and_lists():
    html = markup.markdown_to_html("Some *emphasis* and **strong**.\n\n- one\n- two\n")
    assert "<em>emphasis</em>" in html and "<strong>strong</strong>" in html
    assert "<ul>" in html and html.count("<li>") == 2


def test_raw_html_is_text_not_markup():
    html = markup.markdown_to_html("Hello <script>alert(1)</script> <img src=x onerror=alert(1)> <b>x</b>")
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html  # shown as text, harmlessly
    assert not re.search(r"<[^>]*\sonerror=", html)


@pytest.mark.parametrize("link", [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](vbscript:msgbox)",
    "[x](&#106;avascript:alert(1))",
    "[x](file:///etc/passwd)",
    "<javascript:alert(1)>",
])
def test_dangerous_links_are_not_links(link):
    html = markup.markdown_to_html(link)
    assert "href" not in html
    assert 'href="javascript' not in html.lower()


@pytest.mark.parametrize("link,href", [
    ("[site](https://example.org/a?b=1)", "https://example.org/a?b=1"),
    ("[site](http://example.org)", "http://example.org"),
    ("[mail](mailto:team@example.org)", "mailto:team@example.org"),
    ("[section](#needs-and-demand)", "#needs-and-demand"),
])
def test_allowed_links_get_noopener(link, href):
    html = markup.markdown_to_html(link)
    assert f'href="{href.replace("&", "&amp;")}"' in html
    assert 'rel="noopener"' in html


def test_relative_file_links_lose_their_href():
    assert "href" not in markup.markdown_to_html("[other](../secret.html)")


def test_images_become_their_alt_text():
    html = markup.markdown_to_html("![A <b>chart</b>](https://example.org/c.png)")
    assert "<img" not in html
    assert "A" in html and "chart" in html


def test_sanitise_html_strips_dangerous_markup():
    dirty = (
        '<p onclick="x()">Hi <a href="javascript:alert(1)">a</a> <iframe src="https://e.org"></iframe>'
        '<svg onload="alert(1)"><circle/></svg><style>body{}</style><script>alert(1)</script>'
        '<td style="background:url(http://e.org/x)">c</td><a href="https://ok.org" target="_blank">ok</a></p>'
    )
    clean = markup.sanitise_html(dirty)
    for bad in ("onclick", "javascript", "<iframe", "<svg", "onload", "<style", "<script", "alert(1)", "url(", "target"):
        assert bad not in clean, bad
    assert '<a href="https://ok.org" rel="noopener">ok</a>' in clean


def test_headings_get_unique_ids_and_h1_is_demoted():
    used: set[str] = set()
    html, headings = markup.render_markdown("# Top\n\n## Needs & demand\n\n## Needs & demand\n\n### Detail", used_ids=used)
    assert "<h1" not in html
    assert [h.level for h in headings] == [2, 2, 2, 3]
    assert [h.id for h in headings] == ["top", "needs-and-demand", "needs-and-demand-2", "detail"]
    assert '<h2 id="needs-and-demand-2">' in html
    assert used >= {"top", "needs-and-demand", "needs-and-demand-2", "detail"}
    # ids stay unique across calls that share the set
    _, again = markup.render_markdown("## Top", used_ids=used)
    assert again[0].id == "top-2"


def test_headings_without_ids():
    html = markup.markdown_to_html("## Plain")
    assert html.strip() == "<h2>Plain</h2>"


def test_tables_have_column_scope():
    html = markup.markdown_to_html("| Area | People |\n|---|--:|\n| North | 1 |")
    assert '<th scope="col">Area</th>' in html
    assert 'style="text-align:right"' in html


def test_inline_markdown_has_no_paragraph():
    assert markup.inline_markdown("a **b**") == "a <strong>b</strong>"


@pytest.mark.parametrize("text,slug", [
    ("Needs & demand", "needs-and-demand"),
    ("Élan: 2025/26 — plan", "elan-2025-26-plan"),
    ("  Spaces   everywhere ", "spaces-everywhere"),
    ("2030 vision", "section-2030-vision"),
    ("!!!", "section"),
    ("", "section"),
])
def test_slugify(text, slug):
    assert markup.slugify(text) == slug


def test_slugify_unique_against_used():
    used = {"risks"}
    assert markup.slugify("Risks", used) == "risks-2"
    assert markup.slugify("Risks", used) == "risks-3"
    assert {"risks-2", "risks-3"} <= used


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>\"'=:/()[]!#*_ ajvscriptonerorhfdt1&;\n")), max_size=120))
def test_nothing_executable_gets_through(text):
    html = markup.markdown_to_html(text)
    assert "<script" not in html.lower()
    assert not re.search(r"<[a-z0-9]+[^>]*\son[a-z]+\s*=", html, re.IGNORECASE)
    for href in re.findall(r'href="([^"]*)"', html):
        assert re.match(r"^(https?://|mailto:|#)", href), href


def test_markdown_without_ids_gives_the_same_html_each_time_and_ids_stay_unique():
    markdown_to_html = markup.markdown_to_html
    first = markdown_to_html("Tender in **quarter 1**.", min_heading_level=4)
    assert first == "<p>Tender in <strong>quarter 1</strong>.</p>\n"
    assert markdown_to_html("Tender in **quarter 1**.", min_heading_level=4) == first
    assert markdown_to_html("# Title", min_heading_level=3) == "<h3>Title</h3>\n"
    used: set[str] = set()
    assert markdown_to_html("## Needs", heading_ids=True, used_ids=used) == '<h2 id="needs">Needs</h2>\n'
    assert markdown_to_html("## Needs", heading_ids=True, used_ids=used) == '<h2 id="needs-2">Needs</h2>\n'
