"""Write the section notebooks (outputs stripped) and docs/sections.md from the registry.

Run after changing the registry.

The notebooks are thin by design: a parameters cell, one load, then display calls into
strategy_docs.sections.content. Their cells are declared in strategy_docs/registry.py, with what each
section reads, so every section's shape is reviewable in one place.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # this checkout's registry, installed or not

from strategy_docs.sections.registry import (  # noqa: E402
    DEFAULT_ORDER, FURNITURE_TAG, PREVIOUS_EDITION, SECTIONS, TEXT_SECTIONS, Markdown, short_id,
)

PARAMETERS = '''# Parameters (papermill injects the document's values after this cell)
workspace = None  # None: found from the current folder upwards, else $STRATEGY_DOCS_WORKSPACE
authority = "northshire"
client_group = "older-people"
language = "en"  # "cy": the Welsh document of an authority that publishes in Welsh'''

LOAD = '''from strategy_docs.sections import display, content as sections

doc = sections.load_document(workspace, authority, client_group, language)'''


def build_notebook(cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    params = new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell(LOAD)]
    for cell in cells:
        if isinstance(cell, Markdown):  # headings and introductions: shown only beside the section's content
            nb.cells.append(new_markdown_cell(cell.text, metadata={"tags": [FURNITURE_TAG]}))
        else:
            nb.cells.append(new_code_cell(cell.source))
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index:02d}"
    return nb


def sections_doc() -> str:
    lines = [
        "# The sections of a strategy",
        "",
        "Generated from `src/strategy_docs/sections/registry.py` by `scripts/make_notebooks.py`; do not edit by hand.",
        "Each section is one notebook in `notebooks/`, run in this order. *Reads* are the strategy fields,",
        "data tables and archive the section is declared to read (a test checks them against what it is",
        "recorded reading); every section also reads the project, authority and client-group files.",
        "",
        "| section | title | shows (`sections.*`) | reads |",
        "|---|---|---|---|",
    ]
    for s in SECTIONS:
        reads = [f"`{f}`" for f in s.fields] + [f"`data/{t}`" for t in s.tables]
        if s.previous_edition:
            reads.append(f"the previous edition's archive (`{PREVIOUS_EDITION}`)")
        shows = ", ".join(f"`{f}`" for f in s.functions)
        lines.append(f"| `{s.notebook}` | {s.title} | {shows} | {', '.join(reads) or 'nothing else'} |")
    lines += [
        "",
        "## Sections made from params alone",
        "",
        "These need no notebook: `sections.narrative.<function>(strategy)` makes their blocks when the build is",
        "planned, only when the strategy gives their content, and they are shown with the notebooks' sections.",
        "",
        "| section | title | shows (`narrative.*`) | reads |",
        "|---|---|---|---|",
    ]
    for t in TEXT_SECTIONS:
        lines.append(f"| `{t.id}` | {t.title} | `{t.function}` | {', '.join(f'`{f}`' for f in t.fields)} |")
    lines += [
        "",
        "## The default order, and the names a strategy's `sections:` list uses",
        "",
        "A strategy's `sections:` list may name any of these, in the plan's order, with the plan's `title` and",
        "`number`; sections it does not list follow in this order. Narrative sections of the plan's own",
        "(`title` and `text`) may stand anywhere in the list.",
        "",
        "| name in `sections:` | section |",
        "|---|---|",
    ]
    lines += [f"| `{short_id(name)}` | `{name}` |" for name in DEFAULT_ORDER]
    return "\n".join(lines) + "\n"


def main() -> None:
    folder = ROOT / "notebooks"
    folder.mkdir(exist_ok=True)
    for section in SECTIONS:
        nbformat.write(build_notebook(section.cells), folder / section.notebook)
    (ROOT / "docs" / "sections.md").write_text(sections_doc(), encoding="utf-8")
    print(f"wrote {len(SECTIONS)} notebooks to {folder} and docs/sections.md")


if __name__ == "__main__":
    main()
