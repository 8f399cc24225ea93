"""Publishing per format, without kernels: a format fails alone, and the index and manifest say so.

The build's publish loop (`build._run`) is driven by a stand-in executor that yields prepared
results, so each case (a DOCX that python-docx refuses, an HTML-only build, a section failure
after a good build) is quick and exact. The real end-to-end cases are in test_publish_safety.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from strategy_docs.build import pipeline as build, executors
from strategy_docs.build.execute import DocumentResult, Failure, scrub_local_paths
from strategy_docs.build.plan import DocumentJob
from strategy_docs.build.publish import attempt_path, document_paths, manifest_path, read_record
from strategy_docs.inputs.workspace import Workspace

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


def index_formats(ws: Workspace, authority: str = "northshire") -> dict[str, str]:
    """Each format's list item in the index, as text (the authority's document)."""
    soup = BeautifulSoup((ws.build / "index.html").read_text(encoding="utf-8"), "html.parser")
    items = soup.select(f'#documents tbody tr[data-authority="{authority}"]')[0].select("ul.formats li")
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


# ---------------------------------------------------------------- one document, one step (kill -9 at any point)


class Killed(BaseException):
    """Stands for kill -9: nothing after it runs in this build."""


def manifest_files(ws: Workspace) -> dict[str, str]:
    [doc] = json.loads(manifest_path(ws, "2026-27").read_text())["documents"]
    return {fmt: info["sha256"] for fmt, info in doc["files"].items()}


def on_disk(ws: Workspace) -> dict[str, bytes]:
    paths = document_paths(ws, job().key)
    return {fmt: paths[fmt].read_bytes() for fmt in ("html", "pdf") if paths[fmt].exists()}


def second_build_killed(ws, monkeypatch, at_replace: int) -> None:
    """A second build killed at the `at_replace`-th os.replace of its publish step (1 = the journal)."""
    import os

    from strategy_docs.build import publish

    run(ws, monkeypatch, [result(job(("html", "pdf")))], FIRST)
    calls = {"n": 0}
    real = os.replace

    def replace(a, b):
        if Path(b).parent.name == "journal" or calls["n"]:  # counted from the journal's own write
            calls["n"] += 1
        if calls["n"] == at_replace:
            raise Killed()
        return real(a, b)

    monkeypatch.setattr(publish.os, "replace", replace)
    with pytest.raises(Killed):
        run(ws, monkeypatch, [result(job(("html", "pdf"), render_key="r2"), stamp="2")], SECOND)
    monkeypatch.setattr(publish.os, "replace", real)


def test_killed_before_the_commit_keeps_the_old_pair_and_the_sweep_removes_the_staged_files(ws, monkeypatch):
    from strategy_docs.build.publish import build_lock

    second_build_killed(ws, monkeypatch, at_replace=1)  # the journal itself never lands
    assert on_disk(ws) == {"html": b"html 1", "pdf": b"pdf 1"}
    # a real kill leaves the staged new files (an exception removes them): the next build sweeps them
    (document_paths(ws, job().key)["html"].parent / ".older-people.html.abcd1234.tmp").write_bytes(b"html 2")
    with build_lock(ws):
        pass
    assert on_disk(ws) == {"html": b"html 1", "pdf": b"pdf 1"}
    assert list(document_paths(ws, job().key)["html"].parent.glob(".*.tmp")) == []
    assert read_record(ws, job().key)["render_key"] == "r1"


@pytest.mark.parametrize("at_replace", [2, 3, 4])  # after the commit: none moved, the HTML moved, both moved
def test_killed_after_the_commit_is_finished_by_the_next_build(ws, monkeypatch, at_replace):
    import hashlib

    from strategy_docs.build.publish import build_lock, journal_folder

    second_build_killed(ws, monkeypatch, at_replace=at_replace)
    assert len(list(journal_folder(ws).glob("*.json"))) == 1
    with build_lock(ws):  # the next build finishes the switch before anything else
        pass
    assert on_disk(ws) == {"html": b"html 2", "pdf": b"pdf 2"}
    record = read_record(ws, job().key)
    assert record["render_key"] == "r2"
    assert manifest_files(ws) == {fmt: hashlib.sha256(f"{fmt} 2".encode()).hexdigest() for fmt in ("html", "pdf")}
    assert list(journal_folder(ws).glob("*.json")) == []


def test_the_manifest_follows_every_published_document_at_once(ws, monkeypatch):
    """Rewritten with each document's step, not only at the end of the build."""
    import hashlib

    other = DocumentJob("2026-27", "eastshire", "older-people", ("html",), "e1", "r1", 60, 600, meta=META)
    results = [result(job(("html",))), result(other)]

    def stop_after_first(tasks):
        yield results[0]
        assert manifest_files(ws) == {"html": hashlib.sha256(b"html 1").hexdigest()}
        raise Killed()

    monkeypatch.setattr(Prepared, "run", lambda self, tasks: stop_after_first(tasks))
    with pytest.raises(Killed):
        run(ws, monkeypatch, results, FIRST)


def test_kernel_folders_of_dead_workers_are_removed(tmp_path):
    import os
    import subprocess
    import sys

    from strategy_docs.build.publish import remove_orphaned_kernel_folders

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f"strategy-docs-kernel-{int(gone.stdout)}-abc123"
    alive = tmp_path / f"strategy-docs-kernel-{os.getpid()}-def456"
    other = tmp_path / "someone-elses-folder"
    for folder in (dead, alive, other):
        folder.mkdir()
        (folder / "kernel.json").write_text("{}")
    assert remove_orphaned_kernel_folders(str(tmp_path)) == [dead.name]
    assert not dead.exists() and alive.exists() and other.exists()


def stopped_after_first(monkeypatch, ws, results, at):
    """A build stopped (Ctrl-C, SIGTERM, kill -9) once the first of `results` is published."""
    def stop_after_first(tasks):
        yield results[0]
        raise Killed()

    monkeypatch.setattr(executors, "make_executor", lambda *a, **k: Prepared(results))
    monkeypatch.setattr(Prepared, "run", lambda self, tasks: stop_after_first(tasks))
    monkeypatch.setattr(build, "now_iso", lambda: at)
    with pytest.raises(Killed):
        build._run(ws, build.BuildOptions(), [(r.job, None) for r in results], build.BuildReport(), None, "Strategies")


def test_a_build_stopped_halfway_leaves_an_index_that_tells_the_truth(ws, monkeypatch):
    """The index is rewritten with each document's step, as the manifest is: it used to wait for the
    end of the build, so a stopped build left it linking a PDF its step had removed."""
    run(ws, monkeypatch, [result(job(("html", "pdf")))], FIRST)
    other = DocumentJob("2026-27", "eastshire", "older-people", ("html",), "e1", "r1", 60, 600, meta=META)
    stopped_after_first(monkeypatch, ws, [result(job(("html", "pdf"), render_key="r2"), stamp="2",
                                                 fail={"pdf": "PDF/UA-1: a figure has no alt text"}),
                                          result(other)], SECOND)
    assert not document_paths(ws, job().key)["pdf"].exists()  # a PDF of the old inputs never sits beside the new HTML
    shown = index_formats(ws)
    assert shown["PDF"] == "PDF failed (PDF/UA-1: a figure has no alt text); last good build 1 December 2026, 09:00"
    soup = BeautifulSoup((ws.build / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert [a["href"] for a in soup.select("#documents a")] == ["2026-27/northshire/older-people.html"]
    assert soup.select("#documents time")[0]["datetime"] == SECOND  # the date of the HTML now published


def test_a_file_that_cannot_be_written_fails_its_document_only(ws, monkeypatch):
    """A full disk (or a read-only folder) while staging a document's files: that document fails with a
    message naming the file, nothing of it changes, no temporary is left, and the next one publishes."""
    import errno

    from strategy_docs.build import publish

    run(ws, monkeypatch, [result(job(("html", "pdf")))], FIRST)
    real = publish.stage

    def stage(path, data):
        if path.name == "older-people.pdf" and "northshire" in path.parts:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(publish, "stage", stage)
    other = DocumentJob("2026-27", "eastshire", "older-people", ("html",), "e1", "r1", 60, 600, meta=META)
    report = run(ws, monkeypatch, [result(job(("html", "pdf"), render_key="r2"), stamp="2"), result(other)], SECOND)
    [failed] = report.failed
    assert failed.job.key == job().key
    assert failed.message == ("could not write build/2026-27/northshire/older-people.pdf (No space left on device); "
                              "nothing of this document was replaced and its last good version is kept. Fix: free "
                              "some disk space or make the folder writable, then build again.")
    assert on_disk(ws) == {"html": b"html 1", "pdf": b"pdf 1"}
    assert read_record(ws, job().key)["render_key"] == "r1"
    assert not [p for p in ws.root.rglob(".*.tmp")], "a staged file was left behind"
    assert document_paths(ws, other.key)["html"].read_bytes() == b"html 1"
    assert index_formats(ws)["HTML"].endswith("out of date: the latest build of this format failed (section publish: "
                                              + failed.message + "); this file is from 1 December 2026, 09:00")


def test_the_executed_notebooks_switch_with_their_record(ws, monkeypatch):
    """Killed before the commit: the notebooks are the old ones, as the record is. They used to be
    replaced first, so a later build with the old inputs reused notebooks run with the new ones."""
    from strategy_docs.build import publish

    run(ws, monkeypatch, [result(job(("html",)))], FIRST)
    folder = document_paths(ws, job().key)["notebooks"]
    assert (folder / "01-context.ipynb").read_bytes() == b"{}"
    newer = result(job(("html",), render_key="r2"), stamp="2")
    newer.notebooks = {"01-context.ipynb": b'{"ran": "with the new inputs"}'}
    real = publish.os.replace

    def replace(a, b):
        if Path(b).parent.name == "journal":
            raise Killed()
        return real(a, b)

    monkeypatch.setattr(publish.os, "replace", replace)
    with pytest.raises(Killed):
        run(ws, monkeypatch, [newer], SECOND)
    monkeypatch.setattr(publish.os, "replace", real)
    assert read_record(ws, job().key)["render_key"] == "r1"
    assert (folder / "01-context.ipynb").read_bytes() == b"{}"
    run(ws, monkeypatch, [newer], SECOND)
    assert (folder / "01-context.ipynb").read_bytes() == b'{"ran": "with the new inputs"}'


def test_a_published_file_changed_in_place_is_not_up_to_date(ws, monkeypatch):
    """Same size, other bytes (an edit by hand, a bad copy): the next build publishes it again, as a
    forced build would, instead of listing it as current. The size alone used to be trusted."""
    from strategy_docs.build.publish import is_up_to_date

    run(ws, monkeypatch, [result(job(("html", "pdf")))], FIRST)
    assert is_up_to_date(ws, job(("html", "pdf")))
    document_paths(ws, job().key)["pdf"].write_bytes(b"pdf X")
    assert not is_up_to_date(ws, job(("html", "pdf")))


@pytest.mark.slow  # a real kernel start: about 15 s on a busy machine
def test_a_kernel_starts_under_a_long_tmpdir_and_leaves_nothing_there(tmp_path, monkeypatch):
    """Its socket folder lives in $TMPDIR; a socket name past the system's limit (107 bytes on Linux)
    made every kernel, so every document, fail with "ZMQError: File name too long"."""
    import tempfile

    from strategy_docs.build.execute import WarmKernel

    long = tmp_path / ("t" * 80)
    long.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long))
    kernel = WarmKernel()
    try:
        kernel.run("x = 6 * 7")
    finally:
        kernel.shutdown()
    assert list(long.iterdir()) == []
