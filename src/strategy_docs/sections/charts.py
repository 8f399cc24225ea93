"""Accessible, deterministic charts for the strategy documents.

Every builder returns a :class:`Chart`: the matplotlib figure, alt text written from the
data, a caption (the chart's title lives in the caption, not in the image) and a table of
exactly the plotted numbers, so the document can always show the numbers as a table.

Figures use the Okabe-Ito colour-blind-safe palette, and series also differ by marker,
line style or hatching so colour is never the only cue. Figures are created with the
object-oriented API on an Agg canvas (never pyplot), so nothing is auto-displayed inside
notebooks and no global figure registry fills up.
"""

from __future__ import annotations

import io
import math
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Mapping

import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from strategy_docs.analysis.formatting import (
    fmt_change,
    fmt_int,
    fmt_money,
    fmt_money_auto,
    fmt_number,
    fmt_percent,
    is_missing,
    round_half_up,
)
from strategy_docs.analysis.indicators import indicator_series
from strategy_docs.analysis.resources import BudgetSummary, budget_summary, unit_cost_comparison
from strategy_docs.i18n import N_, Translator, mark, strip_marks, translator
from strategy_docs.sections.markup import slugify

# Okabe-Ito, ordered for contrast on white; the yellow (#F0E442) is left out because it
# is too pale for lines and text on a white background.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)))
HATCHES = ("", "///", "...", "xx", "\\\\\\", "++", "oo")
SVG_HASHSALT = "strategy-docs"
# Words from the data that the charts translate: unit_costs units, and where a cost stands.
DATA_WORDS = (N_("per week"), N_("per hour"), N_("per day"), N_("per night"), N_("above"), N_("below"))

STYLE = {
    # Text stays text in the SVG, so give browsers a sans-serif fallback list; DejaVu Sans
    # (bundled with matplotlib) is what layout is measured with.
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica", "Liberation Sans"],
    # 12pt is 16 CSS px when the SVG is shown at its own size (the page never scales it
    # down): chart text is then at least as large as table text (0.95rem) on any screen.
    "font.size": 12,
    "axes.labelsize": 12,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#d0d0d0",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "lines.linewidth": 2.0,
    "lines.markersize": 6,
    "svg.fonttype": "none",
    "svg.hashsalt": SVG_HASHSALT,
}


@dataclass
class Chart:
    """A figure plus everything needed to present it accessibly."""

    id: str
    figure: Figure
    alt: str
    caption: str
    table: pd.DataFrame

    def __post_init__(self) -> None:
        if not str(self.id or "").strip():
            raise ValueError("A chart needs an id.")
        if not str(self.alt or "").strip():
            raise ValueError(f"Chart '{self.id}' has no alt text; every chart must describe its data.")
        if not str(self.caption or "").strip():
            raise ValueError(f"Chart '{self.id}' needs a caption (it carries the chart's title).")


@contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context(STYLE):
        yield


LESS_THAN_A_TENTH = N_("less than 0.1%")


def _size(percent: float, t=None) -> str:
    """A difference in percent, never '0.0%' for one that is not nothing."""
    text = fmt_percent(abs(percent))
    return (t or translator())(LESS_THAN_A_TENTH) if text == fmt_percent(0) else text


def _figure(width: float = 7.0, height: float = 3.8, rows: int = 1):
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(rows, 1, i + 1) for i in range(rows)]
    return fig, axes


def _count_axis(ax, axis: str = "y") -> None:
    """Counts of people or places: whole-number ticks only (never 25.3, 25.5)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=6, integer=True, min_n_ticks=2))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_int(v)))


def _value_axis(ax, axis: str = "y") -> None:
    """Indicator values (rates, percentages): at most one decimal place on the ticks."""
    fmt = FuncFormatter(lambda v, _pos: fmt_number(v, 1))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _drop_overlapping_labels(fig: Figure, labels) -> int:
    """Remove value labels that would overlap one another or run off the figure; the data
    table beside every chart still gives each value. Returns how many were removed."""
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    page = fig.bbox
    kept, removed = [], 0
    for text in labels:
        if not text.get_text():
            continue
        box = text.get_window_extent(renderer).expanded(1.05, 1.1)
        inside = page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
        if inside and not any(box.overlaps(other) for other in kept):
            kept.append(box)
        else:
            text.remove()
            removed += 1
    return removed


def _compact_money(v: float) -> str:
    """Axis ticks only (the table has exact values): £1.2m, £450k, £20."""
    sign, v = ("-" if v < 0 else ""), abs(v)
    if v >= 1_000_000:
        return f"{sign}£{fmt_number(v / 1_000_000, 2)}m"
    if v >= 10_000:
        return f"{sign}£{fmt_number(v / 1_000, 1)}k"
    return sign + fmt_money(v)


def _money_axis(ax, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=5))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: _compact_money(v)))


def _wrap(label: str, width: int = 14) -> str:
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def _from_data(t: Translator, name: str) -> str:
    """A name from the data tables (written in English): marked as English on a page in another language."""
    return name if t.language == "en" else mark(name, "en")


def _lower_first(label: str) -> str:
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _join(items: list[str], word: str = "and", t: Translator | None = None) -> str:
    if len(items) <= 1:
        return "".join(items)
    t = t or translator()
    word = t("and") if word == "and" else t(word)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


# --- projected need ----------------------------------------------------------------------


def need_projection_chart(
    series: Mapping[str, pd.DataFrame],
    chart_id: str = "need-projection",
    caption: str | None = None,
    t: Translator | None = None,
) -> Chart:
    """Line chart of projected need for one or more measures.

    ``series`` maps a measure label ('People aged 65 and over with dementia') to the
    output of ``needs.need_by_year`` (year, estimate_rounded). Rounded values are plotted
    so the chart, table and prose agree.
    """
    if not series:
        raise ValueError("need_projection_chart needs at least one measure.")
    t = t or translator()
    year, people = t("Year"), t("(people)")
    table = None
    parts = []
    for label, frame in series.items():
        values = frame["estimate_rounded"] if "estimate_rounded" in frame else frame["estimate"].map(round_half_up)
        col = f"{label} {people}"
        part = pd.DataFrame({year: frame["year"].astype(int).to_numpy(), col: [round_half_up(v) for v in values]})
        if part.empty:
            raise ValueError(f"No projected values for '{label}'.")
        parts.append((label, col, part))
        table = part if table is None else table.merge(part, on=year, how="outer")
    table = table.sort_values(year).reset_index(drop=True)

    with _style():
        fig, (ax,) = _figure()
        for i, (label, col, part) in enumerate(parts):
            ax.plot(
                part[year], part[col], label=strip_marks(label), color=PALETTE[i % len(PALETTE)],
                marker=MARKERS[i % len(MARKERS)], linestyle=LINESTYLES[i % len(LINESTYLES)],
            )
        ax.set_xlabel(strip_marks(year))
        ax.set_ylabel(strip_marks(t("Estimated number of people")))
        ax.set_ylim(bottom=0)
        ax.set_xticks(table[year].tolist())
        ax.set_xticklabels([str(y) for y in table[year]], rotation=45 if len(table) > 6 else 0)
        _count_axis(ax)
        if len(parts) > 1:
            ax.legend(frameon=False, loc="best")

    sentences = []
    for label, col, part in parts:
        p = part.dropna().sort_values(year)
        y0, y1 = int(p[year].iloc[0]), int(p[year].iloc[-1])
        v0, v1 = p[col].iloc[0], p[col].iloc[-1]
        words = dict(who=_lower_first(label), v0=fmt_int(v0), v1=fmt_int(v1), y0=y0, y1=y1, change=fmt_change(v0, v1, t=t))
        if v0 == v1:
            sentences.append(t("the estimated number of {who} stays at {v0} from {y0} to {y1}").format(**words))
        elif v1 > v0:
            sentences.append(t("the estimated number of {who} rises from {v0} in {y0} to {v1} in {y1} ({change})")
                             .format(**words))
        else:
            sentences.append(t("the estimated number of {who} falls from {v0} in {y0} to {v1} in {y1} ({change})")
                             .format(**words))
    alt = t("Line chart: {description}.").format(description="; ".join(sentences))
    first, last = int(table[year].iloc[0]), int(table[year].iloc[-1])
    if caption is None:
        what = parts[0][0] if len(parts) == 1 else t("Projected need")
        caption = t("{what}: estimated number of people, {first} to {last}").format(what=what, first=first, last=last)
    return Chart(chart_id, fig, alt, caption, table)


# --- occupancy -----------------------------------------------------------------------------


def occupancy_chart(
    summary: pd.DataFrame, chart_id: str = "occupancy", caption: str | None = None, t: Translator | None = None
) -> Chart:
    """Bar chart of occupancy % by service type (from ``market.occupancy_by_service_type``)."""
    t = t or translator()
    data = summary[["service_type", "occupancy_percent"]].copy()
    missing = data.loc[data["occupancy_percent"].isna(), "service_type"].astype(str).tolist()
    data = data.dropna(subset=["occupancy_percent"])
    if data.empty:
        raise ValueError("No occupancy figures to chart.")
    values = [round_half_up(v, 1) for v in data["occupancy_percent"]]
    names = data["service_type"].astype(str).tolist()
    table = pd.DataFrame({t("Service type"): [_from_data(t, n) for n in names], t("Occupancy (%)"): values})

    with _style():
        fig, (ax,) = _figure()
        bars = ax.bar(range(len(names)), values, color=PALETTE[0], edgecolor="black", linewidth=0.6)
        texts = ax.bar_label(bars, labels=[fmt_percent(v) for v in values], padding=2)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([_wrap(strip_marks(n), 11) for n in names])
        ax.set_ylabel(strip_marks(t("Occupancy (%)")))
        ax.set_ylim(0, max(100.0, max(values) * 1.1))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt_percent(v, dp=0)))
        _drop_overlapping_labels(fig, texts)

    parts = [f"{n} {fmt_percent(v)}" for n, v in zip(names, values)]
    alt = t("Bar chart: occupancy by service type. {values}.").format(values=_join(parts, t=t))
    if len(values) > 2:
        hi, lo = max(range(len(values)), key=values.__getitem__), min(range(len(values)), key=values.__getitem__)
        alt += " " + t("Highest is {high} ({high_value}); lowest is {low} ({low_value}).").format(
            high=names[hi], high_value=fmt_percent(values[hi]), low=names[lo], low_value=fmt_percent(values[lo]))
    if missing:
        alt += " " + t("No occupancy figures for {services}.").format(services=_join(missing, t=t))
    caption = caption or t("Occupancy of places by service type (%)")
    return Chart(chart_id, fig, alt, caption, table)


# --- budget --------------------------------------------------------------------------------


def budget_chart(
    budget: pd.DataFrame | BudgetSummary,
    financial_year: str | None = None,
    chart_id: str = "budget",
    caption: str | None = None,
    t: Translator | None = None,
) -> Chart:
    """Horizontal bars of gross expenditure by budget group; income is excluded (and the
    alt text and caption say so), because bars below zero read as overspend."""
    t = t or translator()
    summary = budget if isinstance(budget, BudgetSummary) else budget_summary(budget, financial_year)
    groups = summary.groups[summary.groups["gross"] > 0]
    if groups.empty:
        raise ValueError("The budget has no expenditure to chart.")
    names = groups["group"].astype(str).tolist()
    values = [round_half_up(v) for v in groups["gross"]]
    table = pd.DataFrame({t("Budget group"): [_from_data(t, n) for n in names], t("Gross expenditure (£)"): values})
    total = sum(values)

    with _style():
        fig, (ax,) = _figure(height=max(2.4, 0.5 * len(names) + 1.2))
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", visible=True)
        bars = ax.barh(range(len(names)), values, color=PALETTE[0], edgecolor="black", linewidth=0.6)
        texts = ax.bar_label(bars, labels=[fmt_money(v) for v in values], padding=3)
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels([_wrap(strip_marks(n), 24) for n in names])
        ax.invert_yaxis()
        ax.set_xlabel(strip_marks(t("Gross expenditure (£)")))
        ax.set_xlim(0, max(values) * 1.35)
        _money_axis(ax, "x")
        _drop_overlapping_labels(fig, texts)

    shares = [f"{n} {fmt_money(v)} ({fmt_percent(v / total * 100)})" for n, v in zip(names, values)]
    if len(shares) > 6:
        order = sorted(range(len(values)), key=lambda i: (-values[i], i))[:3]
        listed = t("The largest are {groups}.").format(groups=_join([shares[i] for i in order], t=t))
    else:
        listed = _join(shares, t=t) + "."
    alt = t("Horizontal bar chart: gross expenditure by budget group in {year}, totalling {total}.").format(
        year=summary.financial_year, total=fmt_money(total)) + " " + listed
    if summary.income < 0:
        alt += " " + t("Income of {income} is not shown.").format(income=fmt_money(summary.income))
    else:
        alt += " " + t("Income is not shown.")
    caption = caption or t("Gross expenditure by budget group, {year} (£, income not shown)").format(
        year=summary.financial_year)
    return Chart(chart_id, fig, alt, caption, table)


# --- unit costs ----------------------------------------------------------------------------


def unit_cost_chart(
    unit_costs: pd.DataFrame,
    financial_year: str | None = None,
    chart_id: str = "unit-costs",
    caption: str | None = None,
    t: Translator | None = None,
) -> Chart:
    """Grouped bars: our unit cost and the comparator average for each service type.

    Costs per week and per hour cannot share an axis, so there is one panel per unit.
    ``unit_costs`` is the raw table or the output of ``resources.unit_cost_comparison``.
    """
    t = t or translator()
    comp = unit_costs if "position" in unit_costs.columns else unit_cost_comparison(unit_costs, financial_year)
    if comp.empty:
        raise ValueError("No unit costs to chart.")
    fy = str(comp["financial_year"].iloc[0])
    ours = [round_half_up(v, 2) for v in comp["unit_cost"]]
    theirs = [None if is_missing(v) else round_half_up(v, 2) for v in comp["comparator_average"]]
    service, unit_word, cost, average = t("Service type"), t("Unit"), t("Unit cost (£)"), t("Comparator average (£)")
    table = pd.DataFrame(
        {
            service: [_from_data(t, n) for n in comp["service_type"].astype(str)],
            unit_word: [t(str(u)) for u in comp["unit"]],
            cost: ours,
            average: [math.nan if v is None else v for v in theirs],
        }
    )
    units = list(dict.fromkeys(table[unit_word]))
    width = 0.38
    with _style():
        fig, axes = _figure(height=max(3.4, 3.2 * len(units)), rows=len(units))
        labelled = []
        for ax, unit in zip(axes, units):
            rows = table[table[unit_word] == unit].reset_index(drop=True)
            xs = list(range(len(rows)))
            b1 = ax.bar([x - width / 2 for x in xs], rows[cost], width, label=strip_marks(t("Our unit cost")),
                        color=PALETTE[0], edgecolor="black", linewidth=0.6, hatch=HATCHES[0])
            comp_vals = rows[average].fillna(0)
            b2 = ax.bar([x + width / 2 for x in xs], comp_vals, width, label=strip_marks(t("Comparator average")),
                        color=PALETTE[4], edgecolor="black", linewidth=0.6, hatch=HATCHES[1])
            texts = ax.bar_label(b1, labels=[fmt_money_auto(v) for v in rows[cost]], padding=2)
            texts += ax.bar_label(b2, labels=[strip_marks(t("no data")) if is_missing(v) else fmt_money_auto(v)
                                              for v in rows[average]], padding=2)
            labelled.append(texts)
            ax.set_xticks(xs)
            ax.set_xticklabels([_wrap(strip_marks(s), 11) for s in rows[service]])
            ax.set_ylabel(strip_marks(f"£ {unit}"))
            top = max([*rows[cost], *comp_vals])
            ax.set_ylim(0, top * 1.2 if top > 0 else 1)
            _money_axis(ax)
            if ax is axes[0]:
                ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        _drop_overlapping_labels(fig, [t for texts in labelled for t in texts])

    parts = []
    for r in comp.to_dict("records"):
        head = f"{r['service_type']} {fmt_money_auto(round_half_up(r['unit_cost'], 2))} {t(str(r['unit']))}"
        if r["position"] == "no comparator":
            parts.append(t("{cost} (no comparator average)").format(cost=head))
        elif r["position"] == "same":
            parts.append(t("{cost}, the same as the comparator average").format(cost=head))
        else:
            parts.append(t("{cost} against {average} ({difference} {position})").format(
                cost=head, average=fmt_money_auto(round_half_up(r["comparator_average"], 2)),
                difference=_size(r["difference_percent"], t), position=t(str(r["position"]))))
    alt = t("Grouped bar chart: unit costs against comparator averages in {year}. {costs}.").format(
        year=fy, costs="; ".join(parts))
    caption = caption or t("Unit costs compared with the comparator average, {year} (£)").format(year=fy)
    return Chart(chart_id, fig, alt, caption, table)


# --- indicator trend -----------------------------------------------------------------------


def indicator_trend_chart(
    indicators: pd.DataFrame,
    indicator_id: str,
    label: str | None = None,
    target: float | None = None,
    polarity: str | None = None,
    unit: str = "",
    chart_id: str | None = None,
    caption: str | None = None,
    t: Translator | None = None,
) -> Chart:
    """Line chart of an indicator's values with its target and the comparator average.

    ``unit`` (e.g. '%', 'per 100,000') goes into the axis and table labels.
    """
    t = t or translator()
    series = indicator_series(indicators, indicator_id)
    label = label or str(indicator_id)
    suffix = f" ({unit})" if unit else ""
    period, value_word, target_word, average_word = t("Period"), t("Value"), t("Target"), t("Comparator average")
    values = [None if is_missing(v) else round_half_up(v, 2) for v in series["value"]]
    comps = [None if is_missing(v) else round_half_up(v, 2) for v in series["comparator_average"]]
    has_target = not is_missing(target)
    table = pd.DataFrame(
        {
            period: series["period"].tolist(),
            f"{value_word}{suffix}": [math.nan if v is None else v for v in values],
        }
    )
    if has_target:
        table[f"{target_word}{suffix}"] = round_half_up(target, 2)
    if any(c is not None for c in comps):
        table[f"{average_word}{suffix}"] = [math.nan if c is None else c for c in comps]
    if all(v is None for v in values) and not has_target and all(c is None for c in comps):
        raise ValueError(f"Indicator '{indicator_id}' has no values to chart.")

    xs = list(range(len(table)))
    with _style():
        fig, (ax,) = _figure()
        ax.plot(xs, table[f"{value_word}{suffix}"], label=strip_marks(label if len(label) < 40 else value_word),
                color=PALETTE[0], marker=MARKERS[0], linestyle=LINESTYLES[0])
        if has_target:
            ax.plot(xs, table[f"{target_word}{suffix}"], label=strip_marks(target_word), color=PALETTE[1],
                    linestyle=LINESTYLES[1], marker=None)
        if f"{average_word}{suffix}" in table:
            ax.plot(xs, table[f"{average_word}{suffix}"], label=strip_marks(average_word),
                    color=PALETTE[2], marker=MARKERS[1], linestyle=LINESTYLES[2])
        ax.set_xticks(xs)
        ax.set_xticklabels(table[period].tolist(), rotation=45 if len(xs) > 6 else 0)
        ax.set_xlabel(strip_marks(period))
        ax.set_ylabel(strip_marks(f"{value_word}{suffix}"))
        _value_axis(ax)
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))

    def show(v: float) -> str:
        return fmt_number(v, 2) + ("%" if unit == "%" else "")

    known = [(p, v) for p, v in zip(table[period], values) if v is not None]
    if len(known) > 1:
        (p0, v0), (p1, v1) = known[0], known[-1]
        text = t("{indicator} went from {first} in {first_period} to {last} in {last_period}").format(
            indicator=label, first=show(v0), first_period=p0, last=show(v1), last_period=p1)
    elif known:
        text = t("{indicator} was {value} in {period}").format(indicator=label, value=show(known[0][1]), period=known[0][0])
    else:
        text = t("{indicator} has no values yet").format(indicator=label)
    if polarity:
        word = str(polarity).split()[0].lower()
        text += " (" + (t("higher is better") if word == "higher" else t("lower is better") if word == "lower"
                        else f"{word} is better") + ")"
    extras = []
    if has_target:
        extras.append(t("the target is {target}").format(target=show(target)))
    last_comp = [(p, c) for p, c in zip(table[period], comps) if c is not None]
    if last_comp:
        extras.append(t("the comparator average in {period} was {value}").format(
            period=last_comp[-1][0], value=show(last_comp[-1][1])))
    alt = t("Line chart: {description}.").format(description=text + ("; " + "; ".join(extras) if extras else ""))
    caption = caption or t("{indicator}: trend against target and comparator average").format(indicator=label)
    return Chart(chart_id or f"indicator-{slugify(indicator_id, fallback='indicator')}", fig, alt, caption, table)


# --- output --------------------------------------------------------------------------------


def chart_to_svg(chart: Chart, close: bool = True) -> str:
    """Render to inline SVG text, byte-for-byte reproducible for the same data.

    The hash salt is fixed per chart id (stable clip-path ids that do not clash between
    charts on one page), the root element gets id ``<chart id>-svg``, the date metadata is
    dropped and text stays text (``svg.fonttype: none``) so it is selectable and smaller.
    The XML prolog is removed because the SVG is inlined into HTML. With ``close`` the figure is cleared
    afterwards to free memory; build the chart again to re-render.
    """
    buf = io.BytesIO()
    # Salt per chart: ids inside the SVG (clip paths, markers) stay stable between builds
    # but differ between charts inlined in the same page.
    rc = dict(STYLE, **{"svg.hashsalt": f"{SVG_HASHSALT}:{chart.id}"})
    if "svg.id" in matplotlib.rcParams:
        rc["svg.id"] = f"{chart.id}-svg"
    with matplotlib.rc_context(rc):
        chart.figure.savefig(buf, format="svg", metadata={"Date": None})
    if close:
        chart.figure.clear()
    text = strip_marks(buf.getvalue().decode("utf-8"))  # a label's language mark is no glyph
    start = text.find("<svg")
    return text[start:] if start >= 0 else text
