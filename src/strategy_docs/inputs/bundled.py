"""Where the shipped notebooks, templates and example workspace are, installed or in a checkout.

A workspace may carry its own `notebooks/NAME.ipynb` or `templates/KIND/` to override the
package's; whatever it does not carry comes from the package (read with importlib.resources).
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from strategy_docs.inputs.workspace import SECTION_NOTEBOOKS

TEMPLATE_KINDS = ("strategy", "index", "diff")
_TEMPLATE_MARKER = {"strategy": "index.html.j2", "index": "index.html.j2", "diff": "report.html.j2"}


@lru_cache(maxsize=None)
def _root(name: str) -> Path:
    """The package's folder `name` (notebooks, templates, example): the wheel's, else the checkout's."""
    installed = Path(str(files("strategy_docs._bundled") / name))
    if installed.is_dir():
        return installed
    checkout = Path(__file__).resolve().parents[3]
    return checkout if name == "example" else checkout / name


def notebooks_dir() -> Path:
    return _root("notebooks")


def templates_dir() -> Path:
    return _root("templates")


def example_dir() -> Path:
    """The example workspace (params/ and data/ of four fictional authorities; one has no data)."""
    return _root("example")


def section_notebook(workspace: Path, name: str) -> Path:
    """The workspace's own section notebook if it has one, else the package's."""
    own = Path(workspace) / "notebooks" / f"{name}.ipynb"
    return own if own.is_file() else notebooks_dir() / f"{name}.ipynb"


def section_notebooks(workspace: Path) -> list[Path]:
    return [section_notebook(workspace, name) for name in SECTION_NOTEBOOKS]


def template_dir(workspace: Path | None, kind: str) -> Path:
    """The workspace's `templates/KIND` if it has one (with its main template), else the package's."""
    if workspace is not None:
        own = Path(workspace) / "templates" / kind
        if (own / _TEMPLATE_MARKER[kind]).is_file():
            return own
    return templates_dir() / kind
