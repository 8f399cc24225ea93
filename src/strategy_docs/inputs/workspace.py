"""Finding a workspace (for commands and for notebooks) and the folders in it."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

from strategy_docs.errors import Problem, WorkspaceError
from strategy_docs.sections.registry import SECTION_IDS

SECTION_NOTEBOOKS = SECTION_IDS  # in the order they run and are assembled (declared in registry.py)


WORK_FOLDER = ".strategy-docs"


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
        """The publish folder: only what a website serves (HTML, PDF, DOCX and the index)."""
        return self.root / "build"

    @property
    def work(self) -> Path:
        """Everything else a build keeps: executed and failed notebooks, records, caches, the lock.

        A sibling of build/, not inside it, so copying build/ whole to a web server publishes
        nothing that is not for readers.
        """
        return self.root / WORK_FOLDER

    @property
    def state(self) -> Path:
        return self.work

    def section_paths(self) -> list[Path]:
        """The section notebooks: the workspace's own where it has them, else the package's."""
        from strategy_docs.inputs.bundled import section_notebooks  # lazy: bundled imports workspace (a circle)

        return section_notebooks(self.root)


WORKSPACE_ENV = "STRATEGY_DOCS_WORKSPACE"


def _is_workspace(folder: Path) -> bool:
    project = folder / "params" / "project.yaml"
    return project.is_file() or project.is_symlink()  # a bad link is reported by validate, not as "no workspace"


def find_workspace(start: Path | str | None = None) -> Workspace:
    """The workspace: the first folder from `start` (default: the current folder) upwards holding
    params/project.yaml; without `start`, else the folder $STRATEGY_DOCS_WORKSPACE names."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_workspace(folder):
            return Workspace(folder)
    searched = f"{here} and the folders above it"
    if start is None:
        env = os.environ.get(WORKSPACE_ENV)
        if env and _is_workspace(Path(env).expanduser().resolve()):
            return Workspace(Path(env).expanduser().resolve())
        searched += f", and ${WORKSPACE_ENV} ({env or 'not set'})"
    raise WorkspaceError(
        f"No strategy-docs workspace found (a folder with params/project.yaml): searched {searched}. "
        f"Fix: run the command inside a workspace, pass --workspace DIR, set {WORKSPACE_ENV}=DIR, "
        "or create one with 'strategy-docs init DIR'."
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


def locate_workspace(given: Path | str | None = None) -> Path:
    """For notebooks: the `workspace` parameter if set (it must be a workspace), else found as above."""
    if given is None or str(given) == "":
        return find_workspace().root
    path = Path(given).expanduser().resolve()
    if not _is_workspace(path):
        raise WorkspaceError(f"The workspace parameter {str(given)!r} is {path}, which has no params/project.yaml. "
                             "Fix: set it to your workspace folder, or to None to search from the current folder "
                             f"upwards and then ${WORKSPACE_ENV}.")
    return path
