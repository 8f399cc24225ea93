"""What each section of a strategy shows, as display blocks built from one document's context.

Section notebooks stay thin: they load the context, call these functions and show the
blocks. Everything here is plain Python (no IPython), so the content of every section can be
tested without running a kernel. Numbers come from `strategy_docs.analysis`; words that
state numbers are generated from the same values the tables show.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property, wraps

import pandas as pd

from strategy_docs.sections import blocks, charts, markup
from strategy_docs.inputs import provenance
from strategy_docs.analysis import formatting as fmt
from strategy_docs.analysis import gaps as gap_analysis
from strategy_docs.analysis import hypotheses as hypothesis_tests
from strategy_docs.analysis import indicators as indicator_analysis
from strategy_docs.analysis import market, needs, resources, risks
from strategy_docs.analysis.cycle import CycleVocabulary
from strategy_docs.sections.context import StrategyContext
from strategy_docs.inputs.policy import national_drivers
from strategy_docs.wording import as_sentence, join_items, list_in_words, plural

TYPE_WORDS = {
    "invest": "Continue to invest",
    "disinvest": "Disinvest or decommission",
    "new": "Commission new",
    "reconfigure": "Reconfigure",
}
VERDICT_TONES = {"accepted": ("Accepted", "good"), "refuted": ("Refuted", "bad"), "inconclusive": ("Inconclusive", "neutral")}
OUT_OF_AREA_ALL = "{people} at 31 March {year}"
OUT_OF_AREA_SOME = "{people} at 31 March {year}, of those using {services}"
POLARITY_WORDS = {"higher": "Higher is better", "lower": "Lower is better"}
UNIT_SUFFIX = {"percent": "%", "pounds": "£", "days": "days", "weeks": "weeks", "years": "years", "score": "score",
               "ratio": "", "count": "", "rate per 100,000": "per 100,000", "rate per 10,000": "per 10,000",
               "rate per 1,000": "per 1,000"}


# A section function says it has nothing to show by returning no blocks; its heading is then left
# out of the document (render.drop_empty_sections). SHOWN_WHEN holds, for each function, the cheap
# test of whether it has content, so `validate` can say which sections a document leaves out
# without drawing a chart; @shown_when makes each function honour its own test.
SHOWN_WHEN: dict[str, Callable[["Document"], bool]] = {}


def shown_when(test: Callable[["Document"], bool]):
    def decorate(function):
        SHOWN_WHEN[function.__name__] = test

        @wraps(function)
        def section(doc: "Document") -> list[dict]:
            return relabel(doc, function(doc)) if test(doc) else []

        return section

    return decorate


def relabel(doc: "Document", items: list[dict]) -> list[dict]:
    """Captions and column headings in the plan's own words (strategy ``table_labels``)."""
    labels = doc.ctx.strategy.table_labels
    if not labels:
        return items
    every = labels.get("*")
    for block in items:
        if block.get("kind") != "table":
            continue
        spec = labels.get(block["id"]) or labels.get(block["caption"])
        renames = {**(every.columns if every else {}), **(spec.columns if spec else {})}
        for column in block["columns"]:
            column["label"] = renames.get(column["label"], column["label"])
        if spec is not None and spec.caption:
            block["caption"] = spec.caption
    return items


def has_content(doc: "Document", function_name: str) -> bool:
    """Whether a section function shows anything for this document (without running it)."""
    test = SHOWN_WHEN.get(function_name)
    return True if test is None else bool(test(doc))


class Document:
    """One document's computed content, shared by its sections (each computed once)."""

    def __init__(self, ctx: StrategyContext):
        self.ctx = ctx
        self.inputs = ctx.analysis_inputs()

    # ------------------------------------------------------------ shared computations

    @cached_property
    def hypothesis_results(self) -> list[tuple]:
        results = []
        labels = indicator_labels(self.ctx.strategy) if any(
            h.test is not None and h.test.metric.startswith("indicator_") for h in self.ctx.strategy.hypotheses) else {}
        for position, h in enumerate(self.ctx.strategy.hypotheses):
            if h.test is not None:
                evaluation = hypothesis_tests.evaluate(h.test.model_dump(), self.inputs, labels, variant=position)
                results.append((h, evaluation.verdict, evaluation.evidence, evaluation.value))
            elif h.verdict is not None:
                results.append((h, h.verdict, f"Recorded verdict: {h.reason}", None))
            else:  # a statement of evidence with no test and no verdict: shown as it is
                results.append((h, None, None, None))
        return results

    @cached_property
    def accepted(self) -> list[str]:
        return [h.id for h, verdict, _, _ in self.hypothesis_results if verdict == "accepted"]

    def synthetic(self, table: str) -> bool:
        """Whether a data table's figures are synthetic (its data_sources entry, else the project flag)."""
        return provenance.is_synthetic(self.ctx.authority, self.ctx.project, table)

    def provenance(self, *tables: str) -> list[dict]:
        """Where the figures beside it come from, and a notice when they are synthetic. The whole-document
        notice already covers a document drawn only from synthetic data, so then only the source is said."""
        used = [t for t in tables if self.ctx.data.has(t)]
        out = []
        sources = [provenance.source_of(self.ctx.authority, t) for t in used if provenance.source_of(self.ctx.authority, t)]
        if sources:
            out.append(blocks.prose("*Source: " + as_sentence(join_items(dict.fromkeys(sources))) + "*"))
        if any(self.synthetic(t) for t in used) and not document_is_synthetic(self.ctx):
            out.append(blocks.callout("Synthetic example data", "The figures here are made up to show how the "
                                      "document works; they do not describe real people, services or spending."))
        return out

    @cached_property
    def need_series(self) -> dict[str, pd.DataFrame]:
        years = sorted({y for y in self.inputs.population["year"].unique()
                        if self.ctx.base_year <= y <= self.ctx.look_ahead_year})
        out = {}
        for measure in self.ctx.client_group.measures:
            rates = [r.model_dump() for r in measure.rates]
            out[measure.id] = needs.need_by_year(self.inputs.population, rates, years=years)
        return out

    @property
    def has_needs(self) -> bool:
        """Needs analysis needs prevalence measures and population figures for the authority's areas."""
        return bool(self.ctx.client_group.measures) and not self.inputs.population.empty

    def need_in(self, measure_id: str, year: int) -> float:
        frame = self.need_series[measure_id]
        row = frame[frame["year"] == year]
        return float(row["estimate_rounded"].iloc[0]) if not row.empty else float("nan")

    @cached_property
    def vocabulary(self) -> CycleVocabulary:
        cycle = self.ctx.authority.cycle
        return CycleVocabulary(cycle.stages, cycle.synonyms)

    @property
    def suppress_below(self) -> int:
        return self.ctx.project.build.suppress_below


def indicator_labels(strategy) -> dict[str, hypothesis_tests.IndicatorLabel]:
    """The plan's indicators by id, with the name and unit a sentence calls them by."""
    return {i.id: hypothesis_tests.IndicatorLabel(i.name, i.unit) for i in strategy.indicators}


def document_is_synthetic(ctx) -> bool:
    """The whole-document synthetic notice: every data table the document uses is synthetic."""
    return provenance.document_is_synthetic(ctx.authority, ctx.project, ctx.data.files)


def load_document(workspace, authority: str, client_group: str) -> Document:
    from strategy_docs.sections.context import load

    return Document(load(workspace, authority, client_group))


# ---------------------------------------------------------------- 01 context and document control


@shown_when(lambda doc: True)
def summary(doc: Document) -> list[dict]:
    ctx = doc.ctx
    control = ctx.strategy.document_control
    context = ctx.strategy.context
    group = ctx.client_group
    localities = ctx.authority.localities
    status = [("Status", control.status.capitalize(), f"version {control.version_history[-1].version}"
               if control.version_history else "")] if control.status else []
    out = [blocks.facts([
        ("Strategy period", ctx.edition.label),
        ("Area", ctx.authority.name, plural(len(localities), "locality", "localities") if localities else ""),
        ("Client group", group.name, f"aged {group.age_range.label}" if group.age_range is not None else ""),
        *status,
    ])]
    out += _titled("Summary", context.summary)
    out += _titled("Purpose", control.purpose)
    scope = [blocks.prose(text) for text in (
        context.scope,
        f"**Who this strategy is for.** {group.definition}" if group.definition.strip() else "",
        # a list: the services' own names may hold commas ("Home care, including night services")
        "**Services included:**\n\n" + "\n".join(f"- {service}" for service in context.services_included)
        if context.services_included else "",
    ) if text.strip()]
    if scope:
        out += [blocks.heading("Scope and definition", 3), *scope]
    if ctx.authority.partners:
        partners = pd.DataFrame([{"Partner": p.name, "Role in this strategy": p.role} for p in ctx.authority.partners])
        out += [blocks.heading("Partners", 3),
                blocks.prose(f"This strategy is owned by {ctx.authority.name} with the partners below. "
                             f"Services are regulated by the {ctx.authority.regulator}."),
                blocks.table(partners, caption="Partners", id="partners")]
        if context.partnership.strip():
            out.append(blocks.prose(context.partnership))
    elif context.partnership.strip():
        out += _titled("Partners", context.partnership)
    return out + _titled("Consultation", context.consultation)


def _titled(title: str, markdown: str, level: int = 3) -> list[dict]:
    """A sub-heading and its text, or nothing when the text is not given."""
    return [blocks.heading(title, level), blocks.prose(markdown)] if markdown and markdown.strip() else []


@shown_when(lambda doc: bool(doc.ctx.project.previous_edition))
def what_changed(doc: Document) -> list[dict]:
    """'What has changed since the last edition', when the project names a previous edition."""
    if not doc.ctx.project.previous_edition:
        return []
    from strategy_docs.annual.changes import what_changed_blocks

    return what_changed_blocks(doc.ctx)


@shown_when(lambda doc: bool(drivers_for(doc.ctx)))
def policy_drivers(doc: Document) -> list[dict]:
    ctx = doc.ctx
    listed = drivers_for(ctx)
    if not listed:
        return []
    dated = any(d.when is not None for d in listed)
    rows = []
    for d in listed:
        row = {"Policy or legislation": d.name, "Why it matters here": d.summary, "Level": d.level.capitalize()}
        if dated:
            row["Year"] = str(d.date.year if d.date is not None else d.year) if d.when is not None else ""
        rows.append(row)
    levels = {d.level for d in listed}
    nation = "Wales" if ctx.authority.nation == "wales" else "England"
    caption = (f"National ({nation}) and local policy drivers" if levels == {"national", "local"} or
               levels == {"national", "regional", "local"} else
               f"National ({nation}) policy drivers" if levels == {"national"} else "Policy drivers")
    return [blocks.table(pd.DataFrame(rows), caption=caption, id="policy-drivers", numeric_columns=[])]


def drivers_for(ctx: StrategyContext) -> list:
    """The drivers a document lists: national defaults (unless switched off), the strategy's own, the
    authority's and the strategy's local ones, never one dated after the plan was published."""
    from strategy_docs.inputs.policy import default_drivers, published_by

    settings = ctx.strategy.context.policy_drivers
    listed = default_drivers(ctx.authority.nation, ctx.client_group_id) if settings.national_defaults else []
    listed += list(settings.drivers) + list(ctx.authority.local_policy) + list(ctx.strategy.context.local_drivers)
    cutoff = published_by(ctx.strategy.document_control, ctx.edition)
    return [d for d in listed if d.when is None or d.when <= cutoff]


@shown_when(lambda doc: _has_outcomes(doc.ctx.strategy.outcomes))
def outcomes(doc: Document) -> list[dict]:
    framework = doc.ctx.strategy.outcomes
    out = []
    if framework.introduction.strip():
        out.append(blocks.prose(framework.introduction))
    if framework.style == "i-statements":
        rows = [{"Code": o.code, "Outcome": o.name or "", "What it means to people": o.i_statement or o.aspiration}
                for o in framework.items]
        if rows and not any(o.name for o in framework.items):  # "I statements" with no names: no empty column
            rows = [{k: v for k, v in row.items() if k != "Outcome"} for row in rows]
        if rows:
            out.append(blocks.table(pd.DataFrame(rows), caption="Outcomes, written as people would say them", id="outcomes"))
        return out
    for outcome in framework.items:
        rows = [{"Code": s.code, "Sub-outcome": s.text} for s in outcome.sub_outcomes]
        layers = outcome.commissioning
        if layers is not None:
            for label, items in (("Strategic commissioning", layers.strategic), ("Local commissioning", layers.local),
                                 ("Individual commissioning", layers.individual), ("Decommissioning", layers.decommissioning)):
                rows.append({"Code": label, "Sub-outcome": join_items(items) if items else "None"})
        caption = f"{outcome.code}: {outcome.name or outcome.i_statement or outcome.aspiration}" + (
            f". {outcome.aspiration}" if outcome.aspiration and outcome.name else "")
        if rows:
            out.append(blocks.table(pd.DataFrame(rows), caption=caption, id=f"outcome-{outcome.code}"))
    return out


def _has_outcomes(framework) -> bool:
    if framework.introduction.strip():
        return True
    if framework.style == "i-statements":
        return bool(framework.items)
    return any(o.sub_outcomes or o.commissioning is not None for o in framework.items)


@shown_when(lambda doc: True)
def document_control(doc: Document) -> list[dict]:
    control = doc.ctx.strategy.document_control
    when = (lambda d: d.strftime("%-d %B %Y") if d is not None else None)
    rows = [(label, value) for label, value in (
        ("Title", control.title), ("Reference", control.reference or None),
        ("Author(s)", ", ".join(control.authors) or None), ("Owner", control.owner),
        ("Status", control.status.capitalize() if control.status else None),
        ("Publication date", when(control.publication_date)), ("Valid until", when(control.valid_until)),
        ("Distribution", control.distribution), ("Classification", control.classification),
    ) if value]
    out = [blocks.table(pd.DataFrame(rows, columns=["Field", "Value"]), caption="Document control", id="document-control")]
    if control.version_history:
        history = pd.DataFrame([{"Version": v.version, "Date": v.date.strftime("%-d %B %Y"), "Author": v.author,
                                 "Comments": v.comments} for v in control.version_history])
        out.append(blocks.table(history, caption="Version history", id="version-history", numeric_columns=[]))
    return out


# ---------------------------------------------------------------- 02 hypotheses


@shown_when(lambda doc: any(h.test is not None or h.verdict is not None for h in doc.ctx.strategy.hypotheses))
def hypotheses_summary(doc: Document) -> list[dict]:
    verdicts = [v for _, v, _, _ in doc.hypothesis_results]
    if not any(verdicts):  # no hypothesis has been tested or judged: no counts to give
        return []
    return [blocks.facts([
        ("Hypotheses tested", sum(1 for v in verdicts if v)),
        ("Accepted", verdicts.count("accepted"), "the evidence supports them"),
        ("Refuted", verdicts.count("refuted"), "the evidence does not support them"),
        ("Inconclusive", verdicts.count("inconclusive"), "more evidence needed"),
    ])]


@shown_when(lambda doc: bool(doc.ctx.strategy.hypotheses))
def hypotheses_table(doc: Document) -> list[dict]:
    results = doc.hypothesis_results
    if not results:
        return []
    judged = any(v for _, v, _, _ in results)
    wants_evidence = any(h.evidence_needed for h, _, _, _ in results)
    rows = []
    for h, verdict, evidence, _ in results:
        row = {"ID": h.id, "Hypothesis": h.statement}
        if wants_evidence:
            row["Evidence needed"] = h.evidence_needed or ""
        if judged:
            row["What the evidence shows"] = evidence or ""
            row["Verdict"] = verdict or ""
        rows.append(row)
    tones = {v: label_tone for v, label_tone in VERDICT_TONES.items()}
    caption = "Hypotheses and the evidence tested against them" if judged else "Hypotheses"
    return [blocks.table(pd.DataFrame(rows), caption=caption, id="hypotheses",
                         statuses={"Verdict": lambda v: tones.get(v)} if judged else None)]


@shown_when(lambda doc: any(h.implication.strip() for h in doc.ctx.strategy.hypotheses))
def hypotheses_implications(doc: Document) -> list[dict]:
    items = [f"- **{h.id}**" + (f" ({VERDICT_TONES[v][0].lower()})" if v else "") + f": {h.implication}"
             for h, v, _, _ in doc.hypothesis_results if h.implication.strip()]
    if not items:
        return []
    return [blocks.heading("What the results mean for commissioning", 3), blocks.prose("\n".join(items))]


# ---------------------------------------------------------------- 03 needs


@shown_when(lambda doc: doc.has_needs)
def needs_sentences(doc: Document) -> list[dict]:
    ctx = doc.ctx
    if not doc.has_needs:
        return []
    lines = []
    for measure in ctx.client_group.measures:
        base, end, far = ctx.base_year, ctx.end_year, ctx.look_ahead_year
        lines.append("- " + needs.needs_sentence(measure.label, base, doc.need_in(measure.id, base), end,
                                                  doc.need_in(measure.id, end)) + ".")
        lines.append("- " + needs.needs_sentence(measure.label, base, doc.need_in(measure.id, base), far,
                                                  doc.need_in(measure.id, far)) + " (long-term view).")
    return [blocks.prose("\n".join(lines))]


@shown_when(lambda doc: doc.has_needs)
def needs_chart(doc: Document) -> list[dict]:
    if not doc.has_needs:
        return []
    labels = {m.id: m.label for m in doc.ctx.client_group.measures}
    chart = charts.need_projection_chart({labels[k]: v for k, v in doc.need_series.items()}, chart_id="need-projection",
                                         caption=f"Projected need, {doc.ctx.base_year} to {doc.ctx.look_ahead_year}")
    return blocks.figure(chart)


@shown_when(lambda doc: doc.has_needs)
def needs_period_table(doc: Document) -> list[dict]:
    ctx = doc.ctx
    if not doc.has_needs:
        return []
    years = list(range(ctx.base_year, ctx.end_year + 1)) + [ctx.look_ahead_year]
    rows = []
    for measure in ctx.client_group.measures:
        row = {"Measure": measure.label}
        for year in years:
            row[str(year)] = doc.need_in(measure.id, year)
        row["Change to " + str(ctx.end_year)] = fmt.fmt_change(row[str(ctx.base_year)], row[str(ctx.end_year)])
        rows.append(row)
    sources = " ".join(as_sentence(f"{m.label}: {m.source}") for m in ctx.client_group.measures if m.source.strip())
    return [blocks.table(pd.DataFrame(rows), caption="Estimated number of people, each year of the strategy and the long-term view",
                         id="need-by-year", numeric_columns=[str(y) for y in years], suppress_columns=[],
                         notes="Prevalence rates applied to population estimates and projections, rates held constant."
                         + (f" Sources: {sources}" if sources else ""))
            ] + doc.provenance("population")


@shown_when(lambda doc: doc.has_needs and doc.ctx.data.has("service_users")
            and any(m.service_types for m in doc.ctx.client_group.measures))
def unmet_need_table(doc: Document) -> list[dict]:
    ctx = doc.ctx
    if not doc.has_needs or not ctx.data.has("service_users"):
        return []
    year = int(ctx.data.service_users["year"].max()) if not ctx.data.service_users.empty else ctx.base_year
    rows = []
    for measure in ctx.client_group.measures:
        if not measure.service_types:
            continue
        need_year = year if year in set(doc.need_series[measure.id]["year"]) else ctx.base_year
        result = needs.unmet_need(doc.need_in(measure.id, need_year), ctx.data.service_users, measure.service_types,
                                  None, year)  # ctx.data holds this group's rows (or its covered groups', summed)
        rows.append({"Measure": measure.label, "Estimated need": result.need, "Known to services": result.known,
                     "Estimated unmet need": result.unmet,
                     "Unmet need (%)": None if result.unmet_percent is None else round(result.unmet_percent, 1)})
    if not rows:
        return []
    return [blocks.table(pd.DataFrame(rows), caption=f"Estimated need compared with people known to services, {year}",
                         id="unmet-need", suppress_below=doc.suppress_below, suppress_columns=["Known to services"],
                         notes="Unmet need is estimated need minus people known to the linked services; it is never "
                               "below zero. Prevalence counts overstate demand for services, so treat it as an upper estimate.")
            ] + doc.provenance("population", "service_users")


@shown_when(lambda doc: not doc.ctx.data.service_users.empty)
def service_use_table(doc: Document) -> list[dict]:
    su = doc.ctx.data.service_users
    if su.empty:
        return []
    pivot = su.groupby(["service_type", "year"], as_index=False)["people"].sum().pivot(index="service_type", columns="year", values="people")
    pivot.columns = [str(c) for c in pivot.columns]
    frame = pivot.reset_index().rename(columns={"service_type": "Service type"})
    return [blocks.table(frame, caption="People known to services at 31 March, by service type", id="service-use",
                         suppress_below=doc.suppress_below)] + doc.provenance("service_users")


# ---------------------------------------------------------------- 04 market and resources


@shown_when(lambda doc: not doc.ctx.data.providers.empty)
def market_occupancy(doc: Document) -> list[dict]:
    if doc.ctx.data.providers.empty:
        return []
    summary_frame = market.occupancy_by_service_type(doc.ctx.data.providers)
    chart = charts.occupancy_chart(summary_frame, chart_id="occupancy", caption="Occupancy by service type")
    return blocks.figure(chart)


@shown_when(lambda doc: not doc.ctx.data.providers.empty)
def market_tables(doc: Document) -> list[dict]:
    ctx = doc.ctx
    providers = ctx.data.providers
    if providers.empty:
        return []
    out = []
    mix = market.sector_mix(providers)
    mix = mix.drop(columns=["sector"]).rename(columns={"label": "Sector", "providers": "Providers", "capacity": "Places",
                                                       "share_percent": "Share of places (%)"})
    out.append(blocks.table(mix, caption="Places by sector", id="sector-mix"))
    ratings = market.quality_ratings(providers, ctx.authority.nation)
    regulator = "CIW" if ctx.authority.nation == "wales" else "CQC"
    ratings = ratings.rename(columns={"rating": "Rating", "services": "Services", "percent_of_rated": "Share of rated services (%)"})
    out.append(blocks.table(ratings, caption=f"Services by {regulator} rating", id="quality-ratings"))
    rows = []
    for service_type in sorted(providers["service_type"].unique()):
        c = market.concentration(providers, service_type)
        rows.append({"Service type": service_type, "Providers": c.providers, "Places": c.capacity,
                     "Top three providers' share (%)": round(c.top3_share_percent, 1), "HHI": round(c.hhi),
                     "Concentration": c.band})
    out.append(blocks.table(pd.DataFrame(rows), caption="Concentration of supply (Herfindahl-Hirschman index on places)",
                            id="concentration", notes="HHI below 1,500 is unconcentrated, 1,500 to 2,500 moderately "
                                                      "concentrated, above 2,500 highly concentrated."))
    good = market.good_or_better_percent(providers, ctx.authority.nation)
    facts = [
        ("Providers", providers["provider_id"].nunique()),
        ("Places", int(providers["capacity"].sum())),
        ("Rated good or better", fmt.fmt_percent(good), f"of services rated by {regulator}"),
    ]
    if not ctx.data.service_users.empty and market.records_out_of_area(ctx.data.service_users):
        # only where the figures record placements: a blank out_of_area is not recorded, not zero
        ooa = market.out_of_area(ctx.data.service_users)
        every = set(ooa.service_types) == set(ctx.data.service_users["service_type"].astype(str))
        detail = (OUT_OF_AREA_ALL if every else OUT_OF_AREA_SOME).format(
            people=plural(int(ooa.out_of_area), "person", "people"), year=ooa.year,
            services=list_in_words(ooa.service_types))
        facts.append(("Placed out of area", fmt.fmt_percent(ooa.percent), detail))
    out.insert(0, blocks.facts(facts))
    return out + doc.provenance("providers", "service_users")


@shown_when(lambda doc: not doc.ctx.data.budget.empty)
def budget(doc: Document) -> list[dict]:
    ctx = doc.ctx
    if ctx.data.budget.empty:
        return []
    year = _budget_year(doc)
    summary_frame = resources.budget_summary(ctx.data.budget, year)
    rows = []
    for record in summary_frame.table.to_dict("records"):
        label = record["line"] if record["kind"] == "line" else f"{record['group']} subtotal"
        rows.append({"Group": record["group"], "Budget line": label, "Amount": fmt.fmt_money(record["amount"])})
    footer = [
        {"Group": "Total", "Budget line": "Gross expenditure", "Amount": fmt.fmt_money(summary_frame.gross_expenditure)},
        {"Group": "Total", "Budget line": "Income", "Amount": fmt.fmt_money(summary_frame.income)},
        {"Group": "Total", "Budget line": "Net budget", "Amount": fmt.fmt_money(summary_frame.net_total)},
    ]
    table_block = blocks.table(pd.DataFrame(rows), caption=f"Budget by service line, {year}", id="budget",
                               numeric_columns=["Amount"], units={"Amount": "£"}, footer=footer,
                               notes="Income is shown as a negative amount in brackets.")
    out = [table_block] + doc.provenance("budget")
    stated = ctx.strategy.budget_totals
    if stated is not None and stated.financial_year == year:
        out.append(blocks.prose(f"The subtotals and net total above agree with the totals signed off for {year}."))
    chart = charts.budget_chart(summary_frame, chart_id="budget-by-group", caption=f"Gross expenditure by group, {year}")
    return out + blocks.figure(chart)


@shown_when(lambda doc: not doc.ctx.data.unit_costs.empty
            and not resources.unit_cost_comparison(doc.ctx.data.unit_costs).empty)
def unit_costs(doc: Document) -> list[dict]:
    ctx = doc.ctx
    if ctx.data.unit_costs.empty:
        return []
    comparison = resources.unit_cost_comparison(ctx.data.unit_costs)
    if comparison.empty:
        return []
    sentences = "\n".join("- " + resources.unit_cost_sentence(row) for row in comparison.to_dict("records"))
    chart = charts.unit_cost_chart(ctx.data.unit_costs, chart_id="unit-costs", caption="Unit costs against the comparator average")
    return [blocks.prose(sentences)] + blocks.figure(chart) + doc.provenance("unit_costs")


@shown_when(lambda doc: not doc.ctx.data.budget.empty and not doc.inputs.population.empty
            and doc.ctx.client_group.age_range is not None)
def spend_per_head(doc: Document) -> list[dict]:
    ctx = doc.ctx
    if ctx.data.budget.empty or doc.inputs.population.empty or ctx.client_group.age_range is None:
        return []
    year = _budget_year(doc)
    summary_frame = resources.budget_summary(ctx.data.budget, year)
    population_year = int(year[:4])
    age = (ctx.client_group.age_range.min, ctx.client_group.age_range.max)
    result = resources.spend_per_head(summary_frame.net_total, doc.inputs.population, population_year, age)
    return [blocks.facts([
        ("Net budget", fmt.fmt_money(summary_frame.net_total), year),
        ("Population in age range", fmt.fmt_int(result.population), f"aged {ctx.client_group.age_range.label}, {population_year}"),
        ("Spend per head", fmt.fmt_money(result.spend_per_head), "net budget divided by that population"),
    ])]


def _budget_year(doc: Document) -> str:
    stated = doc.ctx.strategy.budget_totals
    years = set(doc.ctx.data.budget["financial_year"])
    if stated is not None and stated.financial_year in years:
        return stated.financial_year
    return resources.latest_financial_year(doc.ctx.data.budget)


# ---------------------------------------------------------------- 05 gaps


def _row_gaps(doc: Document, gap) -> tuple[list, list[str]]:
    """Per-service gaps for one Gap Analysis Template row (demand, not need, vs places)."""
    if not gap.measure or not _can_compute_gaps(doc):
        return [], []
    return gap_analysis.computed_gaps(doc.inputs, gap.measure, gap.service_types or None, gap.uptake_rate)


@shown_when(lambda doc: bool(doc.ctx.strategy.gap_analysis))
def gap_template(doc: Document) -> list[dict]:
    ctx = doc.ctx
    verdicts = {h.id: v for h, v, _, _ in doc.hypothesis_results}
    rows = []
    if not ctx.strategy.gap_analysis:
        return []
    for gap in ctx.strategy.gap_analysis:
        rationale = gap.rationale.strip()
        found, missing = _row_gaps(doc, gap)
        for computed in found:
            rationale += f"\n\n{computed.rationale} {computed.method}"
        for sentence in missing:
            rationale += f"\n\n{sentence}"
        linked = [h for h in gap.hypotheses if verdicts.get(h) == "accepted"]
        if linked:
            rationale += f"\n\nBuilds on accepted hypothes{'is' if len(linked) == 1 else 'es'} {', '.join(linked)}."
        rows.append({"Strategic Objective": gap.objective, "The Gap – Service Developments": gap.service_developments,
                     "Rationale": rationale.strip(), "Commissioning Implications": gap.implications})
    columns = [c for c in rows[0] if c == "Strategic Objective" or any(r[c].strip() for r in rows)]
    frame = pd.DataFrame(rows)[columns]
    return [blocks.table(frame, caption="Gap Analysis Template", id="gap-analysis", markdown_columns=columns)]


def _can_compute_gaps(doc: Document) -> bool:
    return doc.has_needs and not doc.ctx.data.providers.empty


def service_gaps(doc: Document) -> list:
    """Every computed gap in the strategy, once per measure, service type and year."""
    found, seen = [], set()
    for gap in doc.ctx.strategy.gap_analysis:
        for g in _row_gaps(doc, gap)[0]:
            key = (g.measure_id, g.service_type, g.year, g.demand_basis, g.uptake_rate)
            if key not in seen:
                seen.add(key)
                found.append(g)
    return found


@shown_when(lambda doc: _can_compute_gaps(doc) and any(g.measure for g in doc.ctx.strategy.gap_analysis))
def computed_gap_table(doc: Document) -> list[dict]:
    found = service_gaps(doc)
    if not found:
        return []
    rows = [{"Service": g.service_type, "Need": g.label, "Year": str(g.year), "People with the need": g.need,
             "Projected demand": g.demand, "Current places": g.capacity,
             "Shortfall": g.shortfall, "Spare capacity": g.spare_capacity,
             "How demand is worked out": g.method} for g in found]
    return [blocks.table(pd.DataFrame(rows), caption="Projected demand against current places, by service",
                         id="computed-gaps",
                         numeric_columns=["People with the need", "Projected demand", "Current places",
                                          "Shortfall", "Spare capacity"], suppress_columns=[],
                         notes="Need, demand and places are kept apart. People with the need are estimated from "
                               "population projections and prevalence rates; most of them do not use any one "
                               "service. Projected demand is for each service on its own, and the shortfall or "
                               "spare capacity is projected demand minus today's places in that service.")]


# ---------------------------------------------------------------- 06 intentions


@shown_when(lambda doc: bool(doc.ctx.strategy.intentions))
def intentions_introduction(doc: Document) -> list[dict]:
    """What the tables hold, saying only what the plan gives (cycle positions, expected stages)."""
    intentions = doc.ctx.strategy.intentions
    text = "What we will commission, grouped by theme"
    if any(i.cycle is not None for i in intentions):
        text += ", with where each intention is on the commissioning cycle now"
        if any(i.cycle is not None and i.cycle.expected for i in intentions):
            text += " and where we expect it to be by the end of the year"
    return [blocks.prose(text + ".")]


@shown_when(lambda doc: any(i.type for i in doc.ctx.strategy.intentions))
def intentions_overview(doc: Document) -> list[dict]:
    intentions = doc.ctx.strategy.intentions
    if not any(i.type for i in intentions):  # the plan does not type its intentions: no counts to give
        return []
    counts = {TYPE_WORDS[t]: sum(1 for i in intentions if i.type == t) for t in TYPE_WORDS}
    return [blocks.facts([(label, count) for label, count in counts.items()])]


def _present(rows: list[dict], always: tuple[str, ...]) -> list[str]:
    """The columns some row fills in (a column the plan never states is left out, not shown empty)."""
    return [c for c in rows[0] if c in always or any(str(r[c]).strip() for r in rows)]


@shown_when(lambda doc: any(i.theme == t.id for t in doc.ctx.strategy.themes for i in doc.ctx.strategy.intentions))
def intentions_by_theme(doc: Document) -> list[dict]:
    ctx = doc.ctx
    outcome_names = {o.code: (o.i_statement or o.name or o.aspiration) for o in ctx.strategy.outcomes.items}
    outcome_names.update({s.code: s.text for o in ctx.strategy.outcomes.items for s in o.sub_outcomes})
    out = []
    for theme in ctx.strategy.themes:
        members = [i for i in ctx.strategy.intentions if i.theme == theme.id]
        if not members:
            continue
        out.append(blocks.heading(theme.name, 3, id=f"theme-{theme.id}"))
        if theme.summary.strip():
            out.append(blocks.prose(theme.summary))
        if theme.outcomes:
            out.append(blocks.prose("**Outcomes this theme serves:**\n\n" + "\n".join(
                f"- {code}: {outcome_names.get(code) or code}" for code in theme.outcomes)))
        any_outcomes = any(i.outcomes for i in members)
        rows = [{"ID": i.id, "Intention": f"**{i.title}**" + (f"\n\n{i.details}" if i.details.strip() else ""),
                 "Type": TYPE_WORDS[i.type] if i.type else "", "Drivers": join_items(i.drivers),
                 "Activity this year": i.activity, "Owner": i.owner or "", "Timescale": i.timescale or "",
                 "Outcomes": ", ".join(i.outcomes) or ("None listed" if any_outcomes else "")} for i in members]
        columns = _present(rows, ("ID", "Intention"))
        out.append(blocks.table(pd.DataFrame(rows)[columns], caption=f"Commissioning intentions: {theme.name}",
                                id=f"intentions-{theme.id}",
                                markdown_columns=[c for c in ("Intention", "Activity this year") if c in columns]))
        cycle_rows = []
        for i in members:
            if i.cycle is None:
                continue
            current = doc.vocabulary.parse(i.cycle.current)
            expected = doc.vocabulary.parse(i.cycle.expected) if i.cycle.expected else None
            # the stages named, as a set: "Prepare and Manage" lights two stages, not those between
            cycle_rows.append({"label": f"{i.id} {i.title}", "current": list(current),
                               "expected": list(expected) if expected else [],
                               "current_stages": list(doc.vocabulary.stages_in(i.cycle.current)),
                               "expected_stages": list(doc.vocabulary.stages_in(i.cycle.expected)) if expected else [],
                               "current_text": i.cycle.current, "expected_text": i.cycle.expected or ""})
        if cycle_rows:
            out.append(blocks.cycle(doc.vocabulary.stages, cycle_rows))
    return out


# ---------------------------------------------------------------- 07 risks


def _bands(doc: Document) -> list[dict]:
    return [{"min": b.min_score, "label": b.label, "tone": b.tone} for b in doc.ctx.authority.risk_bands]


def _scored_risks(doc: Document) -> list:
    """Risks whose plan gives a score after mitigation (the heat map and the bands need one)."""
    return [r for r in doc.ctx.strategy.risks if r.residual is not None]


@shown_when(lambda doc: bool(_scored_risks(doc)))
def risk_introduction(doc: Document) -> list[dict]:
    if not _scored_risks(doc):
        return []
    return [blocks.prose("Each risk is scored for likelihood and impact from 1 to 5, before and after mitigation. "
                         "The band follows from the score.")]


@shown_when(lambda doc: bool(_scored_risks(doc)))
def risk_heat_map(doc: Document) -> list[dict]:
    scored = _scored_risks(doc)
    if not scored:
        return []
    heat = risks.heat_map([_risk_scores(r) for r in scored], _bands(doc), which="residual")
    rows = []
    for likelihood in heat.counts.index:
        row = {"Likelihood": f"{likelihood}"}
        for impact in heat.counts.columns:
            count = int(heat.counts.loc[likelihood, impact])
            band = heat.bands.loc[likelihood, impact]
            # An empty cell stays blank: a band with no risk in it tells the reader nothing.
            row[f"Impact {impact}"] = (
                (f"{count} risk{'' if count == 1 else 's'} ({band})", heat.tones.loc[likelihood, impact])
                if count else "")
        rows.append(row)
    frame = pd.DataFrame(rows)
    status_columns = {c: (lambda v: v if isinstance(v, tuple) else None) for c in frame.columns if c.startswith("Impact")}
    return [blocks.table(frame, caption="Risks after mitigation by likelihood and impact (number of risks and band)",
                         id="risk-heat-map", statuses=status_columns,
                         notes="Likelihood and impact are scored 1 (lowest) to 5 (highest); the score is likelihood "
                               "times impact.")]


def _risk_scores(risk) -> dict:
    """A risk for the scoring functions: the inherent score stands in only where the plan gives it."""
    data = risk.model_dump()
    if data.get("inherent") is None:
        data["inherent"] = data["residual"]
    return data


def _score_text(score) -> str:
    return f"{score.likelihood} x {score.impact} = {score.score}" if score is not None else ""


@shown_when(lambda doc: bool(doc.ctx.strategy.risks))
def risk_register(doc: Document) -> list[dict]:
    all_risks = doc.ctx.strategy.risks
    if not all_risks:
        return []
    scored = {r.id: r for r in all_risks if r.inherent is not None or r.residual is not None}
    order = []
    bands: dict[str, tuple] = {}
    if scored:
        plain = [_risk_scores(r) if r.residual is not None else r.model_dump() for r in scored.values()]
        register = risks.risk_register(plain, _bands(doc))
        for record in register.to_dict("records"):
            order.append(record["id"])
            if scored[record["id"]].residual is not None:
                bands[record["id"]] = (record["residual_band"], record["residual_tone"])
    order += [r.id for r in all_risks if r.id not in scored]  # unscored risks keep the plan's order, after
    by_id = {r.id: r for r in all_risks}
    rows = []
    for rid in order:
        risk = by_id[rid]
        review = risk.review_date.strftime("%-d %b %Y") if risk.review_date is not None else ""
        if review and risk.review_flag:
            review += " (review: carried over)"
        rows.append({
            "ID": risk.id, "Risk": risk.title or "", "Cause": risk.cause or "", "Event": risk.event or "",
            "Effect": risk.effect or "", "Before mitigation": _score_text(risk.inherent),
            "Mitigations": join_items(risk.mitigations), "After mitigation": _score_text(risk.residual),
            "Band": bands.get(rid, ""), "Owner": risk.owner or "", "Review date": review,
        })
    columns = _present(rows, ("ID",))
    caption = "Risk register, highest risk after mitigation first" if bands else "Risk register"
    return [blocks.table(pd.DataFrame(rows)[columns], caption=caption, id="risk-register",
                         statuses={"Band": lambda v: v} if "Band" in columns else None, numeric_columns=[])]


# ---------------------------------------------------------------- 08 performance


def indicator_statuses(doc: Document) -> list[tuple]:
    rules = doc.ctx.authority.rag_rules.model_dump()
    out = []
    for position, ind in enumerate(doc.ctx.strategy.indicators):  # position: neighbouring rows worded differently
        try:
            status = indicator_analysis.indicator_status(doc.ctx.data.indicators, ind.id, ind.polarity, ind.target, rules,
                                                         unit=ind.unit, variant=position)
        except ValueError:  # no rows at all for this indicator: report it as having no data
            status = indicator_analysis.indicator_status(_no_data_row(ind.id), ind.id, ind.polarity, ind.target, rules,
                                                         unit=ind.unit, variant=position)
        out.append((ind, status))
    return out


def _codes(ind) -> str:
    return ", ".join(([ind.code] if ind.code else []) + [c for c in ind.codes if c != ind.code])


def _indicator_label(ind) -> str:
    return f"{_codes(ind)}: {ind.name}" if _codes(ind) else ind.name


def _indicator_groups(doc: Document) -> list[tuple[tuple, list]]:
    """Indicators as the plan groups them (theme, then area), in the plan's order; one group if none."""
    groups: dict[tuple, list] = {}
    for ind, status in indicator_statuses(doc):
        groups.setdefault((ind.theme, ind.area), []).append((ind, status))
    return list(groups.items())


@shown_when(lambda doc: bool(doc.ctx.strategy.indicators))
def performance_table(doc: Document) -> list[dict]:
    statuses = indicator_statuses(doc)
    if not statuses:
        return []
    has_data = doc.ctx.data.has("indicators")
    rated = [s.label for _, s in statuses if s.label]
    out = []
    if rated:
        out.append(blocks.facts([(label, rated.count(label)) for label in ("On track", "At risk", "Off track", "No data")
                                 if rated.count(label)]))
    notes_for = {(g.theme, g.area): g.notes for g in doc.ctx.strategy.indicator_groups}
    groups = _indicator_groups(doc)
    for (theme, area), members in groups:
        where = ", ".join(x for x in (theme, area) if x)
        table = _indicator_table(doc, members, has_data, id="indicators" + (f"-{markup.slugify(where)}" if where else ""),
                                 group=where, group_notes=notes_for.get((theme, area), ""))
        out.append(table)
    return out + (doc.provenance("indicators") if has_data else [])


def _indicator_table(doc: Document, members: list, has_data: bool, id: str, group: str, group_notes: str) -> dict:
    rows = []
    for ind, status in members:
        row = {"Indicator": _indicator_label(ind), "Framework": ind.framework or "", "Source": ind.source or "",
               "Which is better": POLARITY_WORDS[ind.polarity] if ind.polarity else "",
               "Latest": (_value(status.latest_value, ind.unit) + (f" ({status.latest_period})" if status.latest_period else ""))
               if has_data else "",
               "Target": _value(ind.target, ind.unit) if ind.target is not None else "",
               "Comparator average": _value(status.comparator_average, ind.unit) if has_data else "",
               "Direction of travel": status.direction.capitalize() if has_data and status.direction else "",
               "Rating": (status.label, status.tone) if status.label else "",
               "Action": ind.action or status.reason or ""}
        rows.append(row)
    columns = _present(rows, ("Indicator",))
    notes = " ".join(n for n in (group_notes.strip(), (
        "Rating: on track when the latest value meets the target; at risk when it is within "
        f"{fmt.fmt_percent(doc.ctx.authority.rag_rules.amber_tolerance_percent)} of the target or better than "
        "the comparator average; off track otherwise.") if "Rating" in columns else "") if n) or None
    caption = "Performance indicators: latest position and rating" if "Rating" in columns else "Performance indicators"
    if group:
        caption += f" ({group})"
    return blocks.table(pd.DataFrame(rows)[columns], caption=caption, id=id,
                        statuses={"Rating": lambda v: v} if "Rating" in columns else None, numeric_columns=[],
                        notes=notes)


def _no_data_row(indicator_id: str) -> pd.DataFrame:
    return pd.DataFrame([{"client_group": "", "indicator_id": indicator_id, "period": "not reported", "value": None,
                          "comparator_average": None}])


def _value(value, unit: str | None) -> str:
    return fmt.fmt_value(value, unit, missing="Not available")


@shown_when(lambda doc: bool(_trend_candidates(doc)))
def performance_trends(doc: Document) -> list[dict]:
    """Trend charts for the indicators most in need of attention."""
    out = []
    for ind, status in _trend_candidates(doc):
        chart = charts.indicator_trend_chart(doc.ctx.data.indicators, ind.id, label=_indicator_label(ind),
                                             target=ind.target, polarity=ind.polarity, unit=UNIT_SUFFIX.get(ind.unit, ""),
                                             chart_id=f"trend-{ind.id}", caption=f"{_indicator_label(ind)}, trend against target "
                                             f"and comparator ({status.label.lower()})")
        out.extend(blocks.figure(chart))
    return out


def _trend_candidates(doc: Document, limit: int = 3) -> list[tuple]:
    """Of the three indicators most in need of attention, those with a value and a rating to chart."""
    order = {"bad": 0, "warning": 1, "neutral": 2, "good": 3}
    ranked = sorted(indicator_statuses(doc), key=lambda pair: (order.get(pair[1].tone, 4), pair[0].id))
    # no rating earned: nothing to single out
    return [(ind, status) for ind, status in ranked[:limit] if status.latest_value is not None and status.label is not None]


def _has_monitoring(m) -> bool:
    return bool(m.frequency or m.review_group or m.next_review is not None or m.arrangements.strip())


@shown_when(lambda doc: doc.ctx.strategy.monitoring is not None and _has_monitoring(doc.ctx.strategy.monitoring))
def monitoring(doc: Document) -> list[dict]:
    m = doc.ctx.strategy.monitoring
    if m is None:
        return []
    facts = [(label, value) for label, value in (
        ("Reviewed", m.frequency), ("By", m.review_group),
        ("Next review", m.next_review.strftime("%-d %B %Y") if m.next_review is not None else None)) if value]
    out = [blocks.facts(facts)] if facts else []
    return out + ([blocks.prose(m.arrangements)] if m.arrangements.strip() else [])

