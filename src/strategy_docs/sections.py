"""What each section of a strategy shows, as display blocks built from one document's context.

Section notebooks stay thin: they load the context, call these functions and show the
blocks. Everything here is plain Python (no IPython), so the content of every section can be
tested without running a kernel. Numbers come from `strategy_docs.analysis`; words that
state numbers are generated from the same values the tables show.
"""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from . import blocks, charts
from .analysis import formatting as fmt
from .analysis import gaps as gap_analysis
from .analysis import hypotheses as hypothesis_tests
from .analysis import indicators as indicator_analysis
from .analysis import market, needs, resources, risks
from .analysis.cycle import CycleVocabulary
from .context import StrategyContext
from .policy import national_drivers

TYPE_WORDS = {
    "invest": "Continue to invest",
    "disinvest": "Disinvest or decommission",
    "new": "Commission new",
    "reconfigure": "Reconfigure",
}
VERDICT_TONES = {"accepted": ("Accepted", "good"), "refuted": ("Refuted", "bad"), "inconclusive": ("Inconclusive", "neutral")}
POLARITY_WORDS = {"higher": "Higher is better", "lower": "Lower is better"}
UNIT_SUFFIX = {"percent": "%", "pounds": "£", "days": "days", "weeks": "weeks", "years": "years", "score": "score",
               "ratio": "", "count": "", "rate per 100,000": "per 100,000", "rate per 10,000": "per 10,000",
               "rate per 1,000": "per 1,000"}


class Document:
    """One document's computed content, shared by its sections (each computed once)."""

    def __init__(self, ctx: StrategyContext):
        self.ctx = ctx
        self.inputs = ctx.analysis_inputs()

    # ------------------------------------------------------------ shared computations

    @cached_property
    def hypothesis_results(self) -> list[tuple]:
        results = []
        for h in self.ctx.strategy.hypotheses:
            if h.test is not None:
                evaluation = hypothesis_tests.evaluate(h.test.model_dump(), self.inputs)
                results.append((h, evaluation.verdict, evaluation.evidence, evaluation.value))
            else:
                results.append((h, h.verdict, f"Recorded verdict: {h.reason}", None))
        return results

    @cached_property
    def accepted(self) -> list[str]:
        return [h.id for h, verdict, _, _ in self.hypothesis_results if verdict == "accepted"]

    @cached_property
    def need_series(self) -> dict[str, pd.DataFrame]:
        years = sorted({y for y in self.inputs.population["year"].unique()
                        if self.ctx.base_year <= y <= self.ctx.look_ahead_year})
        out = {}
        for measure in self.ctx.client_group.measures:
            rates = [r.model_dump() for r in measure.rates]
            out[measure.id] = needs.need_by_year(self.inputs.population, rates, years=years)
        return out

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


def load_document(workspace, authority: str, client_group: str) -> Document:
    from .context import load

    return Document(load(workspace, authority, client_group))


# ---------------------------------------------------------------- 01 context and document control


def summary(doc: Document) -> list[dict]:
    ctx = doc.ctx
    control = ctx.strategy.document_control
    partners = pd.DataFrame([{"Partner": p.name, "Role in this strategy": p.role} for p in ctx.authority.partners])
    return [
        blocks.facts([
            ("Strategy period", ctx.edition.label),
            ("Area", ctx.authority.name, f"{len(ctx.authority.localities)} localities"),
            ("Client group", ctx.client_group.name, f"aged {ctx.client_group.age_range.label}"),
            ("Status", control.status.capitalize(), f"version {control.version_history[-1].version}"),
        ]),
        blocks.heading("Summary", 3),
        blocks.prose(ctx.strategy.context.summary),
        blocks.heading("Purpose", 3),
        blocks.prose(control.purpose),
        blocks.heading("Scope and definition", 3),
        blocks.prose(ctx.strategy.context.scope),
        blocks.prose(f"**Who this strategy is for.** {ctx.client_group.definition}"),
        blocks.prose("**Services included:** " + ", ".join(ctx.strategy.context.services_included) + "."),
        blocks.heading("Partners", 3),
        blocks.prose(f"This strategy is owned by {ctx.authority.name} with the partners below. "
                     f"Services are regulated by the {ctx.authority.regulator}."),
        blocks.table(partners, caption="Partners", id="partners"),
        blocks.prose(ctx.strategy.context.partnership),
    ] + ([blocks.heading("Consultation", 3), blocks.prose(ctx.strategy.context.consultation)]
         if ctx.strategy.context.consultation.strip() else [])


def what_changed(doc: Document) -> list[dict]:
    """'What has changed since the last edition', when the project names a previous edition."""
    if not doc.ctx.project.previous_edition:
        return []
    from .changes import what_changed_blocks

    return what_changed_blocks(doc.ctx)


def policy_drivers(doc: Document) -> list[dict]:
    ctx = doc.ctx
    rows = [{"Policy or legislation": name, "Why it matters here": why, "Level": "National"}
            for name, why in national_drivers(ctx.authority.nation, ctx.client_group_id)]
    rows += [{"Policy or legislation": d.name, "Why it matters here": d.summary, "Level": d.level.capitalize()}
             for d in list(ctx.authority.local_policy) + list(ctx.strategy.context.local_drivers)]
    nation = "Wales" if ctx.authority.nation == "wales" else "England"
    return [blocks.table(pd.DataFrame(rows), caption=f"National ({nation}) and local policy drivers", id="policy-drivers")]


def outcomes(doc: Document) -> list[dict]:
    framework = doc.ctx.strategy.outcomes
    out = []
    if framework.introduction.strip():
        out.append(blocks.prose(framework.introduction))
    if framework.style == "i-statements":
        rows = [{"Code": o.code, "Outcome": o.name, "What it means to people": o.i_statement or o.aspiration}
                for o in framework.items]
        out.append(blocks.table(pd.DataFrame(rows), caption="Outcomes, written as people would say them", id="outcomes"))
        return out
    for outcome in framework.items:
        rows = [{"Code": s.code, "Sub-outcome": s.text} for s in outcome.sub_outcomes]
        layers = outcome.commissioning
        if layers is not None:
            for label, items in (("Strategic commissioning", layers.strategic), ("Local commissioning", layers.local),
                                 ("Individual commissioning", layers.individual), ("Decommissioning", layers.decommissioning)):
                rows.append({"Code": label, "Sub-outcome": "; ".join(items) if items else "None"})
        caption = f"{outcome.code}: {outcome.name}" + (f". {outcome.aspiration}" if outcome.aspiration else "")
        if rows:
            out.append(blocks.table(pd.DataFrame(rows), caption=caption, id=f"outcome-{outcome.code}"))
    return out


def document_control(doc: Document) -> list[dict]:
    control = doc.ctx.strategy.document_control
    rows = [
        ("Title", control.title), ("Reference", control.reference or "Not set"),
        ("Author(s)", ", ".join(control.authors)), ("Owner", control.owner), ("Status", control.status.capitalize()),
        ("Publication date", control.publication_date.strftime("%-d %B %Y")),
        ("Valid until", control.valid_until.strftime("%-d %B %Y")), ("Distribution", control.distribution),
        ("Classification", control.classification),
    ]
    history = pd.DataFrame([{"Version": v.version, "Date": v.date.strftime("%-d %B %Y"), "Author": v.author,
                             "Comments": v.comments} for v in control.version_history])
    return [
        blocks.table(pd.DataFrame(rows, columns=["Field", "Value"]), caption="Document control", id="document-control"),
        blocks.table(history, caption="Version history", id="version-history", numeric_columns=[]),
    ]


# ---------------------------------------------------------------- 02 hypotheses


def hypotheses_summary(doc: Document) -> list[dict]:
    verdicts = [v for _, v, _, _ in doc.hypothesis_results]
    return [blocks.facts([
        ("Hypotheses tested", len(verdicts)),
        ("Accepted", verdicts.count("accepted"), "the evidence supports them"),
        ("Refuted", verdicts.count("refuted"), "the evidence does not support them"),
        ("Inconclusive", verdicts.count("inconclusive"), "more evidence needed"),
    ])]


def hypotheses_table(doc: Document) -> list[dict]:
    rows = []
    for h, verdict, evidence, _ in doc.hypothesis_results:
        rows.append({"ID": h.id, "Hypothesis": h.statement, "Evidence needed": h.evidence_needed,
                     "What the evidence shows": evidence, "Verdict": verdict})
    tones = {v: label_tone for v, label_tone in VERDICT_TONES.items()}
    return [blocks.table(pd.DataFrame(rows), caption="Hypotheses and the evidence tested against them", id="hypotheses",
                         statuses={"Verdict": lambda v: tones.get(v)})]


def hypotheses_implications(doc: Document) -> list[dict]:
    items = [f"- **{h.id}** ({VERDICT_TONES[v][0].lower()}): {h.implication}"
             for h, v, _, _ in doc.hypothesis_results if h.implication.strip()]
    if not items:
        return []
    return [blocks.heading("What the results mean for commissioning", 3), blocks.prose("\n".join(items))]


# ---------------------------------------------------------------- 03 needs


def needs_sentences(doc: Document) -> list[dict]:
    ctx = doc.ctx
    lines = []
    for measure in ctx.client_group.measures:
        base, end, far = ctx.base_year, ctx.end_year, ctx.look_ahead_year
        lines.append("- " + needs.needs_sentence(measure.label, base, doc.need_in(measure.id, base), end,
                                                  doc.need_in(measure.id, end)) + ".")
        lines.append("- " + needs.needs_sentence(measure.label, base, doc.need_in(measure.id, base), far,
                                                  doc.need_in(measure.id, far)) + " (long-term view).")
    return [blocks.prose("\n".join(lines))]


def needs_chart(doc: Document) -> list[dict]:
    labels = {m.id: m.label for m in doc.ctx.client_group.measures}
    chart = charts.need_projection_chart({labels[k]: v for k, v in doc.need_series.items()}, chart_id="need-projection",
                                         caption=f"Projected need, {doc.ctx.base_year} to {doc.ctx.look_ahead_year}")
    return blocks.figure(chart)


def needs_period_table(doc: Document) -> list[dict]:
    ctx = doc.ctx
    years = list(range(ctx.base_year, ctx.end_year + 1)) + [ctx.look_ahead_year]
    rows = []
    for measure in ctx.client_group.measures:
        row = {"Measure": measure.label}
        for year in years:
            row[str(year)] = doc.need_in(measure.id, year)
        row["Change to " + str(ctx.end_year)] = fmt.fmt_change(row[str(ctx.base_year)], row[str(ctx.end_year)])
        rows.append(row)
    sources = "; ".join(f"{m.label}: {m.source}" for m in ctx.client_group.measures)
    return [blocks.table(pd.DataFrame(rows), caption="Estimated number of people, each year of the strategy and the long-term view",
                         id="need-by-year", numeric_columns=[str(y) for y in years], suppress_columns=[],
                         notes=f"Prevalence rates applied to population estimates and projections, rates held constant. Sources: {sources}.")]


def unmet_need_table(doc: Document) -> list[dict]:
    ctx = doc.ctx
    year = int(ctx.data.service_users["year"].max()) if not ctx.data.service_users.empty else ctx.base_year
    rows = []
    for measure in ctx.client_group.measures:
        if not measure.service_types:
            continue
        need_year = year if year in set(doc.need_series[measure.id]["year"]) else ctx.base_year
        result = needs.unmet_need(doc.need_in(measure.id, need_year), ctx.data.service_users, measure.service_types,
                                  ctx.client_group_id, year)
        rows.append({"Measure": measure.label, "Estimated need": result.need, "Known to services": result.known,
                     "Estimated unmet need": result.unmet,
                     "Unmet need (%)": None if result.unmet_percent is None else round(result.unmet_percent, 1)})
    if not rows:
        return []
    return [blocks.table(pd.DataFrame(rows), caption=f"Estimated need compared with people known to services, {year}",
                         id="unmet-need", suppress_below=doc.suppress_below, suppress_columns=["Known to services"],
                         notes="Unmet need is estimated need minus people known to the linked services; it is never "
                               "below zero. Prevalence counts overstate demand for services, so treat it as an upper estimate.")]


def service_use_table(doc: Document) -> list[dict]:
    su = doc.ctx.data.service_users
    if su.empty:
        return []
    pivot = su.groupby(["service_type", "year"], as_index=False)["people"].sum().pivot(index="service_type", columns="year", values="people")
    pivot.columns = [str(c) for c in pivot.columns]
    frame = pivot.reset_index().rename(columns={"service_type": "Service type"})
    return [blocks.table(frame, caption="People known to services at 31 March, by service type", id="service-use",
                         suppress_below=doc.suppress_below)]


# ---------------------------------------------------------------- 04 market and resources


def market_occupancy(doc: Document) -> list[dict]:
    summary_frame = market.occupancy_by_service_type(doc.ctx.data.providers)
    chart = charts.occupancy_chart(summary_frame, chart_id="occupancy", caption="Occupancy by service type")
    return blocks.figure(chart)


def market_tables(doc: Document) -> list[dict]:
    ctx = doc.ctx
    providers = ctx.data.providers
    out = []
    mix = market.sector_mix(providers)
    mix = mix.drop(columns=["sector"]).rename(columns={"label": "Sector", "providers": "Providers", "capacity": "Places",
                                                       "share_percent": "Share of places (%)"})
    out.append(blocks.table(mix, caption="Places by sector", id="sector-mix"))
    ratings = market.quality_ratings(providers, ctx.authority.nation)
    regulator = "CIW" if ctx.authority.nation == "wales" else "CQC"
    out.append(blocks.table(_title_columns(ratings), caption=f"Services by {regulator} rating", id="quality-ratings"))
    rows = []
    for service_type in sorted(providers["service_type"].unique()):
        c = market.concentration(providers, service_type)
        rows.append({"Service type": service_type, "Providers": c.providers, "Places": c.capacity,
                     "Top three providers' share (%)": round(c.top3_share_percent, 1), "HHI": round(c.hhi),
                     "Concentration": c.band})
    out.append(blocks.table(pd.DataFrame(rows), caption="Concentration of supply (Herfindahl-Hirschman index on places)",
                            id="concentration", notes="HHI below 1,500 is unconcentrated, 1,500 to 2,500 moderately "
                                                      "concentrated, above 2,500 highly concentrated."))
    ooa = market.out_of_area(ctx.data.service_users)
    good = market.good_or_better_percent(providers, ctx.authority.nation)
    out.insert(0, blocks.facts([
        ("Providers", providers["provider_id"].nunique()),
        ("Places", int(providers["capacity"].sum())),
        ("Rated good or better", fmt.fmt_percent(good), f"of services rated by {regulator}"),
        ("Placed out of area", fmt.fmt_percent(ooa.percent), f"{fmt.fmt_int(ooa.out_of_area)} people at 31 March {ooa.year}"),
    ]))
    return out


def budget(doc: Document) -> list[dict]:
    ctx = doc.ctx
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
    out = [table_block]
    stated = ctx.strategy.budget_totals
    if stated is not None and stated.financial_year == year:
        out.append(blocks.prose(f"The subtotals and net total above agree with the totals signed off for {year}."))
    chart = charts.budget_chart(summary_frame, chart_id="budget-by-group", caption=f"Gross expenditure by group, {year}")
    return out + blocks.figure(chart)


def unit_costs(doc: Document) -> list[dict]:
    ctx = doc.ctx
    comparison = resources.unit_cost_comparison(ctx.data.unit_costs)
    if comparison.empty:
        return []
    sentences = "\n".join("- " + resources.unit_cost_sentence(row) for row in comparison.to_dict("records"))
    chart = charts.unit_cost_chart(ctx.data.unit_costs, chart_id="unit-costs", caption="Unit costs against the comparator average")
    return [blocks.prose(sentences)] + blocks.figure(chart)


def spend_per_head(doc: Document) -> list[dict]:
    ctx = doc.ctx
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
    if not gap.measure:
        return [], []
    return gap_analysis.computed_gaps(doc.inputs, gap.measure, gap.service_types or None, gap.uptake_rate)


def gap_template(doc: Document) -> list[dict]:
    ctx = doc.ctx
    verdicts = {h.id: v for h, v, _, _ in doc.hypothesis_results}
    rows = []
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
                     "Rationale": rationale, "Commissioning Implications": gap.implications})
    return [blocks.table(pd.DataFrame(rows), caption="Gap Analysis Template", id="gap-analysis", markdown_columns=list(rows[0]))]


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


def intentions_overview(doc: Document) -> list[dict]:
    intentions = doc.ctx.strategy.intentions
    counts = {TYPE_WORDS[t]: sum(1 for i in intentions if i.type == t) for t in TYPE_WORDS}
    return [blocks.facts([(label, count) for label, count in counts.items()])]


def intentions_by_theme(doc: Document) -> list[dict]:
    ctx = doc.ctx
    outcome_names = {o.code: (o.i_statement or o.name) for o in ctx.strategy.outcomes.items}
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
                f"- {code}: {outcome_names.get(code, code)}" for code in theme.outcomes)))
        rows = [{"ID": i.id, "Intention": f"**{i.title}**\n\n{i.details}", "Type": TYPE_WORDS[i.type],
                 "Drivers": "; ".join(i.drivers), "Activity this year": i.activity, "Owner": i.owner,
                 "Timescale": i.timescale, "Outcomes": ", ".join(i.outcomes) or "None listed"} for i in members]
        out.append(blocks.table(pd.DataFrame(rows), caption=f"Commissioning intentions: {theme.name}",
                                id=f"intentions-{theme.id}", markdown_columns=["Intention", "Activity this year"]))
        cycle_rows = []
        for i in members:
            current = doc.vocabulary.parse(i.cycle.current)
            expected = doc.vocabulary.parse(i.cycle.expected)
            cycle_rows.append({"label": f"{i.id} {i.title}", "current": list(current), "expected": list(expected),
                               "current_text": i.cycle.current, "expected_text": i.cycle.expected})
        out.append(blocks.cycle(doc.vocabulary.stages, cycle_rows))
    return out


# ---------------------------------------------------------------- 07 risks


def _bands(doc: Document) -> list[dict]:
    return [{"min": b.min_score, "label": b.label, "tone": b.tone} for b in doc.ctx.authority.risk_bands]


def risk_heat_map(doc: Document) -> list[dict]:
    heat = risks.heat_map([r.model_dump() for r in doc.ctx.strategy.risks], _bands(doc), which="residual")
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


def risk_register(doc: Document) -> list[dict]:
    register = risks.risk_register([r.model_dump() for r in doc.ctx.strategy.risks], _bands(doc))
    by_id = {r.id: r for r in doc.ctx.strategy.risks}
    rows = []
    for record in register.to_dict("records"):
        risk = by_id[record["id"]]
        rows.append({
            "ID": risk.id, "Risk": risk.title, "Cause": risk.cause, "Event": risk.event, "Effect": risk.effect,
            "Before mitigation": f"{risk.inherent.likelihood} x {risk.inherent.impact} = {risk.inherent.score}",
            "Mitigations": "; ".join(risk.mitigations),
            "After mitigation": f"{risk.residual.likelihood} x {risk.residual.impact} = {risk.residual.score}",
            "Band": (record["residual_band"], record["residual_tone"]),
            "Owner": risk.owner, "Review date": risk.review_date.strftime("%-d %b %Y")
            + (" (review: carried over)" if risk.review_flag else ""),
        })
    return [blocks.table(pd.DataFrame(rows), caption="Risk register, highest risk after mitigation first", id="risk-register",
                         statuses={"Band": lambda v: v}, numeric_columns=[])]


# ---------------------------------------------------------------- 08 performance


def indicator_statuses(doc: Document) -> list[tuple]:
    rules = doc.ctx.authority.rag_rules.model_dump()
    out = []
    for ind in doc.ctx.strategy.indicators:
        try:
            status = indicator_analysis.indicator_status(doc.ctx.data.indicators, ind.id, ind.polarity, ind.target, rules)
        except ValueError:  # no rows at all for this indicator: report it as having no data
            status = indicator_analysis.indicator_status(_no_data_row(ind.id), ind.id, ind.polarity, ind.target, rules)
        out.append((ind, status))
    return out


def performance_table(doc: Document) -> list[dict]:
    rows = []
    for ind, status in indicator_statuses(doc):
        rows.append({
            "Indicator": f"{ind.code}: {ind.name}", "Source": ind.source, "Polarity": POLARITY_WORDS[ind.polarity],
            "Latest": _value(status.latest_value, ind.unit) + (f" ({status.latest_period})" if status.latest_period else ""),
            "Target": _value(ind.target, ind.unit), "Comparator average": _value(status.comparator_average, ind.unit),
            "Direction of travel": status.direction.capitalize(), "Rating": (status.label, status.tone),
            "Action": ind.action or status.reason,
        })
    labels = [s.label for _, s in indicator_statuses(doc)]
    facts = blocks.facts([(label, labels.count(label)) for label in ("On track", "At risk", "Off track", "No data") if labels.count(label)])
    return [facts, blocks.table(pd.DataFrame(rows), caption="Performance indicators: latest position and rating",
                                id="indicators", statuses={"Rating": lambda v: v}, numeric_columns=[],
                                notes="Rating: on track when the latest value meets the target; at risk when it is within "
                                      f"{doc.ctx.authority.rag_rules.amber_tolerance_percent:g}% of the target or better than "
                                      "the comparator average; off track otherwise.")]


def _no_data_row(indicator_id: str) -> pd.DataFrame:
    return pd.DataFrame([{"client_group": "", "indicator_id": indicator_id, "period": "not reported", "value": None,
                          "comparator_average": None}])


def _value(value, unit: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "Not available"
    if unit == "percent":
        return f"{fmt.fmt_number(value, 1)}%"
    if unit == "pounds":
        return fmt.fmt_money(value)
    suffix = UNIT_SUFFIX.get(unit, "")
    return f"{fmt.fmt_number(value, 1)}{(' ' + suffix) if suffix else ''}"


def performance_trends(doc: Document, limit: int = 3) -> list[dict]:
    """Trend charts for the indicators most in need of attention."""
    order = {"bad": 0, "warning": 1, "neutral": 2, "good": 3}
    ranked = sorted(indicator_statuses(doc), key=lambda pair: (order.get(pair[1].tone, 4), pair[0].id))
    out = []
    for ind, status in ranked[:limit]:
        if status.latest_value is None:
            continue
        chart = charts.indicator_trend_chart(doc.ctx.data.indicators, ind.id, label=f"{ind.code}: {ind.name}",
                                             target=ind.target, polarity=ind.polarity, unit=UNIT_SUFFIX.get(ind.unit, ""),
                                             chart_id=f"trend-{ind.id}", caption=f"{ind.code}: {ind.name}, trend against target "
                                             f"and comparator ({status.label.lower()})")
        out.extend(blocks.figure(chart))
    return out


def monitoring(doc: Document) -> list[dict]:
    m = doc.ctx.strategy.monitoring
    return [
        blocks.facts([("Reviewed", m.frequency), ("By", m.review_group), ("Next review", m.next_review.strftime("%-d %B %Y"))]),
        blocks.prose(m.arrangements),
    ]


# ---------------------------------------------------------------- helpers


def _title_columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={c: str(c).replace("_", " ").capitalize() for c in frame.columns})
