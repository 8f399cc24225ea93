"""Publishing safely: kill -9, Ctrl-C, two builds at once, --fail-fast, a dying kernel.

One module-scoped good build (two documents, HTML and PDF) is made once; each test works on a
private copy of it. Builds here run the real CLI in a subprocess. Notebook edits ("sabotage")
make the interesting moment deterministic (a cell that sleeps, a kernel that exits) and, since
only the edited section is re-executed, keep each build short.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from strategy_docs.errors import PublishError
from strategy_docs.build.publish import atomic_write

from .conftest import copy_workspace, edit_yaml
from .robust_support import AUTHORITY, EDITION, GROUP, cli, prune, published, snapshot, start_cli, strategy_file

pytestmark = pytest.mark.slow

CLONE = "eastshire"  # a second authority: a copy of northshire under another slug
WORK = Path(".strategy-docs") / "work" / EDITION


@pytest.fixture(scope="module")
def good_build(tmp_path_factory) -> Path:
    ws = prune(copy_workspace(tmp_path_factory.mktemp("good") / "ws"), clones=(CLONE,))
    result = cli(ws, "build", "--jobs", "2", timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 built" in result.stdout
    return ws


@pytest.fixture
def ws(good_build: Path, tmp_path: Path) -> Path:
    """A private copy of the workspace with its good earlier build."""
    dest = tmp_path / "ws"
    shutil.copytree(good_build, dest, symlinks=True)
    shutil.rmtree(dest / ".strategy-docs" / "work", ignore_errors=True)
    return dest


# ---------------------------------------------------------------- helpers


def sabotage(ws: Path, notebook: str, code: str, index: int = 2) -> int:
    path = ws / "notebooks" / notebook
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(index, nbformat.v4.new_code_cell(code))
    nbformat.write(nb, path)
    return index


def stall(ws: Path, notebook: str, seconds: int) -> None:
    """Make `notebook` announce that it is running (a marker file per authority), then sleep."""
    sabotage(ws, notebook, f'from pathlib import Path\nPath(r"{ws}", "started-{notebook}-" + authority).touch()\n'
                           f'import time\ntime.sleep({seconds})')


def started(ws: Path, notebook: str, authority: str = AUTHORITY):
    return lambda: (ws / f"started-{notebook}-{authority}").exists()


def wait_for(predicate, timeout: float = 180, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def finished(ws: Path, notebook: str, authority: str = AUTHORITY):
    """papermill writes an executed notebook when it finishes."""
    return lambda: (ws / WORK / authority / GROUP / notebook).exists()


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "href" and value and not value.startswith(("#", "http:", "https:", "mailto:")):
                self.hrefs.append(value)


def index_links(ws: Path) -> list[str]:
    parser = _Links()
    parser.feed((ws / "build" / "index.html").read_text(encoding="utf-8"))
    return parser.hrefs


def assert_complete(path: Path) -> None:
    data = path.read_bytes()
    if path.suffix == ".html":
        assert data.rstrip().endswith(b"</html>"), f"{path} is cut short"
    elif path.suffix == ".pdf":
        from pypdf import PdfReader

        assert data.rstrip().endswith(b"%%EOF"), f"{path} is cut short"
        assert len(PdfReader(path).pages) >= 8
    elif path.suffix == ".json":
        json.loads(data)
    elif path.suffix == ".ipynb":
        nbformat.reads(data.decode("utf-8"), as_version=4)


def assert_safe(ws: Path, before: dict[str, bytes]) -> None:
    """After an interrupted build: the last good outputs are all there, each one whole."""
    after = snapshot(ws)
    for name, data in before.items():
        assert name in after, f"{name} was removed"
        if after[name] != data:
            assert_complete(ws / name)
    for name in after:
        assert_complete(ws / name)
    for href in index_links(ws):
        assert (ws / "build" / href).is_file(), f"the index links {href}, which does not exist"


def documents(files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in files.items()
            if not k.endswith(("/index.html", "/manifest.json")) and not k.startswith("build/failed/")}


def temporaries(ws: Path) -> list[str]:
    return [p.relative_to(ws).as_posix() for p in (ws / "build").rglob(".*")
            if ".state" not in p.relative_to(ws / "build").parts]


def processes_in(ws: Path) -> list[int]:
    """Processes whose working folder is inside the workspace (builds, workers, kernels)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")).is_relative_to(ws):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def assert_no_leftover_processes(ws: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while processes_in(ws) and time.monotonic() < deadline:
        time.sleep(0.5)
    leftover = processes_in(ws)
    for pid in leftover:  # do not leave them running for the rest of the suite
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    assert not leftover, f"processes still running in the workspace: {leftover}"


# ---------------------------------------------------------------- the good build


def test_good_build_is_complete_and_indexed(good_build):
    names = set(snapshot(good_build))
    for authority in (AUTHORITY, CLONE):
        for fmt in ("html", "pdf"):
            assert f"build/{EDITION}/{authority}/{GROUP}.{fmt}" in names
            assert_complete(published(good_build, authority, fmt=fmt))
    assert sorted(index_links(good_build)) == sorted(
        f"{EDITION}/{a}/{GROUP}.{f}" for a in (AUTHORITY, CLONE) for f in ("html", "pdf"))


# ---------------------------------------------------------------- killed and interrupted builds


@pytest.mark.parametrize("moment", ["executing", "rendering"])
def test_kill_9_keeps_the_last_good_version(ws, moment):
    before = snapshot(ws)
    notebook = ws / "notebooks" / "02-hypotheses.ipynb"
    original = notebook.read_bytes()
    edit_yaml(strategy_file(ws), lambda d: d["document_control"].update(title="Revised title after the kill"))
    if moment == "executing":
        stall(ws, "02-hypotheses.ipynb", 60)
        process = start_cli(ws, "build", "--jobs", "1", "-a", AUTHORITY)
        wait_for(started(ws, "02-hypotheses.ipynb"), what="02-hypotheses to start")
    else:
        # Into rendering, on the build's own signals rather than a guess at how long sections
        # take: the last section says it has run, and the workspace's template takes a couple
        # of seconds to render (an empty loop), so the kill lands while the HTML is being made.
        last = "08-performance.ipynb"
        original_last = (ws / "notebooks" / last).read_bytes()
        nb = nbformat.read(ws / "notebooks" / last, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(
            f'from pathlib import Path\nPath(r"{ws}", "ran-{last}-" + authority).touch()'))
        nbformat.write(nb, ws / "notebooks" / last)
        template = ws / "templates" / "strategy" / "index.html.j2"
        template_text = template.read_text(encoding="utf-8")
        template.write_text(template_text.replace("{%- block body_header -%}",
                                                  "{%- block body_header -%}{%- for _ in range(20000000) %}{% endfor -%}", 1),
                            encoding="utf-8")
        process = start_cli(ws, "build", "--jobs", "1", "-a", AUTHORITY)
        wait_for(lambda: (ws / f"ran-{last}-{AUTHORITY}").exists(), what="the last section to run")
    os.kill(process.pid, signal.SIGKILL)  # the main process only, as `kill -9 PID` would
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert_safe(ws, before)
    assert_no_leftover_processes(ws)

    # A half-written file from a kill mid-write (simulated: the real window is microseconds)
    # is swept by the next build, which then publishes the new version.
    folder = published(ws).parent
    (folder / f".{GROUP}.html.abcd1234.tmp").write_bytes(b"<!DOCTYPE html><html><p>half")
    (folder / GROUP / ".notebooks.x1y2z3w4").mkdir(parents=True)
    notebook.write_bytes(original)
    if moment == "rendering":
        (ws / "notebooks" / last).write_bytes(original_last)
        template.write_text(template_text, encoding="utf-8")
    result = cli(ws, "build", "--jobs", "1", "-a", AUTHORITY, "--format", "html")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Revised title after the kill" in published(ws).read_text(encoding="utf-8")
    assert temporaries(ws) == []
    assert_safe(ws, before)


def test_ctrl_c_exits_130_with_a_clear_message(ws):
    before = snapshot(ws)
    stall(ws, "02-hypotheses.ipynb", 60)
    process = start_cli(ws, "build", "--jobs", "1", "-a", AUTHORITY, "--format", "html")
    wait_for(started(ws, "02-hypotheses.ipynb"), what="02-hypotheses to start")
    began = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C goes to the terminal's whole foreground group
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert time.monotonic() - began < 30
    assert "Interrupted" in err and "last good versions are kept" in err
    assert "Traceback" not in err
    assert snapshot(ws) == before
    assert_no_leftover_processes(ws)


def test_ctrl_c_with_a_pool_of_workers(ws):
    before = snapshot(ws)
    stall(ws, "02-hypotheses.ipynb", 60)
    process = start_cli(ws, "build", "--jobs", "2", "--format", "html")
    wait_for(lambda: started(ws, "02-hypotheses.ipynb")() and started(ws, "02-hypotheses.ipynb", CLONE)(),
             what="both documents to reach 02-hypotheses")
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Interrupted" in err and "Traceback" not in err
    assert snapshot(ws) == before
    assert_no_leftover_processes(ws)


def test_kill_9_with_a_pool_leaves_no_workers_behind(ws):
    before = snapshot(ws)
    stall(ws, "02-hypotheses.ipynb", 60)
    process = start_cli(ws, "build", "--jobs", "2", "--format", "html")
    wait_for(lambda: started(ws, "02-hypotheses.ipynb")() and started(ws, "02-hypotheses.ipynb", CLONE)(),
             what="both documents to reach 02-hypotheses")
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    assert_safe(ws, before)
    assert_no_leftover_processes(ws)


# ---------------------------------------------------------------- two builds at once


def test_second_build_stops_or_waits(ws):
    stall(ws, "01-context.ipynb", 12)
    first = start_cli(ws, "build", "--jobs", "1", "-a", AUTHORITY, "--format", "html")
    wait_for(started(ws, "01-context.ipynb"), what="the first build to hold the lock")
    second = cli(ws, "build", "--jobs", "1", "-a", AUTHORITY, "--format", "html", timeout=120)
    assert second.returncode == 2, second.stdout + second.stderr
    assert "Another build is running" in second.stderr and "--wait" in second.stderr
    assert "Traceback" not in second.stderr
    third = start_cli(ws, "build", "--wait", "--jobs", "1", "-a", AUTHORITY, "--format", "html")
    out1, err1 = first.communicate(timeout=300)
    out3, err3 = third.communicate(timeout=300)
    assert first.returncode == 0, out1 + err1
    assert third.returncode == 0, out3 + err3
    assert "1 built" in out1
    assert "1 up to date" in out3  # it waited for the first, then found its work done
    assert_complete(published(ws))
    for href in index_links(ws):
        assert (ws / "build" / href).is_file()


# ---------------------------------------------------------------- failures during a build


def test_fail_fast_stops_at_the_first_failure(ws):
    before = snapshot(ws)
    sabotage(ws, "01-context.ipynb", f'if authority == "{CLONE}":\n    raise RuntimeError("first failure")')
    result = cli(ws, "build", "--jobs", "1", "--fail-fast", "--format", "html")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAILED {CLONE} / {GROUP}: section 01-context" in result.stderr and "first failure" in result.stderr
    assert "Stopped early (--fail-fast): 1 document not built" in result.stderr
    assert "0 built" in result.stdout
    # The failed one keeps its last good version; the other was never started. (The index and
    # manifest are rewritten from the records, with a new date.)
    assert documents(snapshot(ws)) == documents(before)
    assert_safe(ws, before)
    kept = re.search(r"executed notebook: (\S+)", result.stderr)
    assert kept and (ws / kept.group(1)).is_file() and kept.group(1).startswith(".strategy-docs/failed/")
    assert_no_leftover_processes(ws)


def test_dying_kernel_and_exception_fail_only_their_documents(ws):
    before = snapshot(ws)
    third = "westshire"
    shutil.copy(ws / "params" / "authorities" / f"{AUTHORITY}.yaml", ws / "params" / "authorities" / f"{third}.yaml")
    shutil.copytree(ws / "params" / "strategies" / AUTHORITY, ws / "params" / "strategies" / third)
    shutil.copytree(ws / "data" / AUTHORITY, ws / "data" / third)
    died = sabotage(ws, "03-needs.ipynb", f'import os\nif authority == "{CLONE}":\n    os._exit(1)')
    raised = sabotage(ws, "03-needs.ipynb", f'if authority == "{third}":\n    raise ValueError("bad needs")', died + 1)
    edit_yaml(strategy_file(ws), lambda d: d["document_control"].update(title="Rebuilt beside the failures"))
    result = cli(ws, "build", "--jobs", "2", "--format", "html", timeout=600)
    out, err = result.stdout, result.stderr
    assert result.returncode == 1, out + err
    assert "1 built" in out and "2 failed" in out

    dead = re.search(rf"FAILED {CLONE} / {GROUP}: section 03-needs, cell (\d+): (.*)", err)
    assert dead, err
    assert "kernel" in dead.group(2)
    error = re.search(rf"FAILED {third} / {GROUP}: section 03-needs, cell (\d+): ValueError: bad needs", err)
    assert error, err
    kept = re.findall(r"executed notebook: (\S+)", err)
    assert len(kept) == 2, err
    for path, authority, cell in zip(sorted(kept), sorted((CLONE, third)),
                                     (dead.group(1), error.group(1)) if CLONE < third else (error.group(1), dead.group(1))):
        assert authority in path and path.endswith("03-needs.ipynb")
        notebook = nbformat.read(ws / path, as_version=4)
        # "cell N" is the index of the failing cell in the kept notebook (what to open and look at)
        failing = notebook.cells[int(cell)]
        assert "os._exit" in failing.source or "bad needs" in failing.source, (cell, failing.source)

    assert "Rebuilt beside the failures" in published(ws).read_text(encoding="utf-8")
    clone_files = {k: v for k, v in before.items() if f"/{CLONE}/" in k}
    after = snapshot(ws)
    assert all(after[k] == v for k, v in clone_files.items()), "the failed document lost its last good version"
    links = index_links(ws)
    assert f"{EDITION}/{CLONE}/{GROUP}.html" in links  # its last good version is still published
    assert not any(third in link for link in links)  # never built: nothing to link
    for href in links:
        assert (ws / "build" / href).is_file()
    assert_no_leftover_processes(ws)


def test_a_document_that_cannot_be_published_fails_alone(ws, tmp_path):
    outside = tmp_path / "outside"
    shutil.move(ws / "build" / EDITION / CLONE, outside)
    os.symlink(outside, ws / "build" / EDITION / CLONE)  # a link out of build/: never written through
    outside_before = {p.relative_to(outside): p.read_bytes() for p in outside.rglob("*") if p.is_file()}
    for authority in (AUTHORITY, CLONE):
        edit_yaml(strategy_file(ws, authority), lambda d: d["document_control"].update(title="Second edition"))
    result = cli(ws, "build", "--jobs", "1", "--format", "html")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAILED {CLONE} / {GROUP}: section publish" in result.stderr and "outside build/" in result.stderr
    assert "1 built" in result.stdout and "Second edition" in published(ws).read_text(encoding="utf-8")
    assert {p.relative_to(outside): p.read_bytes() for p in outside.rglob("*") if p.is_file()} == outside_before


def test_index_drops_a_file_deleted_by_hand(ws):
    time.sleep(3)  # inputs written in the last seconds are "racy" and never let the index be skipped
    for _ in range(2):  # the second run finds nothing changed, so a third may skip rewriting the index
        again = cli(ws, "build", "--jobs", "1", "-a", AUTHORITY)
        assert again.returncode == 0 and "1 up to date" in again.stdout, again.stdout + again.stderr
    gone = published(ws, CLONE, fmt="pdf")
    gone.unlink()
    result = cli(ws, "build", "--jobs", "1", "-a", AUTHORITY)  # nothing to build for this one
    assert result.returncode == 0 and "1 up to date" in result.stdout, result.stdout + result.stderr
    links = index_links(ws)
    assert f"{EDITION}/{CLONE}/{GROUP}.html" in links and f"{EDITION}/{CLONE}/{GROUP}.pdf" not in links
    for href in links:
        assert (ws / "build" / href).is_file()


def test_cell_time_limit_names_the_cell_and_keeps_the_notebook(ws):
    before = snapshot(ws)
    edit_yaml(ws / "params" / "project.yaml", lambda d: d["build"].update(cell_timeout_seconds=3))
    stall(ws, "02-hypotheses.ipynb", 60)
    began = time.monotonic()
    result = cli(ws, "build", "--jobs", "1", "-a", AUTHORITY, "--format", "html", timeout=300)
    assert time.monotonic() - began < 90
    assert result.returncode == 1, result.stdout + result.stderr
    found = re.search(rf"FAILED {AUTHORITY} / {GROUP}: section 02-hypotheses, cell (\d+): a cell ran past its time "
                      r"limit of 3 s\.\n\s+executed notebook: (\S+)", result.stderr)
    assert found, result.stderr
    notebook = nbformat.read(ws / found.group(2), as_version=4)
    assert "time.sleep(60)" in notebook.cells[int(found.group(1))].source
    assert documents(snapshot(ws)) == documents(before)
    assert_no_leftover_processes(ws)


def test_document_time_limit(ws):
    edit_yaml(ws / "params" / "project.yaml", lambda d: d["build"].update(document_timeout_seconds=10))
    sabotage(ws, "02-hypotheses.ipynb", "import time\ntime.sleep(60)")
    began = time.monotonic()
    result = cli(ws, "build", "--jobs", "1", "-a", AUTHORITY, "--format", "html", timeout=300)
    assert time.monotonic() - began < 60
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAILED {AUTHORITY} / {GROUP}: section 02-hypotheses" in result.stderr
    assert "the document ran past its time limit of 10 s" in result.stderr
    found = re.search(r"section 02-hypotheses, cell (\d+):.*\n\s+executed notebook: (\S+)", result.stderr)
    if found:  # unless the limit was reached before the section started (a slow kernel start)
        notebook = nbformat.read(ws / found.group(2), as_version=4)
        assert "time.sleep(60)" in notebook.cells[int(found.group(1))].source


# ---------------------------------------------------------------- atomic replacement, in process


def test_atomic_write_interrupted_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "doc.html"
    target.write_bytes(b"<html>good</html>")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, b"<html>new but never finished")
    assert target.read_bytes() == b"<html>good</html>"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.html"]


def test_publish_refuses_a_document_missing_a_format(good_build, tmp_path):
    from strategy_docs.build.execute import DocumentResult
    from strategy_docs.inputs.params import load_params
    from strategy_docs.build.plan import plan_documents
    from strategy_docs.build.publish import publish_document
    from strategy_docs.inputs.workspace import Workspace

    ws = tmp_path / "ws"
    shutil.copytree(good_build, ws, symlinks=True)
    before = snapshot(ws)
    [job] = plan_documents(load_params(ws), [AUTHORITY], [GROUP], ["html", "pdf"])
    result = DocumentResult(job, outputs={"html": b"<html>only html</html>"})
    with pytest.raises(PublishError, match="no pdf output"):
        publish_document(Workspace(ws), result, "2026-01-01T00:00:00+00:00")
    assert snapshot(ws) == before


# ---------------------------------------------------------------- formats fail alone, SIGTERM


def test_a_failing_docx_leaves_html_and_pdf_published_and_says_so(ws, monkeypatch):
    from click.testing import CliRunner

    from strategy_docs.outputs import docx as docx_export
    from strategy_docs.cli.app import main

    def refuse(document, meta):
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters")

    monkeypatch.setattr(docx_export, "render_docx", refuse)
    edit_yaml(strategy_file(ws), lambda d: d["document_control"].update(title="Edition with a Word failure"))
    result = CliRunner().invoke(main, ["build", "-a", AUTHORITY, "--format", "html,pdf,docx", "--executor", "serial",
                                       "--workspace", str(ws)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert (f"FAILED {AUTHORITY} / {GROUP}: DOCX not published: ValueError: All strings must be XML compatible"
            in result.output)
    summary = result.output.strip().splitlines()[-1]
    assert f"1 failed ({AUTHORITY} / {GROUP}: DOCX failed, HTML, PDF published)" in summary
    assert "Edition with a Word failure" in published(ws).read_text(encoding="utf-8")
    assert_complete(published(ws, fmt="pdf"))
    assert not published(ws, fmt="docx").exists()
    index = re.sub(r"<[^>]+>", "", (ws / "build" / "index.html").read_text(encoding="utf-8"))
    assert "Word failed (ValueError: All strings must be XML compatible" in index
    assert f"{EDITION}/{AUTHORITY}/{GROUP}.pdf" in index_links(ws)
    manifest = json.loads((ws / ".strategy-docs" / "manifests" / f"{EDITION}.json").read_text(encoding="utf-8"))
    [doc] = [d for d in manifest["documents"] if d["authority"] == AUTHORITY]
    assert sorted(doc["files"]) == ["html", "pdf"] and doc["formats"]["docx"]["state"] == "failed"


def kernel_leftovers(tmpdir: Path) -> list[str]:
    return sorted(p.relative_to(tmpdir).as_posix() for p in tmpdir.rglob("*")
                  if p.name.startswith(("strategy-docs-kernel-", "kernel-")))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigterm_stops_like_ctrl_c_with_exit_143(ws, tmp_path, jobs, request):
    import subprocess
    import sys

    from .robust_support import cli_env

    import tempfile

    before = snapshot(ws)
    stall(ws, "02-hypotheses.ipynb", 60)
    # short: a kernel's IPC socket path must fit in 107 bytes
    tmpdir = Path(tempfile.mkdtemp(prefix="sd-"))
    request.addfinalizer(lambda: shutil.rmtree(tmpdir, ignore_errors=True))
    env = cli_env() | {"TMPDIR": str(tmpdir), "JUPYTER_RUNTIME_DIR": str(tmpdir / "runtime")}
    process = subprocess.Popen([sys.executable, "-m", "strategy_docs", "build", "--jobs", jobs, "--format", "html",
                                "--workspace", str(ws)], cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, start_new_session=True)
    # either document: one at a time (--jobs 1), the other authority's may be the one that runs first
    wait_for(lambda: any(started(ws, "02-hypotheses.ipynb", a)() for a in (AUTHORITY, CLONE)),
             what="02-hypotheses to start")
    assert kernel_leftovers(tmpdir)  # the kernel's sockets and connection file are where we look
    if jobs == "1":
        os.kill(process.pid, signal.SIGTERM)  # `kill PID`
    else:
        os.killpg(process.pid, signal.SIGTERM)  # a service manager stopping the whole group
    out, err = process.communicate(timeout=60)
    assert process.returncode == 143, out + err
    assert "Stopped by SIGTERM; published documents are intact" in err
    assert "Traceback" not in err and "leaked" not in err and str(tmp_path) not in err, err
    # The documents are as they were; the index is rewritten with each document's step, so it may
    # now say the other document's PDF is from its earlier build (this one made HTML only).
    assert documents(snapshot(ws)) == documents(before)
    assert_safe(ws, before)
    assert_no_leftover_processes(ws)
    assert kernel_leftovers(tmpdir) == []


def test_a_failed_section_keeps_a_notebook_without_local_paths_and_no_kernel_files(ws, request):
    """Issue 15: the kept notebook names no folder of this machine (workspace, home, TMPDIR, Python),
    in streams, results (plain and HTML), coloured tracebacks or metadata; the kernel's sockets and
    connection file go with the build, and a kill -9's are removed by the next build."""
    import subprocess
    import sys
    import tempfile

    from .robust_support import cli_env

    tmpdir = Path(tempfile.mkdtemp(prefix="sd-"))  # short: a kernel's IPC socket path must fit in 107 bytes
    request.addfinalizer(lambda: shutil.rmtree(tmpdir, ignore_errors=True))
    env = cli_env() | {"TMPDIR": str(tmpdir), "JUPYTER_RUNTIME_DIR": str(tmpdir / "runtime")}

    def build(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "strategy_docs", "build", "--jobs", "1", "--format", "html",
                               "-a", AUTHORITY, *extra, "--workspace", str(ws)], cwd=ws, capture_output=True,
                              text=True, timeout=600, env=env)

    sabotage(ws, "03-needs.ipynb", "import os, sys, tempfile\nimport pandas as pd\nfrom IPython.display import display\n"
                                   "print(os.getcwd(), os.path.expanduser('~'), tempfile.gettempdir(), sys.prefix)\n"
                                   "display(pd.DataFrame({'where': [os.getcwd(), tempfile.mkdtemp()]}))\n"
                                   "pd.DataFrame({'home': [os.path.expanduser('~/x')]})")
    sabotage(ws, "03-needs.ipynb", "pd.read_csv(os.path.join(os.getcwd(), 'missing.csv'))", index=3)
    result = build()
    assert result.returncode == 1, result.stdout + result.stderr
    kept = ws / ".strategy-docs" / "failed" / EDITION / AUTHORITY / GROUP / "03-needs.ipynb"
    text = kept.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    kinds = {o["output_type"] for cell in nb.cells for o in cell.get("outputs", [])}
    assert {"stream", "display_data", "execute_result", "error"} <= kinds  # every kind was made, and scrubbed
    assert "FileNotFoundError" in text and "<workspace>/.strategy-docs/work/" in text and "<tmp>/" in text
    for folder in {str(ws), str(ws.resolve()), str(Path.home()), str(tmpdir), tempfile.gettempdir(), sys.prefix}:
        # the folder as a folder: "<tmp>/tmp69xvg5hh" (a temporary folder's own name) is not "/tmp"
        assert not re.search(r"(?<![\w>.~/-])" + re.escape(folder) + r"(?![\w.~-])", text), folder
    assert "\\u001b[" not in text  # colour codes went with the paths they split
    assert kernel_leftovers(tmpdir) == []

    # kill -9 of a serial build leaves its kernel's folder (nothing can run after SIGKILL) ...
    stall(ws, "02-hypotheses.ipynb", 60)
    process = subprocess.Popen([sys.executable, "-m", "strategy_docs", "build", "--jobs", "1", "--format", "html",
                                "-a", AUTHORITY, "--workspace", str(ws)], cwd=ws, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    wait_for(started(ws, "02-hypotheses.ipynb"), what="02-hypotheses to start")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert_no_leftover_processes(ws)
    # ... and the next build removes it, leaving none of its own
    for name in ("02-hypotheses.ipynb", "03-needs.ipynb"):
        shutil.copy(Path(__file__).resolve().parents[1] / "notebooks" / name, ws / "notebooks" / name)
    result = build()
    assert result.returncode == 0, result.stdout + result.stderr
    assert kernel_leftovers(tmpdir) == []


def test_a_worker_killed_by_its_document_fails_that_document_only(ws):
    """The kernel's memory killer takes the worker (SIGKILL): Python then breaks the whole pool, which
    used to fail every document in it. Only the one it was building fails, and says how it stopped."""
    before = snapshot(ws)
    sabotage(ws, "01-context.ipynb", f'import os, signal\nif authority == "{CLONE}":\n'
                                     f'    os.kill(os.getppid(), signal.SIGKILL)')  # the kernel's parent: its worker
    edit_yaml(strategy_file(ws), lambda d: d["document_control"].update(title="Built beside a dead worker"))
    tmp = Path(tempfile.mkdtemp(prefix="sd-", dir="/tmp"))  # short: a kernel's socket path has a length limit
    try:
        result = cli(ws, "build", "--jobs", "2", "--format", "html", env={"TMPDIR": str(tmp)}, timeout=600)
        left = list(tmp.iterdir())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out, err = result.stdout, result.stderr
    assert result.returncode == 1, out + err
    assert "1 built" in out and "1 failed" in out, out + err
    assert (f"FAILED {CLONE} / {GROUP}: section worker: the worker process building it stopped abruptly "
            "(killed by SIGKILL); it may have run out of memory") in err, err
    assert "Built beside a dead worker" in published(ws).read_text(encoding="utf-8")
    after = snapshot(ws)
    assert all(after[k] == v for k, v in before.items() if f"/{CLONE}/" in k), "the failed document lost its last version"
    assert not left, "a dead worker's kernel left its socket folder or connection file"
    assert_no_leftover_processes(ws)
