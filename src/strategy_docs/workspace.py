"""Finding a workspace and its folders, and scaffolding a new one with `init`."""

from __future__ import annotations

import errno
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem, WorkspaceError
from .registry import SECTION_IDS

SECTION_NOTEBOOKS = SECTION_IDS  # in the order they run and are assembled (declared in registry.py)


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def params(self) -> Path:
        return self.root / "params"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def state(self) -> Path:
        """Build state that is not for publishing: cache records, the lock, scratch folders."""
        return self.build / ".state"

    def section_paths(self) -> list[Path]:
        return [self.notebooks / f"{name}.ipynb" for name in SECTION_NOTEBOOKS]


def find_workspace(start: Path | str | None = None) -> Workspace:
    """The workspace is the first folder, from `start` upwards, holding params/project.yaml."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        project = folder / "params" / "project.yaml"
        if project.is_file() or project.is_symlink():  # a bad link is reported by validate, not as "no workspace"
            return Workspace(folder)
    raise WorkspaceError(
        f"No strategy-docs workspace found at or above {here}: there is no params/project.yaml. "
        "Fix: run the command inside a workspace, pass --workspace DIR, or create one with 'strategy-docs init DIR'."
    )


def link_problem(path: Path, root: Path) -> str | None:
    """Why a params or data file cannot be read safely, or None: a symlink loop, or a link out of the workspace.

    Checked before `is_file()`, which says False for a loop and would make it look "missing".
    """
    try:
        resolved = path.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 reports a loop this way
        return "is a symbolic link that loops (it points, directly or through other links, back to itself)"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link that loops (it points, directly or through other links, back to itself)"
        if path.is_symlink():
            return "is a symbolic link to a file that does not exist"
        return None  # simply missing: the caller says so in its own words
    try:
        resolved.relative_to(Path(root).resolve())
    except ValueError:
        return "is a link to a file outside the workspace"
    return None


def link_problems(paths: list[Path], root: Path) -> list[Problem]:
    """One problem per path that is a looping link, a dangling link or a link out of the workspace."""
    out = []
    for path in paths:
        reason = link_problem(path, root)
        if reason:
            out.append(Problem(path.relative_to(root).as_posix(), reason + ".",
                               fix="replace the link with a copy of the file, inside the workspace."))
    return out


YAML_SUFFIXES = (".yaml", ".yml")


def duplicate_sources(folder: Path, root: Path, suffixes: tuple[str, ...], what: str) -> list[Problem]:
    """Files in `folder` with the same name and different suffixes (budget.csv beside budget.xlsx,
    northshire.yaml beside northshire.yml): only one would be read, silently, so both are named."""
    if not folder.is_dir():
        return []
    by_stem: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in suffixes and not path.name.startswith((".", "~$")):
            by_stem.setdefault(path.stem.lower(), []).append(path)
    problems = []
    for paths in by_stem.values():
        if len(paths) > 1:
            names = [p.relative_to(root).as_posix() for p in paths]
            problems.append(Problem(names[0], f"has a twin, {', '.join(names[1:])}: two sources for one {what}, "
                                              "and only one of them would be read.",
                                    fix="keep one file and delete or move the other."))
    return problems


def init_workspace(dest: Path, source: Workspace, with_example: bool = True) -> Workspace:
    """Scaffold a new workspace for another team from the bundled example.

    The new workspace gets the section notebooks, the templates and a params skeleton. With
    `with_example`, one authority's params and synthetic data come along so the new workspace
    builds at once and shows every section working; teams then replace them with their own.
    """
    dest = Path(dest).resolve()
    if dest.exists() and any(dest.iterdir()):
        raise WorkspaceError(f"{dest} already exists and is not empty. Fix: choose a new folder name.")
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source.notebooks, dest / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(source.templates, dest / "templates")
    shutil.copytree(source.params / "client-groups", dest / "params" / "client-groups")
    (dest / "params" / "authorities").mkdir(parents=True)
    (dest / "params" / "strategies").mkdir(parents=True)
    (dest / "data").mkdir()
    (dest / "build").mkdir()
    (dest / ".gitignore").write_text("build/\n.ipynb_checkpoints/\n", encoding="utf-8")
    project = (source.params / "project.yaml").read_text(encoding="utf-8")
    if with_example:
        authority = sorted(p.stem for p in (source.params / "authorities").glob("*.yaml"))[0]
        shutil.copy2(source.params / "authorities" / f"{authority}.yaml", dest / "params" / "authorities")
        shutil.copytree(source.params / "strategies" / authority, dest / "params" / "strategies" / authority)
        shutil.copytree(source.data / authority, dest / "data" / authority)
        if (source.params / "logos").is_dir():
            shutil.copytree(source.params / "logos", dest / "params" / "logos")
        project = _restrict_matrix(project, authority)
    (dest / "params" / "project.yaml").write_text(project, encoding="utf-8")
    return Workspace(dest)


def _restrict_matrix(project_yaml: str, authority: str) -> str:
    import yaml

    data = yaml.safe_load(project_yaml)
    data.setdefault("matrix", {})
    data["matrix"]["authorities"] = [authority]
    data["matrix"]["exclude"] = [e for e in data["matrix"].get("exclude", []) if e.get("authority") == authority]
    return "# Project settings: the edition, which documents to build and in which formats.\n" + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True
    )
