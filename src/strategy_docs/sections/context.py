"""What a section notebook loads: one document's validated params and data.

Notebooks call `load(workspace, authority, client_group)` first; it validates again so a
notebook opened by hand in Jupyter fails with the same clear errors as the CLI. Loading is
cached on the content signature of the files involved, so eight sections of one document
read the YAML and CSVs once, and a cached value can never belong to another document.

The context also *records what a section reads*: while recording is on (the build turns it on
before each notebook and saves it after), every strategy field and data table handed out is
noted by name (``strategy.risks``, ``data.indicators``; ``edition.previous`` when the previous
edition's archive is read). A section's cache key covers exactly those inputs (plan.py), so
it cannot miss one a hand-kept list forgot. Anything else a section uses (project, authority
and client-group files, its notebook, the package) is an input of every section.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

from strategy_docs.i18n import DEFAULT_LANGUAGE, Translator, translator
from strategy_docs.sections.registry import TABLES_PRESENT  # which tables the authority supplied (not their content)
from strategy_docs.inputs.data import AuthorityData, data_files, load_authority_data
from strategy_docs.inputs.params import Authority, ClientGroup, Edition, Project, Strategy, load_params
from strategy_docs.analysis import AnalysisInputs, Measure
from strategy_docs.errors import ParamsError, Problem
from strategy_docs.inputs.workspace import locate_workspace

_CACHE: dict[tuple, "StrategyContext"] = {}

# ---------------------------------------------------------------- recording what a section reads

_READS: set[str] | None = None  # None: not recording (a notebook opened by hand, the diff report)
ALL_FIELDS = "strategy.*"  # the whole strategy (a method or an unknown attribute was used)
ALL_TABLES = "data.*"


def start_recording() -> None:
    global _READS
    _READS = set()


def stop_recording() -> list[str]:
    """The inputs read since `start_recording`, sorted; recording is off afterwards."""
    global _READS
    reads, _READS = sorted(_READS or ()), None
    return reads


def save_reads(path: str | Path) -> None:
    """Write the inputs read so far to `path` (JSON) and stop recording: the build's hand-over."""
    Path(path).write_text(json.dumps(stop_recording()), encoding="utf-8")


@contextmanager
def recording():
    """``with recording() as reads:`` ... ``reads`` holds what was read inside (a set)."""
    global _READS
    outer, _READS = _READS, set()
    reads = _READS
    try:
        yield reads
    finally:
        if outer is not None:  # what an inner recording saw was read by the outer one too
            outer |= reads
        _READS = outer


def note_read(name: str) -> None:
    if _READS is not None:
        _READS.add(name)


class _Recorded:
    """Hands out `target`'s attributes, noting each named input read (`names`: attribute -> input).

    Any other attribute (a method such as model_dump, a property) is noted as `rest`: reading
    more than needed only costs a re-execution, reading less would publish a stale section.
    """

    __slots__ = ("_target", "_names", "_rest")

    def __init__(self, target, names: dict[str, str], rest: str | None):
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_rest", rest)

    def __getattr__(self, name: str):
        if name in _Recorded.__slots__:  # not set yet (copy, pickle): never recurse looking for it
            raise AttributeError(name)
        value = getattr(self._target, name)
        read = self._names.get(name, self._rest)
        if read is not None:
            note_read(read)
        return value

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self._target).__name__} is read-only here")

    def __eq__(self, other):
        note_read(self._rest or ALL_FIELDS)
        return self._target == (other._target if isinstance(other, _Recorded) else other)

    __hash__ = None

    def __repr__(self) -> str:
        return repr(self._target)


def recorded_strategy(strategy):
    return _Recorded(strategy, {name: f"strategy.{name}" for name in type(strategy).model_fields}, ALL_FIELDS)


def recorded_data(data):
    names = {f.name: f"data.{f.name}" for f in fields(data) if f.name != "files"}
    names.update(has=TABLES_PRESENT, files=TABLES_PRESENT)  # provenance notices ask only which tables exist
    return _Recorded(data, names, ALL_TABLES)


def unwrap(value):
    """The object behind a recording wrapper (for code that needs the real model or dataclass)."""
    return object.__getattribute__(value, "_target") if isinstance(value, _Recorded) else value



@dataclass
class StrategyContext:
    workspace: Path
    project: Project
    authority_id: str
    authority: Authority
    client_group_id: str
    client_group: ClientGroup
    strategy: Strategy
    data: AuthorityData
    language: str = DEFAULT_LANGUAGE  # the document's language (its params' free text is already in it)

    @property
    def translator(self) -> Translator:
        return translator(self.language)

    @property
    def edition(self) -> Edition:
        return self.project.edition

    @property
    def base_year(self) -> int:
        return self.edition.start_year

    @property
    def end_year(self) -> int:
        return self.edition.end_year

    @property
    def look_ahead_year(self) -> int:
        return self.edition.look_ahead_year

    @property
    def authority_name(self) -> str:
        return self.authority.branding.display_name or self.authority.name

    def analysis_inputs(self):
        return analysis_inputs(self, AnalysisInputs)


def analysis_inputs(ctx: StrategyContext, cls):
    """Build the analysis package's plain inputs from the typed params and checked data."""
    data = unwrap(ctx.data)
    measures = {
        m.id: Measure(id=m.id, label=m.label, rates=list(m.rates), service_types=list(m.service_types))
        for m in ctx.client_group.measures
    }
    area_codes = [loc.code for loc in ctx.authority.localities]
    population = data.population[data.population["area_code"].isin(area_codes)].reset_index(drop=True)
    inputs = cls(
        population=population,
        service_users=data.service_users,
        providers=data.providers,
        budget=data.budget,
        unit_costs=data.unit_costs,
        indicators=data.indicators,
        measures=measures,
        base_year=ctx.base_year,
        end_year=ctx.end_year,
        look_ahead_year=ctx.look_ahead_year,
        nation=ctx.authority.nation,
        age_range=(ctx.client_group.age_range.min, ctx.client_group.age_range.max) if ctx.client_group.age_range else None,
    )
    if not isinstance(ctx.data, _Recorded):
        return inputs
    # Tables are noted when the analysis uses them, not when the inputs are put together.
    tables = {f.name for f in fields(data) if f.name != "files"}
    return _Recorded(inputs, {f.name: f"data.{f.name}" for f in fields(inputs) if f.name in tables}, None)


def _signature(workspace: Path, authority: str, client_group: str) -> tuple:
    params = workspace / "params"
    paths = [
        params / "project.yaml",
        params / "authorities" / f"{authority}.yaml",
        params / "client-groups" / f"{client_group}.yaml",
        params / "strategies" / authority / f"{client_group}.yaml",
        *[p for p in data_files(workspace, authority).values() if p is not None],
    ]
    signature = []
    for path in paths:
        try:
            stat = path.stat()
            signature.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            signature.append((str(path), None, None))
    return tuple(signature)


def load(workspace: str | Path | None = None, authority: str = "", client_group: str = "",
         language: str = DEFAULT_LANGUAGE) -> StrategyContext:
    """Validate and load one (authority, client group) document's params and data, in `language`.

    `workspace` is the notebook's parameter; when None the workspace is found from the current
    folder upwards, else from $STRATEGY_DOCS_WORKSPACE (the error names the folders searched).
    """
    workspace = locate_workspace(workspace)
    key = (str(workspace), authority, client_group, language, _signature(workspace, authority, client_group))
    if key in _CACHE:
        return _CACHE[key]
    params = load_params(workspace, pairs_filter=lambda pair: pair == (authority, client_group), language=language)
    if (authority, client_group) not in params.strategies:
        raise ParamsError([Problem("params/project.yaml", f"the document {authority} / {client_group} is not in the build matrix.",
                                   fix="check the authority and client group identifiers, and matrix.exclude.")])
    authority_params = params.authorities[authority]
    if language not in authority_params.languages:
        from strategy_docs.errors import ParamsError, Problem

        raise ParamsError([Problem(f"params/authorities/{authority}.yaml", f"does not publish in '{language}'.",
                                   field="languages", fix=f"add {language} to languages, or build in one of: "
                                   f"{', '.join(authority_params.languages)}.")])
    data = load_authority_data(
        workspace, authority, {loc.code for loc in authority_params.localities}, authority_params.nation,
        client_groups=set(params.client_groups),
    ).for_client_group(client_group, params.client_groups[client_group].covers)
    ctx = StrategyContext(workspace, params.project, authority, authority_params, client_group,
                          params.client_groups[client_group], recorded_strategy(params.strategies[(authority, client_group)]),
                          recorded_data(data), language)
    _CACHE.clear()  # one document at a time: keep memory flat across a long build
    _CACHE[key] = ctx
    return ctx


def clear_cache() -> None:
    _CACHE.clear()
