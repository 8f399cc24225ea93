"""End-to-end builds through the CLI: real papermill kernels, our nbconvert template, real PDFs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from strategy_docs.cli.app import main

from .conftest import copy_workspace, edit_yaml

pytestmark = pytest.mark.slow

SECTION_HEADINGS = [
    "Context, purpose and document control",
    "Hypotheses tested against the evidence",
    "Needs analysis",
    "Market and resource analysis",
    "Gap analysis",
    "Commissioning intentions",
    "Risk register",
    "Performance and monitoring",
]


def run(ws: Path, *args: str):
    result = CliRunner().invoke(main, [*args, "--workspace", str(ws)], catch_exceptions=False)
    return result


def outputs(ws: Path) -> dict[str, bytes]:
    return {p.relative_to(ws).as_posix(): p.read_bytes() for p in sorted((ws / "build").rglob("*"))
            if p.is_file() and ".state" not in p.parts}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One example document built in HTML and PDF, shared by the read-back tests."""
    ws = copy_workspace(tmp_path_factory.mktemp("built") / "ws")
    result = run(ws, "build", "-a", "northshire", "-c", "older-people", "--jobs", "1")
    assert result.exit_code == 0, result.output
    return ws, result


def test_build_publishes_html_pdf_and_index(built):
    ws, result = built
    assert "1 built" in result.output and "0 failed" in result.output
    html_path = ws / "build" / "2026-27" / "northshire" / "older-people.html"
    assert html_path.is_file() and (ws / "build" / "2026-27" / "northshire" / "older-people.pdf").is_file()
    index = (ws / "build" / "index.html").read_text()
    assert "2026-27/northshire/older-people.html" in index and "2026-27/northshire/older-people.pdf" in index
    manifest = json.loads((ws / ".strategy-docs" / "manifests" / "2026-27.json").read_text())  # provenance: not published
    assert manifest["documents"][0]["inputs"]["data"]


def test_html_has_every_section_and_no_code(built):
    ws, _ = built
    html = (ws / "build" / "2026-27" / "northshire" / "older-people.html").read_text()
    positions = [html.find(f">{h}<") for h in SECTION_HEADINGS]
    assert all(p > 0 for p in positions), [h for h, p in zip(SECTION_HEADINGS, positions) if p < 0]
    assert positions == sorted(positions)
    assert html.count("<h1") == 1
    assert "Northshire" in html and "Older people" in html
    assert "Document control" in html and "Version history" in html
    assert "Gap Analysis Template" in html and "Strategic Objective" in html
    for forbidden in ("Traceback", "load_document(", "display.show", "injected-parameters", "/tmp/", str(ws)):
        assert forbidden not in html, forbidden
    assert "synthetic" in html.lower()


def test_pdf_reads_back(built):
    from pypdf import PdfReader

    ws, _ = built
    reader = PdfReader(ws / "build" / "2026-27" / "northshire" / "older-people.pdf")
    pages = len(reader.pages)
    assert 8 <= pages <= 80
    assert reader.trailer["/Root"].get("/Lang") == "en-GB"
    assert "Northshire County Council" in reader.metadata.title
    bookmarks = [item.title for item in reader.outline if not isinstance(item, list)]
    assert bookmarks[: len(SECTION_HEADINGS)] == SECTION_HEADINGS
    texts = [page.extract_text() or "" for page in reader.pages]
    whole = "\n".join(texts)
    positions = [whole.rfind(h) for h in SECTION_HEADINGS]  # rfind: past the contents page
    assert positions == sorted(positions) and min(positions) > 0
    body = texts[len(texts) // 2]
    assert "Northshire County Council – Older people – 2026/27 to 2028/29" in body
    assert f"Page {len(texts) // 2 + 1} of {pages}" in body


def test_nothing_changed_means_nothing_rebuilt_and_template_change_rerenders(built, tmp_path):
    ws, _ = built
    before = outputs(ws)
    again = run(ws, "build", "-a", "northshire", "-c", "older-people", "--jobs", "1")
    assert again.exit_code == 0 and "1 up to date" in again.output and "0 built" in again.output
    assert outputs(ws)["build/2026-27/northshire/older-people.pdf"] == before["build/2026-27/northshire/older-people.pdf"]
    css = next((ws / "templates" / "strategy").rglob("*.css"))
    css.write_text(css.read_text() + "\n/* a template change */\n")
    rerender = run(ws, "build", "-a", "northshire", "-c", "older-people", "--jobs", "1", "--format", "html")
    assert rerender.exit_code == 0 and "1 re-rendered" in rerender.output, rerender.output


def test_bad_params_exit_2_and_leave_outputs_untouched(built):
    ws, _ = built
    before = outputs(ws)
    path = ws / "params" / "strategies" / "northshire" / "older-people.yaml"
    original = path.read_text()
    try:
        edit_yaml(path, lambda d: d["document_control"].update(surprise="x"))
        for command in ("validate", "build"):
            result = run(ws, command)
            assert result.exit_code == 2, result.output
            assert "params/strategies/northshire/older-people.yaml" in result.output
            assert "document_control.surprise" in result.output
        assert outputs(ws) == before
    finally:
        path.write_text(original)


def _sabotage(ws: Path, notebook: str, code: str) -> None:
    import nbformat

    path = ws / "notebooks" / notebook
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(code))
    nbformat.write(nb, path)


def test_failures_are_isolated_and_reported(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    edit_yaml(ws / "params" / "project.yaml", lambda d: d.setdefault("build", {}).update(cell_timeout_seconds=5))
    _sabotage(ws, "03-needs.ipynb", 'if client_group == "carers":\n    raise RuntimeError("boom in needs")')
    _sabotage(ws, "07-risks.ipynb", 'if client_group == "mental-health":\n    import time\n    time.sleep(60)')
    result = run(ws, "build", "-a", "northshire", "-c", "carers,mental-health,older-people", "--format", "html", "--jobs", "2")
    assert result.exit_code == 1, result.output
    assert "1 built" in result.output and "2 failed" in result.output
    assert "FAILED northshire / carers: section 03-needs" in result.output and "boom in needs" in result.output
    assert "FAILED northshire / mental-health: section 07-risks" in result.output and "time limit" in result.output
    kept = re.search(r"executed notebook: (\S+03-needs\.ipynb)", result.output)
    assert kept and (ws / kept.group(1)).is_file()
    assert (ws / "build" / "2026-27" / "northshire" / "older-people.html").is_file()
    assert not (ws / "build" / "2026-27" / "northshire" / "carers.html").exists()
    index = (ws / "build" / "index.html").read_text()
    assert "older-people.html" in index and "carers.html" not in index


def test_state_does_not_leak_between_documents(tmp_path):
    """Two documents in one warm kernel: what the first sets must not be seen by the second."""
    ws = copy_workspace(tmp_path / "ws")
    _sabotage(ws, "01-context.ipynb", (
        'import pandas as pd, matplotlib\n'
        'assert "LEAKED" not in globals(), "a variable leaked from the previous document"\n'
        'assert pd.get_option("display.max_rows") == 60, "a pandas option leaked"\n'
        'assert matplotlib.rcParams["lines.linewidth"] == 1.5, "a matplotlib setting leaked"\n'
        'LEAKED = authority\n'
        'pd.set_option("display.max_rows", 3)\n'
        'matplotlib.rcParams["lines.linewidth"] = 9'
    ))
    result = run(ws, "build", "-a", "northshire", "-c", "carers,older-people", "--format", "html", "--executor", "serial")
    assert result.exit_code == 0, result.output
    assert "2 built" in result.output


def test_init_scaffolds_a_workspace_that_builds(tmp_path):
    from .conftest import REPO

    new = tmp_path / "our-strategies"
    result = CliRunner().invoke(main, ["init", str(new)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # Notebooks and templates come from the package; the workspace holds only its own inputs.
    assert (new / "params" / "project.yaml").is_file() and not (new / "notebooks").exists()
    authority = next((new / "params" / "authorities").glob("*.yaml")).stem
    build = run(new, "build", "-c", "carers", "--format", "html", "--jobs", "1")
    assert build.exit_code == 0, build.output
    assert (new / "build" / "2026-27" / authority / "carers.html").is_file()


def test_unchanged_pdf_is_kept_not_rendered_again(tmp_path):
    """Re-rendering for a stylesheet change keeps the PDF (same Typst source); a damaged PDF is made again."""
    ws = copy_workspace(tmp_path / "ws", authorities=["northshire"])
    pdf_path = ws / "build" / "2026-27" / "northshire" / "carers.pdf"
    record_path = ws / ".strategy-docs" / "records" / "2026-27" / "northshire" / "carers.json"
    assert run(ws, "build", "-a", "northshire", "-c", "carers", "--jobs", "1").exit_code == 0
    first = pdf_path.read_bytes()
    first_record = json.loads(record_path.read_text())
    assert "render:pdf" in first_record["timings"]

    screen = ws / "templates" / "strategy" / "static" / "strategy.css"
    screen.write_text(screen.read_text() + "\n/* a screen-only change */\n")
    again = run(ws, "build", "-a", "northshire", "-c", "carers", "--jobs", "1")
    assert again.exit_code == 0 and "1 re-rendered" in again.output, again.output
    record = json.loads(record_path.read_text())
    assert "reuse:pdf" in record["timings"] and "render:pdf" not in record["timings"]
    assert pdf_path.read_bytes() == first and record["files"]["pdf"] == first_record["files"]["pdf"]
    assert record["pdf_source"] == first_record["pdf_source"]

    pdf_path.write_bytes(first[:-10])  # damaged: rebuilt, and never reused
    fixed = run(ws, "build", "-a", "northshire", "-c", "carers", "--jobs", "1")
    assert fixed.exit_code == 0 and "1 re-rendered" in fixed.output, fixed.output
    assert "render:pdf" in json.loads(record_path.read_text())["timings"] and pdf_path.read_bytes() == first

    paged = ws / "templates" / "strategy" / "static" / "paged.css"  # the HTML's print stylesheet, not the PDF's
    paged.write_text(paged.read_text() + "\nh3 { color: #000; }\n")
    third = run(ws, "build", "-a", "northshire", "-c", "carers", "--jobs", "1")
    assert third.exit_code == 0 and "1 re-rendered" in third.output, third.output
    assert "reuse:pdf" in json.loads(record_path.read_text())["timings"] and pdf_path.read_bytes() == first
