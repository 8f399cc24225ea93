"""Helpers shared by the rendering tests: sample documents made with blocks.py and matplotlib,
and headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser) for playwright.

Import as ``from browser import ...`` (pytest puts tests/ on sys.path) or ``tests.browser``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # the package may not be installed in a fresh checkout
    sys.path.insert(0, str(ROOT / "src"))

TEMPLATE_DIR = ROOT / "templates" / "strategy"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


# ---------------------------------------------------------------------------------------------
# sample documents


@dataclass
class Chart:
    id: str
    figure: object
    alt: str
    caption: str
    table: object


def make_chart(chart_id: str = "population-chart"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    data = pd.DataFrame({
        "Age band": ["18-24", "25-34", "35-44", "45-54", "55-64"],
        "2024": [1200, 1850, 1710, 1640, 1520],
        "2034": [1260, 1790, 1880, 1600, 1710],
    })
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    xs = range(len(data))
    ax.bar([x - 0.2 for x in xs], data["2024"], width=0.4, label="2024", color="#1d4f91")
    ax.bar([x + 0.2 for x in xs], data["2034"], width=0.4, label="2034", color="#b35c00", hatch="//")
    ax.set_xticks(list(xs), data["Age band"])
    ax.set_ylabel("People")
    ax.legend()
    return Chart(
        id=chart_id,
        figure=fig,
        alt="Bar chart: adults with a learning disability by age band, 2024 and 2034. "
        "Numbers grow most in the 35 to 44 and 55 to 64 age bands.",
        caption="Adults with a learning disability by age band, 2024 and 2034",
        table=data,
    )


def _code_cell(blocks_list, extra_outputs=()):
    import nbformat

    from strategy_docs.sections import display

    cell = nbformat.v4.new_code_cell(source="display.something()")
    outputs = []
    for block in blocks_list:
        outputs.append(nbformat.v4.new_output("display_data", data=display.bundle(block)))
    outputs.extend(extra_outputs)
    cell.outputs = outputs
    return cell


def make_section_notebooks(*, evil: bool = False, chart: bool = True):
    """Three small executed-looking section notebooks, like papermill leaves them."""
    import nbformat
    import pandas as pd

    from strategy_docs.sections import blocks

    nbs = []

    def new_nb(name):
        nb = nbformat.v4.new_notebook()
        nb.metadata["papermill"] = {"input_path": f"notebooks/{name}.ipynb"}
        params = nbformat.v4.new_code_cell("workspace = '.'\nauthority = 'x'")
        params.metadata["tags"] = ["parameters"]
        injected = nbformat.v4.new_code_cell("authority = 'northshire'")
        injected.metadata["tags"] = ["injected-parameters"]
        injected.outputs = [nbformat.v4.new_output("stream", name="stdout", text="INJECTED-SECRET\n")]
        nb.cells += [params, injected]
        return nb

    # 01 context
    nb = new_nb("01-context")
    intro = "This strategy sets out how we will commission support.\n\nSee [the plan](https://example.org/plan)."
    if evil:
        intro += (
            "\n\n<script>alert('x')</script> <img src=x onerror=alert(1)>"
            " [click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)"
        )
    nb.cells.append(nbformat.v4.new_markdown_cell("## Context and purpose\n\n" + intro))
    nb.cells.append(_code_cell([
        blocks.facts([("Adults known to services", 1234, "at 31 March 2024"),
                      ("Net budget", "£42.1m", "2024/25")]),
        blocks.callout("About the figures", "Counts below 5 are suppressed." if not evil
                       else "Evil <script>alert(2)</script> [x](javascript:alert(3))", "info"),
    ], extra_outputs=[nbformat.v4.new_output("stream", name="stderr", text="a warning\n")]))
    nbs.append(nb)

    # 03 needs
    nb = new_nb("03-needs")
    nb.cells.append(nbformat.v4.new_markdown_cell("## Needs and demand\n\nWhat the data tell us."))
    outputs = [blocks.heading("Population", level=3)]
    if chart:
        outputs += blocks.figure(make_chart())
    people = pd.DataFrame({
        "Locality": ["North" if not evil else "North <script>alert(4)</script>", "South", "East", "West"],
        "People": [1520, 3, 870, None],
        "Weekly cost": [1234.5, 980.0, 1010.25, 1500.0],
        "Rating": ["Good", "Requires improvement", "Inadequate", "Outstanding"],
    })
    outputs.append(blocks.table(
        people, "People known to services by locality", units={"Weekly cost": "£"},
        statuses=["Rating"], suppress_below=5,
        footer={"Locality": "Total", "People": 2393, "Weekly cost": None, "Rating": None},
        notes="Source: service records.",
    ))
    nb.cells.append(_code_cell(outputs))
    nbs.append(nb)

    # 07 risks
    nb = new_nb("07-risks")
    nb.cells.append(nbformat.v4.new_markdown_cell("## Risks\n\nThe main risks to delivery."))
    risks = pd.DataFrame({
        "Risk": ["Provider failure", "Workforce shortages"],
        "Likelihood": [3, 4],
        "Band": ["High", "Medium"],
        "RAG": ["Red", "Amber"],
    })
    nb.cells.append(_code_cell([
        blocks.table(risks, "Risk register", statuses=["Band", "RAG"]),
        blocks.cycle(["Analyse", "Plan", "Do", "Review"], [
            {"label": "Supported living", "current": [0, 1], "expected": [2, 3],
             "current_text": "Needs analysis done", "expected_text": "New contracts let"},
        ]),
    ]))
    # A heading is kept only with a display block under it (a section with no content is left out).
    nb.cells.append(nbformat.v4.new_markdown_cell("### Mitigation"))
    nb.cells.append(_code_cell([blocks.prose("We will review monthly.")]))
    nbs.append(nb)
    return nbs


def sample_meta(**overrides):
    meta = {
        "title": "Learning disability commissioning strategy",
        "authority_name": "Northshire Council",
        "client_group_name": "Adults with a learning disability",
        "edition_label": "2025 to 2030",
        "status": "draft",
        "publication_date": dt.date(2025, 4, 1),
        "author": "Commissioning team",
        "owner": "Director of Adult Social Care",
        "accent_colour": "#1d4f91",
        "logo_data_uri": None,
        "synthetic": True,
        "build_date": dt.datetime(2025, 3, 14, 9, 30),
        "generator": "strategy-docs 0.1.0",
    }
    meta.update(overrides)
    return meta


def render_sample(**meta_overrides) -> str:
    from strategy_docs.outputs import html as render

    nb = render.assemble(make_section_notebooks())
    return render.render_html(nb, sample_meta(**meta_overrides), TEMPLATE_DIR)


# ---------------------------------------------------------------------------------------------
# Chromium


def find_chromium() -> str | None:
    """Debian's Chromium; installed with apt-get if missing and we are root. None if unavailable."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env,
                       capture_output=True)
    return CHROMIUM if os.path.exists(CHROMIUM) else None


@contextlib.contextmanager
def chromium_browser():
    """A playwright Browser on Debian's Chromium (skips the test if it cannot be had)."""
    path = find_chromium()
    if path is None:
        pytest.skip("Chromium is not installed and could not be installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        pytest.skip("playwright is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def open_html(browser, html: str, *, width: int = 1200, height: int = 900, tmp_path: Path | None = None):
    """A new page showing ``html`` (from a file: URL, so it behaves like a published file).

    ``bypass_csp`` lets axe inject its script into our CSP-protected documents.
    """
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True,
                                  offline=True)
    page = context.new_page()
    if tmp_path is not None:
        path = Path(tmp_path) / "page.html"
        path.write_text(html, encoding="utf-8")
        page.goto(path.as_uri())
    else:
        page.set_content(html)
    return page


def axe_violations(page) -> list[dict]:
    """Run axe-core with the WCAG 2.2 A/AA tags; return the violations (as dicts)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return list(results.response.get("violations", []))


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v.get('impact')}): {v.get('help')}")
        for node in v.get("nodes", [])[:5]:
            lines.append(f"    {node.get('target')}: {node.get('failureSummary', '')[:300]}")
    return "\n".join(lines)
