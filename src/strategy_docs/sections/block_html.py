"""The one HTML renderer of display blocks: the macros in ``templates/strategy/blocks.html.j2``.

Documents (``outputs/html.py``), the diff report (``annual/changes.py``) and the Jupyter
fallback (``display.py``) all render blocks here, in one kind of Jinja environment
(:func:`environment`: autoescape on). Every value is escaped unless it is an ``html`` field,
which :func:`prepare` sanitises again with :mod:`strategy_docs.sections.markup` and marks safe.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from strategy_docs.i18n import DEFAULT_LANGUAGE, html_language_marks, translator
from strategy_docs.inputs.bundled import template_dir as bundled_template_dir
from strategy_docs.sections import markup

__all__ = ["BLOCKS_TEMPLATE", "environment", "prepare", "render", "safe_html", "strategy_template_dir",
           "template_digest"]

BLOCKS_TEMPLATE = "blocks.html.j2"


def strategy_template_dir(workspace: str | Path | None = None) -> Path:
    """``templates/strategy`` of the workspace if it has one, else the package's."""
    return bundled_template_dir(Path(workspace) if workspace is not None else None, "strategy")


def environment(*template_dirs: str | Path) -> jinja2.Environment:
    """The Jinja environment blocks are rendered in; templates are looked up in order."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        autoescape=True,
        extensions=["jinja2.ext.do"],
        trim_blocks=False,
    )


def template_digest(template_dir: str | Path) -> str:
    """The content of a template folder's Jinja files: what a cached exporter was compiled from."""
    h = hashlib.sha256()
    root = Path(template_dir)
    for path in sorted(root.rglob("*.j2")) + sorted(root.rglob("*.json")):
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=8)
def macros(template_dir: str, digest: str):  # digest: template_digest, so an edit compiles anew
    return environment(template_dir).get_template(BLOCKS_TEMPLATE).module


def safe_html(value: Any) -> Markup:
    return Markup(markup.sanitise_html(str(value or "")))  # noqa: S704 - sanitised just now


def prepare(block: Mapping[str, Any]) -> dict:
    """A copy of a block ready for the macros: html fields re-sanitised, SVG as a data URI."""
    view = copy.deepcopy(dict(block))
    kind = view.get("kind")
    if kind in ("prose", "callout"):
        view["html"] = safe_html(view.get("html"))
    elif kind == "table":
        for group in ("rows", "footer_rows"):
            for row in view.get(group, []) or []:
                cells = list(row.get("cells", []))
                if row.get("header") is not None:
                    cells.append(row["header"])
                for cell in cells:
                    if cell.get("html") is not None:
                        cell["html"] = safe_html(cell["html"])
    elif kind == "figure":
        svg = str(view.get("svg", "")).encode("utf-8")
        view["svg_data_uri"] = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
        view["width"], view["height"] = svg_css_size(svg.decode("utf-8"))
    return view


def svg_css_size(svg: str) -> tuple[int | None, int | None]:
    """The chart's own size in CSS px (matplotlib writes pt): the page shows it at this size
    and never smaller, so its text stays as large as it was drawn (charts.STYLE)."""
    head = svg[: svg.find(">") + 1]
    sizes = []
    for name in ("width", "height"):
        found = re.search(rf'\b{name}="([\d.]+)(pt|px)?"', head)
        if not found:
            return None, None
        value = float(found.group(1)) * (4 / 3 if found.group(2) == "pt" else 1)
        sizes.append(int(round(value)))
    return sizes[0], sizes[1]


def render(block: Mapping[str, Any], template_dir: str | Path | None = None,
           language: str = DEFAULT_LANGUAGE) -> Markup:
    """HTML for one block with the macros of ``template_dir`` (default: the package's), its fixed
    words in ``language``; words the catalogue lacks are marked as English (``lang="en"``)."""
    folder = Path(template_dir or strategy_template_dir()).resolve()
    html = macros(str(folder), template_digest(folder)).render_block(prepare(block), translator(language))
    return Markup(html_language_marks(str(html)))  # noqa: S704 - the macros escaped every value
