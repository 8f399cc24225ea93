"""The build, as a recipe: validate, plan, execute, render, publish.

Nothing is executed and nothing in build/ changes unless every parameters and data file is
valid. Each document is built independently, so one failure never sinks the rest.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable
import dataclasses
import hashlib

from strategy_docs.inputs.data import data_files, load_authority_data
from strategy_docs.errors import (
    DataError, Problem, PublishError, RenderError, StrategyDocsError, StrictWarningsError, ValidationError,
)
from strategy_docs.build.plan import (
    DocumentJob, file_digest, input_stamp, package_digest, plan_documents, read_cached_plan, save_cached_plan, sha256_bytes,
)
from strategy_docs.build.publish import (FORMAT_SUFFIX, all_record_stamp, build_lock, cached_notebooks, is_up_to_date, keep_failed_notebooks,
                      now_iso, publish_document, read_record, write_manifest_and_index)
from strategy_docs.inputs.workspace import Workspace
from strategy_docs.analysis.resources import check_stated_totals
from strategy_docs.build import summaries as summary_doc
from strategy_docs.build.publish import atomic_write, document_paths, record_attempt
from strategy_docs.build.summaries import plan_summaries
from strategy_docs.inputs.checks import data_problems, params_problems, source_problems
from strategy_docs.inputs.params import load_params
from strategy_docs.sections.outline import cached_left_out_notes

if TYPE_CHECKING:  # the execution machinery (papermill, kernels) loads only when there is work to do;
    from strategy_docs.build.execute import DocumentResult  # params (pydantic) only when the inputs changed
    from strategy_docs.inputs.params import Params


@dataclass
class BuildOptions:
    authorities: list[str] = field(default_factory=list)
    client_groups: list[str] = field(default_factory=list)
    formats: list[str] | None = None
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    force: bool = False
    fail_fast: bool = False
    executor: str = "local"  # local | serial | dask
    scheduler: str | None = None
    wait: bool = False
    strict: bool = False  # warnings count as failures: nothing is built
    keep_kernel: bool = False  # serial executor only: leave the warm kernel running after the build (preview)


@dataclass
class FailedDocument:
    job: DocumentJob
    section: str
    message: str
    cell: int | None
    notebook: Path | None
    published: tuple[str, ...] = ()  # formats still published (only some formats failed)
    format_failures: dict[str, str] = field(default_factory=dict)  # format -> why


@dataclass
class BuildReport:
    planned: int = 0
    built: list[DocumentJob] = field(default_factory=list)
    rerendered: list[DocumentJob] = field(default_factory=list)
    up_to_date: list[DocumentJob] = field(default_factory=list)
    failed: list[FailedDocument] = field(default_factory=list)
    not_started: list[DocumentJob] = field(default_factory=list)
    summaries: list = field(default_factory=list)  # summary_doc.SummaryJob published by this build
    warnings: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_started


# ---------------------------------------------------------------- validate


def validate(ws: Workspace, authorities: list[str] | None = None, client_groups: list[str] | None = None) -> Params:
    """Check every parameters and data file the selected documents use; raise with all problems."""
    def wanted(pair: tuple[str, str]) -> bool:
        return (not authorities or pair[0] in authorities) and (not client_groups or pair[1] in client_groups)

    sources = source_problems(ws.root)  # two files for one source: loading would silently pick one
    try:
        params = load_params(ws.root, pairs_filter=wanted)
    except ValidationError as exc:
        if sources:
            raise ValidationError(list(dict.fromkeys(sources + exc.problems + exc.warnings))) from None
        raise
    problems: list[Problem] = sources + list(params.warnings) + params_problems(params)
    _check_filters(params, authorities, client_groups)
    validated = _read_validated(ws)
    for authority_id in sorted({a for a, _ in params.strategies}):
        authority = params.authorities[authority_id]
        files = {t: p for t, p in data_files(ws.root, authority_id).items() if p is not None}
        totals = [f"{g}:{s.budget_totals.model_dump_json()}" for (a, g), s in sorted(params.strategies.items())
                  if a == authority_id and s.budget_totals is not None]
        signature = _data_signature(files, authority, params, totals, authority_id)
        if signature in validated and len(files) == 6:
            problems.extend(_left_out_notes(ws, params, authority_id, signature))
            continue  # the same data and stated totals passed before: skip re-checking them
        try:
            data = load_authority_data(ws.root, authority_id, {loc.code for loc in authority.localities},
                                       authority.nation, client_groups=set(params.client_groups))
        except DataError as exc:
            problems.extend(exc.problems + exc.warnings)
            continue
        problems.extend(_left_out_notes(ws, params, authority_id, signature, data))
        for (a, g), strategy in params.strategies.items():
            if a != authority_id or strategy.budget_totals is None:
                continue
            problems.extend(_check_budget_totals(params, a, g, data))
        problems.extend(data_problems(params, authority_id, data))
        if not [p for p in problems if p.severity == "error"]:
            validated.add(signature)
    problems.extend(plan_summaries(params)[1])  # params/summaries/: each table computed now, so it cannot fail later
    problems = list(dict.fromkeys(problems))  # a client-group problem is found once per authority
    if [p for p in problems if p.severity == "error"]:
        raise ValidationError(problems)
    _write_validated(ws, validated)
    params.warnings = problems
    return params


def _left_out_notes(ws: Workspace, params: Params, authority_id: str, signature: str, data=None) -> list[Problem]:
    """Information: the sections each document leaves out because the plan gives them no content."""
    return cached_left_out_notes(ws.root, ws.state, params, authority_id, signature, data)


def _check_filters(params: Params, authorities: list[str] | None, client_groups: list[str] | None) -> None:
    problems = []
    pairs = params.pairs()
    for a in authorities or []:
        if a not in {p[0] for p in pairs}:
            problems.append(Problem("--authority", f"'{a}' is not an authority in the build matrix.",
                                    fix=f"use one of: {', '.join(sorted({p[0] for p in pairs}))}."))
    for g in client_groups or []:
        if g not in {p[1] for p in pairs}:
            problems.append(Problem("--client-group", f"'{g}' is not a client group in the build matrix.",
                                    fix=f"use one of: {', '.join(sorted({p[1] for p in pairs}))}."))
    if problems:
        raise ValidationError(problems)


def _check_budget_totals(params: Params, authority_id: str, group_id: str, data) -> list[Problem]:
    stated = params.strategies[(authority_id, group_id)].budget_totals
    file = f"params/strategies/{authority_id}/{group_id}.yaml"
    budget = data.for_client_group(group_id, params.client_groups[group_id].covers).budget
    budget = budget[budget["financial_year"] == stated.financial_year]
    if budget.empty:
        return [Problem(file, f"budget_totals are stated for {stated.financial_year}, but data/{authority_id}/budget has no "
                              f"{group_id} lines for that year.", field="budget_totals.financial_year",
                        fix="correct the financial year or add the budget lines.")]
    problems = []
    for mismatch in check_stated_totals(budget, stated.groups, stated.net_total):
        field = f"budget_totals.groups.{mismatch.group}" if mismatch.group else "budget_totals.net_total"
        problems.append(Problem(file, mismatch.message, field=field,
                                fix=f"correct the stated total or the lines in data/{authority_id}/budget."))
    return problems


def _data_signature(files: dict[str, Path], authority, params: Params, totals: list[str], authority_id: str = "") -> str:
    parts = [f"{t}:{file_digest(p)}" for t, p in sorted(files.items())]
    parts.extend(totals)
    parts.append(authority.model_dump_json(include={"localities", "nation"}))
    parts.append(",".join(sorted(params.client_groups)))
    # checks.py reads these params against the data: a change to them must re-check the rows
    parts.append(params.project.edition.model_dump_json())
    parts.extend(g.model_dump_json() for _, g in sorted(params.client_groups.items()))
    parts.extend(f"{key}:{s.model_dump_json(include={'indicators', 'budget_totals', 'hypotheses'})}"
                 for key, s in sorted(params.strategies.items()) if key[0] == authority_id)
    parts.append(package_digest())
    return sha256_bytes("|".join(parts).encode())


def _read_validated(ws: Workspace) -> set[str]:
    try:
        return set(json.loads((ws.state / "validated-data.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return set()


def _write_validated(ws: Workspace, validated: set[str]) -> None:
    atomic_write(ws.state / "validated-data.json", json.dumps(sorted(validated)[-500:]).encode("utf-8"))


# ---------------------------------------------------------------- build


def plan(ws: Workspace, options: BuildOptions) -> tuple[list[DocumentJob], list[Problem], str]:
    """Validate and plan, or reuse the plan made from exactly these input files (see plan.py)."""
    options_key = json.dumps([sorted(options.authorities), sorted(options.client_groups), options.formats])
    stamp = input_stamp(ws.root)  # taken before reading: a file changed meanwhile re-plans next time
    if not options.force:
        cached = read_cached_plan(ws.state, options_key, stamp)
        if cached is not None:
            return cached
    params = validate(ws, options.authorities, options.client_groups)
    _write_matrix(ws, params.pairs() + [(a, g, language) for a, g in params.pairs()
                                        for language in params.authorities[a].languages[1:]])
    jobs = plan_documents(params, options.authorities, options.client_groups, options.formats)
    save_cached_plan(ws.state, options_key, stamp, jobs, params.warnings, params.project.name)
    return jobs, params.warnings, params.project.name


def build(ws: Workspace, options: BuildOptions, on_planned: Callable[[int], None] | None = None,
          on_result: Callable[[DocumentResult], None] | None = None) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport()
    jobs, report.warnings, project_name = plan(ws, options)
    failing = [w for w in report.warnings if w.severity != "info"]  # notes (sections left out) never fail --strict
    if options.strict and failing:
        raise StrictWarningsError(failing)
    report.planned = len(jobs)
    with build_lock(ws, wait=options.wait):
        tasks = []
        for job in jobs:
            if not options.force and is_up_to_date(ws, job):
                report.up_to_date.append(job)
            else:
                if not options.force:
                    job = reusable_pdf(ws, job)
                tasks.append((job, None if options.force else cached_notebooks(ws, job)))
        if on_planned:
            on_planned(len(tasks))
        if tasks:
            _run(ws, options, tasks, report, on_result, project_name)
        if not options.authorities and not options.client_groups:  # a filtered build is for those documents only
            _build_summaries(ws, options, report)
        _write_index_if_changed(ws, project_name)
    report.seconds = time.perf_counter() - started
    return report


def _build_summaries(ws: Workspace, options: BuildOptions, report: BuildReport) -> None:
    edition, jobs = summary_doc.planned(ws, options.formats)
    summary_doc.remove_unplanned(ws, edition, {job.id for job in jobs})
    for job in jobs:
        try:
            built, _ = summary_doc.build_summaries(ws, [job], force=options.force)
            report.summaries.extend(built)
        except (RenderError, PublishError, OSError) as exc:
            report.failed.append(FailedDocument(job, "summary", str(exc), None, None))


MATRIX_FILE = "matrix.json"


def _write_matrix(ws: Workspace, pairs: list[tuple]) -> None:
    """The whole matrix (whatever the filters), beside the plan it was read with: the index lists only these.
    Each (authority, client group), and (authority, client group, language) for each language besides English."""
    atomic_write(ws.work / MATRIX_FILE, json.dumps(sorted(pairs)).encode("utf-8"))


def _read_matrix(ws: Workspace) -> set[tuple[str, str]] | None:
    try:
        return {tuple(entry) for entry in json.loads((ws.work / MATRIX_FILE).read_text(encoding="utf-8"))}
    except (OSError, ValueError, TypeError):
        return None


def _write_index_if_changed(ws: Workspace, project_name: str) -> None:
    """Rewrite the manifests and the index unless no record changed since they were written."""
    stamp_file = ws.state / "index-stamp"
    inputs = input_stamp(ws.root)  # templates/index and the code that renders it
    matrix = _read_matrix(ws)
    stamp = json.dumps([project_name, all_record_stamp(ws), inputs, sorted(matrix or [])])
    try:
        if inputs is not None and stamp_file.read_text(encoding="utf-8") == stamp and (ws.build / "index.html").is_file():
            return
    except OSError:
        pass
    try:
        write_manifest_and_index(ws, project_name, matrix)
    except OSError as exc:
        where = exc.filename and os.path.relpath(exc.filename, ws.root)
        raise PublishError(f"could not write {where or 'the index'} ({exc.strerror or exc}); the documents published "
                           "are intact. Fix: free some disk space or make build/ writable, then build again.") from exc
    atomic_write(stamp_file, stamp.encode("utf-8"))


def reusable_pdf(ws: Workspace, job: DocumentJob) -> DocumentJob:
    """The job, told which PDF is published for it if that file is intact (its size and sha256 as recorded)."""
    record = read_record(ws, job.key) or {}
    source, entry = record.get("pdf_source"), record.get("files", {}).get("pdf")
    if "pdf" not in job.formats or not source or not entry:
        return job
    try:
        data = document_paths(ws, job.key)["pdf"].read_bytes()
    except OSError:
        return job
    if len(data) != entry.get("bytes") or hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        return job
    return dataclasses.replace(job, published_pdf_source=source)


def published_pdf(ws: Workspace, job: DocumentJob) -> bytes:
    return document_paths(ws, job.key)["pdf"].read_bytes()


def _publish_available_formats(ws: Workspace, result, built_at: str, project_name: str | None = None) -> tuple[str, ...]:
    """Some formats failed (a PDF/UA-1 check, python-docx refusing a character): publish the others,
    and no stale file of a failed format beside them. One path for every format.

    The document is still reported as failed, and its record lacks the failed formats, so the next
    build tries them again. Returns the formats published.
    """
    failed = tuple(result.format_failures) or (result.failure.kind,)
    job = dataclasses.replace(result.job, formats=tuple(f for f in result.job.formats if f not in failed))
    if not job.formats:
        return ()
    reasons = dict(result.format_failures) or {result.failure.kind: result.failure.message}
    try:  # the failed formats' old files go in the same step (no file of other inputs beside the new ones)
        publish_document(ws, dataclasses.replace(result, job=job, failure=None), built_at, failed_formats=failed,
                         format_failures=reasons, project_name=project_name)
    except (PublishError, OSError) as exc:
        result.failure.message += f" The other formats were not published either: {exc}"
        return ()
    return job.formats


def _note_attempt(ws: Workspace, result, built_at: str, previous: dict | None, project_name: str | None = None) -> None:
    """A document that published nothing: every format it was to make is noted as failed, with why,
    so the index shows its earlier files as out of date (publish.record_attempt)."""
    where = "" if result.failure.section in FORMAT_SUFFIX else f"section {result.failure.section}: "
    failed = {fmt: f"{where}{result.failure.message}" for fmt in result.job.formats}
    try:
        record_attempt(ws, result.job, failed, built_at, previous, project_name)
    except (OSError, StrategyDocsError):
        pass  # the summary still names the failure


def _run(ws: Workspace, options: BuildOptions, tasks, report: BuildReport, on_result, project_name: str | None = None) -> None:
    """Build the tasks and publish each document as it comes; with `project_name` the index is rewritten
    with each one, so a build stopped halfway (Ctrl-C, SIGTERM, kill -9) leaves an index that is true."""
    from strategy_docs.build.execute import Failure  # lazy: execute loads papermill and Jupyter; a no-op build needs neither
    from strategy_docs.build.executors import make_executor  # lazy: as above

    scratch = ws.state / "work"
    executor = make_executor(options.executor, ws.root, scratch, options.jobs, options.scheduler, len(tasks),
                             keep_kernel=options.keep_kernel)
    remaining = {job.key: job for job, _ in tasks}
    built_at = now_iso()
    cancelled = False
    try:
        for result in executor.run(tasks):
            remaining.pop(result.job.key, None)
            if result.ok and result.pdf_reused:
                try:  # checked against its record before the task went out
                    result.outputs["pdf"] = published_pdf(ws, result.job)
                except OSError as exc:
                    result.failure = Failure("publish", f"the published PDF to keep went missing ({exc}); build again.",
                                             kind="publish")
            previous = read_record(ws, result.job.key)
            published: tuple[str, ...] = ()
            if not result.ok and (result.format_failures or result.failure.kind in FORMAT_SUFFIX):
                published = _publish_available_formats(ws, result, built_at, project_name)
            if result.ok:
                try:
                    publish_document(ws, result, built_at, project_name=project_name)
                    (report.built if result.executed else report.rerendered).append(result.job)
                except (PublishError, OSError) as exc:  # this document only: the others still publish
                    result.failure = Failure("publish", str(exc), kind="publish")
                    report.failed.append(FailedDocument(result.job, "publish", str(exc), None, None))
            elif published:
                failure = result.failure
                report.failed.append(FailedDocument(result.job, failure.section, failure.message, None, None,
                                                    published=published,
                                                    format_failures=dict(result.format_failures)))
            else:
                try:
                    kept = keep_failed_notebooks(ws, result)
                except (PublishError, OSError):
                    kept = None
                failure = result.failure
                report.failed.append(FailedDocument(result.job, failure.section, failure.message, failure.cell,
                                                    kept if failure.notebook else None))
            if not result.ok and not published:  # a published document's note switched with its files
                _note_attempt(ws, result, built_at, previous, project_name)
            if on_result:
                on_result(result)
            if not result.ok and options.fail_fast:
                cancelled = True
                break
    except BaseException:
        cancelled = True
        raise
    finally:
        executor.close(cancel=cancelled)
        report.not_started = list(remaining.values()) if cancelled else []
