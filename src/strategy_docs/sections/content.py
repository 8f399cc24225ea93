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
from strategy_docs.analysis.cycle import CycleVocabulary, intentions_by_id, stated_position, vocabulary_of
from strategy_docs.sections.context import StrategyContext
from strategy_docs.i18n import N_, mark, translator
from strategy_docs.inputs.params import fy
from strategy_docs.wording import as_sentence, join_items, list_in_words

# English message ids: each is shown through the document's translator (doc.t).
TYPE_WORDS = {
    "invest": N_("Continue to invest"),
    "disinvest": N_("Disinvest or decommission"),
    "new": N_("Commission new"),
    "reconfigure": N_("Reconfigure"),
}
VERDICT_TONES = {"accepted": (N_("Accepted"), "good"), "refuted": (N_("Refuted"), "bad"),
                 "inconclusive": (N_("Inconclusive"), "neutral")}
POLARITY_WORDS = {"higher": N_("Higher is better"), "lower": N_("Lower is better")}
# Words from the params and the analysis the document shows in its own language.
SHOWN_WORDS = (N_("Draft"), N_("Consultation"), N_("Final"), N_("National"), N_("Regional"), N_("Local"),
               N_("Low"), N_("Medium"), N_("High"), N_("Very high"), N_("On track"), N_("At risk"), N_("Off track"),
               N_("No data"), N_("Improving"), N_("Worsening"), N_("No change"), N_("Unconcentrated"),
               N_("Moderately concentrated"), N_("Highly concentrated"), N_("Not known"), N_("Not available"),
               # the cycle stages the example authorities name, sectors and regulators' ratings
               N_("Analysis"), N_("Planning"), N_("Securing services"), N_("Reviewing"), N_("Analyse"), N_("Plan"),
               N_("Do"), N_("Review"), N_("In-house"), N_("Private"), N_("Voluntary"), N_("NHS"),
               N_("Excellent"), N_("Outstanding"), N_("Good"), N_("Requires improvement"),
               N_("Requires significant improvement"), N_("Inadequate"), N_("Not yet rated"), N_("Wales"), N_("England"))
OUT_OF_AREA_ALL = N_("{people} at 31 March {year}")
OUT_OF_AREA_SOME = N_("{people} at 31 March {year}, of those using {services}")
UNIT_SUFFIX = {"percent": "%", "pounds": "£", "days": N_("days"), "weeks": N_("weeks"), "years": N_("years"),
               "score": N_("score"), "ratio": "", "count": "", "rate per 100,000": N_("per 100,000"),
               "rate per 10,000": N_("per 10,000"), "rate per 1,000": N_("per 1,000")}


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
    return blocks.relabel_tables(doc.ctx.strategy.table_labels, items)


def has_content(doc: "Document", function_name: str) -> bool:
    """Whether a section function shows anything for this document (without running it)."""
    test = SHOWN_WHEN.get(function_name)
    return True if test is None else bool(test(doc))


class Document:
    """One document's computed content, shared by its sections (each computed once)."""

    def __init__(self, ctx: StrategyContext):
        self.ctx = ctx
        self.inputs = ctx.analysis_inputs()
        self.t = ctx.translator  # the document's words: doc.t("Summary"), doc.t.date(...), doc.t.number(...)

    # ------------------------------------------------------------ shared computations

    @cached_property
    def hypothesis_results(self) -> list[tuple]:
        results = []
        labels = indicator_labels(self.ctx.strategy) if any(
            h.test is not None and h.test.metric.startswith("indicator_") for h in self.ctx.strategy.hypotheses) else {}
        for position, h in enumerate(self.ctx.strategy.hypotheses):
            if h.test is not None:
                evaluation = hypothesis_tests.evaluate(h.test, self.inputs, labels, variant=position, t=self.t)
                results.append((h, evaluation.verdict, evaluation.evidence, evaluation.value))
            elif h.verdict is not None:
                results.append((h, h.verdict, self.t("Recorded verdict: {reason}").format(reason=h.reason), None))
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
            out.append(blocks.prose("*" + self.t("Source: {sources}").format(
                sources=as_sentence(join_items(dict.fromkeys(sources)))) + "*"))
        if any(self.synthetic(t) for t in used) and not document_is_synthetic(self.ctx):
            out.append(blocks.callout(self.t("Synthetic example data"), self.t(
                "The figures here are made up to show how the document works; they do not describe real people, "
                "services or spending.")))
        return out

    @cached_property
    def need_series(self) -> dict[str, pd.DataFrame]:
        years = sorted({y for y in self.inputs.population["year"].unique()
                        if self.ctx.base_year <= y <= self.ctx.look_ahead_year})
        out = {}
        for measure in self.ctx.client_group.measures:
            out[measure.id] = needs.need_by_year(self.inputs.population, measure.rates, years=years)
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
        return vocabulary_of(self.ctx.authority.cycle)

    @property
    def suppress_below(self) -> int:
        return self.ctx.project.build.suppress_below


def indicator_labels(strategy) -> dict[str, hypothesis_tests.IndicatorLabel]:
    """The plan's indicators by id, with the name and unit a sentence calls them by."""
    return {i.id: hypothesis_tests.IndicatorLabel(i.name, i.unit) for i in strategy.indicators}


def document_is_synthetic(ctx) -> bool:
    """The whole-document synthetic notice: every data table the document uses is synthetic."""
    return provenance.document_is_synthetic(ctx.authority, ctx.project, ctx.data.files)


def load_document(workspace, authority: str, client_group: str, language: str = "en") -> Document:
    from strategy_docs.sections.context import load

    return Document(load(workspace, authority, client_group, language))


# ---------------------------------------------------------------- 01 context and document control


@shown_when(lambda doc: True)
def summary(doc: Document) -> list[dict]:
    ctx, t = doc.ctx, doc.t
    control = ctx.strategy.document_control
    context = ctx.strategy.context
    group = ctx.client_group
    localities = ctx.authority.localities
    status = [(t("Status"), t(control.status.capitalize()), t("version {version}").format(
        version=control.version_history[-1].version) if control.version_history else "")] if control.status else []
    out = [blocks.facts([
        (t("Strategy period"), t("{start} to {end}").format(start=fy(ctx.edition.start_year), end=fy(ctx.edition.end_year))),
        (t("Area"), ctx.authority.name, t.ngettext("{n} locality", "{n} localities", len(localities)).format(
            n=len(localities)) if localities else ""),
        (t("Client group"), group.name, t("aged {ages}").format(ages=_ages(t, group.age_range))
         if group.age_range is not None else ""),
        *status,
    ])]
    out += _titled(t("Summary"), context.summary)
    out += _titled(t("Purpose"), control.purpose)
    scope = [blocks.prose(text) for text in (
        context.scope,
        f"**{t('Who this strategy is for.')}** {group.definition}" if group.definition.strip() else "",
        # a list: the services' own names may hold commas ("Home care, including night services")
        f"**{t('Services included:')}**\n\n" + "\n".join(f"- {service}" for service in context.services_included)
        if context.services_included else "",
    ) if text.strip()]
    if scope:
        out += [blocks.heading(t("Scope and definition"), 3, id="scope-and-definition"), *scope]
    if ctx.authority.partners:
        partners = pd.DataFrame([{t("Partner"): p.name, t("Role in this strategy"): p.role} for p in ctx.authority.partners])
        out += [blocks.heading(t("Partners"), 3, id="partners"),
                blocks.prose(t("This strategy is owned by {authority} with the partners below. Services are regulated "
                               "by {regulator}.").format(authority=ctx.authority.name,
                                                         regulator=t(REGULATORS[ctx.authority.nation]))),
                blocks.table(partners, caption=t("Partners"), id="partners")]
        if context.partnership.strip():
            out.append(blocks.prose(context.partnership))
    elif context.partnership.strip():
        out += _titled(t("Partners"), context.partnership)
    return out + _titled(t("Consultation"), context.consultation)


REGULATORS = {"wales": N_("Care Inspectorate Wales (CIW)"), "england": N_("the Care Quality Commission (CQC)")}


def _ages(t, age_range) -> str:
    """'18 and over', '18 to 64' in the document's words."""
    if age_range.max is None:
        return t("{min} and over").format(min=age_range.min)
    return t("{min} to {max}").format(min=age_range.min, max=age_range.max)


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
    ctx, t = doc.ctx, doc.t
    listed = drivers_for(ctx)
    if not listed:
        return []
    dated = any(d.when is not None for d in listed)
    rows = []
    for d in listed:
        row = {t("Policy or legislation"): d.name, t("Why it matters here"): d.summary, t("Level"): t(d.level.capitalize())}
        if dated:
            row[t("Year")] = str(d.date.year if d.date is not None else d.year) if d.when is not None else ""
        rows.append(row)
    levels = {d.level for d in listed}
    nation = t("Wales") if ctx.authority.nation == "wales" else t("England")
    caption = (t("National ({nation}) and local policy drivers").format(nation=nation)
               if levels == {"national", "local"} or levels == {"national", "regional", "local"} else
               t("National ({nation}) policy drivers").format(nation=nation) if levels == {"national"}
               else t("Policy drivers"))
    return [blocks.table(pd.DataFrame(rows), caption=caption, id="policy-drivers", numeric_columns=[])]


def drivers_for(ctx: StrategyContext) -> list:
    """The drivers a document lists: national defaults (unless switched off), the strategy's own, the
    authority's and the strategy's local ones, never one dated after the plan was published."""
    from strategy_docs.inputs.policy import default_drivers, published_by

    settings = ctx.strategy.context.policy_drivers
    listed = default_drivers(ctx.authority.nation, ctx.client_group_id, ctx.translator) if settings.national_defaults else []
    listed += list(settings.drivers) + list(ctx.authority.local_policy) + list(ctx.strategy.context.local_drivers)
    cutoff = published_by(ctx.strategy.document_control, ctx.edition)
    return [d for d in listed if d.when is None or d.when <= cutoff]


@shown_when(lambda doc: _has_outcomes(doc.ctx.strategy.outcomes))
def outcomes(doc: Document) -> list[dict]:
    framework, t = doc.ctx.strategy.outcomes, doc.t
    out = []
    if framework.introduction.strip():
        out.append(blocks.prose(framework.introduction))
    if framework.style == "i-statements":
        code, outcome_word = t("Code"), t("Outcome")
        rows = [{code: o.code or "", outcome_word: o.name or "", t("What it means to people"): o.i_statement or o.aspiration}
                for o in framework.items]
        if rows and not any(o.name for o in framework.items):  # "I statements" with no names: no empty column
            rows = [{k: v for k, v in row.items() if k != outcome_word} for row in rows]
        if rows and not any(o.code for o in framework.items):  # nor codes: the statements alone
            rows = [{k: v for k, v in row.items() if k != code} for row in rows]
        if rows:
            out.append(blocks.table(pd.DataFrame(rows), caption=t("Outcomes, written as people would say them"),
                                    id="outcomes", t=t))
        return out
    code, sub = t("Code"), t("Sub-outcome")
    for outcome in framework.items:
        rows = [{code: s.code, sub: s.text} for s in outcome.sub_outcomes]
        layers = outcome.commissioning
        if layers is not None:
            for key, label in (("strategic", t("Strategic commissioning")), ("local", t("Local commissioning")),
                               ("individual", t("Individual commissioning")), ("decommissioning", t("Decommissioning"))):
                items = getattr(layers, key)
                if items:
                    rows.append({code: label, sub: join_items(items)})
                elif key in layers.model_fields_set:  # the plan says there is none (`decommissioning: []`)
                    rows.append({code: label, sub: t("None")})
        caption = f"{outcome.code}: {outcome.name or outcome.i_statement or outcome.aspiration}" + (
            f". {outcome.aspiration}" if outcome.aspiration and outcome.name else "")
        if rows:
            out.append(blocks.table(pd.DataFrame(rows), caption=caption, id=f"outcome-{outcome.code}", t=t))
    return out


def _has_outcomes(framework) -> bool:
    if framework.introduction.strip():
        return True
    if framework.style == "i-statements":
        return bool(framework.items)
    return any(o.sub_outcomes or o.commissioning is not None for o in framework.items)


@shown_when(lambda doc: True)
def document_control(doc: Document) -> list[dict]:
    control, t = doc.ctx.strategy.document_control, doc.t
    when = (lambda d: t.date(d) if d is not None else None)
    rows = [(label, value) for label, value in (
        (t("Title"), control.title), (t("Reference"), control.reference or None),
        (t("Author(s)"), ", ".join(control.authors) or None), (t("Owner"), control.owner),
        (t("Status"), t(control.status.capitalize()) if control.status else None),
        (t("Publication date"), when(control.publication_date)), (t("Valid until"), when(control.valid_until)),
        (t("Distribution"), control.distribution), (t("Classification"), control.classification),
    ) if value]
    out = [blocks.table(pd.DataFrame(rows, columns=[t("Field"), t("Value")]), caption=t("Document control"),
                        id="document-control", t=t)]
    if control.version_history:
        history = pd.DataFrame([{t("Version"): v.version, t("Date"): t.date(v.date), t("Author"): v.author,
                                 t("Comments"): v.comments} for v in control.version_history])
        out.append(blocks.table(history, caption=t("Version history"), id="version-history", numeric_columns=[], t=t))
    return out


# ---------------------------------------------------------------- 02 hypotheses


@shown_when(lambda doc: any(h.test is not None or h.verdict is not None for h in doc.ctx.strategy.hypotheses))
def hypotheses_summary(doc: Document) -> list[dict]:
    verdicts = [v for _, v, _, _ in doc.hypothesis_results]
    if not any(verdicts):  # no hypothesis has been tested or judged: no counts to give
        return []
    t = doc.t
    return [blocks.facts([
        (t("Hypotheses tested"), sum(1 for v in verdicts if v)),
        (t("Accepted"), verdicts.count("accepted"), t("the evidence supports them")),
        (t("Refuted"), verdicts.count("refuted"), t("the evidence does not support them")),
        (t("Inconclusive"), verdicts.count("inconclusive"), t("more evidence needed")),
    ])]


@shown_when(lambda doc: bool(doc.ctx.strategy.hypotheses))
def hypotheses_table(doc: Document) -> list[dict]:
    results = doc.hypothesis_results
    if not results:
        return []
    t = doc.t
    judged = any(v for _, v, _, _ in results)
    wants_evidence = any(h.evidence_needed for h, _, _, _ in results)
    rows = []
    verdict_word = t("Verdict")
    for h, verdict, evidence, _ in results:
        row = {t("ID"): h.id, t("Hypothesis"): h.statement}
        if wants_evidence:
            row[t("Evidence needed")] = h.evidence_needed or ""
        if judged:
            row[t("What the evidence shows")] = evidence or ""
            row[verdict_word] = verdict or ""
        rows.append(row)
    tones = {v: (t(label), tone) for v, (label, tone) in VERDICT_TONES.items()}
    caption = t("Hypotheses and the evidence tested against them") if judged else t("Hypotheses")
    return [blocks.table(pd.DataFrame(rows), caption=caption, id="hypotheses",
                         statuses={verdict_word: lambda v: tones.get(v)} if judged else None, t=t)]


@shown_when(lambda doc: any(h.implication.strip() for h in doc.ctx.strategy.hypotheses))
def hypotheses_implications(doc: Document) -> list[dict]:
    t = doc.t
    items = [f"- **{h.id}**" + (f" ({t(VERDICT_TONES[v][0]).lower()})" if v else "") + f": {h.implication}"
             for h, v, _, _ in doc.hypothesis_results if h.implication.strip()]
    if not items:
        return []
    return [blocks.heading(t("What the results mean for commissioning"), 3,
                           id="what-the-results-mean-for-commissioning"), blocks.prose("\n".join(items))]


# ---------------------------------------------------------------- 03 needs


@shown_when(lambda doc: doc.has_needs)
def needs_sentences(doc: Document) -> list[dict]:
    ctx = doc.ctx
    if not doc.has_needs:
        return []
    lines = []
    for measure in ctx.client_group.measures:
        base, end, far = ctx.base_year, ctx.end_year, ctx.look_ahead_year
        lines.append("- " + as_sentence(_needs_sentence(doc, measure, base, end)))
        lines.append("- " + _needs_sentence(doc, measure, base, far) + " " + doc.t("(long-term view)") + ".")
    return [blocks.prose("\n".join(lines))]


def _needs_sentence(doc: Document, measure, base: int, later: int) -> str:
    """The analysis's sentence in English; the same facts in the document's words otherwise."""
    before, after = doc.need_in(measure.id, base), doc.need_in(measure.id, later)
    if doc.t.language == "en":
        return needs.needs_sentence(measure.label, base, before, later, after)
    return doc.t("{label}: {before} in {base_year}, projected {after} in {later_year}, {change}").format(
        label=measure.label, before=fmt.fmt_int(before), base_year=base, after=fmt.fmt_int(after), later_year=later,
        change=_change(doc, before, after))


def _change(doc: Document, old, new) -> str:
    """'up 23.1%' (formatting.fmt_change) in the document's words."""
    return fmt.fmt_change(old, new, t=doc.t)


@shown_when(lambda doc: doc.has_needs)
def needs_chart(doc: Document) -> list[dict]:
    if not doc.has_needs:
        return []
    labels = {m.id: m.label for m in doc.ctx.client_group.measures}
    t = doc.t
    chart = charts.need_projection_chart({labels[k]: v for k, v in doc.need_series.items()}, chart_id="need-projection",
                                         caption=t("Projected need, {start} to {end}").format(
                                             start=doc.ctx.base_year, end=doc.ctx.look_ahead_year), t=t)
    return blocks.figure(chart, t=t)


@shown_when(lambda doc: doc.has_needs)
def needs_period_table(doc: Document) -> list[dict]:
    ctx = doc.ctx
    if not doc.has_needs:
        return []
    t = doc.t
    years = list(range(ctx.base_year, ctx.end_year + 1)) + [ctx.look_ahead_year]
    rows = []
    for measure in ctx.client_group.measures:
        row = {t("Measure"): measure.label}
        for year in years:
            row[str(year)] = doc.need_in(measure.id, year)
        row[t("Change to {year}").format(year=ctx.end_year)] = _change(doc, row[str(ctx.base_year)], row[str(ctx.end_year)])
        rows.append(row)
    sources = " ".join(as_sentence(f"{m.label}: {m.source}") for m in ctx.client_group.measures if m.source.strip())
    return [blocks.table(pd.DataFrame(rows), caption=t("Estimated number of people, each year of the strategy and the "
                                                       "long-term view"),
                         id="need-by-year", numeric_columns=[str(y) for y in years], suppress_columns=[],
                         notes=t("Prevalence rates applied to population estimates and projections, rates held constant.")
                         + (" " + t("Sources: {sources}").format(sources=sources) if sources else ""), t=t)
            ] + doc.provenance("population")


@shown_when(lambda doc: doc.has_needs and doc.ctx.data.has("service_users")
            and any(m.service_types for m in doc.ctx.client_group.measures))
def unmet_need_table(doc: Document) -> list[dict]:
    ctx, t = doc.ctx, doc.t
    if not doc.has_needs or not ctx.data.has("service_users"):
        return []
    year = int(ctx.data.service_users["year"].max()) if not ctx.data.service_users.empty else ctx.base_year
    # Need in the year of the count when the population has that year (an estimate), so both figures are for one
    # year; otherwise the base year's, and the caption says the two years.
    same_year = year in set(int(y) for y in doc.inputs.population["year"].unique())
    need_year = year if same_year else ctx.base_year
    rows = []
    for measure in ctx.client_group.measures:
        if not measure.service_types:
            continue
        need = (needs.need_by_year(doc.inputs.population, measure.rates, years=[year])["estimate_rounded"].iloc[0]
                if same_year else doc.need_in(measure.id, need_year))
        result = needs.unmet_need(need, ctx.data.service_users, measure.service_types,
                                  None, year)  # ctx.data holds this group's rows (or its covered groups', summed)
        rows.append({t("Measure"): measure.label, t("Estimated need"): result.need, t("Known to services"): result.known,
                     t("Estimated unmet need"): result.unmet,
                     t("Unmet need (%)"): None if result.unmet_percent is None else round(result.unmet_percent, 1)})
    if not rows:
        return []
    caption = (t("Estimated need compared with people known to services, {year}").format(year=year) if same_year else
               t("Estimated need in {need_year} compared with people known to services at 31 March {year}")
               .format(need_year=need_year, year=year))
    return [blocks.table(pd.DataFrame(rows), caption=caption,
                         id="unmet-need", suppress_below=doc.suppress_below, suppress_columns=[t("Known to services")],
                         notes=t("Unmet need is estimated need minus people known to the linked services; it is never "
                                 "below zero. Prevalence counts overstate demand for services, so treat it as an upper "
                                 "estimate."), t=t)
            ] + doc.provenance("population", "service_users")


@shown_when(lambda doc: not doc.ctx.data.service_users.empty)
def service_use_table(doc: Document) -> list[dict]:
    su = doc.ctx.data.service_users
    if su.empty:
        return []
    pivot = su.groupby(["service_type", "year"], as_index=False)["people"].sum().pivot(index="service_type", columns="year", values="people")
    pivot.columns = [str(c) for c in pivot.columns]
    t = doc.t
    frame = pivot.reset_index().rename(columns={"service_type": t("Service type")})
    return [blocks.table(frame, caption=t("People known to services at 31 March, by service type"), id="service-use",
                         suppress_below=doc.suppress_below, t=t)] + doc.provenance("service_users")


# ---------------------------------------------------------------- 04 market and resources


@shown_when(lambda doc: not doc.ctx.data.providers.empty)
def market_occupancy(doc: Document) -> list[dict]:
    if doc.ctx.data.providers.empty:
        return []
    summary_frame = market.occupancy_by_service_type(doc.ctx.data.providers)
    t = doc.t
    chart = charts.occupancy_chart(summary_frame, chart_id="occupancy", caption=t("Occupancy by service type"), t=t)
    return blocks.figure(chart, t=t)


@shown_when(lambda doc: not doc.ctx.data.providers.empty)
def market_tables(doc: Document) -> list[dict]:
    ctx, t = doc.ctx, doc.t
    providers = ctx.data.providers
    if providers.empty:
        return []
    out = []
    mix = market.sector_mix(providers)
    mix = mix.drop(columns=["sector"]).rename(columns={"label": t("Sector"), "providers": t("Providers"),
                                                       "capacity": t("Places"), "share_percent": t("Share of places (%)")})
    mix[t("Sector")] = [t(str(v)) for v in mix[t("Sector")]]
    out.append(blocks.table(mix, caption=t("Places by sector"), id="sector-mix", t=t))
    ratings = market.quality_ratings(providers, ctx.authority.nation)
    regulator = t("CIW") if ctx.authority.nation == "wales" else "CQC"
    ratings = ratings.rename(columns={"rating": t("Rating"), "services": t("Services"),
                                      "percent_of_rated": t("Share of rated services (%)")})
    ratings[t("Rating")] = [t(str(v)) for v in ratings[t("Rating")]]
    out.append(blocks.table(ratings, caption=t("Services by {regulator} rating").format(regulator=regulator),
                            id="quality-ratings", t=t))
    rows = []
    for service_type in sorted(providers["service_type"].unique()):
        c = market.concentration(providers, service_type)
        rows.append({t("Service type"): _data_word(doc, service_type), t("Providers"): c.providers,
                     t("Places"): c.capacity, t("Top three providers' share (%)"): round(c.top3_share_percent, 1),
                     "HHI": round(c.hhi), t("Concentration"): t(str(c.band).capitalize()) if doc.t.language != "en"
                     else c.band})
    out.append(blocks.table(pd.DataFrame(rows), caption=t("Concentration of supply (Herfindahl-Hirschman index on places)"),
                            id="concentration", notes=t("HHI below 1,500 is unconcentrated, 1,500 to 2,500 moderately "
                                                        "concentrated, above 2,500 highly concentrated."), t=t))
    good = market.good_or_better_percent(providers, ctx.authority.nation)
    facts = [
        (t("Providers"), providers["provider_id"].nunique()),
        (t("Places"), int(providers["capacity"].sum())),
        (t("Rated good or better"), fmt.fmt_percent(good), t("of services rated by {regulator}").format(regulator=regulator)),
    ]
    if not ctx.data.service_users.empty and market.records_out_of_area(ctx.data.service_users):
        # only where the figures record placements: a blank out_of_area is not recorded, not zero
        ooa = market.out_of_area(ctx.data.service_users)
        every = set(ooa.service_types) == set(ctx.data.service_users["service_type"].astype(str))
        count = int(ooa.out_of_area)
        people = t.ngettext("{n} person", "{n} people", count).format(n=fmt.fmt_int(count))
        detail = t(OUT_OF_AREA_ALL if every else OUT_OF_AREA_SOME).format(
            people=people, year=ooa.year, services=list_in_words([_data_word(doc, s) for s in ooa.service_types], t("and")))
        facts.append((t("Placed out of area"), fmt.fmt_percent(ooa.percent), detail))
    out.insert(0, blocks.facts(facts))
    return out + doc.provenance("providers", "service_users")


@shown_when(lambda doc: not doc.ctx.data.budget.empty)
def budget(doc: Document) -> list[dict]:
    ctx, t = doc.ctx, doc.t
    if ctx.data.budget.empty:
        return []
    year = _budget_year(doc)
    summary_frame = resources.budget_summary(ctx.data.budget, year)
    rows = []
    group, line, amount = t("Group"), t("Budget line"), t("Amount")
    for record in summary_frame.table.to_dict("records"):
        label = (_data_word(doc, record["line"]) if record["kind"] == "line"
                 else t("{group} subtotal").format(group=_data_word(doc, record["group"])))
        rows.append({group: _data_word(doc, record["group"]), line: label, amount: fmt.fmt_money(record["amount"])})
    footer = [
        {group: t("Total"), line: t("Gross expenditure"), amount: fmt.fmt_money(summary_frame.gross_expenditure)},
        {group: t("Total"), line: t("Income"), amount: fmt.fmt_money(summary_frame.income)},
        {group: t("Total"), line: t("Net budget"), amount: fmt.fmt_money(summary_frame.net_total)},
    ]
    table_block = blocks.table(pd.DataFrame(rows), caption=t("Budget by service line, {year}").format(year=year), id="budget",
                               numeric_columns=[amount], units={amount: "£"}, footer=footer,
                               notes=t("Income is shown as a negative amount in brackets."), t=t)
    out = [table_block] + doc.provenance("budget")
    stated = ctx.strategy.budget_totals
    if stated is not None and stated.financial_year == year:
        out.append(blocks.prose(t("The subtotals and net total above agree with the totals signed off for {year}.")
                                .format(year=year)))
    chart = charts.budget_chart(summary_frame, chart_id="budget-by-group",
                                caption=t("Gross expenditure by group, {year}").format(year=year), t=t)
    return out + blocks.figure(chart, t=t)


def _data_word(doc: Document, value) -> str:
    """A name from the data tables (a service type, a budget line): written in English, so marked
    as English on a page in another language."""
    return str(value) if doc.t.language == "en" else mark(str(value), "en")


@shown_when(lambda doc: not doc.ctx.data.unit_costs.empty
            and not resources.unit_cost_comparison(doc.ctx.data.unit_costs).empty)
def unit_costs(doc: Document) -> list[dict]:
    ctx = doc.ctx
    if ctx.data.unit_costs.empty:
        return []
    comparison = resources.unit_cost_comparison(ctx.data.unit_costs)
    if comparison.empty:
        return []
    t = doc.t
    sentences = "\n".join("- " + _unit_cost_sentence(doc, row) for row in comparison.to_dict("records"))
    chart = charts.unit_cost_chart(ctx.data.unit_costs, chart_id="unit-costs",
                                   caption=t("Unit costs against the comparator average"), t=t)
    return [blocks.prose(sentences)] + blocks.figure(chart, t=t) + doc.provenance("unit_costs")


def _unit_cost_sentence(doc: Document, row) -> str:
    """The analysis's sentence in the document's words."""
    return resources.unit_cost_sentence(row, t=doc.t)


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
    t = doc.t
    return [blocks.facts([
        (t("Net budget"), fmt.fmt_money(summary_frame.net_total), year),
        (t("Population in age range"), fmt.fmt_int(result.population),
         t("aged {ages}, {year}").format(ages=_ages(t, ctx.client_group.age_range), year=population_year)),
        (t("Spend per head"), fmt.fmt_money(result.spend_per_head), t("net budget divided by that population")),
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
    return gap_analysis.computed_gaps(doc.inputs, gap.measure, gap.service_types or None, gap.uptake_rate, t=doc.t)


@shown_when(lambda doc: bool(doc.ctx.strategy.gap_analysis))
def gap_template(doc: Document) -> list[dict]:
    ctx, t = doc.ctx, doc.t
    verdicts = {h.id: v for h, v, _, _ in doc.hypothesis_results}
    rows = []
    if not ctx.strategy.gap_analysis:
        return []
    objective = t("Strategic Objective")
    for gap in ctx.strategy.gap_analysis:
        rationale = gap.rationale.strip()
        found, missing = _row_gaps(doc, gap)
        for computed in found:
            rationale += "\n\n" + f"{computed.rationale} {computed.method}"
        for sentence in missing:
            rationale += "\n\n" + sentence
        linked = [h for h in gap.hypotheses if verdicts.get(h) == "accepted"]
        if linked:
            rationale += "\n\n" + t.ngettext("Builds on accepted hypothesis {ids}.", "Builds on accepted hypotheses {ids}.",
                                              len(linked)).format(ids=", ".join(linked))
        rows.append({objective: gap.objective, t("The Gap – Service Developments"): gap.service_developments,
                     t("Rationale"): rationale.strip(), t("Commissioning Implications"): gap.implications})
    columns = [c for c in rows[0] if c == objective or any(r[c].strip() for r in rows)]
    frame = pd.DataFrame(rows)[columns]
    return [blocks.table(frame, caption=t("Gap Analysis Template"), id="gap-analysis", markdown_columns=columns, t=t)]


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
    t = doc.t
    numbers = [t("People with the need"), t("Projected demand"), t("Current places"), t("Shortfall"), t("Spare capacity")]
    rows = [{t("Service"): _data_word(doc, g.service_type), t("Need"): g.label, t("Year"): str(g.year),
             **dict(zip(numbers, (g.need, g.demand, g.capacity, g.shortfall, g.spare_capacity))),
             t("How demand is worked out"): g.method} for g in found]
    return [blocks.table(pd.DataFrame(rows), caption=t("Projected demand against current places, by service"),
                         id="computed-gaps", numeric_columns=numbers, suppress_columns=[],
                         notes=t("Need, demand and places are kept apart. People with the need are estimated from "
                                 "population projections and prevalence rates; most of them do not use any one "
                                 "service. Projected demand is for each service on its own, and the shortfall or "
                                 "spare capacity is projected demand minus today's places in that service."), t=t)]


# ---------------------------------------------------------------- 06 intentions


@shown_when(lambda doc: bool(doc.ctx.strategy.intentions))
def intentions_introduction(doc: Document) -> list[dict]:
    """What the tables hold, saying only what the plan gives (cycle positions, expected stages)."""
    intentions, t = doc.ctx.strategy.intentions, doc.t
    if not any(i.cycle is not None for i in intentions):
        text = t("What we will commission, grouped by theme.")
    elif any(i.cycle is not None and i.cycle.expected for i in intentions):
        text = t("What we will commission, grouped by theme, with where each intention is on the commissioning cycle "
                 "now and where we expect it to be by the end of the year.")
    else:
        text = t("What we will commission, grouped by theme, with where each intention is on the commissioning cycle now.")
    return [blocks.prose(text)]


@shown_when(lambda doc: any(i.type for i in doc.ctx.strategy.intentions))
def intentions_overview(doc: Document) -> list[dict]:
    intentions = doc.ctx.strategy.intentions
    if not any(i.type for i in intentions):  # the plan does not type its intentions: no counts to give
        return []
    counts = {doc.t(TYPE_WORDS[kind]): sum(1 for i in intentions if i.type == kind) for kind in TYPE_WORDS}
    return [blocks.facts([(label, count) for label, count in counts.items()])]


def _present(rows: list[dict], always: tuple[str, ...]) -> list[str]:
    """The columns some row fills in (a column the plan never states is left out, not shown empty)."""
    return [c for c in rows[0] if c in always or any(str(r[c]).strip() for r in rows)]


@shown_when(lambda doc: any(i.theme == t.id for t in doc.ctx.strategy.themes for i in doc.ctx.strategy.intentions))
def intentions_by_theme(doc: Document) -> list[dict]:
    ctx, t = doc.ctx, doc.t
    outcome_names = {o.code: (o.i_statement or o.name or o.aspiration) for o in ctx.strategy.outcomes.items if o.code}
    outcome_names.update({s.code: s.text for o in ctx.strategy.outcomes.items for s in o.sub_outcomes})
    by_id = intentions_by_id(ctx.strategy.intentions)
    out = []
    for theme in ctx.strategy.themes:
        members = [i for i in ctx.strategy.intentions if i.theme == theme.id]
        if not members:
            continue
        out.append(blocks.heading(theme.name, 3, id=f"theme-{theme.id}"))
        if theme.summary.strip():
            out.append(blocks.prose(theme.summary))
        out += theme_i_statements(theme, t)
        if theme.outcomes:
            out.append(blocks.prose(f"**{t('Outcomes this theme serves:')}**\n\n" + "\n".join(
                f"- {code}: {outcome_names.get(code) or code}" for code in theme.outcomes)))
        intention, activity = t("Intention"), t("Activity this year")
        rows = [{t("ID"): i.id, intention: f"**{i.title}**" + (f"\n\n{i.details}" if i.details.strip() else ""),
                 t("Type"): t(TYPE_WORDS[i.type]) if i.type else "", t("Drivers"): join_items(i.drivers),
                 activity: i.activity, t("Owner"): i.owner or "", t("Timescale"): i.timescale or "",
                 t("Outcomes"): ", ".join(i.outcomes)} for i in members]  # none given: an empty cell, not "None listed"
        columns = _present(rows, (t("ID"), intention))
        out.append(blocks.table(pd.DataFrame(rows)[columns],
                                caption=t("Commissioning intentions: {theme}").format(theme=theme.name),
                                id=f"intentions-{theme.id}",
                                markdown_columns=[c for c in (intention, activity) if c in columns], t=t))
        cycle_rows = [row for row in (_cycle_row(doc, i, by_id) for i in members) if row is not None]
        if cycle_rows:
            out.append(blocks.cycle([t(stage) for stage in doc.vocabulary.stages], cycle_rows))
    return out


def _cycle_row(doc: Document, intention, by_id: dict) -> dict | None:
    """An intention's row of the cycle table: the stages named, as a set ("Prepare and Manage" lights
    two stages, not those between), in the plan's own words; "see intention 1.2" (`same_as`) shows
    that intention's position and says so (`by_id`: the plan's intentions_by_id)."""
    source, cycle = stated_position(intention, by_id)
    if cycle is None:
        return None
    current = doc.vocabulary.parse(cycle.current)
    expected = doc.vocabulary.parse(cycle.expected) if cycle.expected else None
    t = doc.t

    def worded(text: str) -> str:  # "see 1.2 above", resolved: that intention's words, and whose they are
        return t("As for {id} ({stage})").format(id=source.id, stage=t(text)) if source is not intention else t(text)

    return {"label": f"{intention.id} {intention.title}", "current": list(current),
            "expected": list(expected) if expected else [],
            "current_stages": list(doc.vocabulary.stages_in(cycle.current)),
            "expected_stages": list(doc.vocabulary.stages_in(cycle.expected)) if expected else [],
            "current_text": worded(cycle.current),
            "expected_text": worded(cycle.expected) if cycle.expected else ""}


def theme_i_statements(theme, t=None) -> list[dict]:
    """A theme's outcomes written as "I statements", as the plan words them."""
    if not theme.i_statements:
        return []
    t = t or translator()
    return [blocks.prose(f"**{t('What people will be able to say:')}**\n\n" + "\n".join(
        f"- {markup.escape_markdown(statement)}" for statement in theme.i_statements))]


@shown_when(lambda doc: any(i.contracts for i in doc.ctx.strategy.intentions))
def intention_contracts(doc: Document) -> list[dict]:
    """The contracts the intentions concern, with only the facts the plan gives."""
    rows = []
    for i in doc.ctx.strategy.intentions:
        for c in i.contracts:
            rows.append({"Intention": i.id, "Contract": c.name or "", "Contract number": c.number or "",
                         "Provider": c.provider or "",
                         "Annual value": fmt.fmt_money_auto(c.annual_value) if c.annual_value is not None else "",
                         "Starts": c.start_date.strftime("%-d %B %Y") if c.start_date is not None else "",
                         "Ends": c.end_date.strftime("%-d %B %Y") if c.end_date is not None else "",
                         "Notes": c.notes or ""})
    if not rows:
        return []
    columns = _present(rows, ("Intention",))
    return [blocks.table(pd.DataFrame(rows)[columns], caption="Contracts the intentions concern", id="contracts",
                         numeric_columns=[c for c in ("Annual value",) if c in columns])]


# ---------------------------------------------------------------- 07 risks


def _scored_risks(doc: Document) -> list:
    """Risks whose plan gives a score after mitigation (the heat map and the bands need one)."""
    return [r for r in doc.ctx.strategy.risks if r.residual is not None]


@shown_when(lambda doc: bool(_scored_risks(doc)))
def risk_introduction(doc: Document) -> list[dict]:
    if not _scored_risks(doc):
        return []
    return [blocks.prose(doc.t("Each risk is scored for likelihood and impact from 1 to 5, before and after mitigation. "
                               "The band follows from the score."))]


@shown_when(lambda doc: bool(_scored_risks(doc)))
def risk_heat_map(doc: Document) -> list[dict]:
    scored = _scored_risks(doc)
    if not scored:
        return []
    t = doc.t
    heat = risks.heat_map(scored, doc.ctx.authority.risk_bands, which="residual")
    rows = []
    impacts = {impact: t("Impact {score}").format(score=impact) for impact in heat.counts.columns}
    for likelihood in heat.counts.index:
        row = {t("Likelihood"): f"{likelihood}"}
        for impact in heat.counts.columns:
            count = int(heat.counts.loc[likelihood, impact])
            band = heat.bands.loc[likelihood, impact]
            # An empty cell stays blank: a band with no risk in it tells the reader nothing.
            row[impacts[impact]] = (
                (t.ngettext("{n} risk ({band})", "{n} risks ({band})", count).format(n=count, band=t(band)),
                 heat.tones.loc[likelihood, impact])
                if count else "")
        rows.append(row)
    frame = pd.DataFrame(rows)
    status_columns = {c: (lambda v: v if isinstance(v, tuple) else None) for c in impacts.values()}
    return [blocks.table(frame, caption=t("Risks after mitigation by likelihood and impact (number of risks and band)"),
                         id="risk-heat-map", statuses=status_columns,
                         notes=t("Likelihood and impact are scored 1 (lowest) to 5 (highest); the score is likelihood "
                                 "times impact."), t=t)]


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
        register = risks.risk_register(scored.values(), doc.ctx.authority.risk_bands)
        for record in register.to_dict("records"):
            order.append(record["id"])
            if scored[record["id"]].residual is not None:
                bands[record["id"]] = (record["residual_band"], record["residual_tone"])
    order += [r.id for r in all_risks if r.id not in scored]  # unscored risks keep the plan's order, after
    t = doc.t
    by_id = {r.id: r for r in all_risks}
    rows = []
    band_word = t("Band")
    for rid in order:
        risk = by_id[rid]
        review = t.date(risk.review_date) if risk.review_date is not None else ""
        if review and risk.review_flag:
            review += " " + t("(review: carried over)")
        rows.append({
            t("ID"): risk.id, t("Risk"): risk.title or "", t("Cause"): risk.cause or "", t("Event"): risk.event or "",
            t("Effect"): risk.effect or "", t("Before mitigation"): _score_text(risk.inherent),
            t("Mitigations"): join_items(risk.mitigations), t("After mitigation"): _score_text(risk.residual),
            band_word: (t(bands[rid][0]), bands[rid][1]) if rid in bands else "", t("Owner"): risk.owner or "",
            t("Review date"): review,
        })
    columns = _present(rows, (t("ID"),))
    caption = t("Risk register, highest risk after mitigation first") if bands else t("Risk register")
    return [blocks.table(pd.DataFrame(rows)[columns], caption=caption, id="risk-register",
                         statuses={band_word: lambda v: v} if band_word in columns else None, numeric_columns=[], t=t)]


# ---------------------------------------------------------------- 08 performance


def indicator_statuses(doc: Document) -> list[tuple]:
    rules = doc.ctx.authority.rag_rules
    out = []
    for position, ind in enumerate(doc.ctx.strategy.indicators):  # position: neighbouring rows worded differently
        try:
            status = indicator_analysis.indicator_status(doc.ctx.data.indicators, ind.id, ind.polarity, ind.target, rules,
                                                         unit=ind.unit, variant=position, t=doc.t)
        except ValueError:  # no rows at all for this indicator: report it as having no data
            status = indicator_analysis.indicator_status(_no_data_row(ind.id), ind.id, ind.polarity, ind.target, rules,
                                                         unit=ind.unit, variant=position, t=doc.t)
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
        out.append(blocks.facts([(doc.t(label), rated.count(label)) for label in ("On track", "At risk", "Off track",
                                                                                   "No data") if rated.count(label)]))
    notes_for = {(g.theme, g.area): g.notes for g in doc.ctx.strategy.indicator_groups}
    groups = _indicator_groups(doc)
    for (theme, area), members in groups:
        where = ", ".join(x for x in (theme, area) if x)
        table = _indicator_table(doc, members, has_data, id="indicators" + (f"-{markup.slugify(where)}" if where else ""),
                                 group=where, group_notes=notes_for.get((theme, area), ""))
        out.append(table)
    return out + (doc.provenance("indicators") if has_data else [])


def _indicator_table(doc: Document, members: list, has_data: bool, id: str, group: str, group_notes: str) -> dict:
    t = doc.t
    rows = []
    rating = t("Rating")
    for ind, status in members:
        row = {t("Indicator"): _indicator_label(ind), t("Framework"): ind.framework or "", t("Source"): ind.source or "",
               t("Which is better"): t(POLARITY_WORDS[ind.polarity]) if ind.polarity else "",
               t("Latest"): (_value(status.latest_value, ind.unit, t)
                             + (f" ({status.latest_period})" if status.latest_period else "")) if has_data else "",
               t("Target"): _value(ind.target, ind.unit, t) if ind.target is not None else "",
               t("Comparator average"): _value(status.comparator_average, ind.unit, t) if has_data else "",
               t("Direction of travel"): t(status.direction.capitalize()) if has_data and status.direction else "",
               rating: (t(status.label), status.tone) if status.label else "",
               t("Action"): ind.action or status.reason or ""}
        rows.append(row)
    columns = _present(rows, (t("Indicator"),))
    notes = " ".join(n for n in (group_notes.strip(), t(
        "Rating: on track when the latest value meets the target; at risk when it is within {tolerance} of the target "
        "or better than the comparator average; off track otherwise.").format(
            tolerance=fmt.fmt_percent(doc.ctx.authority.rag_rules.amber_tolerance_percent))
        if rating in columns else "") if n) or None
    caption = t("Performance indicators: latest position and rating") if rating in columns else t("Performance indicators")
    if group:
        caption += f" ({group})"
    return blocks.table(pd.DataFrame(rows)[columns], caption=caption, id=id,
                        statuses={rating: lambda v: v} if rating in columns else None, numeric_columns=[],
                        notes=notes, t=t)


def _no_data_row(indicator_id: str) -> pd.DataFrame:
    return pd.DataFrame([{"client_group": "", "indicator_id": indicator_id, "period": "not reported", "value": None,
                          "comparator_average": None}])


def _unit_suffix(t, unit: str | None) -> str:
    """An indicator's unit as a chart writes it after its numbers ('%', 'per 1,000'), in the document's words."""
    suffix = UNIT_SUFFIX.get(unit or "", "")
    return t(suffix) if suffix not in ("", "%", "£") else suffix


def _value(value, unit: str | None, t=None) -> str:
    text = fmt.fmt_value(value, unit, missing="Not available", t=t)
    return t(text) if t is not None and text == "Not available" else text


@shown_when(lambda doc: bool(_trend_candidates(doc)))
def performance_trends(doc: Document) -> list[dict]:
    """Trend charts for the indicators most in need of attention."""
    out = []
    for ind, status in _trend_candidates(doc):
        t = doc.t
        chart = charts.indicator_trend_chart(doc.ctx.data.indicators, ind.id, label=_indicator_label(ind),
                                             target=ind.target, polarity=ind.polarity, unit=_unit_suffix(t, ind.unit),
                                             chart_id=f"trend-{ind.id}", t=t,
                                             caption=t("{indicator}, trend against target and comparator ({rating})").format(
                                                 indicator=_indicator_label(ind), rating=t(status.label).lower()))
        out.extend(blocks.figure(chart, t=t))
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
    m, t = doc.ctx.strategy.monitoring, doc.t
    if m is None:
        return []
    facts = [(label, value) for label, value in (
        (t("Reviewed"), m.frequency), (t("By"), m.review_group),
        (t("Next review"), t.date(m.next_review) if m.next_review is not None else None)) if value]
    out = [blocks.facts(facts)] if facts else []
    return out + ([blocks.prose(m.arrangements)] if m.arrangements.strip() else [])

