"""Chart builders: alt text, captions, data tables, accessibility styling, deterministic SVG."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from matplotlib.figure import Figure

from strategy_docs.sections.charts import (
    PALETTE,
    Chart,
    budget_chart,
    chart_to_svg,
    indicator_trend_chart,
    need_projection_chart,
    occupancy_chart,
    unit_cost_chart,
)

DEMENTIA = "People aged 65 and over with dementia"


def _need(values):
    return pd.DataFrame({"year": [2026, 2030, 2035], "estimate": values, "estimate_rounded": values})


def test_chart_requires_alt_text():
    with pytest.raises(ValueError, match="alt text"):
        Chart("c1", Figure(), "  ", "Caption", pd.DataFrame())
    with pytest.raises(ValueError, match="caption"):
        Chart("c1", Figure(), "Alt", "", pd.DataFrame())


def test_need_projection_single_measure():
    ch = need_projection_chart({DEMENTIA: _need([4120, 4600, 5070])}, chart_id="dementia")
    assert ch.alt == (
        "Line chart: the estimated number of people aged 65 and over with dementia rises from 4,120 "
        "in 2026 to 5,070 in 2035 (up 23.1%)."
    )
    assert ch.caption == f"{DEMENTIA}: estimated number of people, 2026 to 2035"
    assert ch.table.columns.tolist() == ["Year", f"{DEMENTIA} (people)"]
    assert ch.table.values.tolist() == [[2026, 4120], [2030, 4600], [2035, 5070]]
    (ax,) = ch.figure.axes
    assert ax.get_title() == ""  # the caption carries the title


def test_need_projection_several_measures_differ_by_marker_and_style():
    ch = need_projection_chart({DEMENTIA: _need([4120, 4600, 5070]), "Older carers": _need([900, 880, 850])})
    assert ch.alt.endswith("the estimated number of older carers falls from 900 in 2026 to 850 in 2035 (down 5.6%).")
    lines = ch.figure.axes[0].get_lines()
    assert [ln.get_color() for ln in lines] == [PALETTE[0], PALETTE[1]]
    assert lines[0].get_marker() != lines[1].get_marker()
    assert lines[0].get_linestyle() != lines[1].get_linestyle()
    assert ch.figure.axes[0].get_legend() is not None
    with pytest.raises(ValueError):
        need_projection_chart({})


def test_occupancy_chart():
    summary = pd.DataFrame({
        "service_type": ["Nursing care", "Residential care", "Extra care", "Day care"],
        "occupancy_percent": [88.04, 94.25, 100.0, math.nan],
    })
    ch = occupancy_chart(summary)
    assert ch.table.values.tolist() == [["Nursing care", 88.0], ["Residential care", 94.3], ["Extra care", 100.0]]
    assert ch.table.columns.tolist() == ["Service type", "Occupancy (%)"]
    assert ch.alt == (
        "Bar chart: occupancy by service type. Nursing care 88.0%, Residential care 94.3% and Extra care 100.0%. "
        "Highest is Extra care (100.0%); lowest is Nursing care (88.0%). No occupancy figures for Day care."
    )
    heights = [p.get_height() for p in ch.figure.axes[0].patches]
    assert heights == [88.0, 94.3, 100.0]
    with pytest.raises(ValueError):
        occupancy_chart(summary.iloc[3:])


def test_budget_chart_excludes_income():
    budget = pd.DataFrame([
        dict(financial_year="2024/25", client_group="op", group=g, line=ln, amount=a)
        for g, ln, a in [("Residential care", "Placements", 1_200_000), ("Residential care", "Charges", -200_000),
                         ("Community support", "Home care", 450_000), ("Income", "NHS", -100_000)]
    ])
    ch = budget_chart(budget)
    assert ch.table.values.tolist() == [["Residential care", 1_200_000], ["Community support", 450_000]]
    assert ch.table.columns.tolist() == ["Budget group", "Gross expenditure (£)"]
    # 1.2m / 1.65m = 72.7% ; 0.45m / 1.65m = 27.3% ; income -200k - 100k
    assert ch.alt == (
        "Horizontal bar chart: gross expenditure by budget group in 2024/25, totalling £1,650,000. "
        "Residential care £1,200,000 (72.7%) and Community support £450,000 (27.3%). "
        "Income of (£300,000) is not shown."
    )
    assert "income not shown" in ch.caption
    assert [p.get_width() for p in ch.figure.axes[0].patches] == [1_200_000, 450_000]


def test_unit_cost_chart_one_panel_per_unit():
    uc = pd.DataFrame([
        dict(financial_year="2024/25", client_group="op", service_type=s, unit=u, unit_cost=x, comparator_average=y)
        for s, u, x, y in [("Residential care", "per week", 712, 670), ("Home care", "per hour", 18.45, 20.5),
                           ("Day care", "per day", 55, None)]
    ])
    ch = unit_cost_chart(uc)
    assert len(ch.figure.axes) == 3
    assert ch.table.columns.tolist() == ["Service type", "Unit", "Unit cost (£)", "Comparator average (£)"]
    assert ch.table.iloc[:2].values.tolist() == [["Residential care", "per week", 712, 670],
                                                 ["Home care", "per hour", 18.45, 20.5]]
    assert math.isnan(ch.table.iloc[2, 3])
    assert ch.alt == (
        "Grouped bar chart: unit costs against comparator averages in 2024/25. Residential care £712 per week "
        "against £670 (6.3% above); Home care £18.45 per hour against £20.50 (10.0% below); Day care £55 per day "
        "(no comparator average)."
    )
    # comparator bars are hatched, so they differ from ours without colour
    ours, theirs = ch.figure.axes[0].patches
    assert ours.get_hatch() in (None, "") and theirs.get_hatch()


def test_indicator_trend_chart():
    ind = pd.DataFrame([
        dict(client_group="op", indicator_id="ascof-1c", period=p, value=v, comparator_average=c)
        for p, v, c in [("2022/23", 76, 74), ("2020/21", 70, 72), ("2021/22", None, 73), ("2023/24", 82.5, 75)]
    ])
    ch = indicator_trend_chart(ind, "ascof-1c", label="Self-directed support", target=80, polarity="higher", unit="%")
    assert ch.id == "indicator-ascof-1c"
    assert ch.table.columns.tolist() == ["Period", "Value (%)", "Target (%)", "Comparator average (%)"]
    assert ch.table["Period"].tolist() == ["2020/21", "2021/22", "2022/23", "2023/24"]
    assert ch.table["Comparator average (%)"].tolist() == [72, 73, 74, 75]
    assert ch.alt == (
        "Line chart: Self-directed support went from 70% in 2020/21 to 82.5% in 2023/24 (higher is better); "
        "the target is 80%; the comparator average in 2023/24 was 75%."
    )
    styles = {ln.get_label(): (ln.get_linestyle(), ln.get_marker()) for ln in ch.figure.axes[0].get_lines()}
    assert len(set(styles.values())) == 3


def test_svg_is_deterministic_and_inline_ready():
    a = chart_to_svg(need_projection_chart({DEMENTIA: _need([4120, 4600, 5070])}, chart_id="need"))
    b = chart_to_svg(need_projection_chart({DEMENTIA: _need([4120, 4600, 5070])}, chart_id="need"))
    assert a == b
    assert a.startswith("<svg") and "<?xml" not in a and "<dc:date>" not in a
    assert 'id="need-svg"' in a
    assert ">2030<" in a  # text kept as text (svg.fonttype none)
    assert "sans-serif" in a
    c = chart_to_svg(need_projection_chart({DEMENTIA: _need([4120, 4600, 5070])}, chart_id="other"))
    clip_a = {x for x in a.split('"') if x.startswith("p") and len(x) == 11}
    clip_c = {x for x in c.split('"') if x.startswith("p") and len(x) == 11}
    assert clip_a and clip_a.isdisjoint(clip_c)


def test_svg_closes_figure_and_uses_no_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    ch = need_projection_chart({DEMENTIA: _need([1, 2, 3])})
    assert plt.get_fignums() == before
    chart_to_svg(ch)
    assert ch.figure.axes == []


def _visible_texts(fig):
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    return [t for ax in fig.axes for t in ax.texts if t.get_visible() and t.get_text()], renderer


def test_count_axis_has_whole_number_ticks():
    # a small count range (25 to 26 people) is where float ticks like 25.3, 25.5 appeared
    ch = need_projection_chart({DEMENTIA: _need([25, 26, 26])})
    (ax,) = ch.figure.axes
    ch.figure.draw_without_rendering()
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert all("." not in label for label in labels), labels
    assert ax.get_ylim()[0] == 0  # counts start from zero


def test_bars_start_from_zero():
    occ = pd.DataFrame({"service_type": ["A", "B"], "occupancy_percent": [95.0, 97.0]})
    (ax,) = occupancy_chart(occ).figure.axes
    assert ax.get_ylim()[0] == 0


def test_value_labels_never_overlap():
    # twelve service types of near-equal cost in one panel: labels of neighbouring bars
    # (£1,000.00 wide at 12pt against bars ~0.2 inch wide) would collide, so some are dropped
    uc = pd.DataFrame([
        dict(financial_year="2024/25", client_group="op", service_type=f"Service {i}", unit="per week",
             unit_cost=1000 + i, comparator_average=1001 + i)
        for i in range(12)
    ])
    ch = unit_cost_chart(uc)
    texts, renderer = _visible_texts(ch.figure)
    boxes = [t.get_window_extent(renderer) for t in texts]
    assert len(boxes) < 24  # some labels were dropped ...
    for i, a in enumerate(boxes):  # ... and none of the rest overlap
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    # the data table still holds every value
    assert len(ch.table) == 12
    # with room to spare nothing is dropped (2 service types -> 4 labels)
    texts, _ = _visible_texts(unit_cost_chart(uc.iloc[:2]).figure)
    assert len(texts) == 4


def test_chart_text_is_at_least_table_size():
    # 12pt = 16 CSS px at the SVG's own size; table text is 0.95rem = 15.2px
    import re

    svg = chart_to_svg(occupancy_chart(pd.DataFrame({"service_type": ["A"], "occupancy_percent": [90.0]})))
    sizes = [float(x) for x in re.findall(r"font-size: ?([\d.]+)px", svg)]
    assert sizes and min(sizes) >= 12
