"""Making workspaces and files for a team: `init`, `init --empty`, `new authority`, `new strategy`.

A new workspace carries only params/ and data/ (and a .gitignore): the section notebooks
and templates come from the package unless the team copies them in to change them.
`init` copies one example authority (synthetic data, labelled so); `init --empty` starts
with nothing to build and is not labelled synthetic. New files are written from the
commented scaffolds in scaffolds/, and added to the matrix in params/project.yaml with
a round-trip edit that keeps its comments.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from importlib.resources import files
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from strategy_docs.errors import Problem, ValidationError, WorkspaceError
from strategy_docs.inputs.yaml_edit import RoundTrip, round_trip
from strategy_docs.inputs.workspace import Workspace
from strategy_docs.inputs.bundled import example_dir

GITIGNORE = "# Made by strategy-docs: the working folder and local copies are not for version control.\n" \
            ".strategy-docs/\nbuild/\nprepared/\n.ipynb_checkpoints/\n"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _scaffold(name: str) -> str:
    return (files("strategy_docs") / "scaffolds" / name).read_text(encoding="utf-8")


def _fill(text: str, **values: str) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _fy(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def init_workspace(dest: Path, with_example: bool = True, source: Path | None = None) -> Workspace:
    """A new workspace in `dest`: one example authority (synthetic data), or an empty one."""
    source = Path(source) if source is not None else example_dir()
    dest = Path(dest).resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise WorkspaceError(f"{dest} already exists and is not empty. Fix: choose a new folder name.")
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        _fill_workspace(dest, source, with_example)
    except BaseException:  # a half-made workspace would pass for a real one next time
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        else:
            for child in dest.iterdir():
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        raise
    return Workspace(dest)


def _fill_workspace(dest: Path, source: Path, with_example: bool) -> None:
    shutil.copytree(source / "params" / "client-groups", dest / "params" / "client-groups")
    (dest / "params" / "authorities").mkdir(parents=True)
    (dest / "params" / "strategies").mkdir(parents=True)
    (dest / "data").mkdir()
    (dest / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    if with_example:
        authority = sorted(p.stem for p in (source / "params" / "authorities").glob("*.yaml"))[0]
        shutil.copy2(source / "params" / "authorities" / f"{authority}.yaml", dest / "params" / "authorities")
        shutil.copytree(source / "params" / "strategies" / authority, dest / "params" / "strategies" / authority)
        shutil.copytree(source / "data" / authority, dest / "data" / authority)
        if (source / "data" / "README.md").is_file():
            shutil.copy2(source / "data" / "README.md", dest / "data")
        logos = source / "params" / "logos"
        if logos.is_dir():
            shutil.copytree(logos, dest / "params" / "logos")
        project = _restrict_matrix((source / "params" / "project.yaml").read_text(encoding="utf-8"), authority)
    else:
        year = dt.date.today().year if dt.date.today().month >= 4 else dt.date.today().year - 1
        project = _fill(_scaffold("project.yaml"), START_YEAR=str(year), START_FY=_fy(year))
    (dest / "params" / "project.yaml").write_text(project, encoding="utf-8")


def _restrict_matrix(project_yaml: str, authority: str) -> str:
    """The example's project file with only `authority` in the matrix, its comments kept."""
    yaml, data = _round_trip(project_yaml)
    matrix = data.setdefault("matrix", {})
    matrix["authorities"] = [authority]
    matrix["exclude"] = [e for e in matrix.get("exclude", []) if e.get("authority") == authority]
    return _dump(yaml, data)


def _round_trip(text: str) -> tuple[RoundTrip, object]:
    doc = round_trip(text)  # comments, key order and layout survive (inputs/yaml_edit.py)
    return doc, doc.data


def _dump(doc: RoundTrip, data) -> str:
    return doc.text()


# ---------------------------------------------------------------- new authority / new strategy


def _check_id(kind: str, value: str) -> None:
    if not SLUG.match(value):
        raise ValidationError([Problem(kind.upper().replace(" ", "_"), f"'{value}' is not a valid {kind} id.",
                                       fix="use lower-case letters, digits and hyphens only (e.g. 'northshire').")])


def _project(ws: Workspace):
    path = ws.params / "project.yaml"
    if not path.is_file():
        raise WorkspaceError(f"{path} is missing. Fix: run 'strategy-docs init DIR' to make a workspace.")
    yaml, data = _round_trip(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValidationError([Problem("params/project.yaml", "must be a mapping of keys to values.",
                                       fix="run 'strategy-docs validate' and correct it first.")])
    return path, yaml, data


def _matrix_list(data, key: str, value: str) -> None:
    """Add `value` to matrix.KEY unless the matrix already takes 'all'."""
    matrix = data.get("matrix")
    if matrix is None:
        matrix = data["matrix"] = CommentedMap()
    current = matrix.get(key, "all")
    if current == "all":
        return
    if not isinstance(current, list):
        current = matrix[key] = CommentedSeq()
    if value not in current:
        current.append(value)


def new_authority(ws: Workspace, authority: str) -> Path:
    """params/authorities/ID.yaml from the scaffold, and ID in the matrix."""
    _check_id("authority", authority)
    path = ws.params / "authorities" / f"{authority}.yaml"
    if path.exists():
        raise WorkspaceError(f"params/authorities/{authority}.yaml already exists. Fix: edit it, or choose another id.")
    project_path, yaml, data = _project(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_fill(_scaffold("authority.yaml"), ID=authority), encoding="utf-8")
    _matrix_list(data, "authorities", authority)
    # A matrix of 'all' client groups would now ask for a strategy for each: exclude those it lacks,
    # so the workspace stays valid until 'new strategy' adds them one by one.
    groups = data.get("matrix", {}).get("client_groups", "all")
    if groups == "all":
        groups = sorted(p.stem for p in (ws.params / "client-groups").glob("*.y*ml"))
    for group in groups:
        if not (ws.params / "strategies" / authority / f"{group}.yaml").is_file():
            _exclude(data, authority, group)
    project_path.write_text(_dump(yaml, data), encoding="utf-8")
    return path


def new_strategy(ws: Workspace, authority: str, client_group: str) -> Path:
    """params/strategies/AUTHORITY/CLIENT_GROUP.yaml from the scaffold, and the pair in the matrix."""
    _check_id("authority", authority)
    _check_id("client group", client_group)
    if not (ws.params / "authorities" / f"{authority}.yaml").is_file():
        raise WorkspaceError(f"params/authorities/{authority}.yaml does not exist. "
                             f"Fix: run 'strategy-docs new authority {authority}' first.")
    if not (ws.params / "client-groups" / f"{client_group}.yaml").is_file():
        known = ", ".join(sorted(p.stem for p in (ws.params / "client-groups").glob("*.y*ml"))) or "none yet"
        raise WorkspaceError(f"params/client-groups/{client_group}.yaml does not exist. Fix: use one of: {known}.")
    path = ws.params / "strategies" / authority / f"{client_group}.yaml"
    if path.exists():
        raise WorkspaceError(f"{path.relative_to(ws.root).as_posix()} already exists. Fix: edit it.")
    project_path, yaml, data = _project(ws)
    today = dt.date.today()
    start = int((data.get("edition") or {}).get("start_year", today.year))
    years = int((data.get("edition") or {}).get("years", 3))
    period_end = max(dt.date(start + years, 3, 31), today + dt.timedelta(days=1))  # the last day of the period
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_fill(_scaffold("strategy.yaml"), AUTHORITY=authority, CLIENT_GROUP=client_group,
                          TODAY=today.isoformat(), VALID_UNTIL=period_end.isoformat(),
                          START_FY=_fy(start), END_FY=_fy(start + years - 1)), encoding="utf-8")
    _matrix_list(data, "authorities", authority)
    _matrix_list(data, "client_groups", client_group)
    matrix = data.get("matrix") or {}
    exclude = matrix.get("exclude") or []
    for i in reversed(range(len(exclude))):
        entry = exclude[i]
        if isinstance(entry, dict) and entry.get("authority") == authority and entry.get("client_group") == client_group:
            del exclude[i]
    # Other authorities in the matrix without a strategy for this client group are excluded for now.
    authorities = matrix.get("authorities", "all")
    if authorities == "all":
        authorities = sorted(p.stem for p in (ws.params / "authorities").glob("*.y*ml"))
    for other in authorities:
        if other != authority and not (ws.params / "strategies" / other / f"{client_group}.yaml").is_file():
            _exclude(data, other, client_group)
    project_path.write_text(_dump(yaml, data), encoding="utf-8")
    return path


def _exclude(data, authority: str, group: str) -> None:
    matrix = data.setdefault("matrix", CommentedMap())
    exclude = matrix.get("exclude")
    if not isinstance(exclude, list):
        exclude = matrix["exclude"] = CommentedSeq()
    for entry in exclude:
        if isinstance(entry, dict) and entry.get("authority") == authority and entry.get("client_group") == group:
            return
    item = CommentedMap()
    item["authority"] = authority
    item["client_group"] = group
    item.fa.set_flow_style()
    exclude.append(item)
