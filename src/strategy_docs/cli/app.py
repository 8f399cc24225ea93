"""The command line: `strategy-docs build|validate|list|init|...`.

This is the only place errors become messages and exit codes:
0 everything worked, 1 a document (or one of its formats) failed, 2 bad input or usage,
130 interrupted (Ctrl-C), 143 stopped by SIGTERM.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import time
from pathlib import Path

import click

from strategy_docs import __version__
from strategy_docs.errors import StrategyDocsError, StrictWarningsError, ValidationError
from strategy_docs.wording import plural
from strategy_docs.inputs.workspace import SECTION_NOTEBOOKS, Workspace, find_workspace


class Output:
    def __init__(self, verbosity: int):
        self.verbosity = verbosity

    def info(self, message: str) -> None:
        if self.verbosity >= 0:
            click.echo(message)

    def detail(self, message: str) -> None:
        if self.verbosity > 0:
            click.echo(message)

    def error(self, message: str) -> None:
        click.echo(message, err=True)


def _split(values: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


VERBOSITY_OPTIONS = [
    click.option("-q", "--quiet", count=True, help="Only print errors and the closing summary."),
    click.option("-v", "--verbose", count=True, help="Print more detail (timings, warnings in full)."),
]


def _verbosity_options(func):
    for option in reversed(VERBOSITY_OPTIONS):
        func = option(func)
    return func


def common(func=None, *, needs_workspace: bool = True):
    """The options every command takes; -q/-v may also come before the command (`strategy-docs -q build`)."""
    if func is None:
        return functools.partial(common, needs_workspace=needs_workspace)

    @_verbosity_options
    @functools.wraps(func)
    def wrapper(*args, quiet: int, verbose: int, workspace: Path | None = None, **kwargs):
        root = click.get_current_context().find_root()
        out = Output((root.obj or {}).get("verbosity", 0) + verbose - quiet)
        _stop_on_sigterm()
        try:
            if needs_workspace:
                kwargs["ws"] = find_workspace(workspace)
            return func(*args, out=out, **kwargs)
        except ValidationError as exc:
            _print_problems(out, exc)
            sys.exit(exc.exit_code)
        except StrategyDocsError as exc:
            out.error(f"Error: {exc}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            # The kernel of the interrupted cell is stopped; asyncio would print its task's
            # "Kernel died" traceback at exit, which is noise once the user has pressed Ctrl-C.
            import logging

            logging.getLogger("asyncio").disabled = True
            if isinstance(exc, Terminated):
                out.error("Stopped by SIGTERM; published documents are intact; the last good versions are kept.")
                sys.exit(143)
            out.error("Interrupted. Documents already published are intact; the last good versions are kept.")
            sys.exit(130)

    if needs_workspace:
        wrapper = click.option("--workspace", "-w", "workspace", type=click.Path(file_okay=False, path_type=Path),
                               default=None, help="Workspace folder (default: found from the current folder upwards, "
                                                  "else $STRATEGY_DOCS_WORKSPACE).")(wrapper)
    return wrapper


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service manager, `kill`, a CI timeout): stopped the way Ctrl-C stops, exit 143."""


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into `Terminated` so a build cleans up as after Ctrl-C: workers and kernels stopped,
    their files removed, nothing half-published. A second SIGTERM during that clean-up is ignored
    (kill -9 still works; the publish steps are safe against it)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum, frame):  # noqa: ARG001 - signal handler signature
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated()

    signal.signal(signal.SIGTERM, stop)


def _print_problems(out: Output, exc: ValidationError) -> None:
    count = len(exc.problems)
    if isinstance(exc, StrictWarningsError):
        out.error(f"--strict: {plural(count, 'warning')} counted as failures. Nothing was built.")
    else:
        out.error(f"Invalid input: {plural(count, 'problem')} found. Nothing was built.")
    for problem in exc.problems:
        out.error(f"  - {problem}")
    for warning in exc.warnings:
        out.detail(f"  warning: {warning}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="strategy-docs")
@_verbosity_options
@click.pass_context
def main(ctx: click.Context, quiet: int, verbose: int) -> None:
    """Build reproducible commissioning strategy documents (HTML and PDF) from parameters and data."""
    ctx.obj = {"verbosity": verbose - quiet}


STRICT = click.option("--strict", is_flag=True, help="Treat warnings as failures (exit 2), as sphinx-build -W does.")


@main.command()
@click.option("--authority", "-a", multiple=True, help="Only these authorities (repeat or comma-separate).")
@click.option("--client-group", "-c", multiple=True, help="Only these client groups (repeat or comma-separate).")
@click.option("--format", "-f", "formats", multiple=True, help="Output formats: html, pdf, docx (default: the project's).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Documents built in parallel (default: cores).")
@click.option("--force", is_flag=True, help="Rebuild every document even if nothing changed.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first document that fails.")
@click.option("--executor", type=click.Choice(["local", "serial", "dask"]), default="local", show_default=True,
              help="Where documents are built.")
@click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with --executor dask).")
@click.option("--wait", is_flag=True, help="If another build is running here, wait for it instead of stopping.")
@STRICT
@common
def build(ws: Workspace, out: Output, authority, client_group, formats, jobs, force, fail_fast, executor, scheduler, wait,
          strict):
    """Build every document of the matrix (or the ones selected) and the index."""
    from strategy_docs.build.pipeline import BuildOptions, build as run_build

    formats_list = _split(formats) or None
    for fmt in formats_list or []:
        if fmt not in ("html", "pdf", "docx"):
            raise click.BadParameter(f"'{fmt}' is not a format; use html, pdf or docx.", param_hint="--format")
    options = BuildOptions(authorities=_split(authority), client_groups=_split(client_group), formats=formats_list,
                           jobs=jobs or os.cpu_count() or 1, force=force, fail_fast=fail_fast, executor=executor,
                           scheduler=scheduler, wait=wait, strict=strict)
    bar = {}

    def on_planned(count: int) -> None:
        if count and out.verbosity >= 0:
            from tqdm import tqdm

            bar["bar"] = tqdm(total=count, unit="doc", desc="Building", file=sys.stderr, dynamic_ncols=True,
                              disable=None)

    def on_result(result) -> None:
        progress = bar.get("bar")
        if progress is not None:
            progress.set_postfix_str(("" if result.ok else "FAILED ") + result.job.label, refresh=False)
            progress.update(1)
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items() if k.startswith("render") or k == "execute")
        out.detail(f"{'built' if result.ok else 'failed'}: {result.job.label} {timings}")

    try:
        report = run_build(ws, options, on_planned=on_planned, on_result=on_result)
    finally:
        if "bar" in bar:
            bar["bar"].close()
    for warning in report.warnings:
        out.detail(f"{'note' if warning.severity == 'info' else 'warning'}: {warning}")
    warnings = [w for w in report.warnings if w.severity != "info"]
    if warnings and out.verbosity == 0:
        out.info(f"{plural(len(warnings), 'warning')} (run with -v to see them).")
    for failed in report.failed:
        if failed.published:  # only some formats failed: say which, why, and what was published
            for fmt, why in (failed.format_failures or {failed.section: failed.message}).items():
                out.error(f"FAILED {failed.job.label}: {fmt.upper()} not published: {why} "
                          f"({', '.join(f.upper() for f in failed.published)} published)")
            continue
        where = f"section {failed.section}" + (f", cell {failed.cell}" if failed.cell is not None else "")
        out.error(f"FAILED {failed.job.label}: {where}: {failed.message}")
        if failed.notebook:
            out.error(f"    executed notebook: {_relative(failed.notebook, ws.root)}")
    if report.not_started:
        out.error(f"Stopped early (--fail-fast): {plural(len(report.not_started), 'document')} not built.")
    partly = [f"{f.job.label}: {', '.join(fmt.upper() for fmt in (f.format_failures or [f.section]))} failed, "
              f"{', '.join(fmt.upper() for fmt in f.published)} published" for f in report.failed if f.published]
    summary = (f"{len(report.built)} built, {len(report.rerendered)} re-rendered, {len(report.up_to_date)} up to date, "
               f"{len(report.failed)} failed{' (' + '; '.join(partly) + ')' if partly else ''} of "
               f"{plural(report.planned, 'document')} in {report.seconds:.1f} s. "
               f"Index: {_relative(ws.build / 'index.html', Path.cwd())}")
    if report.summaries:
        summary += f" Summaries published: {len(report.summaries)}."
    click.echo(summary)
    sys.exit(0 if report.ok else 1)


def _relative(path: Path, root: Path) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:
        return str(path)


@main.command()
@click.option("--authority", "-a", multiple=True, help="Only these authorities.")
@click.option("--client-group", "-c", multiple=True, help="Only these client groups.")
@STRICT
@common
def validate(ws: Workspace, out: Output, authority, client_group, strict):
    """Check every parameters and data file without executing anything."""
    from strategy_docs.build.pipeline import validate as run_validate

    started = time.perf_counter()
    params = run_validate(ws, _split(authority), _split(client_group))
    warnings = [w for w in params.warnings if w.severity != "info"]  # notes (sections left out) never fail --strict
    if strict and warnings:
        raise StrictWarningsError(warnings)
    for warning in params.warnings:
        out.info(f"{'note' if warning.severity == 'info' else 'warning'}: {warning}")
    summaries = f", {plural(len(params.summaries), 'summary', 'summaries')}" if params.summaries else ""
    click.echo(f"Valid: {plural(len(params.strategies), 'document')}{summaries}, "
               f"{plural(len(params.authorities), 'authority', 'authorities')}, "
               f"{plural(len(params.client_groups), 'client group')} ({plural(len(warnings), 'warning')}"
               f"{'' if strict else '; --strict would fail on them' if warnings else ''}) "
               f"in {time.perf_counter() - started:.1f} s.")


@main.command(name="list")
@common
def list_documents(ws: Workspace, out: Output):
    """List the documents in the matrix, with their output paths and whether they are up to date."""
    from strategy_docs.inputs.params import load_params
    from strategy_docs.build.plan import plan_documents
    from strategy_docs.build.publish import document_paths, is_up_to_date

    params = load_params(ws.root)
    jobs = plan_documents(params)
    width = max((len(j.label) for j in jobs), default=10)
    for job in jobs:
        state = "up to date" if is_up_to_date(ws, job) else "to build"
        paths = document_paths(ws, job.key)
        click.echo(f"{job.label:<{width}}  {job.meta['status']:<12}  {state:<10}  "
                   f"{_relative(paths['html'], ws.root)}")
    out.info(f"{plural(len(jobs), 'document')}, edition {params.project.edition.label}.")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--empty", is_flag=True, help="Start with no authority: you add your own params and data.")
@common(needs_workspace=False)
def init(out: Output, directory: Path, empty: bool):
    """Make a new workspace in DIRECTORY: one example authority (synthetic data), or --empty."""
    from strategy_docs.inputs.scaffold import init_workspace

    new = init_workspace(directory, with_example=not empty)
    cd = f"cd {_quote(directory)} && "
    if empty:
        click.echo(f"Created an empty workspace in {new.root}. Next: {cd}strategy-docs new authority ID "
                   "(then 'strategy-docs new strategy ID CLIENT_GROUP', and 'strategy-docs validate' to see what is "
                   "left to fill in).")
    else:
        authority = next(new.params.glob("authorities/*.yaml")).stem
        click.echo(f"Created a workspace in {new.root} with the example authority '{authority}' (synthetic data, "
                   f"labelled so in its documents). Next: {cd}strategy-docs build")


def _quote(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


@main.group()
def new() -> None:
    """Add an authority or a strategy from a commented scaffold, and put it in the matrix."""


@new.command(name="authority")
@click.argument("authority_id")
@common
def new_authority(ws: Workspace, out: Output, authority_id: str):
    """Write params/authorities/AUTHORITY_ID.yaml and add it to the matrix."""
    from strategy_docs.inputs.scaffold import new_authority as make

    path = make(ws, authority_id)
    click.echo(f"Wrote {_relative(path, Path.cwd())} and added '{authority_id}' to the matrix in params/project.yaml. "
               f"Next: fill in its TO DO values, then 'strategy-docs new strategy {authority_id} CLIENT_GROUP' "
               f"(client groups: {', '.join(sorted(p.stem for p in (ws.params / 'client-groups').glob('*.y*ml')))}).")


@new.command(name="strategy")
@click.argument("authority_id")
@click.argument("client_group")
@common
def new_strategy(ws: Workspace, out: Output, authority_id: str, client_group: str):
    """Write params/strategies/AUTHORITY_ID/CLIENT_GROUP.yaml and add the pair to the matrix."""
    from strategy_docs.inputs.scaffold import new_strategy as make

    path = make(ws, authority_id, client_group)
    click.echo(f"Wrote {_relative(path, Path.cwd())} and added {authority_id} / {client_group} to the matrix. "
               f"Next: fill in its TO DO values and run 'strategy-docs validate' (it lists the data tables "
               f"data/{authority_id}/ still needs).")


@main.command()
@click.argument("authority")
@click.argument("client_group")
@click.argument("section", required=False)
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the prepared notebooks (default: prepared/AUTHORITY/CLIENT_GROUP).")
@common
def prepare(ws: Workspace, out: Output, authority: str, client_group: str, section: str | None, output: Path | None):
    """Write section notebooks with this document's parameters injected, ready to run in Jupyter."""
    from strategy_docs.loop.prepare import prepare_notebooks

    written = prepare_notebooks(ws, authority, client_group, section, output)
    for path in written:
        click.echo(_relative(path, Path.cwd()))
    out.info(f"Prepared {plural(len(written), 'notebook')}. Open them with: jupyter lab {_relative(written[0].parent, Path.cwd())}"
             + ("" if shutil.which("jupyter") else ' (JupyterLab: pip install "strategy-docs[lab]")'))


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["main", "SECTION_NOTEBOOKS"]

