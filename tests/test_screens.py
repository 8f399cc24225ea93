"""Every screen: an example document and the index measured in headless Chromium at phone
widths (WCAG 1.4.10 reflow), tables as labelled cards, chart text size, tab stops only on
regions that really scroll, and a way back to the contents from every section."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, copy_workspace

try:
    from tests import browser as b
except ImportError:  # tests/ is on sys.path, not a package
    import browser as b

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Chart text in CSS px at the size shown: the SVG's font-size (user units) times the shown
# width over the viewBox width. Table text is the computed font size of the table cells.
SIZES_JS = """() => {
  const cells = [...document.querySelectorAll('table.data-table td, table.data-table th')]
    .map(e => parseFloat(getComputedStyle(e).fontSize));
  const charts = [...document.querySelectorAll('figure.chart img')].map(img => {
    const svg = atob(img.src.split(',')[1]);
    const box = svg.match(/viewBox="[\\d.]+ [\\d.]+ ([\\d.]+)/);
    const sizes = [...svg.matchAll(/font-size: ?([\\d.]+)px/g)].map(m => parseFloat(m[1]));
    return Math.min(...sizes) * img.getBoundingClientRect().width / parseFloat(box[1]);
  });
  return {table: Math.max(...cells), chart: Math.min(...charts), charts: charts.length};
}"""

TAB_STOPS_JS = """() => [...document.querySelectorAll('[tabindex="0"]')].map(e => ({
  overflows: e.scrollWidth > e.clientWidth + 1, what: e.className}))"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One example document (Northshire, carers) and the index, built as a user would."""
    ws = copy_workspace(tmp_path_factory.mktemp("screens") / "ws")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    run = subprocess.run(
        [sys.executable, "-m", "strategy_docs", "build", "-w", str(ws), "-a", "northshire",
         "-c", "carers", "-f", "html", "-j", "1", "-q"],
        env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    [document] = sorted((ws / "build").rglob("carers.html"))
    return ws / "build" / "index.html", document


@pytest.fixture(scope="module")
def chromium():
    with b.chromium_browser() as instance:
        yield instance


def _open(chromium, path: Path, width: int, *, csp: bool = False):
    context = chromium.new_context(viewport={"width": width, "height": 800}, bypass_csp=not csp, offline=True)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return context, page, errors


@pytest.mark.parametrize("which", ["index", "document"])
def test_reflows_at_320_px_without_sideways_scrolling(chromium, built, which):
    path = built[0] if which == "index" else built[1]
    context, page, _ = _open(chromium, path, 320)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    # nothing but a scrollable chart region reaches past the viewport
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
      .filter(e => e.getBoundingClientRect().right > 321 && !e.closest('[data-scroll-region]'))
      .map(e => e.tagName + ' ' + (e.textContent || '').slice(0, 40))""")
    assert wide == []
    violations = b.axe_violations(page)
    assert violations == [], b.describe_violations(violations)
    context.close()


def test_tables_are_labelled_cards_on_a_phone(chromium, built):
    context, page, _ = _open(chromium, built[1], 320)
    tables = page.evaluate("""() => [...document.querySelectorAll('table.data-table')].map(t => ({
      id: t.id, fits: t.getBoundingClientRect().right <= 321,
      display: getComputedStyle(t.querySelector('tbody tr')).display,
      labelled: [...t.querySelectorAll('tbody td')].every(td => td.dataset.label &&
         (td.textContent.trim() === '' || getComputedStyle(td, '::before').content.includes(td.dataset.label)))}))""")
    assert len(tables) > 10
    assert [t for t in tables if not (t["fits"] and t["display"] == "block" and t["labelled"])] == []
    # the markup is still a table with column headers for assistive technology
    assert page.evaluate("document.querySelectorAll('table.data-table thead th[scope=col]').length") > 30
    context.close()


def test_chart_text_at_least_table_text_at_390_px(chromium, built):
    context, page, _ = _open(chromium, built[1], 390)
    sizes = page.evaluate(SIZES_JS)
    assert sizes["charts"] > 0
    assert sizes["chart"] >= sizes["table"], sizes
    context.close()


@pytest.mark.parametrize("width", [320, 1280])
def test_only_regions_that_scroll_are_tab_stops(chromium, built, width):
    # no bypass_csp: the tab-stop script must be allowed by its hash
    context, page, errors = _open(chromium, built[1], width, csp=True)
    stops = page.evaluate(TAB_STOPS_JS)
    assert all(s["overflows"] for s in stops), stops
    overflowing = page.evaluate("[...document.querySelectorAll('[data-scroll-region]')]"
                                ".filter(e => e.scrollWidth > e.clientWidth + 1).length")
    assert len(stops) == overflowing
    if width == 320:
        assert overflowing > 0  # the charts, shown at their own size, scroll on a phone
    assert errors == []
    context.close()


def test_every_section_ends_with_back_to_contents(chromium, built):
    context, page, _ = _open(chromium, built[1], 1280)
    sections = page.evaluate("document.querySelectorAll('main h2').length")
    links = page.evaluate("[...document.querySelectorAll('main .back-to-contents a')].map(a => a.getAttribute('href'))")
    assert sections > 3 and len(links) == sections
    assert set(links) == {"#contents-heading"}
    # each link sits just before the next section's heading (or at the end of main)
    assert page.evaluate("""() => [...document.querySelectorAll('main h2')].slice(1).every(h => {
      const start = h.parentElement.matches('section') ? h.parentElement : h;
      let p = start.previousElementSibling; while (p && !p.matches('.back-to-contents')) {
        if (p.querySelector('h2')) return false; p = p.previousElementSibling; }
      return !!p; })""")
    context.close()
