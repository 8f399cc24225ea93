"""Write the eight section notebooks (outputs stripped). Run after changing their cells here.

The notebooks are thin by design: a parameters cell, one load, then display calls into
strategy_docs.sections. Keeping their source here makes every section's shape reviewable.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]

PARAMETERS = '''# Parameters (papermill injects the document's values after this cell)
workspace = None  # None: found from the current folder upwards, else $STRATEGY_DOCS_WORKSPACE
authority = "northshire"
client_group = "older-people"'''

LOAD = '''from strategy_docs import display, sections

doc = sections.load_document(workspace, authority, client_group)'''

SECTIONS = {
    "01-context": ("Context, purpose and document control", [
        ("md", "## Context, purpose and document control"),
        ("code", "display.show(sections.summary(doc))"),
        ("md", "### Policy and legislation"),
        ("code", "display.show(sections.policy_drivers(doc))"),
        ("md", "### Outcomes we want to achieve"),
        ("code", "display.show(sections.outcomes(doc))"),
        ("md", "### Document control"),
        ("code", "display.show(sections.document_control(doc))"),
        ("code", "# Shown only when the project names a previous edition\ndisplay.show(sections.what_changed(doc))"),
    ]),
    "02-hypotheses": ("Hypotheses", [
        ("md", "## Hypotheses tested against the evidence\n\nThe practice guidance asks commissioners to set out "
               "8 to 10 key hypotheses at the start and to accept or refute each on the evidence gathered."),
        ("code", "display.show(sections.hypotheses_summary(doc))"),
        ("code", "display.show(sections.hypotheses_table(doc))"),
        ("code", "display.show(sections.hypotheses_implications(doc))"),
    ]),
    "03-needs": ("Needs analysis", [
        ("md", "## Needs analysis\n\nPrevalence rates from research are applied to population estimates and "
               "projections to estimate how many people are likely to need support, now and in future."),
        ("code", "display.show(sections.needs_sentences(doc))"),
        ("code", "display.show(sections.needs_chart(doc))"),
        ("code", "display.show(sections.needs_period_table(doc))"),
        ("md", "### Unmet need"),
        ("code", "display.show(sections.unmet_need_table(doc))"),
        ("md", "### People known to services"),
        ("code", "display.show(sections.service_use_table(doc))"),
    ]),
    "04-market-resources": ("Market and resource analysis", [
        ("md", "## Market and resource analysis\n\n### The provider market"),
        ("code", "display.show(sections.market_tables(doc))"),
        ("code", "display.show(sections.market_occupancy(doc))"),
        ("md", "### Budget"),
        ("code", "display.show(sections.budget(doc))"),
        ("code", "display.show(sections.spend_per_head(doc))"),
        ("md", "### Unit costs"),
        ("code", "display.show(sections.unit_costs(doc))"),
    ]),
    "05-gaps": ("Gap analysis", [
        ("md", "## Gap analysis\n\nThe Gap Analysis Template from the practice guidance, populated from left to right: "
               "objectives, the service developments needed, the evidence for them, and what they mean for commissioning."),
        ("code", "display.show(sections.gap_template(doc))"),
        ("md", "### Projected need against current capacity"),
        ("code", "display.show(sections.computed_gap_table(doc))"),
    ]),
    "06-intentions": ("Commissioning intentions", [
        ("md", "## Commissioning intentions\n\nWhat we will commission, grouped by theme, with where each intention is "
               "on the commissioning cycle now and where we expect it to be by the end of the year."),
        ("code", "display.show(sections.intentions_overview(doc))"),
        ("code", "display.show(sections.intentions_by_theme(doc))"),
    ]),
    "07-risks": ("Risk register", [
        ("md", "## Risk register\n\nEach risk is scored for likelihood and impact from 1 to 5, before and after "
               "mitigation. The band follows from the score."),
        ("code", "display.show(sections.risk_heat_map(doc))"),
        ("code", "display.show(sections.risk_register(doc))"),
    ]),
    "08-performance": ("Performance and monitoring", [
        ("md", "## Performance and monitoring"),
        ("code", "display.show(sections.performance_table(doc))"),
        ("md", "### Trends for the indicators that need most attention"),
        ("code", "display.show(sections.performance_trends(doc))"),
        ("md", "### How this strategy will be reviewed"),
        ("code", "display.show(sections.monitoring(doc))"),
    ]),
}


def build_notebook(cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    params = new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell(LOAD)]
    for kind, source in cells:
        nb.cells.append(new_markdown_cell(source) if kind == "md" else new_code_cell(source))
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index:02d}"
    return nb


def main() -> None:
    folder = ROOT / "notebooks"
    folder.mkdir(exist_ok=True)
    for name, (_, cells) in SECTIONS.items():
        nbformat.write(build_notebook(cells), folder / f"{name}.ipynb")
    print(f"wrote {len(SECTIONS)} notebooks to {folder}")


if __name__ == "__main__":
    main()
