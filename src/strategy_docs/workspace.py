"""Finding a workspace (for commands and for notebooks) and the folders in it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import WorkspaceError

SECTION_NOTEBOOKS = [
    "01-context",
    "02-hypotheses",
    "03-needs",
    "04-market-resources",
    "05-gaps",
    "06-intentions",
    "07-risks",
    "08-performance",
]


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
        from .bundled import section_notebooks

        return section_notebooks(self.root)


WORKSPACE_ENV = "STRATEGY_DOCS_WORKSPACE"


def _is_workspace(folder: Path) -> bool:
    return (folder / "params" / "project.yaml").is_file()


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
