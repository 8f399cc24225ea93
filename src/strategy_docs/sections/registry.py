"""The sections of a strategy, declared once.

Each section names its notebook, its title, the cells the notebook shows (markdown, or one
call into `strategy_docs.sections.content`) and the inputs it reads: strategy fields, data tables and
the previous edition's archive. Everything that lists sections is derived from here: the
notebooks (`scripts/make_notebooks.py`), the order they run and are assembled in, the
preview's watch list and the folders a build reads or ships to a Dask worker.

The declared inputs are documentation checked by a test: what a section's cache key really
covers is what the section was *recorded* reading while it ran (see `context.py`), so a
declaration that drifts from the code fails the test instead of publishing a stale document.
Input names: ``strategy.<field>``, ``data.<table>``, ``edition.previous``.
"""

from __future__ import annotations

from dataclasses import dataclass

# The workspace folders a build reads (params, data, section notebooks, templates): the plan's
# input stamp, the Dask archive and the preview's watch list all cover exactly these.
INPUT_FOLDERS = ("params", "data", "notebooks", "templates")

PREVIOUS_EDITION = "edition.previous"
FURNITURE_TAG = "furniture"  # notebook cells of headings and introductions: shown only beside content
TABLES_PRESENT = "data.present"
ALL_SECTIONS_READ = ("table_labels",)
# Strategy fields no section shows: the template renders them from the document's metadata
# (plan.document_meta), so the render key, which covers the whole strategy, is what rebuilds them.
RENDERED_FROM_METADATA = ("consultation",)  # the plan's own captions and column headings, in any section


@dataclass(frozen=True)
class Markdown:
    text: str


@dataclass(frozen=True)
class Show:
    """A code cell showing what `sections.<function>(doc)` returns."""

    function: str
    comment: str = ""

    @property
    def source(self) -> str:
        call = f"display.show(sections.{self.function}(doc))"
        return f"# {self.comment}\n{call}" if self.comment else call


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    cells: tuple[Markdown | Show, ...]
    fields: tuple[str, ...] = ()  # strategy fields read
    tables: tuple[str, ...] = ()  # data tables read
    previous_edition: bool = False  # reads params/editions/<previous_edition>/ (when the project names one)
    provenance: bool = False  # says where its figures come from: reads which tables exist

    @property
    def notebook(self) -> str:
        return f"{self.id}.ipynb"

    @property
    def functions(self) -> tuple[str, ...]:
        return tuple(c.function for c in self.cells if isinstance(c, Show))

    @property
    def inputs(self) -> frozenset[str]:
        """The declared inputs, named as `context` records them."""
        names = {f"strategy.{f}" for f in self.fields + ALL_SECTIONS_READ} | {f"data.{t}" for t in self.tables}
        names |= {TABLES_PRESENT} if self.provenance else set()
        return frozenset(names | ({PREVIOUS_EDITION} if self.previous_edition else set()))


_ALL_TABLES = ("population", "service_users", "providers", "budget", "unit_costs", "indicators")

SECTIONS: tuple[Section, ...] = (
    Section(
        "01-context", "Context, purpose and document control",
        (
            Markdown("## Context, purpose and document control"),
            Show("summary"),
            Markdown("### Policy and legislation"),
            Show("policy_drivers"),
            Markdown("### Outcomes we want to achieve"),
            Show("outcomes"),
            Markdown("### Document control"),
            Show("document_control"),
            Show("what_changed", comment="Shown only when the project names a previous edition"),
        ),
        # "What has changed" compares intentions, risks, indicators and hypotheses (re-tested on
        # both editions' data) with the previous edition's archive.
        fields=("document_control", "context", "outcomes", "intentions", "risks", "indicators", "hypotheses"),
        tables=_ALL_TABLES, previous_edition=True,
    ),
    Section(
        "02-hypotheses", "Hypotheses",
        (
            Markdown("## Hypotheses tested against the evidence\n\nThe practice guidance asks commissioners to set out "
                     "8 to 10 key hypotheses at the start and to accept or refute each on the evidence gathered."),
            Show("hypotheses_summary"),
            Show("hypotheses_table"),
            Show("hypotheses_implications"),
        ),
        # indicators: a hypothesis on an indicator names it by the plan's name and unit
        fields=("hypotheses", "indicators"), tables=_ALL_TABLES,
    ),
    Section(
        "03-needs", "Needs analysis",
        (
            Markdown("## Needs analysis\n\nPrevalence rates from research are applied to population estimates and "
                     "projections to estimate how many people are likely to need support, now and in future."),
            Show("needs_sentences"),
            Show("needs_chart"),
            Show("needs_period_table"),
            Markdown("### Unmet need"),
            Show("unmet_need_table"),
            Markdown("### People known to services"),
            Show("service_use_table"),
        ),
        tables=("population", "service_users"), provenance=True,
    ),
    Section(
        "04-market-resources", "Market and resource analysis",
        (
            Markdown("## Market and resource analysis"),
            Markdown("### The provider market"),
            Show("market_tables"),
            Show("market_occupancy"),
            Markdown("### Budget"),
            Show("budget"),
            Show("spend_per_head"),
            Markdown("### Unit costs"),
            Show("unit_costs"),
        ),
        fields=("budget_totals",), tables=("population", "service_users", "providers", "budget", "unit_costs"),
        provenance=True,
    ),
    Section(
        "05-gaps", "Gap analysis",
        (
            Markdown("## Gap analysis\n\nThe Gap Analysis Template from the practice guidance, populated from left to "
                     "right: objectives, the service developments needed, the evidence for them, and what they mean "
                     "for commissioning."),
            Show("gap_template"),
            Markdown("### Projected need against current capacity"),
            Show("computed_gap_table"),
        ),
        fields=("gap_analysis", "hypotheses", "indicators"), tables=_ALL_TABLES,
    ),
    Section(
        "06-intentions", "Commissioning intentions",
        (
            Markdown("## Commissioning intentions"),
            Show("intentions_introduction"),
            Show("intentions_overview"),
            Show("intentions_by_theme"),
        ),
        fields=("themes", "intentions", "outcomes"),
    ),
    Section(
        "07-risks", "Risk register",
        (
            Markdown("## Risk register"),
            Show("risk_introduction", comment="The scoring is explained only when the plan scores its risks"),
            Show("risk_heat_map"),
            Show("risk_register"),
        ),
        fields=("risks",),
    ),
    Section(
        "08-performance", "Performance and monitoring",
        (
            Markdown("## Performance and monitoring"),
            Show("performance_table"),
            Markdown("### Trends for the indicators that need most attention"),
            Show("performance_trends"),
            Markdown("### How this strategy will be reviewed"),
            Show("monitoring"),
        ),
        fields=("indicators", "indicator_groups", "monitoring"), tables=("indicators",), provenance=True,
    ),
)

BY_ID = {s.id: s for s in SECTIONS}
SECTION_IDS = [s.id for s in SECTIONS]


def section(section_id: str) -> Section:
    return BY_ID[section_id]
