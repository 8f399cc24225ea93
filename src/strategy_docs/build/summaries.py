"""Summary documents across authorities: params/summaries/<id>.yaml -> build/<edition>/_summaries/<id>.html.

A summary is computed in the plan (it is small: one population figure per authority), so a
`validate` that passes means it renders. Its document is assembled from display blocks without
running a notebook and rendered with the strategy template, so it looks like the others and
goes into the index through an ordinary build record. Its render key is the digest of what it
shows (blocks and metadata), the templates, the formats and the package: an incremental build
publishes exactly the bytes a forced one would.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
import os

import pandas as pd

from strategy_docs import __version__
from strategy_docs.errors import Problem, ValidationError
from strategy_docs.analysis.needs import describe_age_range, parse_age_band
from strategy_docs.analysis.summary import population_in_band, rate_summary, total_note
from strategy_docs.atomic import atomic_write
from strategy_docs.build.plan import file_digest, input_stamp, package_digest, sha256_bytes, tree_digest
from strategy_docs.build.publish import FORMAT_SUFFIX, Switch, document_paths, file_matches, now_iso, read_record, record_path
from strategy_docs.inputs.bundled import template_dir
from strategy_docs.inputs.data import find_table_file, read_table, row_number
from strategy_docs.inputs.params import load_params
from strategy_docs.inputs.schema import TABLES
from strategy_docs.inputs.yamlio import read_yaml

if TYPE_CHECKING:
    from strategy_docs.inputs.params import Params, Summary
    from strategy_docs.inputs.workspace import Workspace

FOLDER = "_summaries"  # under build/<edition>/ and the records: never an authority id (those start [a-z0-9])


@dataclass(frozen=True)
class SummaryJob:
    id: str
    edition: str
    formats: tuple[str, ...]
    render_key: str
    blocks: list = field(default_factory=list, hash=False, compare=False)
    meta: dict = field(default_factory=dict, hash=False, compare=False)
    inputs: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.edition, FOLDER, self.id)

    @property
    def label(self) -> str:
        return f"summary {self.id}"


def population_schema():
    """The population table as a summary reads it: any age band ('70+'), persons as well as each sex,
    and year and basis left blank when the source does not state them."""
    base = TABLES["population"]
    columns = []
    for column in base.columns:
        if column.name == "age_band":
            column = dataclasses.replace(column, allowed=None, pattern=r"^\d{1,3}(-\d{1,3}|\+)$")
        elif column.name == "sex":
            column = dataclasses.replace(column, allowed=("female", "male", "persons"))
        elif column.name in ("year", "basis"):
            column = dataclasses.replace(column, blank_ok=True)
        columns.append(column)
    return dataclasses.replace(base, columns=tuple(columns))


def summary_authorities(params: Params, summary: Summary) -> list[str]:
    if summary.authorities != "all":
        return list(summary.authorities)
    matrix = params.project.matrix.authorities
    return sorted(params.authorities) if matrix == "all" else list(matrix)


def plan_summaries(params: Params, formats: list[str] | None = None) -> tuple[list[SummaryJob], list[Problem]]:
    """One job per summary, with its table computed; every problem found, at once."""
    jobs, problems = [], []
    for summary_id, summary in sorted(params.summaries.items()):
        job = _plan_one(params, summary_id, summary, tuple(formats or params.project.formats), problems)
        if job is not None:
            jobs.append(job)
    return jobs, problems


def _plan_one(params: Params, summary_id: str, summary: Summary, formats: tuple[str, ...],
              problems: list[Problem]) -> SummaryJob | None:
    workspace = params.workspace
    file = f"params/summaries/{summary_id}.yaml"
    _, lines, _ = read_yaml(workspace / file, file)
    found_problem = len(problems)

    def problem(path: tuple, message: str, fix: str) -> None:
        problems.append(Problem(file, message, field=".".join(map(str, path)), line=lines.line_for(path), fix=fix))

    if summary.client_group not in params.client_groups:
        problem(("client_group",), f"names client group '{summary.client_group}', which has no file "
                f"params/client-groups/{summary.client_group}.yaml.",
                f"use one of: {', '.join(sorted(params.client_groups))}.")
    summary = _with_measure(summary, params, problem)
    if summary is None:
        return None
    authority_ids = summary_authorities(params, summary)
    if not authority_ids:
        problem(("authorities",), "lists no authorities.", "list the authorities to summarise, or remove the key to use the matrix's.")
    populations: dict[str, int] = {}
    data_inputs: dict[str, str] = {}
    years_used: dict[tuple[int, ...], list[str]] = {}
    m = summary.measure
    for i, authority_id in enumerate(authority_ids):
        authority = params.authorities.get(authority_id)
        if authority is None:
            problem(("authorities", i), f"names authority '{authority_id}', which has no file "
                    f"params/authorities/{authority_id}.yaml.", "add the file or correct the spelling.")
            continue
        path = find_table_file(workspace / "data" / authority_id, "population")
        if path is None:
            problems.append(Problem(f"data/{authority_id}/population.csv", f"is missing; summary '{summary_id}' needs "
                                    f"the population aged {m.age_band} of {authority.name}.",
                                    fix="add it, or leave the authority out of the summary's authorities."))
            continue
        display = path.relative_to(workspace).as_posix()
        codes = {loc.code for loc in authority.localities}

        def areas(frame, bad, codes=codes) -> None:
            for r, code in enumerate(frame["area_code"]):
                if code is not None and code not in codes:
                    bad(r, "area_code", f"row {row_number(frame, r)}: unknown area code {code!r}.",
                        f"use one of the authority's locality codes: {', '.join(sorted(codes))}.")

        frame = read_table(path, "population", display, problems, areas, schema=population_schema())
        if frame is None:
            continue
        if authority.name in populations:
            problem(("authorities", i), f"lists {authority.name} twice.", "list each authority once.")
            continue
        try:
            populations[authority.name] = population_in_band(frame, m.age_band, m.year, m.sex, m.basis)
        except ValueError as exc:
            text = str(exc)
            column = ("year" if "years" in text or text.startswith("has no rows") else
                      "sex" if "sex" in text or "persons" in text else "age_band")
            problems.append(Problem(display, f"{text} (summary '{summary_id}', measure.age_band {m.age_band})",
                                    field=column,
                                    fix=f"add the rows for {m.age_band}, or correct measure.age_band / measure.year in {file}."))
            continue
        data_inputs[display] = file_digest(path)
        if m.year is None:
            years_used.setdefault(tuple(sorted({int(y) for y in frame["year"].dropna()})), []).append(authority.name)
    if len(years_used) > 1:  # one table must not mix years the summary does not name
        seen = "; ".join(f"{', '.join(map(str, y)) or 'not stated'} ({', '.join(names)})" for y, names in years_used.items())
        problem(("measure", "year"), f"names no year, and the authorities' population tables are of different years: {seen}.",
                "name the year under measure.year, or give every authority figures of the same year.")
    if len(problems) > found_problem:
        return None
    table = rate_summary(populations, m.rate_percent, summary.decimals, summary.total)
    group = params.client_groups[summary.client_group]
    synthetic = params.project.synthetic_data if summary.synthetic is None else summary.synthetic
    blocks = summary_blocks(summary, table, synthetic)
    edition = params.project.edition
    meta = {
        "title": summary.title, "authority_name": summary.area, "authority_id": FOLDER, "client_group_id": summary_id,
        "client_group_name": group.name, "edition": edition.slug, "edition_label": edition.label,
        "status": summary.status,
        "publication_date": summary.publication_date.isoformat() if summary.publication_date else None,
        "author": "", "owner": "", "accent_colour": None, "logo_data_uri": None, "synthetic": synthetic,
        "generator": f"strategy-docs {__version__}",
    }
    templates = tree_digest(template_dir(workspace, "strategy"))  # the workspace's own, else the package's
    render_key = sha256_bytes(json.dumps([blocks, meta, templates, package_digest(), list(formats)],
                                         sort_keys=True).encode("utf-8"))
    inputs = {"params": {f"summary:{summary_id}": file_digest(workspace / file)}, "data": data_inputs,
              "templates": templates, "package": package_digest()}
    return SummaryJob(summary_id, edition.slug, formats, render_key, blocks, meta, inputs)


def _with_measure(summary: Summary, params: Params, problem) -> Summary | None:
    """The summary with its rate filled in from the client group's measure when it names one."""
    m = summary.measure
    if m.from_client_group is None:
        return summary
    group = params.client_groups.get(summary.client_group)
    if group is None:
        return None  # reported already
    measure = next((x for x in group.measures if x.id == m.from_client_group), None)
    where = ("measure", "from_client_group")
    if measure is None:
        problem(where, f"the client group '{summary.client_group}' has no measure '{m.from_client_group}'.",
                f"use one of: {', '.join(x.id for x in group.measures)}.")
        return None
    if len(measure.rates) != 1:
        problem(where, f"the measure '{measure.id}' has {len(measure.rates)} rates; a summary applies one.",
                "state label, rate_percent and age_band under measure instead.")
        return None
    rate = measure.rates[0]
    filled = m.model_copy(update={"label": measure.label, "rate_percent": rate.rate_percent, "age_band": rate.age_band,
                                  "sex": rate.sex, "source": m.source or measure.source})
    return summary.model_copy(update={"measure": filled})


def summary_blocks(summary: Summary, table, synthetic: bool) -> list[dict]:
    """The summary's content as display blocks: its introduction, how it is estimated, the table, notes."""
    from strategy_docs.sections import blocks as b  # lazy: blocks loads matplotlib; a no-op build plans summaries without it
    m = summary.measure
    ages = describe_age_range(parse_age_band(m.age_band))
    sex = "" if m.sex == "all" else f"{m.sex} "
    year = f" in {m.year}" if m.year is not None else ""
    out = [b.heading(m.label, 2, id="summary")]
    if summary.introduction.strip():
        out.append(b.prose(summary.introduction))
    rate = f"{m.rate_percent:g}%"
    method = f"{m.label}: estimated as {rate} of each authority's {sex}population {ages}{year}"
    method += f" (rate: {m.source})." if m.source else "."
    if summary.decimals == 0:
        method += " Each estimate is rounded to a whole number."
    else:
        method += f" Each estimate is rounded to {summary.decimals} decimal place{'s' if summary.decimals > 1 else ''}."
    out.append(b.prose(method))
    headings = {"authority": "Authority", "population": f"Population {ages}{year}", "estimate": m.label}
    headings.update(summary.columns)
    frame = pd.DataFrame({headings["authority"]: table.rows["name"], headings["population"]: table.rows["population"],
                          headings["estimate"]: table.rows["estimate"]})
    footer = {headings["authority"]: summary.area, headings["population"]: table.total_population,
              headings["estimate"]: table.total}
    notes = [total_note(table, summary.area)]
    if summary.population_source:
        notes.append(f"Population: {summary.population_source}.".replace("..", "."))
    if m.source:
        notes.append(f"Rate: {m.source}.".replace("..", "."))
    notes.extend(summary.notes)  # synthetic figures: the cover's notice (meta.synthetic) says so
    caption = summary.caption or f"{m.label}, by authority"
    out.append(b.table(frame, caption, id="summary-table", numeric_columns=[headings["population"], headings["estimate"]],
                       suppress_columns=[], footer=footer, notes=" ".join(notes)))
    return out


def render(job: SummaryJob, workspace: Path) -> dict[str, bytes]:
    """The summary's published files, by format (docx is not offered for summaries yet)."""
    import nbformat  # lazy: rendering (nbformat, nbconvert, Typst) only when a summary is built

    from strategy_docs.outputs import html as render_module
    from strategy_docs.sections.blocks import MIME_TYPE

    nb = nbformat.v4.new_notebook()
    for block in job.blocks:
        cell = nbformat.v4.new_code_cell(source="")
        cell.outputs = [nbformat.v4.new_output("display_data", data={MIME_TYPE: block})]
        nb.cells.append(cell)
    html = render_module.render_html(nb, job.meta, template_dir(workspace, "strategy"))
    outputs = {}
    if "html" in job.formats:
        outputs["html"] = html.encode("utf-8")
    if "pdf" in job.formats:
        from strategy_docs.outputs import pdf  # lazy: Typst only when a summary PDF is built

        outputs["pdf"] = pdf.render_pdf(pdf.pdf_document(nb, job.meta))
    return outputs


def planned(ws: Workspace, formats: list[str] | None) -> tuple[str, list[SummaryJob]]:
    """The edition and the summaries to build, reused from the last plan made from exactly these input files."""
    stamp = input_stamp(ws.root)  # before reading, as build.plan does
    cache = ws.state / "summary-plan.json"
    key = json.dumps([stamp, formats])
    if stamp is not None:
        try:
            saved = json.loads(cache.read_text(encoding="utf-8"))
            if saved["key"] == key:
                return saved["edition"], [SummaryJob(**dict(j, formats=tuple(j["formats"]))) for j in saved["jobs"]]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    params = load_params(ws.root, pairs_filter=lambda pair: False)  # summaries need no strategy file
    jobs, problems = plan_summaries(params, formats)
    if problems:  # validate reports these first; only a file edited since can get here
        raise ValidationError(problems)
    edition = params.project.edition.slug
    if stamp is not None:
        atomic_write(cache, json.dumps({"key": key, "edition": edition,
                                        "jobs": [dataclasses.asdict(j) for j in jobs]}).encode("utf-8"))
    return edition, jobs


def publish_formats(job: SummaryJob) -> tuple[str, ...]:
    return tuple(f for f in job.formats if f in ("html", "pdf"))  # no Word export of summaries yet


def build_summaries(ws: Workspace, jobs: list[SummaryJob], force: bool = False) -> tuple[list[SummaryJob], list[SummaryJob]]:
    """Render and publish the summaries whose record does not match; returns (built, up to date)."""
    built, current = [], []
    for job in jobs:
        job = dataclasses.replace(job, formats=publish_formats(job))
        paths = document_paths(ws, job.key)
        record = read_record(ws, job.key) or {}
        files = record.get("files", {})
        if not force and record.get("render_key") == job.render_key and all(
                file_matches(paths[f], files.get(f, {})) for f in job.formats):
            current.append(job)
            continue
        outputs = render(job, ws.root)
        published = {fmt: {"path": paths[fmt].relative_to(ws.build).as_posix(), "bytes": len(outputs[fmt]),
                           "sha256": sha256_bytes(outputs[fmt])} for fmt in job.formats}
        same = record.get("built_at") and all(files.get(f, {}).get("sha256") == published[f]["sha256"] for f in job.formats)
        when = record["built_at"] if same else now_iso()  # as for documents: when the bytes last changed
        switch = Switch(ws)  # its formats and record as one step, as a document's (publish.Switch)
        with switch.staging():
            for fmt in job.formats:
                switch.put(paths[fmt], outputs[fmt])
            switch.put(record_path(ws, job.key), json.dumps({
                "edition": job.edition, "authority": FOLDER, "client_group": job.id, "kind": "summary",
                "exec_key": job.render_key, "render_key": job.render_key, "formats": list(job.formats),
                "built_at": when, "executed_at": when, "files": published, "inputs": job.inputs,
                "meta": job.meta,
            }, indent=2, sort_keys=True).encode("utf-8"))
        switch.commit(job.key)
        built.append(job)
    return built, current


def remove_unplanned(ws: Workspace, edition: str, planned_ids: set[str]) -> list[str]:
    """Withdraw this edition's summaries whose params file is gone, so the index lists only real ones
    (a forced build publishes none of them either). As for documents that leave the matrix, the
    files move to the work folder's withdrawn/ (nothing is lost) and the record is dropped."""
    removed = []
    folder = ws.state / "records" / edition / FOLDER
    for record in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if record.stem in planned_ids:
            continue
        paths = document_paths(ws, (edition, FOLDER, record.stem))
        for fmt in FORMAT_SUFFIX:
            if paths[fmt].is_file():
                target = ws.work / "withdrawn" / paths[fmt].relative_to(ws.build)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(paths[fmt], target)
        record.unlink(missing_ok=True)
        removed.append(record.stem)
    return removed
