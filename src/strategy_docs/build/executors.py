"""Where documents are built: in this process, in a local pool of processes, or on Dask.

All three take the same tasks (a job, plus executed notebooks when only a re-render is
needed) and yield `DocumentResult`s as they complete. Workers hold a warm kernel each;
papermill's working-directory handling is not thread-safe, so parallelism is by process.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import json
import os
import signal
import tarfile
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Iterator
import multiprocessing
import shutil

from strategy_docs.build.execute import DocumentResult, Failure, build_document, kill_kernel_now, shutdown_worker
from strategy_docs.build.plan import DocumentJob, package_digest
from strategy_docs.build.publish import remove_orphaned_kernel_folders
from strategy_docs.sections.registry import INPUT_FOLDERS
from strategy_docs import __version__
from strategy_docs.inputs.workspace import WORK_FOLDER

Task = tuple[DocumentJob, dict[str, bytes] | None]

_WORKER: dict = {}


def _init_local_worker(workspace: str, scratch: str) -> None:
    _WORKER.update(workspace=Path(workspace), scratch=Path(scratch))
    atexit.register(shutdown_worker)

    def stop(signum, frame):  # noqa: ARG001 - signal handler signature
        # Kill the kernel outright: the polite shutdown needs the event loop this handler may
        # have interrupted, and could then hang the whole build's exit.
        _running_marker().unlink(missing_ok=True)  # stopped, not crashed: its document is not to blame
        kill_kernel_now()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="parent-watch").start()


def _exit_with_parent(parent: int) -> None:
    """If the build process dies (kill -9), stop this worker and its kernel instead of running on as an orphan."""
    while os.getppid() == parent:
        time.sleep(1)
    kill_kernel_now()
    os._exit(1)


def _running_folder(scratch: Path) -> Path:
    return Path(scratch) / "running"


def _running_marker() -> Path:
    return _running_folder(_WORKER["scratch"]) / f"{os.getpid()}.json"


def _run_local(job: DocumentJob, cached: dict[str, bytes] | None) -> DocumentResult:
    # Which document this worker is building: if the worker dies (the kernel's memory killer, a
    # crash in a native library), the parent knows whose fault it was (LocalPoolExecutor.run).
    marker = _running_marker()
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(list(job.key)), encoding="utf-8")
    try:
        return build_document(job, _WORKER["workspace"], _WORKER["scratch"], cached)
    finally:
        marker.unlink(missing_ok=True)


class SerialExecutor:
    """Everything in this process: simplest to debug, used for a single document and by preview."""

    def __init__(self, workspace: Path, scratch: Path, keep_kernel: bool = False):
        self.workspace, self.scratch = workspace, scratch
        self.keep_kernel = keep_kernel  # preview: one warm kernel across rebuilds; its owner shuts it down

    def run(self, tasks: list[Task]) -> Iterator[DocumentResult]:
        for number, (job, cached) in enumerate(tasks, start=1):
            # After the last document's sections the kernel is not needed again: stopping it before
            # rendering frees its memory for the PDF of a very long document (about 200 MB).
            last = number == len(tasks) and not self.keep_kernel
            yield build_document(job, self.workspace, self.scratch, cached, before_render=shutdown_worker if last else None)

    def close(self, cancel: bool = False) -> None:
        if cancel or not self.keep_kernel:  # a cancelled build may leave the kernel busy: never keep that one
            shutdown_worker()


class LocalPoolExecutor:
    """A pool of worker processes. A worker that dies (out of memory, a crash) fails only the
    document it was building: Python then breaks the whole pool, so the other documents it held
    are given to a fresh pool."""

    def __init__(self, workspace: Path, scratch: Path, jobs: int):
        self.workspace, self.scratch, self.jobs = workspace, scratch, jobs
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_local_worker, initargs=(str(self.workspace), str(self.scratch)),
        )

    def run(self, tasks: list[Task]) -> Iterator[DocumentResult]:
        queue, broken_before = list(tasks), set()
        while queue:
            pending = {self.pool.submit(_run_local, job, cached): (job, cached) for job, cached in queue}
            queue, broken = [], []
            while pending:
                # Timed, so a Ctrl-C handed to one of the pool's threads is acted on promptly
                # (Python runs signal handlers only when the main thread runs code).
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    job, cached = pending.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        broken.append((job, cached))
                    except Exception as exc:  # noqa: BLE001 - e.g. a worker killed from outside
                        yield DocumentResult(job, failure=Failure("worker", f"the worker process stopped: {exc}",
                                                                  kind="kernel-died"))
            if not broken:
                break
            dead = self._dead_workers()
            self.pool.shutdown(wait=True)
            remove_orphaned_kernel_folders()  # the dead workers' kernels' sockets and connection files
            for job, cached in broken:
                why = dead.get(job.key)
                if why is None and job.key not in broken_before:
                    queue.append((job, cached))  # it was only beside the worker that died: build it again
                    broken_before.add(job.key)
                    continue
                yield DocumentResult(job, failure=Failure(
                    "worker", f"the worker process building it stopped abruptly ({why or 'twice'}); it may have run out "
                              "of memory or crashed. Fix: look for a section that needs a lot of memory, or build with "
                              "fewer --jobs.", kind="kernel-died"))
            if queue:
                self.pool = self._new_pool()

    def _dead_workers(self) -> dict[tuple, str]:
        """The documents whose worker died while building them (their marker is left), and how it died."""
        processes = dict(getattr(self.pool, "_processes", None) or {})
        for process in processes.values():
            process.join(timeout=5)
        blamed = {}
        folder = _running_folder(self.scratch)
        for marker in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                pid, key = int(marker.stem), tuple(json.loads(marker.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            process = processes.get(pid)
            if process is None or process.is_alive():
                continue
            code = process.exitcode
            blamed[key] = (f"killed by {signal.Signals(-code).name}" if code is not None and code < 0
                           and -code in signal.valid_signals() else f"exit code {code}")
            marker.unlink(missing_ok=True)
        return blamed

    def close(self, cancel: bool = False) -> None:
        if cancel:
            for process in list(getattr(self.pool, "_processes", {}).values()):
                if process.is_alive():
                    process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=cancel)


# ---------------------------------------------------------------- Dask

ARCHIVE_FOLDERS = INPUT_FOLDERS  # everything a build reads, nothing it writes


def workspace_archive(workspace: Path) -> bytes:
    """The inputs of a build as one tar.gz, so workers need no shared filesystem."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for folder in ARCHIVE_FOLDERS:
            path = workspace / folder
            if path.exists():
                tar.add(path, arcname=folder, filter=_no_checkpoints)
    return buffer.getvalue()


def _no_checkpoints(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    if ".ipynb_checkpoints" in info.name or info.issym() or info.islnk():
        return None
    return info


_EXTRACTED: dict[str, Path] = {}  # archive digest -> unpacked workspace, oldest first
KEEP_EXTRACTED = 3
_SHUTDOWN_REGISTERED: list[bool] = []


def _run_on_dask_worker(job: DocumentJob, cached: dict[str, bytes] | None, archive: bytes, digest: str) -> DocumentResult:
    """Runs on a Dask worker: unpack the workspace once per build, then build the document."""
    from distributed import get_worker  # lazy: Dask is optional and slow to import; only --executor dask needs it

    wanted = job.inputs.get("package")
    if wanted and wanted != package_digest():  # same version, same source: or the outputs could differ silently
        return DocumentResult(job, failure=Failure(
            "worker", f"the Dask worker runs a different strategy-docs ({__version__}, source {package_digest()[:12]}) "
                      f"from this build's (source {wanted[:12]}). Fix: install the same version on every worker "
                      "and restart the workers.", kind="error"))
    folder = _EXTRACTED.get(digest)
    if folder is None or not folder.exists():
        try:
            base = Path(get_worker().local_directory)
        except ValueError:
            base = Path(tempfile.gettempdir())
        while len(_EXTRACTED) >= KEEP_EXTRACTED:  # earlier builds' inputs: a long-lived worker must not fill its disk
            shutil.rmtree(_EXTRACTED.pop(next(iter(_EXTRACTED))), ignore_errors=True)
        folder = Path(tempfile.mkdtemp(prefix=f"strategy-docs-{digest[:12]}-", dir=base))
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            tar.extractall(folder, filter="data")
        _EXTRACTED[digest] = folder
        if not _SHUTDOWN_REGISTERED:
            atexit.register(shutdown_worker)
            _SHUTDOWN_REGISTERED.append(True)
    # The same layout as a local build (.strategy-docs/work/...), so the relative `workspace`
    # parameter, and with it every executed notebook, is the same wherever a document ran.
    return build_document(job, folder, folder / WORK_FOLDER / "work", cached)


class DaskExecutor:
    """Documents as tasks on a dask.distributed cluster; results come back to this machine."""

    def __init__(self, workspace: Path, scheduler: str | None, jobs: int | None = None):
        from distributed import Client, LocalCluster  # lazy: Dask is optional and slow to import; only --executor dask needs it

        self.cluster = None
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
        else:
            self.cluster = LocalCluster(n_workers=jobs or 2, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        self.archive = workspace_archive(workspace)
        self.digest = hashlib.sha256(self.archive).hexdigest()

    def run(self, tasks: list[Task]) -> Iterator[DocumentResult]:
        from distributed import as_completed  # lazy: Dask is optional and slow to import; only --executor dask needs it

        [archive_future] = self.client.scatter([self.archive], broadcast=True, hash=False)
        futures = {}
        for job, cached in tasks:
            future = self.client.submit(_run_on_dask_worker, job, cached, archive_future, self.digest, pure=False,
                                        key=f"strategy-docs-{job.edition}-{job.authority}-{job.client_group}-{os.urandom(4).hex()}")
            futures[future] = job
        self._futures = list(futures)
        for future in as_completed(futures):
            job = futures[future]
            try:
                yield future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker fails its document only
                yield DocumentResult(job, failure=Failure("worker", f"the Dask worker failed: {exc}", kind="kernel-died"))

    def close(self, cancel: bool = False) -> None:
        if cancel and getattr(self, "_futures", None):
            self.client.cancel(self._futures)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(kind: str, workspace: Path, scratch: Path, jobs: int, scheduler: str | None, task_count: int,
                  keep_kernel: bool = False):
    if kind == "dask":
        return DaskExecutor(workspace, scheduler, jobs)
    if kind == "serial" or jobs <= 1 or task_count <= 1:
        return SerialExecutor(workspace, scratch, keep_kernel=keep_kernel)
    return LocalPoolExecutor(workspace, scratch, min(jobs, task_count))
