"""The whole bundled example, built as a newcomer would, read back as a stakeholder would.

One session-wide HTML build of all 21 documents (16 strategies, Glanmor's five also in Welsh; two
workers) feeds content checks on every document and axe-core (WCAG 2.2 A/AA) in headless Chromium
over every page and the index. Holmdale's partial plan is read back in tests/test_partial_plan_example.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from strategy_docs.i18n import translator
from strategy_docs.inputs.params import load_params

from .conftest import REPO

pytestmark = pytest.mark.slow

SECTIONS = ["Context, purpose and document control", "Hypotheses tested against the evidence", "Needs analysis",
            "Market and resource analysis", "Gap analysis", "Commissioning intentions", "Risk register",
            "Performance and monitoring"]


def documents(ws: Path) -> list[Path]:
    return sorted((ws / "build").glob("*/*/*.html"))


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


PARTIAL_PLANS = {"holmdale"}


def test_twenty_one_documents_and_an_index(example_build):
    """16 strategies (Holmdale's partial plan among them), and Glanmor's five again in Welsh (it
    publishes in both languages)."""
    ws, output = example_build
    assert "21 built" in output and "0 failed" in output
    assert len(documents(ws)) == 21
    assert sorted(p.name for p in documents(ws) if p.name.endswith(".cy.html")) == sorted(
        f"{g}.cy.html" for g in ("carers", "learning-disability", "mental-health", "older-people",
                                 "physical-disability-sensory-impairment"))
    assert all(p.parent.name == "glanmor" for p in documents(ws) if p.name.endswith(".cy.html"))
    index = (ws / "build" / "index.html").read_text()
    for path in documents(ws):
        assert path.relative_to(ws / "build").as_posix() in index


def test_every_document_has_its_sections_names_and_tables(example_build):
    ws, _ = example_build
    params = load_params(REPO)
    for (authority_id, group_id), strategy in params.strategies.items():
        if authority_id in PARTIAL_PLANS:
            continue
        path = ws / "build" / params.project.edition.slug / authority_id / f"{group_id}.html"
        html = path.read_text()
        text = visible_text(html)
        where = f"{authority_id}/{group_id}"
        for heading in SECTIONS:
            assert heading in text, f"{where}: missing section {heading!r}"
        assert params.authorities[authority_id].name in text, where
        assert params.client_groups[group_id].name in text, where
        assert strategy.document_control.title in text, where
        assert "Version history" in text and "Gap Analysis Template" in text, where
        for risk in strategy.risks:
            assert risk.title in text, f"{where}: risk {risk.id} missing"
        assert html.count("<h1") == 1, where
        assert "Traceback" not in html and "display.show" not in html, where
        assert re.search(r"synthetic", text, re.I), where


def test_each_document_has_mixed_verdicts_and_ratings(example_build):
    ws, _ = example_build
    for path in documents(ws):
        if path.parent.name in PARTIAL_PLANS:
            continue
        text = visible_text(path.read_text())
        t = translator("cy" if path.name.endswith(".cy.html") else "en")  # the Welsh versions say it in Welsh
        assert t("Accepted") in text and t("Refuted") in text, path.name
        assert sum(t(label) in text for label in ("On track", "At risk", "Off track")) >= 2, path.name


def test_documents_differ_in_substance(example_build):
    """Not the same text with the name swapped: the prose of two authorities' strategies differs."""
    ws, _ = example_build
    texts = {p.relative_to(ws / "build").as_posix(): visible_text(p.read_text()) for p in documents(ws)
             if p.parent.name not in PARTIAL_PLANS}
    pairs = [(a, b) for a in texts for b in texts if a < b and a.split("/")[2] == b.split("/")[2]]
    for a, b in pairs:
        words_a, words_b = set(texts[a].split()), set(texts[b].split())
        overlap = len(words_a & words_b) / max(1, min(len(words_a), len(words_b)))
        assert overlap < 0.9, f"{a} and {b} share {overlap:.0%} of their words"


@pytest.mark.browser
def test_axe_finds_no_violations_in_any_page(example_build):
    from . import browser as b

    ws, _ = example_build
    pages = documents(ws) + [ws / "build" / "index.html"]
    failures = []
    with b.chromium_browser() as chromium:
        for path in pages:
            page = chromium.new_page()
            page.goto(path.as_uri())
            violations = b.axe_violations(page)
            if violations:
                failures.append(f"{path.name}: {b.describe_violations(violations)}")
            # Anything fetched (src, stylesheets) must be embedded; only <a href> may point elsewhere.
            fetched = page.evaluate("() => [...document.querySelectorAll('[src], link[href]')]"
                                    ".map(e => e.getAttribute('src') || e.getAttribute('href'))")
            outside = [u for u in fetched if re.match(r"^(https?:)?//", u or "")]
            assert not outside, f"{path.name} loads {outside}"
            page.close()
    assert not failures, "\n".join(failures)


def test_the_guidance_sections_appear_only_where_given(example_build):
    """Eastbridge's older people's strategy gives a foreword, the workforce, what it means for
    providers, an equality impact summary and a contract; the other documents give none."""
    ws, _ = example_build
    optional = ["Foreword", "Workforce", "What this strategy means for providers", "Equality impact",
                "Contracts the intentions concern"]
    for path in documents(ws):
        headings = [visible_text(h) for h in re.findall(r"<(?:h[23]|caption)[^>]*>(.*?)</(?:h[23]|caption)>",
                                                        path.read_text(), re.S)]
        given = path.parent.name == "eastbridge" and path.stem == "older-people"
        t = translator("cy" if path.name.endswith(".cy.html") else "en")
        for heading in optional:
            shown = any(heading in h or t(heading) in h for h in headings)
            assert shown == given, f"{path.parent.name}/{path.stem}: {heading}"
    text = visible_text((ws / "build" / "2026-27" / "eastbridge" / "older-people.html").read_text())
    assert "Cllr Maryam Haque" in text and "about 3,100" in text and "£1,240,000" in text
