"""What a section notebook loads: one document's validated params and data.

Notebooks call `load(workspace, authority, client_group)` first; it validates again so a
notebook opened by hand in Jupyter fails with the same clear errors as the CLI. Loading is
cached on the content signature of the files involved, so eight sections of one document
read the YAML and CSVs once, and a cached value can never belong to another document.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .data import AuthorityData, data_files, load_authority_data
from .params import Authority, ClientGroup, Edition, Project, Strategy, load_params

_CACHE: dict[tuple, "StrategyContext"] = {}


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
        from .analysis import AnalysisInputs

        return analysis_inputs(self, AnalysisInputs)


def analysis_inputs(ctx: StrategyContext, cls):
    """Build the analysis package's plain inputs from the typed params and checked data."""
    from .analysis import Measure

    measures = {
        m.id: Measure(id=m.id, label=m.label, rates=[r.model_dump() for r in m.rates], service_types=list(m.service_types))
        for m in ctx.client_group.measures
    }
    area_codes = [loc.code for loc in ctx.authority.localities]
    population = ctx.data.population[ctx.data.population["area_code"].isin(area_codes)].reset_index(drop=True)
    return cls(
        population=population,
        service_users=ctx.data.service_users,
        providers=ctx.data.providers,
        budget=ctx.data.budget,
        unit_costs=ctx.data.unit_costs,
        indicators=ctx.data.indicators,
        measures=measures,
        base_year=ctx.base_year,
        end_year=ctx.end_year,
        look_ahead_year=ctx.look_ahead_year,
        nation=ctx.authority.nation,
        age_range=(ctx.client_group.age_range.min, ctx.client_group.age_range.max) if ctx.client_group.age_range else None,
    )


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


def load(workspace: str | Path = "..", authority: str = "", client_group: str = "") -> StrategyContext:
    """Validate and load one (authority, client group) document's params and data."""
    workspace = Path(workspace).resolve()
    key = (str(workspace), authority, client_group, _signature(workspace, authority, client_group))
    if key in _CACHE:
        return _CACHE[key]
    params = load_params(workspace, pairs_filter=lambda pair: pair == (authority, client_group))
    if (authority, client_group) not in params.strategies:
        from .errors import ParamsError, Problem

        raise ParamsError([Problem("params/project.yaml", f"the document {authority} / {client_group} is not in the build matrix.",
                                   fix="check the authority and client group identifiers, and matrix.exclude.")])
    authority_params = params.authorities[authority]
    data = load_authority_data(
        workspace, authority, {loc.code for loc in authority_params.localities}, authority_params.nation,
        client_groups=set(params.client_groups),
    ).for_client_group(client_group)
    ctx = StrategyContext(workspace, params.project, authority, authority_params, client_group,
                          params.client_groups[client_group], params.strategies[(authority, client_group)], data)
    _CACHE.clear()  # one document at a time: keep memory flat across a long build
    _CACHE[key] = ctx
    return ctx


def clear_cache() -> None:
    _CACHE.clear()
