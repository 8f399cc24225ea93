"""The bundled example workspace: it validates, its data loads, and it shows what the product can do.

Every document should have hypotheses that the data accepts and others it refutes, a mix of
RAG ratings, budget totals that agree with the budget lines, and content of its own. These
tests evaluate every hypothesis test and indicator on the real example data, so a change to
the generator or to the analysis that flattens the example's findings is caught here.
"""

from __future__ import annotations

import difflib
import itertools
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

import synthetic
from strategy_docs.analysis import AnalysisInputs
from strategy_docs.analysis.gaps import gap_warnings
from strategy_docs.analysis.hypotheses import evaluate
from strategy_docs.analysis.indicators import indicator_status
from strategy_docs.analysis.resources import check_stated_totals
from strategy_docs.analysis.risks import risk_band
from strategy_docs.sections.context import StrategyContext, analysis_inputs
from strategy_docs.inputs.data import load_authority_data
from strategy_docs.inputs.params import load_params

WORKSPACE = Path(__file__).resolve().parents[1]
AUTHORITIES = ["eastbridge", "glanmor", "northshire"]
GROUPS = ["carers", "learning-disability", "mental-health", "older-people", "physical-disability-sensory-impairment"]


PARTIAL_PLANS = {"holmdale"}  # a real-shaped partial plan with no data: tests/test_partial_plan_example.py


@pytest.fixture(scope="module")
def params():
    """The synthetic example: every authority but the partial plan's."""
    loaded = load_params(WORKSPACE)
    loaded.authorities = {a: v for a, v in loaded.authorities.items() if a not in PARTIAL_PLANS}
    loaded.strategies = {k: v for k, v in loaded.strategies.items() if k[0] not in PARTIAL_PLANS}
    return loaded


@pytest.fixture(scope="module")
def data(params):
    return {
        a: load_authority_data(WORKSPACE, a, {loc.code for loc in auth.localities}, auth.nation,
                               client_groups=set(params.client_groups))
        for a, auth in params.authorities.items()
    }


@pytest.fixture(scope="module")
def documents(params, data):
    """Per document: the context, analysis inputs, test verdicts and indicator ratings."""
    out = {}
    for (a, g), strategy in params.strategies.items():
        ctx = StrategyContext(WORKSPACE, params.project, a, params.authorities[a], g, params.client_groups[g],
                              strategy, data[a].for_client_group(g))
        inputs = analysis_inputs(ctx, AnalysisInputs)
        verdicts = {h.id: evaluate(h.test, inputs) for h in strategy.hypotheses if h.test is not None}
        rules = ctx.authority.rag_rules
        ratings = {ind.id: indicator_status(ctx.data.indicators, ind.id, ind.polarity, ind.target, rules)
                   for ind in strategy.indicators}
        out[(a, g)] = {"ctx": ctx, "inputs": inputs, "verdicts": verdicts, "ratings": ratings}
    return out


# ---------------------------------------------------------------- the workspace validates


def test_all_fifteen_documents_load_without_warnings(params):
    assert sorted(params.authorities) == AUTHORITIES
    assert sorted(params.client_groups) == GROUPS
    assert len(params.strategies) == 15
    assert params.pairs() == [(a, g) for a in AUTHORITIES for g in GROUPS]
    # Glanmor publishes in Welsh too: its fully translated carers' strategy (with its authority and
    # client group) has no warning; the other files say which texts still need a Welsh version.
    assert [w for w in params.warnings if "no Welsh (cy) version" not in w.message] == []
    assert sorted(w.file for w in params.warnings) == sorted(
        [f"params/client-groups/{g}.yaml" for g in GROUPS if g != "carers"]
        + [f"params/strategies/glanmor/{g}.yaml" for g in GROUPS if g != "carers"])


def test_data_is_labelled_synthetic(params):
    assert params.project.synthetic_data is True
    readme = (WORKSPACE / "data" / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme.lower()
    assert "scripts/generate_example_data.py" in readme
    for authority in params.authorities.values():
        assert (WORKSPACE / authority.branding.logo).is_file()
        assert "fictional" in (WORKSPACE / authority.branding.logo).read_text(encoding="utf-8")


def test_every_authority_has_all_six_tables(data):
    for a, tables in data.items():
        assert set(tables.files) == set(synthetic.TABLE_COLUMNS), a
        for table in synthetic.TABLE_COLUMNS:
            frame = getattr(tables, table)
            assert not frame.empty, (a, table)


def test_example_data_is_up_to_date(tmp_path):
    """data/ is exactly what the generator writes from the current params (nobody hand-edited it)."""
    shutil.copytree(WORKSPACE / "params", tmp_path / "params")
    synthetic.generate_workspace_data(tmp_path)
    for path in sorted((WORKSPACE / "data").rglob("*")):
        if path.is_file():
            fresh = tmp_path / "data" / path.relative_to(WORKSPACE / "data")
            assert fresh.read_bytes() == path.read_bytes(), f"{path.relative_to(WORKSPACE)} is out of date"


# ---------------------------------------------------------------- findings are mixed


@pytest.mark.parametrize("authority", AUTHORITIES)
@pytest.mark.parametrize("group", GROUPS)
def test_each_document_accepts_and_refutes(documents, authority, group):
    doc = documents[(authority, group)]
    verdicts = Counter(e.verdict for e in doc["verdicts"].values())
    assert verdicts["accepted"] >= 1, doc["verdicts"]
    assert verdicts["refuted"] >= 1, doc["verdicts"]
    # tests are designed well clear of their thresholds: nothing is left inconclusive
    assert verdicts["inconclusive"] == 0, {k: e.evidence for k, e in doc["verdicts"].items() if e.verdict == "inconclusive"}


@pytest.mark.parametrize("authority", AUTHORITIES)
@pytest.mark.parametrize("group", GROUPS)
def test_each_document_has_mixed_rag_ratings(documents, authority, group):
    labels = Counter(s.label for s in documents[(authority, group)]["ratings"].values())
    assert set(labels) == {"On track", "At risk", "Off track"}, labels


def test_accepted_hypotheses_lead_to_gaps(documents):
    for (a, g), doc in documents.items():
        strategy = doc["ctx"].strategy
        accepted = [h for h, e in doc["verdicts"].items() if e.verdict == "accepted"]
        accepted += [h.id for h in strategy.hypotheses if h.verdict == "accepted"]
        assert gap_warnings(strategy.gap_analysis, accepted) == [], (a, g)


def test_budget_totals_agree_with_the_budget_lines(documents):
    for (a, g), doc in documents.items():
        stated = doc["ctx"].strategy.budget_totals
        assert stated is not None and stated.groups, (a, g)
        budget = doc["ctx"].data.budget
        budget = budget[budget["financial_year"] == stated.financial_year]
        assert check_stated_totals(budget, stated.groups, stated.net_total) == [], (a, g)
        assert stated.groups["Income"] < 0


# ---------------------------------------------------------------- the content is complete


def test_document_shapes(params):
    for (a, g), s in params.strategies.items():
        where = f"{a}/{g}"
        assert 2 <= len(s.document_control.version_history) <= 4, where
        assert 8 <= len(s.hypotheses) <= 10, where
        tested = [h for h in s.hypotheses if h.test is not None]
        recorded = [h for h in s.hypotheses if h.verdict is not None]
        assert len(tested) >= len(s.hypotheses) - 2 and 1 <= len(recorded) <= 2, where
        assert 4 <= len(s.gap_analysis) <= 7, where
        assert sum(1 for row in s.gap_analysis if row.measure and row.service_types) >= 2, where
        assert len(s.themes) >= 4 and all(t.outcomes for t in s.themes), where
        assert 8 <= len(s.intentions) <= 14, where
        assert len(s.risks) >= 6, where
        assert len(s.indicators) >= 8, where
        assert s.context.services_included and s.context.local_drivers, where


def test_workspace_wide_variety(params):
    statuses = Counter(s.document_control.status for s in params.strategies.values())
    assert set(statuses) == {"draft", "consultation", "final"}
    assert {s.outcomes.style for s in params.strategies.values()} == {"framework", "i-statements"}
    types = {i.type for s in params.strategies.values() for i in s.intentions}
    assert types == {"invest", "disinvest", "new", "reconfigure"}
    cycles = {a.cycle.stages[1] for a in params.authorities.values()}
    assert len(cycles) == 3  # three different stage vocabularies
    assert "Design" in params.authorities["eastbridge"].cycle.stages
    compounds = [i.cycle.current for i in params.strategies[("eastbridge", "older-people")].intentions]
    assert any(" and " in c.lower() or "," in c for c in compounds)


def test_risk_scores_spread_across_bands(params):
    for (a, g), s in params.strategies.items():
        bands = params.authorities[a].risk_bands
        used = {risk_band(r.inherent.score, bands).label for r in s.risks}
        used |= {risk_band(r.residual.score, bands).label for r in s.risks}
        assert len(used) >= 3, (a, g, used)
        assert all(r.residual.score <= r.inherent.score for r in s.risks), (a, g)


def test_indicators_use_the_nations_measures(params):
    for (a, g), s in params.strategies.items():
        codes = " ".join(i.code for i in s.indicators)
        if params.authorities[a].nation == "england":
            assert "ASCOF" in codes or "NHS" in codes, (a, g)
        else:
            assert "ASCOF" not in codes, (a, g)
            assert re.search(r"PM\d|WAG LD|MHM|well-being survey|PAM/", codes, re.IGNORECASE), (a, g)


def test_learning_disability_has_the_guidance_older_carers_measure(params):
    measure = {m.id: m for m in params.client_groups["learning-disability"].measures}["older-carers"]
    assert [(r.age_band, r.rate_percent) for r in measure.rates] == [("70+", 0.053)]
    assert "Table 13" in measure.source


def _strategy_text(strategy) -> str:
    return strategy.model_dump_json()


def test_no_placeholder_text(params):
    for (a, g), s in params.strategies.items():
        text = _strategy_text(s)
        for word in ("lorem", "ipsum", "TODO", "TBC", "XXX", "placeholder", "FIXME"):
            assert word.lower() not in text.lower(), (a, g, word)


def test_each_document_is_written_for_its_place(params):
    """Not the same text with names swapped: summaries and intentions differ between documents."""
    strategies = params.strategies
    for (k1, s1), (k2, s2) in itertools.combinations(strategies.items(), 2):
        ratio = difflib.SequenceMatcher(None, s1.context.summary, s2.context.summary).ratio()
        assert ratio < 0.6, (k1, k2, ratio)
    titles = [i.title for s in strategies.values() for i in s.intentions]
    assert len(set(titles)) >= 0.85 * len(titles)
    for (a, g), s in strategies.items():
        name = params.authorities[a].short_name
        assert name in s.document_control.title or name in s.context.summary or name in s.context.scope, (a, g)
