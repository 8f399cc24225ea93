"""The matrix of documents to build, each keyed by the content of everything it depends on.

Two keys per document: the *execution key* (section notebooks, the document's resolved
params, the data files it reads, the previous edition's archive, the package source) decides
whether the notebooks must run again; the *render key* (execution key + templates + formats)
decides whether the outputs must be rendered again. Below the execution key, each section
has its own key over exactly the inputs it was recorded reading when it last ran (context.py
records them, the build record keeps them): an edit re-executes only the sections that read
it. Keys are computed from content, never from timestamps or outputs, which differ run to run.

Reading and validating every parameters and data file takes seconds for a hundred documents, so
a finished plan is kept in .strategy-docs/plans.json under an *input stamp*: the path, size,
mtime, ctime and inode of every file under params/, data/, notebooks/, templates/ and the
package source. A rebuild with the same stamp reuses the plan without reading any of them
(any write changes ctime, which no tool can set back); any difference re-plans from content.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from strategy_docs.digests import file_digest, notebook_digest, sha256_bytes
from strategy_docs import __version__
from strategy_docs.i18n import DEFAULT_LANGUAGE, LANGUAGES, document_name
from strategy_docs.inputs.data import data_files
from strategy_docs.errors import Problem
from strategy_docs.sections.registry import INPUT_FOLDERS, PREVIOUS_EDITION, SECTION_IDS
from strategy_docs.inputs.provenance import document_is_synthetic
from strategy_docs.atomic import atomic_write
from strategy_docs.inputs.bundled import notebooks_dir, section_notebooks, template_dir, templates_dir

if TYPE_CHECKING:  # params.py (pydantic) loads only when the plan has to be made again
    from strategy_docs.inputs.params import Params


@dataclass(frozen=True)
class DocumentJob:
    edition: str
    authority: str
    client_group: str
    formats: tuple[str, ...]
    exec_key: str
    render_key: str
    cell_timeout: int
    document_timeout: int
    meta: dict = field(default_factory=dict, hash=False, compare=False)
    # Content digest of every input a section can read (see section_key): "shared" (project,
    # authority, client group, logo, package), "notebook:<section>", "strategy.<field>",
    # "data.<table>", "edition.previous", and "strategy.*" / "data.*" for all of them.
    input_digests: dict = field(default_factory=dict, hash=False, compare=False)
    inputs: dict = field(default_factory=dict, hash=False, compare=False)  # provenance: file -> sha256
    # Set by the build, not the plan: the pdf_source_digest of the PDF already published, which
    # the worker may reuse instead of rendering when its HTML comes out the same (see build.py).
    published_pdf_source: str = field(default="", hash=False, compare=False)
    language: str = DEFAULT_LANGUAGE  # an authority publishing in Welsh has a job per language

    @property
    def label(self) -> str:
        language = "" if self.language == DEFAULT_LANGUAGE else f" ({LANGUAGES[self.language][0]})"
        return f"{self.authority} / {self.client_group}{language}"

    @property
    def key(self) -> tuple[str, str, str]:
        """(edition, authority, document name): the document name is the client group, with the
        language after a dot for a language other than English ('carers.cy')."""
        return (self.edition, self.authority, document_name(self.client_group, self.language))


def record_key(record: dict) -> tuple[str, str, str]:
    """The job key of a build record or failure note (older ones hold no language: English)."""
    return (record["edition"], record["authority"],
            document_name(record["client_group"], record.get("language") or DEFAULT_LANGUAGE))


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts):
            h.update(path.relative_to(folder).as_posix().encode())
            h.update(file_digest(path).encode())
    return h.hexdigest()


@lru_cache(maxsize=1)
def package_digest() -> str:
    """The package's own source (and, installed, its shipped notebooks and templates): a change to
    analysis code must rebuild what it computed, and a Dask worker must run the same."""
    root = Path(__file__).parents[1]
    h = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".j2", ".css", ".json", ".ipynb", ".po") and "__pycache__" not in path.parts:
            h.update(path.relative_to(root).as_posix().encode())
            h.update(file_digest(path).encode())
    return h.hexdigest()


def _combine(*parts: str) -> str:
    return sha256_bytes("\n".join(parts).encode("utf-8"))


def logo_data_uri(workspace: Path, logo: str | None) -> str | None:
    if not logo:
        return None
    path = workspace / logo
    mime = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}[path.suffix.lower()]
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def document_meta(params: Params, authority_id: str, group_id: str, language: str = DEFAULT_LANGUAGE,
                  titles: dict[str, str] | None = None) -> dict:
    """What the templates need to know about a document beyond its section outputs. `params` hold
    the free text in `language`; `titles` the document's title in each of its languages (the
    page links to each other version by its title)."""
    from strategy_docs.i18n import hreflang, translator
    from strategy_docs.sections import narrative  # pandas: only when a plan is made (a no-op build makes none)

    authority = params.authorities[authority_id]
    group = params.client_groups[group_id]
    strategy = params.strategies[(authority_id, group_id)]
    control = strategy.document_control
    edition = params.project.edition
    return {
        "title": control.title,
        "language": language,
        # the other versions of this document: [{language, tag, name, href, title}]
        "alternates": [{"language": other, "tag": hreflang(other), "name": LANGUAGES[other][0],
                        "href": f"{document_name(group_id, other)}.html", "title": (titles or {}).get(other, "")}
                       for other in authority.languages if other != language],
        "authority_id": authority_id,
        "authority_name": authority.branding.display_name or authority.name,
        "client_group_id": group_id,
        "client_group_name": group.name,
        "edition": edition.slug,
        "edition_label": edition_label(edition, translator(language)),
        "status": control.status or "",
        "publication_date": control.publication_date.isoformat() if control.publication_date else None,
        "author": ", ".join(control.authors),
        "owner": control.owner,
        "accent_colour": authority.branding.colour,
        "logo_data_uri": logo_data_uri(params.workspace, authority.branding.logo),
        "synthetic": document_is_synthetic(authority, params.project,
                                           [t for t, p in data_files(params.workspace, authority_id).items() if p is not None]),
        "generator": f"strategy-docs {__version__}",
        # "Have your say" belongs on drafts and consultation drafts only.
        "consultation": (strategy.consultation.model_dump(mode="json")
                         if strategy.consultation and control.status != "final" else None),
        "accessibility_statement": (authority.accessibility_statement.model_dump(mode="json")
                                    if authority.accessibility_statement else None),
        # The sections in the plan's order, with its titles and numbers, and the sections made from
        # params alone (foreword, principles, narrative sections...) as their display blocks.
        "skeleton": narrative.skeleton(strategy),
    }


def edition_label(edition, t) -> str:
    """'2026/27 to 2028/29' in the document's language."""
    from strategy_docs.inputs.params import fy

    return t("{start} to {end}").format(start=fy(edition.start_year), end=fy(edition.end_year))


def _in_languages(params: Params, pairs: list[tuple[str, str]]) -> dict[str, Params]:
    """The params with free text in each language other than English that a planned document uses."""
    from strategy_docs.inputs.params import load_params

    wanted: dict[str, set] = {}
    for authority_id, group_id in pairs:
        for language in params.authorities[authority_id].languages[1:]:
            wanted.setdefault(language, set()).add((authority_id, group_id))
    return {language: load_params(params.workspace, pairs_filter=lambda pair, chosen=chosen: pair in chosen,
                                  language=language)
            for language, chosen in wanted.items()}


def plan_documents(params: Params, authorities: list[str] | None = None, client_groups: list[str] | None = None,
                   formats: list[str] | None = None) -> list[DocumentJob]:
    """One job per (authority, client group) in the matrix, after the command-line filters."""
    workspace = params.workspace
    project = params.project
    formats = tuple(formats or project.formats)
    notebooks = section_notebooks(workspace)
    notebook_keys = {p.stem: notebook_digest(p) for p in notebooks}
    notebooks_key = _combine(*notebook_keys.values())
    templates_key = tree_digest(template_dir(workspace, "strategy"))
    project_key = sha256_bytes(project.model_dump_json(exclude={"matrix"}).encode())
    # "What has changed" reads the archived edition: its parameters and data snapshot.
    previous_key = (tree_digest(workspace / "params" / "editions" / project.previous_edition)
                    if project.previous_edition else "")
    package_key = package_digest()
    data_keys: dict[str, dict[str, str]] = {}
    jobs = []
    pairs = [(a, g) for a, g in params.pairs()
             if (not authorities or a in authorities) and (not client_groups or g in client_groups)]
    localised = _in_languages(params, pairs)
    for authority_id, group_id, language in [(a, g, lang) for a, g in pairs for lang in params.authorities[a].languages]:
        in_language = params if language == DEFAULT_LANGUAGE else localised[language]
        if authority_id not in data_keys:
            data_keys[authority_id] = {
                path.relative_to(workspace).as_posix(): file_digest(path)
                for path in data_files(workspace, authority_id).values() if path is not None
            }
        authority = in_language.authorities[authority_id]
        group = in_language.client_groups[group_id]
        strategy = in_language.strategies[(authority_id, group_id)]
        titles = {lang: (params if lang == DEFAULT_LANGUAGE else localised[lang]).strategies[(authority_id, group_id)]
                  .document_control.title for lang in authority.languages}
        meta = document_meta(in_language, authority_id, group_id, language, titles)
        params_key = _combine(
            language, authority.model_dump_json(), group.model_dump_json(), strategy.model_dump_json(),
            file_digest(workspace / authority.branding.logo) if authority.branding.logo else "",
        )
        exec_key = _combine(notebooks_key, project_key, params_key, json.dumps(data_keys[authority_id], sort_keys=True),
                            package_key, previous_key)
        # The metadata holds the other versions' titles, which this version's params do not.
        render_key = _combine(exec_key, templates_key, ",".join(formats), json.dumps(meta, sort_keys=True))
        input_digests = _input_digests(
            _combine(language, project_key, authority.model_dump_json(), group.model_dump_json(), package_key,
                     file_digest(workspace / authority.branding.logo) if authority.branding.logo else "",
                     # which tables exist: a section's synthetic-data notice depends on all of them
                     ",".join(sorted(Path(name).stem for name in data_keys[authority_id]))),
            notebook_keys, strategy, data_files(workspace, authority_id), data_keys[authority_id], workspace, previous_key)
        inputs = {
            "params": {
                name: file_digest(path) for name, path in params.files.items()
                if name in ("project", f"authority:{authority_id}", f"client-group:{group_id}", f"strategy:{authority_id}/{group_id}")
            },
            "data": data_keys[authority_id],
            "notebooks": notebooks_key,
            "templates": templates_key,
            "package": package_key,
        }
        jobs.append(DocumentJob(
            edition=project.edition.slug, authority=authority_id, client_group=group_id, formats=formats,
            exec_key=exec_key, render_key=render_key,
            cell_timeout=project.build.cell_timeout_seconds, document_timeout=project.build.document_timeout_seconds,
            meta=meta, inputs=inputs, input_digests=input_digests, language=language,
        ))
    return jobs


def _input_digests(shared: str, notebook_keys: dict[str, str], strategy, tables: dict[str, Path | None],
                   table_keys: dict[str, str], workspace: Path, previous_key: str) -> dict[str, str]:
    digests = {"shared": shared, PREVIOUS_EDITION: previous_key}
    digests.update({f"notebook:{section}": key for section, key in notebook_keys.items()})
    for name in type(strategy).model_fields:
        digests[f"strategy.{name}"] = sha256_bytes(strategy.model_dump_json(include={name}).encode("utf-8"))
    digests["strategy.*"] = sha256_bytes(strategy.model_dump_json().encode("utf-8"))
    for table, path in tables.items():
        digests[f"data.{table}"] = table_keys.get(path.relative_to(workspace).as_posix(), "") if path else ""
    digests["data.*"] = _combine(*(f"{t}={digests[f'data.{t}']}" for t in sorted(tables)))
    digests["data.present"] = _combine(*sorted(t for t, path in tables.items() if path))
    return digests


def section_key(job: DocumentJob, section: str, reads) -> str | None:
    """The key of one executed section: the content of exactly what it read while it ran.

    Every section also depends on the shared inputs and its own notebook. None when a read
    input is unknown to this plan (e.g. a field renamed since): such a section must run again.
    """
    names = {"shared", f"notebook:{section}", *reads}
    if not names <= job.input_digests.keys():
        return None
    return _combine(*(f"{name}={job.input_digests[name]}" for name in sorted(names)))


def reusable_sections(job: DocumentJob, record: dict) -> set[str]:
    """Sections whose executed notebook from the recorded build is still right for `job`."""
    if record.get("exec_key") == job.exec_key:
        return set(SECTION_IDS)
    reads = record.get("section_reads") or {}
    keys = record.get("section_keys") or {}
    return {section for section in SECTION_IDS
            if section in reads and keys.get(section) is not None
            and section_key(job, section, reads[section]) == keys[section]}


def section_keys(job: DocumentJob, reads: dict[str, list[str]]) -> dict[str, str | None]:
    """What a build record keeps for each section (with `reads`), for the next build to compare."""
    return {section: section_key(job, section, section_reads) for section, section_reads in reads.items()}


# ---------------------------------------------------------------- the plan cache

STAMPED_FOLDERS = INPUT_FOLDERS
_SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints"}
PLAN_CACHE = "plans.json"
PLAN_CACHE_ENTRIES = 8  # one per combination of filters and formats recently built


RACY_SECONDS = 2.0


def input_stamp(workspace: Path) -> str | None:
    """Every input file's metadata (not content): cheap enough to compute on every build.

    None when a file changed in the last RACY_SECONDS: timestamps are coarse (a few ms), so a
    second write in the same tick could keep the same stamp; such a plan is not cached
    (git's "racily clean" rule).
    """
    workspace = Path(workspace)
    now = time.time_ns()
    lines = [f"strategy-docs {__version__}", str(workspace.resolve())]
    newest = [0]
    for folder in STAMPED_FOLDERS:
        lines.extend(_stat_lines(workspace / folder, newest))
    lines.extend(_stat_lines(Path(__file__).parents[1], newest))
    for shipped in (notebooks_dir(), templates_dir()):  # what a workspace does not override comes from here
        lines.extend(_stat_lines(shipped, newest))
    if newest[0] > now - RACY_SECONDS * 1e9:
        return None
    return sha256_bytes("\n".join(lines).encode("utf-8", "surrogateescape"))


def _stat_lines(folder: Path, newest: list[int]) -> list[str]:
    out = []
    stack = [str(folder)]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            try:
                if entry.is_dir():
                    if entry.name not in _SKIPPED_DIRS:
                        stack.append(entry.path)
                    continue
                st = entry.stat()
            except OSError:  # vanished or a broken link: still part of the stamp
                out.append(f"{entry.path}\0missing")
                continue
            out.append(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}")
            newest[0] = max(newest[0], st.st_mtime_ns, st.st_ctime_ns)
    out.sort()
    return out


def _job_to_json(job: DocumentJob) -> dict:
    return asdict(job)


def _job_from_json(data: dict) -> DocumentJob:
    return DocumentJob(**dict(data, formats=tuple(data["formats"])))


def read_cached_plan(state: Path, options_key: str, stamp: str | None) -> tuple[list[DocumentJob], list[Problem], str] | None:
    """The jobs, warnings and project name planned from exactly these inputs, or None."""
    if stamp is None:
        return None
    try:
        entry = json.loads((Path(state) / PLAN_CACHE).read_text(encoding="utf-8"))[options_key]
        if entry["stamp"] != stamp:
            return None
        jobs = [_job_from_json(j) for j in entry["jobs"]]
        warnings = [Problem(**w) for w in entry["warnings"]]
        return jobs, warnings, entry["project_name"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_cached_plan(state: Path, options_key: str, stamp: str | None, jobs: list[DocumentJob], warnings: list[Problem],
                     project_name: str) -> None:
    if stamp is None:
        return
    path = Path(state) / PLAN_CACHE
    try:
        cache = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(cache, dict):
            cache = {}
    except (OSError, ValueError):
        cache = {}
    cache.pop(options_key, None)
    cache[options_key] = {"stamp": stamp, "project_name": project_name,
                          "warnings": [asdict(w) for w in warnings], "jobs": [_job_to_json(j) for j in jobs]}
    while len(cache) > PLAN_CACHE_ENTRIES:
        cache.pop(next(iter(cache)))
    atomic_write(path, json.dumps(cache, sort_keys=False).encode("utf-8"))
