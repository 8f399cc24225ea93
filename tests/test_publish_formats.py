"""Publishing per format, without kernels: a format fails alone, and the index and manifest say so.

The build's publish loop (`build._run`) is driven by a stand-in executor that yields prepared
results, so each case (a DOCX that python-docx refuses, an HTML-only build, a section failure
after a good build) is quick and exact. The real end-to-end cases are in test_publish_safety.py.
"""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup

from strategy_docs import build, executors
from strategy_docs.execute import DocumentResult, Failure, scrub_local_paths
from strategy_docs.plan import DocumentJob
from strategy_docs.publish import attempt_path, document_paths, manifest_path, read_record
from strategy_docs.workspace import Workspace

META = {"authority_name": "Northshire", "client_group_name": "Older people", "edition_label": "2026/27",
        "title": "Older people's strategy", "status": "draft"}
FIRST, SECOND = "2026-12-01T09:00:00+00:00", "2026-12-02T10:30:00+00:00"
DOCX_ERROR = "ValueError: All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"


def job(formats=("html", "pdf", "docx"), render_key="r1") -> DocumentJob:
    return DocumentJob("2026-27", "northshire", "older-people", tuple(formats), "e1", render_key, 60, 600, meta=META)


def result(the_job: DocumentJob, *, fail: dict[str, str] | None = None, section_failure: str | None = None,
           stamp: str = "1") -> DocumentResult:
    res = DocumentResult(the_job, executed_sections=["01-context"], notebooks={"01-context.ipynb": b"{}"})
    if section_failure:
        res.failure = Failure("03-needs", section_failure)
        return res
    for fmt in the_job.formats:
        if fmt not in (fail or {}):
            res.outputs[fmt] = f"{fmt} {stamp}".encode()
    for fmt, message in (fail or {}).items():
        res.format_failures[fmt] = message
        res.failure = res.failure or Failure(fmt, message, kind=fmt)
    return res


class Prepared:
    """An executor that hands back results made by the test."""

    def __init__(self, results):
        self.results = results

    def run(self, tasks):
        yield from self.results

    def close(self, cancel=False):
        pass


def run(ws: Workspace, monkeypatch, results, at: str) -> build.BuildReport:
    monkeypatch.setattr(executors, "make_executor", lambda *a, **k: Prepared(results))
    monkeypatch.setattr(build, "now_iso", lambda: at)
    report = build.BuildReport()
    build._run(ws, build.BuildOptions(), [(r.job, None) for r in results], report, None)
    build._write_index_if_changed(ws, "Strategies")
    return report


def index_formats(ws: Workspace) -> dict[str, str]:
    """Each format's list item in the index, as text."""
    soup = BeautifulSoup((ws.build / "index.html").read_text(encoding="utf-8"), "html.parser")
    items = soup.select("#documents tbody tr")[0].select("ul.formats li")
    found = {}
    for item in items:
        text = re.sub(r"\s+", " ", item.get_text(" ", strip=True))
        found[text.split(" ")[0]] = text
    return found


@pytest.fixture
def ws(tmp_path) -> Workspace:
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "project.yaml").write_text("name: x\n", encoding="utf-8")
    return Workspace(tmp_path)


def test_a_failing_docx_does_not_stop_html_and_pdf(ws, monkeypatch):
    report = run(ws, monkeypatch, [result(job(), fail={"docx": DOCX_ERROR})], FIRST)
    paths = document_paths(ws, job().key)
    assert paths["html"].read_bytes() == b"html 1" and paths["pdf"].read_bytes() == b"pdf 1"
    assert not paths["docx"].exists()
    [failed] = report.failed
    assert failed.published == ("html", "pdf") and failed.format_failures == {"docx": DOCX_ERROR}
    assert read_record(ws, job().key)["formats"] == ["html", "pdf"]
    shown = index_formats(ws)
    assert shown["HTML"].startswith("HTML (Web page)") and shown["PDF"].startswith("PDF (PDF)")
    assert shown["Word"] == f"Word failed ({DOCX_ERROR}); no earlier version was published"
    [doc] = json.loads(manifest_path(ws, "2026-27").read_text())["documents"]
    assert sorted(doc["files"]) == ["html", "pdf"]
    assert doc["formats"]["docx"]["state"] == "failed" and doc["formats"]["html"]["state"] == "current"


def test_a_failing_docx_after_a_good_build_names_its_last_good_build(ws, monkeypatch):
    run(ws, monkeypatch, [result(job())], FIRST)
    run(ws, monkeypatch, [result(job(render_key="r2"), fail={"docx": DOCX_ERROR}, stamp="2")], SECOND)
    # no Word file of the old inputs beside the new HTML; the index says when the last good one was built
    assert not document_paths(ws, job().key)["docx"].exists()
    assert index_formats(ws)["Word"] == f"Word failed ({DOCX_ERROR}); last good build 1 December 2026, 09:00"
    run(ws, monkeypatch, [result(job(render_key="r3"), fail={"docx": DOCX_ERROR}, stamp="3")], SECOND)
    assert index_formats(ws)["Word"].endswith("last good build 1 December 2026, 09:00")  # kept across failures
    run(ws, monkeypatch, [result(job(render_key="r4"), stamp="4")], SECOND)
    assert not attempt_path(ws, job().key).exists()
    assert set(index_formats(ws)) == {"HTML", "PDF", "Word"} and "failed" not in " ".join(index_formats(ws).values())


def test_an_html_only_build_keeps_listing_the_pdf_from_its_build(ws, monkeypatch):
    run(ws, monkeypatch, [result(job(("html", "pdf")))], FIRST)
    run(ws, monkeypatch, [result(job(("html",), render_key="r2"), stamp="2")], SECOND)
    assert document_paths(ws, job().key)["html"].read_bytes() == b"html 2"
    shown = index_formats(ws)
    assert shown["HTML"] == "HTML (Web page): Northshire, Older people, 2026/27"
    assert shown["PDF"] == "PDF (PDF): Northshire, Older people, 2026/27 from 1 December 2026, 09:00"
    record = read_record(ws, job().key)
    assert record["formats"] == ["html"] and record["files"]["pdf"]["built_at"] == FIRST
    [doc] = json.loads(manifest_path(ws, "2026-27").read_text())["documents"]
    assert doc["formats"]["pdf"]["state"] == "older" and doc["formats"]["html"]["state"] == "current"


def test_a_failed_document_is_listed_as_out_of_date_not_current(ws, monkeypatch):
    run(ws, monkeypatch, [result(job(("html", "pdf")))], FIRST)
    before = manifest_path(ws, "2026-27").read_text()
    run(ws, monkeypatch, [result(job(("html", "pdf"), render_key="r2"), section_failure="ValueError: boom")], SECOND)
    shown = index_formats(ws)
    for word in ("HTML", "PDF"):
        assert shown[word].endswith("out of date: the latest build of this format failed (section 03-needs: "
                                    "ValueError: boom); this file is from 1 December 2026, 09:00"), shown[word]
    after = json.loads(manifest_path(ws, "2026-27").read_text())
    assert manifest_path(ws, "2026-27").read_text() != before  # rewritten by the failing build itself
    assert after["documents"][0]["formats"]["html"]["state"] == "stale"


def test_a_document_that_never_built_is_listed_as_failed(ws, monkeypatch):
    run(ws, monkeypatch, [result(job(("html",)), section_failure="ValueError: boom")], FIRST)
    assert index_formats(ws) == {"HTML": "HTML failed (section 03-needs: ValueError: boom); "
                                         "no earlier version was published"}


def test_scrub_strips_colour_codes_before_paths():
    import tempfile

    folder = tempfile.gettempdir()
    coloured = f"\x1b[0;32mFile \x1b[0m\x1b[0;32m{folder}\x1b[0m/x/y.py:3, in \x1b[0;36m<module>\x1b[0m"
    assert scrub_local_paths(coloured) == "File <tmp>/x/y.py:3, in <module>"
