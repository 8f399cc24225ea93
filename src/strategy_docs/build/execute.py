"""Building one document: execute its section notebooks, then render every format.

`build_document(job)` is the unit of work. It runs in a worker process (local pool or a Dask
worker) and returns a `DocumentResult` holding the bytes of every output, so publishing
happens in one place, on the machine that asked, whichever executor ran the job.

Execution keeps papermill's semantics (injected parameters, the executed notebook kept,
errors reported per cell) but runs every notebook in a warm kernel owned by the worker, with
the namespace and module state reset between notebooks.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
import papermill as pm
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.log import logger

from strategy_docs.errors import RenderError, SectionError
from strategy_docs.build.plan import DocumentJob
from strategy_docs.build.local_paths import scrub_local_paths
from strategy_docs.build.kernel_state import COLLECT_CODE, PRELOAD_CODE, RESET_CODE, SAVE_READS_CODE
from strategy_docs.build.publish import KERNEL_FOLDER_PREFIX
from strategy_docs.inputs.bundled import section_notebooks
from strategy_docs.inputs.bundled import template_dir as find_template_dir
from strategy_docs.outputs import docx as docx_export
from strategy_docs.outputs import html as render
from strategy_docs.outputs import pdf
from strategy_docs.sections.blocks import MIME_TYPE

ENGINE_NAME = "strategy-docs-warm"
MAX_SOCKET_PATH = 100  # bytes in a Unix socket's name: 107 on Linux, 103 on macOS, with room to spare
RESTART_EVERY = 40  # documents; bounds memory growth from module-level caches in long builds


@dataclass
class Failure:
    section: str
    message: str
    cell: int | None = None
    notebook: str | None = None  # file name of the kept executed notebook that shows the error
    kind: str = "error"  # error | timeout | kernel-died | render | publish | a format (pdf, docx): the others are published


@dataclass
class DocumentResult:
    job: DocumentJob
    outputs: dict[str, bytes] = field(default_factory=dict)
    notebooks: dict[str, bytes] = field(default_factory=dict)
    failure: Failure | None = None
    timings: dict[str, float] = field(default_factory=dict)
    executed_sections: list[str] = field(default_factory=list)
    section_reads: dict[str, list[str]] = field(default_factory=dict)  # what each section read (context.py)
    pdf_source: str | None = None  # pdf.pdf_source_digest of this document's PDF
    pdf_reused: bool = False  # the published PDF is still right: outputs has no "pdf", the publisher keeps it
    format_failures: dict[str, str] = field(default_factory=dict)  # format -> why it failed (the others publish)

    @property
    def executed(self) -> bool:
        return bool(self.executed_sections)

    @property
    def ok(self) -> bool:
        return self.failure is None


# ---------------------------------------------------------------- the warm kernel


class WarmKernel:
    """One IPython kernel per worker, started once and reset between notebooks."""

    def __init__(self, kernel_name: str = "python3", startup_timeout: int = 60):
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self.km = None
        self.kc = None
        self.documents = 0

    def manager(self):
        if self.km is None or not run_sync(self.km.is_alive)():
            self._start()
        return self.km

    def _start(self) -> None:
        # The async manager matters: nbclient polls the shell and iopub channels concurrently, and
        # a blocking client's iopub wait would stall that loop, so cell time limits never fire.
        self.shutdown()
        # IPC transport: local sockets, no TCP ports, nothing reachable from outside the machine.
        # Each kernel gets its own socket folder: IPC socket names are picked by probing for free
        # files, which races when several workers share a working folder.
        socket_dir = tempfile.mkdtemp(prefix=f"{KERNEL_FOLDER_PREFIX}{os.getpid()}-")
        ip = os.path.join(socket_dir, "kernel")
        if len(os.fsencode(ip)) + len("-65535") > MAX_SOCKET_PATH:
            # A long $TMPDIR: socket names longer than the system allows made every kernel fail to
            # start ("File name too long"). Local TCP instead (127.0.0.1 only, signed messages);
            # the connection file stays in the folder, so the clean-up is the same.
            km = AsyncKernelManager(kernel_name=self.kernel_name, transport="tcp", ip="127.0.0.1")
        else:
            km = AsyncKernelManager(kernel_name=self.kernel_name, transport="ipc", ip=ip)
        # The connection file too (not the Jupyter runtime folder): removing the socket folder at
        # shutdown, or after a kill, leaves nothing of the kernel behind.
        km.connection_file = os.path.join(socket_dir, "kernel.json")
        self.socket_dir = socket_dir  # known before the start, so a kill during it still cleans up
        env = dict(os.environ, MPLBACKEND="agg", PYDEVD_DISABLE_FILE_VALIDATION="1")
        run_sync(km.start_kernel)(env=env, extra_arguments=["--HistoryManager.enabled=False"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.km = km
        self.socket_dir = socket_dir
        self.run(_preload_code(), timeout=self.startup_timeout * 2)

    def client(self):
        """The kernel's one client, its channels kept open for the kernel's life.

        A new client per notebook cost 0.4 s of waiting each time (``wait_for_ready`` flushes
        IOPub until 0.2 s pass quietly, and nbclient did the same again): 3 s per document.
        """
        if self.kc is None:
            kc = self.manager().client()
            kc.allow_stdin = False
            kc.start_channels()
            try:
                run_sync(kc.wait_for_ready)(timeout=self.startup_timeout)
            except BaseException:
                kc.stop_channels()
                raise
            self.kc = kc
        return self.kc

    def run(self, code: str, timeout: float = 60) -> None:
        reply = run_sync(self.client().execute_interactive)(code, timeout=timeout, store_history=False,
                                                             output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise RuntimeError(f"kernel set-up failed: {content.get('ename')}: {content.get('evalue')}")

    def reset(self, workdir: Path, collect: bool = False) -> None:
        """A clean namespace and module state; `collect`: also a full garbage collection (0.2 s)."""
        self.manager()
        self.run(RESET_CODE.format(workdir=str(workdir)) + (COLLECT_CODE if collect else ""), timeout=60)

    def begin_document(self) -> None:
        self.documents += 1
        if self.documents > RESTART_EVERY:
            self.shutdown()
            self.documents = 1

    def shutdown(self) -> None:
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:  # noqa: BLE001
                pass
            self.kc = None
        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - a dead kernel is what we are cleaning up
                pass
            self.km = None
        if getattr(self, "socket_dir", ""):  # sockets and connection file
            shutil.rmtree(self.socket_dir, ignore_errors=True)
            self.socket_dir = ""


def _preload_code() -> str:
    return PRELOAD_CODE


_KERNEL: WarmKernel | None = None


def warm_kernel() -> WarmKernel:
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = WarmKernel()
    return _KERNEL


def kill_kernel_now() -> None:
    """Kill this worker's kernel at once, without the polite shutdown (its build has gone)."""
    kernel = _KERNEL
    if kernel is None or kernel.km is None:
        return
    try:
        process = getattr(kernel.km.provisioner, "process", None)
        if process is not None:
            os.kill(process.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    shutil.rmtree(getattr(kernel, "socket_dir", ""), ignore_errors=True)


def shutdown_worker() -> None:
    """Stop this worker's kernel (called at worker exit and on termination)."""
    if _KERNEL is not None:
        _KERNEL.shutdown()


def _register_engine() -> None:
    class WarmKernelEngine(NBClientEngine):
        """papermill engine that executes in this worker's warm kernel instead of a new one."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, **kwargs):
            kernel = warm_kernel()
            km = kernel.manager()
            client = PapermillNotebookClient(
                nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
                log=logger, log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
            )
            client.kc = kernel.client()  # already connected and ready: nbclient skips its own wait
            try:
                return client.execute()
            except BaseException:
                # papermill writes the output notebook only on success or a cell error: keep what
                # ran, so a dead kernel or a timeout still leaves a notebook to open.
                _PARTIAL["nb"] = nb_man.nb
                raise
            finally:
                if client.kc is not None and client.kc is not kernel.kc:
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


_PARTIAL: dict = {}  # the notebook being executed when its kernel died or a cell timed out
_register_engine()


# ---------------------------------------------------------------- one document


def _section_notebook_paths(workspace: Path) -> list[Path]:
    return section_notebooks(workspace)


def execute_sections(job: DocumentJob, workspace: Path, workdir: Path, result: DocumentResult,
                     reuse: dict[str, bytes] | None = None) -> list:
    """Run the section notebooks of one document, reusing unchanged ones; stop at the first failure."""
    kernel = warm_kernel()
    deadline = time.monotonic() + job.document_timeout
    executed = []
    parameters = {
        # Relative to the kernel's working folder, so no local path reaches any output.
        "workspace": os.path.relpath(workspace, workdir),
        "authority": job.authority,
        "client_group": job.client_group,
        "language": job.language,
    }
    reuse = reuse or {}
    kernel_ready = False
    for path in _section_notebook_paths(workspace):
        section = path.stem
        out_path = workdir / path.name
        if path.name in reuse:
            result.notebooks[path.name] = reuse[path.name]
            nb = nbformat.reads(reuse[path.name], as_version=4)
            reads = recorded_reads(nb)
            if reads is not None:  # an older notebook without them: it runs again below
                result.section_reads[section] = reads
                executed.append(nb)
                continue
        if not kernel_ready:
            kernel.begin_document()
            kernel_ready = True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            result.failure = Failure(section, f"the document ran past its time limit of {job.document_timeout} s.",
                                     kind="timeout")
            break
        started = time.perf_counter()
        _PARTIAL.clear()
        out_path.unlink(missing_ok=True)  # an output from an earlier run must never pass for this one's
        try:
            kernel.reset(workdir, collect=not result.executed_sections)  # a full collection once per document
            nb = pm.execute_notebook(
                str(path), str(out_path), parameters=parameters, engine_name=ENGINE_NAME, kernel_name="python3",
                progress_bar=False, request_save_on_cell_execute=False, log_output=False,
                execution_timeout=int(max(1, min(job.cell_timeout, remaining))),
            )
            result.section_reads[section] = _collect_reads(kernel, workdir, section)
            executed.append(nb)
            result.executed_sections.append(section)
        except PapermillExecutionError as exc:
            # Cells are named by their index in the kept notebook, as for timeouts and dead kernels.
            result.failure = Failure(section, f"{exc.ename}: {exc.evalue}", cell=exc.cell_index,
                                     notebook=path.name)
        except CellTimeoutError:
            kernel.shutdown()  # the kernel is still busy with the runaway cell
            message = (f"a cell ran past its time limit of {job.cell_timeout} s." if job.cell_timeout <= remaining
                       else f"the document ran past its time limit of {job.document_timeout} s (during this cell).")
            result.failure = Failure(section, message, cell=_keep_partial(out_path), notebook=path.name, kind="timeout")
        except DeadKernelError:
            kernel.shutdown()
            result.failure = Failure(section, "the kernel stopped unexpectedly (it may have run out of memory or crashed).",
                                     cell=_keep_partial(out_path), notebook=path.name, kind="kernel-died")
        except Exception as exc:  # noqa: BLE001 - a worker must report, never die, on one bad document
            kernel.shutdown()
            result.failure = Failure(section, f"{type(exc).__name__}: {exc}", notebook=None)
        finally:
            result.timings[f"execute:{section}"] = time.perf_counter() - started
        if out_path.exists():
            result.notebooks[path.name] = _portable(out_path, path.name, result.section_reads.get(section), workspace)
        if result.failure is not None:
            if result.failure.notebook and path.name not in result.notebooks:
                result.failure.notebook = None
            break
    return executed


READS_METADATA = "strategy_docs_reads"  # notebook metadata: the inputs the section read when it ran


def recorded_reads(nb) -> list[str] | None:
    reads = nb.metadata.get(READS_METADATA)
    return list(reads) if isinstance(reads, list) else None


def _collect_reads(kernel: WarmKernel, workdir: Path, section: str) -> list[str]:
    """What the section just read, from the kernel (context.py recorded it)."""
    path = workdir / f".{section}.reads.json"
    path.unlink(missing_ok=True)
    kernel.run(SAVE_READS_CODE.format(path=str(path)), timeout=60)
    reads = json.loads(path.read_text(encoding="utf-8"))
    path.unlink()
    return reads


def _portable(path: Path, name: str, reads: list[str] | None = None, workspace: Path | None = None) -> bytes:
    """The executed notebook without this machine's paths (papermill records absolute ones).

    Every output but the display blocks (which the documents are rendered from, so a reused
    notebook renders exactly as a fresh one) is scrubbed: streams, plain and HTML results,
    tracebacks (colour codes and all), and the papermill metadata.
    """
    nb = nbformat.read(path, as_version=4)
    if reads is not None:  # travels with the notebook, so a reused section keeps its inputs
        nb.metadata[READS_METADATA] = reads
    for cell in nb.cells:  # papermill gives the cell it injects a random id: the same document, the same id
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"
    meta = nb.metadata.get("papermill", {})
    if "input_path" in meta:
        meta["input_path"] = f"notebooks/{name}"
    if "output_path" in meta:
        meta["output_path"] = name

    def scrub(value):
        return scrub_local_paths(value, workspace)

    nb.metadata = _scrubbed(nb.metadata, scrub)
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        cell["metadata"] = _scrubbed(cell.get("metadata", {}), scrub)
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                output["text"] = scrub(output.get("text", ""))
            elif kind == "error":
                output["traceback"] = [scrub(line) for line in output.get("traceback", [])]
                output["evalue"] = scrub(output.get("evalue", ""))
                output["ename"] = scrub(output.get("ename", ""))
            elif kind in ("display_data", "execute_result"):
                data = output.get("data", {})
                for mime in list(data):
                    if mime != MIME_TYPE:
                        data[mime] = _scrubbed(data[mime], scrub)
                output["metadata"] = _scrubbed(output.get("metadata", {}), scrub)
    return nbformat.writes(nb).encode("utf-8")


def _scrubbed(value, scrub):
    """`value` (notebook JSON: strings, lists, mappings) with every string scrubbed; mappings in place."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrubbed(item, scrub) for item in value]
    if isinstance(value, dict):
        for key in list(value):
            value[key] = _scrubbed(value[key], scrub)
    return value


def _keep_partial(out_path: Path) -> int | None:
    """Write the notebook as far as it ran; return the index of the cell that was running."""
    nb = _PARTIAL.pop("nb", None)
    if nb is None:
        return None
    running = None
    for index, cell in enumerate(nb.cells):
        if cell.get("metadata", {}).get("papermill", {}).get("start_time"):
            running = index  # the last cell started is the one that never finished
    try:
        nbformat.write(nb, str(out_path))
    except Exception:  # noqa: BLE001 - the failure is reported either way
        pass
    return running


def render_outputs(job: DocumentJob, workspace: Path, notebooks: list, result: DocumentResult) -> None:
    started = time.perf_counter()
    template_dir = find_template_dir(workspace, "strategy")
    meta = dict(job.meta)
    document = render.assemble(notebooks, meta.get("skeleton"), language=job.language)  # the plan's order, titles, text sections
    html = render.render_html(document, meta, template_dir)
    result.timings["render:html"] = time.perf_counter() - started
    if "html" in job.formats:
        result.outputs["html"] = html.encode("utf-8")
    del html  # the bytes are kept: the text (up to four bytes a character) is not needed for the other formats
    if "pdf" in job.formats:
        started = time.perf_counter()
        source = pdf.pdf_document(document, meta)
        result.pdf_source = pdf.pdf_source_digest(source)
        if job.published_pdf_source and job.published_pdf_source == result.pdf_source:
            result.pdf_reused = True  # e.g. re-executed after a code change, same document: the PDF is kept
            result.timings["reuse:pdf"] = time.perf_counter() - started
        else:
            try:
                result.outputs["pdf"] = pdf.render_pdf(source)
            except Exception as exc:  # noqa: BLE001 - this format only: build.py still publishes the others
                _format_failed(result, "pdf", exc)
                result.pdf_source = None
            result.timings["render:pdf"] = time.perf_counter() - started
    if "docx" in job.formats:
        started = time.perf_counter()
        try:
            result.outputs["docx"] = docx_export.render_docx(document, meta)
        except Exception as exc:  # noqa: BLE001 - e.g. python-docx refusing a character: the other formats publish
            _format_failed(result, "docx", exc)
        result.timings["render:docx"] = time.perf_counter() - started


def _format_failed(result: DocumentResult, fmt: str, exc: Exception) -> None:
    message = str(exc) if isinstance(exc, RenderError) else f"{type(exc).__name__}: {exc}"
    result.format_failures[fmt] = message
    if result.failure is None:
        result.failure = Failure(fmt, message, kind=fmt)


def build_document(job: DocumentJob, workspace: Path, scratch: Path, executed_notebooks: dict[str, bytes] | None = None,
                   before_render: Callable[[], None] | None = None) -> DocumentResult:
    """Execute the sections not given in `executed_notebooks`, call `before_render` (if given),
    then render. Never raises."""
    result = DocumentResult(job)
    workspace = Path(workspace).resolve()
    # one folder per document: a client group's English and Welsh versions run side by side
    workdir = Path(scratch).joinpath(*job.key)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        notebooks = execute_sections(job, workspace, workdir, result, reuse=executed_notebooks)
        if before_render is not None:
            before_render()
        if result.failure is None:
            render_outputs(job, workspace, notebooks, result)
    except (RenderError, SectionError) as exc:
        result.failure = Failure("render", str(exc), kind="render")
    except Exception as exc:  # noqa: BLE001 - report the document as failed, keep the worker alive
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" (in {Path(last[0].filename).name}, line {last[0].lineno})" if last else ""
        result.failure = Failure("render", f"{type(exc).__name__}: {exc}{where}", kind="render")
    return result
