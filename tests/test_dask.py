"""The Dask executor: documents built on a real distributed cluster come out as a local build's.

A `LocalCluster` of two worker processes (one thread each, as `dask worker --nthreads 1`) stands
in for real machines; the build runs through the CLI in its own process, as a user would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import copy_workspace

pytestmark = pytest.mark.slow

DOCUMENTS = ["carers", "older-people"]
FORMATS = "html,pdf"


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as local:
        yield local


def cli(ws: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "strategy_docs", "build", "--workspace", str(ws), *args],
                          capture_output=True, text=True, timeout=900, env=env)


def published(ws: Path) -> dict[str, bytes]:
    root = ws / "build" / "2026-27"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix in (".html", ".pdf", ".ipynb")}


def normalised_notebook(data: bytes) -> dict:
    """An executed notebook without what differs run to run: execution timestamps and durations."""
    nb = json.loads(data)
    nb["metadata"].get("papermill", {}).pop("start_time", None)
    nb["metadata"].get("papermill", {}).pop("end_time", None)
    nb["metadata"].get("papermill", {}).pop("duration", None)
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("execution", None)
        for key in ("start_time", "end_time", "duration"):
            cell.get("metadata", {}).get("papermill", {}).pop(key, None)
    return nb


@pytest.fixture(scope="module")
def builds(cluster, tmp_path_factory):
    """The same documents built on the cluster and locally, in two copies of the example workspace."""
    on_dask = copy_workspace(tmp_path_factory.mktemp("dask") / "ws", authorities=["northshire"])
    local = copy_workspace(tmp_path_factory.mktemp("local") / "ws", authorities=["northshire"])
    selection = ["-a", "northshire", "-c", ",".join(DOCUMENTS), "--format", FORMATS]
    remote = cli(on_dask, *selection, "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert remote.returncode == 0, remote.stdout + remote.stderr
    here = cli(local, *selection, "--jobs", "2")
    assert here.returncode == 0, here.stdout + here.stderr
    return on_dask, local, remote


def test_dask_build_publishes_every_document(builds):
    on_dask, _, remote = builds
    assert f"{len(DOCUMENTS)} built" in remote.stdout and "0 failed" in remote.stdout
    for group in DOCUMENTS:
        for suffix in (".html", ".pdf"):
            assert (on_dask / "build" / "2026-27" / "northshire" / f"{group}{suffix}").is_file()
    index = (on_dask / "build" / "index.html").read_text(encoding="utf-8")
    assert all(f"northshire/{group}.html" in index for group in DOCUMENTS)


def test_dask_outputs_equal_a_local_build(builds):
    on_dask, local, _ = builds
    remote, here = published(on_dask), published(local)
    assert sorted(remote) == sorted(here)
    for name in remote:
        if name.endswith(".ipynb"):
            assert normalised_notebook(remote[name]) == normalised_notebook(here[name]), name
        else:  # HTML and PDF: byte for byte, nothing to normalise
            assert remote[name] == here[name], name


def test_dask_rebuild_is_incremental(builds, cluster):
    on_dask, _, _ = builds
    again = cli(on_dask, "-a", "northshire", "-c", ",".join(DOCUMENTS), "--format", FORMATS,
                "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert again.returncode == 0 and f"{len(DOCUMENTS)} up to date" in again.stdout, again.stdout + again.stderr


def test_a_failing_document_fails_alone_on_dask(tmp_path, cluster):
    import nbformat

    ws = copy_workspace(tmp_path / "ws", authorities=["northshire"])
    path = ws / "notebooks" / "03-needs.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell('if client_group == "carers":\n    raise RuntimeError("boom on dask")'))
    nbformat.write(nb, path)
    result = cli(ws, "-a", "northshire", "-c", "carers,older-people", "--format", "html",
                 "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 built" in result.stdout and "1 failed" in result.stdout
    assert "boom on dask" in result.stderr
    assert (ws / ".strategy-docs" / "failed" / "2026-27" / "northshire" / "carers" / "03-needs.ipynb").is_file()


def test_a_worker_with_other_code_refuses_the_document():
    from strategy_docs.build.executors import _run_on_dask_worker
    from strategy_docs.build.plan import DocumentJob

    job = DocumentJob(edition="2026-27", authority="northshire", client_group="carers", formats=("html",),
                      exec_key="x", render_key="y", cell_timeout=10, document_timeout=10, inputs={"package": "0" * 64})
    result = _run_on_dask_worker(job, None, b"", "digest")
    assert not result.ok and "different strategy-docs" in result.failure.message
