"""Which sections a document leaves out, known before any notebook runs.

A heading is left out of the document when no section function under it shows anything
(:func:`strategy_docs.outputs.html.drop_empty_sections`). `validate` tells the user which ones, as
information: this module reads the section notebooks for their headings and the
``sections.<function>(doc)`` calls under them, asks :func:`strategy_docs.sections.content.has_content`
whether each call would show anything, and applies the same rule the build applies.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from dataclasses import asdict
from typing import TYPE_CHECKING

from strategy_docs.atomic import atomic_write
from strategy_docs.digests import notebook_digest, sha256_bytes
from strategy_docs.errors import Problem
from strategy_docs.inputs.bundled import section_notebooks
from strategy_docs.inputs.data import load_authority_data
from strategy_docs.sections.context import StrategyContext
from strategy_docs.sections.registry import FURNITURE_TAG

if TYPE_CHECKING:  # the sections (pandas, charts) load only when a note has to be worked out
    from strategy_docs.sections import content as sections

_CALL = re.compile(r"\bsections\.(\w+)\(doc\)")


def notebook_outline(path: Path) -> list[tuple[str, str]]:
    """The cells that matter for leaving sections out: ("markdown" or "furniture", source) and
    ("call", function name)."""
    from strategy_docs.outputs.html import DROP_TAGS  # lazy: html loads nbconvert, which validate does not need

    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    out: list[tuple[str, str]] = []
    for cell in nb.get("cells", []):
        tags = set(cell.get("metadata", {}).get("tags", []) or [])
        if tags & DROP_TAGS:
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "markdown" and source.strip():
            out.append(("furniture" if FURNITURE_TAG in tags else "markdown", source))
        elif cell.get("cell_type") == "code":
            out.extend(("call", name) for name in _CALL.findall(source))
    return out


def left_out(doc: "sections.Document", notebooks: list[Path]) -> list[str]:
    """The headings this document leaves out, in document order: a section under the plan's own
    heading where its skeleton gives one (`sections:`), and its narrative sections with no text."""
    # lazy: nbformat, nbconvert (html) and the sections' charts load only when a note has to be worked out
    import nbformat

    from strategy_docs.outputs import html as render
    from strategy_docs.sections import content as sections
    from strategy_docs.sections import narrative
    from strategy_docs.sections.context import unwrap
    from strategy_docs.sections.registry import TEXT_BY_ID, resolve

    strategy = doc.ctx.strategy
    retitled = {resolve(e.id): narrative.heading_text(e.title, e.number) for e in strategy.sections
                if not e.narrative and e.title is not None and resolve(e.id)}
    dropped: list[str] = []
    for path in notebooks:
        cells = []
        for kind, value in notebook_outline(path):
            if kind in ("markdown", "furniture"):
                tags = {"tags": [FURNITURE_TAG]} if kind == "furniture" else {}
                cells.append(nbformat.v4.new_markdown_cell(value, metadata=tags))
            elif sections.has_content(doc, value):
                cells.append(nbformat.v4.new_code_cell(source=value))
        kept, headings = render.drop_empty_sections(cells)
        if headings and path.stem in retitled and not any(
                (render.heading_of(c.source) or (0,))[0] == 2 for c in kept if c.cell_type == "markdown"):
            headings[0] = retitled[path.stem]  # the section's own heading went: say it as the plan does
        dropped.extend(headings)
    dropped += [e.title for e in strategy.sections if e.narrative and not (e.text or "").strip()]
    for entry in strategy.sections:  # a section made from params, placed by the plan but not given
        spec = TEXT_BY_ID.get(resolve(entry.id) or "") if not entry.narrative else None
        if spec is not None and not getattr(narrative, spec.function)(unwrap(strategy)):
            dropped.append(narrative.heading_text(entry.title or spec.title, entry.number))
    return dropped


def cached_left_out_notes(workspace: Path, state: Path, params, authority_id: str, data_signature: str,
                          data=None) -> list:
    """left_out_notes, remembered for exactly these inputs (data, params, notebooks, package) so a
    repeated `validate` need not read the data again."""
    parts = [data_signature, params.project.model_dump_json(exclude={"matrix"}),
             params.authorities[authority_id].model_dump_json()]
    for (a, g), strategy in sorted(params.strategies.items()):
        if a == authority_id:
            parts += [g, params.client_groups[g].model_dump_json(), strategy.model_dump_json()]
    for path in section_notebooks(workspace):  # the workspace's own, else the package's
        parts.append(notebook_digest(path) if path.is_file() else "")
    key = sha256_bytes("|".join(parts).encode("utf-8"))
    store = state / "left-out.json"
    try:
        known = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if key in known:
        return [Problem(**p) for p in known[key]]
    notes = left_out_notes(workspace, params, authority_id, data)
    known[key] = [asdict(p) for p in notes]
    try:
        atomic_write(store, json.dumps(dict(list(known.items())[-500:])).encode("utf-8"))
    except OSError:  # a read-only workspace still validates
        pass
    return notes


def left_out_notes(workspace: Path, params, authority_id: str, data=None) -> list:
    """One information note per document of this authority that leaves sections out."""
    authority = params.authorities[authority_id]
    if data is None:
        data = load_authority_data(workspace, authority_id, {loc.code for loc in authority.localities}, authority.nation,
                                   client_groups=set(params.client_groups))
    notebooks = [p for p in section_notebooks(workspace) if p.is_file()]
    notes = []
    for (a, g), strategy in sorted(params.strategies.items()):
        if a != authority_id:
            continue
        ctx = StrategyContext(workspace, params.project, a, authority, g, params.client_groups[g], strategy,
                              data.for_client_group(g, params.client_groups[g].covers))
        from strategy_docs.sections.content import Document  # lazy: the sections load pandas and charts

        dropped = left_out(Document(ctx), notebooks)
        if dropped:
            notes.append(Problem(
                f"params/strategies/{a}/{g}.yaml",
                f"the document leaves out {len(dropped)} section{'s' if len(dropped) != 1 else ''} with no content: "
                + "; ".join(f"'{h}'" for h in dropped) + ".",
                fix="nothing to do if the plan does not have them; to show one, give its content in params or data.",
                severity="info"))
    return notes
