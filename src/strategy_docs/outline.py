"""Which sections a document leaves out, known before any notebook runs.

A heading is left out of the document when no section function under it shows anything
(:func:`strategy_docs.render.drop_empty_sections`). `validate` tells the user which ones, as
information: this module reads the section notebooks for their headings and the
``sections.<function>(doc)`` calls under them, asks :func:`strategy_docs.sections.has_content`
whether each call would show anything, and applies the same rule the build applies.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from . import render, sections

_CALL = re.compile(r"\bsections\.(\w+)\(doc\)")


def notebook_outline(path: Path) -> list[tuple[str, str]]:
    """The cells that matter for leaving sections out: ("markdown", source) and ("call", function name)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    out: list[tuple[str, str]] = []
    for cell in nb.get("cells", []):
        tags = set(cell.get("metadata", {}).get("tags", []) or [])
        if tags & render.DROP_TAGS:
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "markdown" and source.strip():
            out.append(("markdown", source))
        elif cell.get("cell_type") == "code":
            out.extend(("call", name) for name in _CALL.findall(source))
    return out


def left_out(doc: "sections.Document", notebooks: list[Path]) -> list[str]:
    """The headings this document leaves out, in document order."""
    dropped: list[str] = []
    for path in notebooks:
        cells = []
        for kind, value in notebook_outline(path):
            if kind == "markdown":
                cells.append(nbformat.v4.new_markdown_cell(value))
            elif sections.has_content(doc, value):
                cells.append(nbformat.v4.new_code_cell(source=value))
        dropped.extend(render.drop_empty_sections(cells)[1])
    return dropped


def left_out_notes(workspace: Path, params, authority_id: str, data=None) -> list:
    """One information note per document of this authority that leaves sections out."""
    from .context import StrategyContext
    from .data import load_authority_data
    from .errors import Problem
    from .workspace import SECTION_NOTEBOOKS

    authority = params.authorities[authority_id]
    if data is None:
        data = load_authority_data(workspace, authority_id, {loc.code for loc in authority.localities}, authority.nation,
                                   client_groups=set(params.client_groups))
    notebooks = [workspace / "notebooks" / f"{name}.ipynb" for name in SECTION_NOTEBOOKS]
    notebooks = [p for p in notebooks if p.is_file()]
    notes = []
    for (a, g), strategy in sorted(params.strategies.items()):
        if a != authority_id:
            continue
        ctx = StrategyContext(workspace, params.project, a, authority, g, params.client_groups[g], strategy,
                              data.for_client_group(g))
        dropped = left_out(sections.Document(ctx), notebooks)
        if dropped:
            notes.append(Problem(
                f"params/strategies/{a}/{g}.yaml",
                f"the document leaves out {len(dropped)} section{'s' if len(dropped) != 1 else ''} with no content: "
                + "; ".join(f"'{h}'" for h in dropped) + ".",
                fix="nothing to do if the plan does not have them; to show one, give its content in params or data.",
                severity="info"))
    return notes
