"""Welsh and English: catalogues, free text in two languages, a document per language, lang marks.

Glanmor (a Welsh council) lists `languages: [en, cy]`, so each of its strategies is built in
English and in Welsh (`carers.html`, `carers.cy.html`, ...). Everything the code writes comes
from the Welsh catalogue; free text from the params' `cy` versions; a text with no Welsh falls
back to the English, marked `lang="en-GB"`, and `validate` warns naming the file and field.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import zipfile
from html import unescape

import pytest

from strategy_docs import i18n
from strategy_docs.build.pipeline import BuildOptions, build
from strategy_docs.build.plan import plan_documents
from strategy_docs.errors import ParamsError
from strategy_docs.inputs import languages
from strategy_docs.inputs.params import load_params
from strategy_docs.inputs.workspace import Workspace

from .conftest import REPO, copy_workspace, edit_yaml

CARERS = "params/strategies/glanmor/carers.yaml"
PUA = re.compile("[\ue0f0-\ue0f2]")


def _extractor():
    spec = importlib.util.spec_from_file_location("extract_messages", REPO / "scripts" / "extract_messages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- the catalogue


def test_every_message_the_code_writes_has_a_welsh_translation_and_the_template_is_current():
    extractor = _extractor()
    ids = {msgid for msgid, _ in extractor._ids(extractor.template_catalogue())}
    assert "Contents" in ids and "## Needs analysis" in " ".join(ids)  # templates, registry and code are read
    assert extractor.untranslated("cy") == []
    assert extractor.main(["--check"]) == 0


def test_welsh_words_dates_and_a_missing_message_marked_as_english():
    t = i18n.translator("cy")
    assert t("Contents") == "Cynnwys"
    assert t("Document control") == "Rheoli dogfen"
    assert t("Table") == "Tabl"
    assert t.date(dt.date(2026, 6, 29)) == "29 Mehefin 2026"
    assert i18n.translator("en").date(dt.date(2026, 6, 29)) == "29 June 2026"
    assert t.number(15000.25, 1) == "15,000.3" or t.number(15000.25, 1) == "15,000.2"
    assert t("A sentence nobody translated") == i18n.mark("A sentence nobody translated", "en")
    assert i18n.translator("en")("Contents") == "Contents"


def test_marks_become_spans_around_text_only_and_never_reach_attributes_or_the_title():
    marked = i18n.mark("Replacement care", "en")
    page = (f'<html lang="cy"><head><title>{marked}</title></head><body>'
            f'<img alt="{marked}"><p>{i18n.mark("one", "en")}</p>'
            f'<div>\ue0f0en\ue0f1first<p>second</p>\ue0f2 after</div></body></html>')
    html = i18n.html_language_marks(page)
    assert not PUA.search(html)
    assert "<title>Replacement care</title>" in html and 'alt="Replacement care"' in html
    assert '<p><span lang="en-GB">one</span></p>' in html
    # a passage over two elements: one span per run of text, so the nesting stays valid
    assert '<span lang="en-GB">first</span><p><span lang="en-GB">second</span></p> after' in html


# ---------------------------------------------------------------- free text in two languages


def test_free_text_takes_the_documents_language_and_falls_back_marked_as_english():
    data = {"context": {"summary": {"en": "Carers", "cy": "Gofalwyr"}, "scope": "Adults only"}}
    english, problems = languages.localise(data, "strategy", "en", "s.yaml")
    welsh, _ = languages.localise(data, "strategy", "cy", "s.yaml")
    assert problems == []
    assert english["context"] == {"summary": "Carers", "scope": "Adults only"}
    assert welsh["context"] == {"summary": "Gofalwyr", "scope": i18n.mark("Adults only", "en")}
    assert languages.missing_translations(data, "strategy", "cy") == [("context", "scope")]


def test_every_text_field_is_either_translated_or_kept_one_value():
    """A new field is classed on purpose: free text in each language (an English one on a Welsh page
    marked as English), or one value the code matches on. Unclassed, a Welsh page would show its
    English unmarked and a `{en, cy}` mapping there would be refused."""
    from strategy_docs.inputs import params as models

    from .test_security import text_fields

    for model, kind in ((models.Authority, "authority"), (models.ClientGroup, "client-group"),
                        (models.Strategy, "strategy")):
        fields = set(text_fields(model))
        assert not languages.FREE_TEXT[kind] & languages.ONE_VALUE[kind], kind
        assert fields == {p for p in languages.FREE_TEXT[kind] | languages.ONE_VALUE[kind] if "*" not in p}, (
            kind, sorted(fields ^ (languages.FREE_TEXT[kind] | languages.ONE_VALUE[kind])))


def test_a_foreword_and_a_narrative_section_take_the_documents_language():
    data = {"foreword": {"text": {"en": "Welcome", "cy": "Croeso"}, "signed_by": [{"name": "Cllr Ana Rees",
                                                                                "role": "Cabinet member"}]},
            "sections": [{"title": {"en": "Our approach", "cy": "Ein dull"}, "text": "We listen."}]}
    welsh, problems = languages.localise(data, "strategy", "cy", "s.yaml")
    assert problems == []
    assert welsh["foreword"] == {"text": "Croeso", "signed_by": [{"name": "Cllr Ana Rees",
                                                                  "role": i18n.mark("Cabinet member", "en")}]}
    assert welsh["sections"] == [{"title": "Ein dull", "text": i18n.mark("We listen.", "en")}]


def test_versions_where_a_value_is_matched_on_is_an_error_naming_the_field():
    data = {"gap_analysis": [{"objective": "x", "service_types": [{"en": "Replacement care", "cy": "Gofal amgen"}]}]}
    _, problems = languages.localise(data, "strategy", "en", "params/strategies/a/b.yaml")
    assert [(p.file, p.field) for p in problems] == [("params/strategies/a/b.yaml", "gap_analysis[0].service_types[0]")]


def test_glanmors_carers_strategy_is_wholly_in_welsh_and_a_missing_text_is_a_warning(workspace):
    params = load_params(REPO)
    assert params.authorities["glanmor"].languages == ["en", "cy"]
    assert not [w for w in params.warnings if w.file in (CARERS, "params/authorities/glanmor.yaml",
                                                          "params/client-groups/carers.yaml")]
    welsh = load_params(REPO, pairs_filter=lambda pair: pair == ("glanmor", "carers"), language="cy")
    strategy = welsh.strategies[("glanmor", "carers")]
    assert strategy.document_control.title.startswith("Gofalu am ofalwyr")
    assert strategy.risks[0].title == "Un darparwr ar gyfer cymorth i ofalwyr"
    assert welsh.authorities["glanmor"].name == "Cyngor Sir Glanmor"

    edit_yaml(workspace / CARERS, lambda s: s["risks"][1].update(title="Replacement care cannot grow"))
    [warning] = [w for w in load_params(workspace).warnings if w.file == CARERS]
    assert warning.severity == "warning" and warning.field == "risks[R2].title"
    assert "no Welsh (cy) version" in warning.message and warning.line is not None


def test_a_welsh_text_too_long_fails_validate_like_an_english_one(workspace):
    edit_yaml(workspace / CARERS, lambda s: s["risks"][0]["title"].update(cy="x" * 2100))
    with pytest.raises(ParamsError) as caught:
        load_params(workspace)
    assert any(p.file == CARERS and p.field.startswith("risks") for p in caught.value.problems)


def test_an_authority_lists_english_first():
    from strategy_docs.inputs.params import Authority

    with pytest.raises(ValueError):
        Authority(name="X", nation="wales", languages=["cy"])


# ---------------------------------------------------------------- the matrix


def test_a_bilingual_authority_has_a_document_per_language_keyed_apart(workspace):
    jobs = plan_documents(load_params(workspace), ["glanmor"], ["carers"])
    assert [job.key for job in jobs] == [("2026-27", "glanmor", "carers"), ("2026-27", "glanmor", "carers.cy")]
    english, welsh = jobs
    assert english.exec_key != welsh.exec_key and welsh.language == "cy"
    assert welsh.meta["alternates"][0]["href"] == "carers.html" and english.meta["alternates"][0]["href"] == "carers.cy.html"
    assert english.meta["alternates"][0]["title"].startswith("Gofalu am ofalwyr")
    # editing a Welsh text changes the Welsh document's keys only
    edit_yaml(workspace / CARERS, lambda s: s["risks"][0]["title"].update(cy="Un darparwr yn unig"))
    english_after, welsh_after = plan_documents(load_params(workspace), ["glanmor"], ["carers"])
    assert english_after.render_key == english.render_key
    assert welsh_after.exec_key != welsh.exec_key
    assert welsh_after.input_digests["strategy.risks"] != welsh.input_digests["strategy.risks"]
    assert plan_documents(load_params(workspace), ["northshire"], ["carers"])[0].key[2] == "carers"  # English only


def test_the_english_and_welsh_versions_run_in_folders_of_their_own(workspace, tmp_path, monkeypatch):
    """Two workers build carers and carers.cy side by side: each executes its notebooks in its own
    folder (sharing one, a worker could render the other language's notebooks, or fail)."""
    from strategy_docs.build import execute

    folders = {}

    def record(job, workspace_, workdir, result, reuse=None):
        folders[job.language] = workdir
        (workdir / "01-context.ipynb").write_text(job.language, encoding="utf-8")
        result.failure = execute.Failure("01-context", "stopped here by the test")
        return []

    monkeypatch.setattr(execute, "execute_sections", record)
    english, welsh = plan_documents(load_params(workspace), ["glanmor"], ["carers"])
    for job in (english, welsh):
        execute.build_document(job, workspace, tmp_path)
    assert folders["en"] == tmp_path / "2026-27" / "glanmor" / "carers"
    assert folders["cy"] == tmp_path / "2026-27" / "glanmor" / "carers.cy"
    assert (folders["en"] / "01-context.ipynb").read_text(encoding="utf-8") == "en"


# ---------------------------------------------------------------- the built documents


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = copy_workspace(tmp_path_factory.mktemp("welsh") / "ws", authorities=["glanmor"])
    edit_yaml(root / "params" / "project.yaml", lambda p: p.update(formats=["html", "pdf", "docx"]))
    ws = Workspace(root)
    report = build(ws, BuildOptions(authorities=["glanmor"], client_groups=["carers"], jobs=1, executor="serial"))
    assert report.ok, [f.message for f in report.failed]
    return ws


@pytest.mark.slow
def test_the_welsh_page_is_in_welsh_and_links_to_the_english_one_and_back(built):
    folder = built.build / "2026-27" / "glanmor"
    welsh = (folder / "carers.cy.html").read_text(encoding="utf-8")
    english = (folder / "carers.html").read_text(encoding="utf-8")
    assert re.search(r'<html lang="cy">', welsh) and re.search(r'<html lang="en-GB">', english)
    assert not PUA.search(welsh) and not PUA.search(english)
    for heading in ("Cynnwys", "Dadansoddi anghenion", "Cofrestr risgiau", "Rheoli dogfen", "Am y ddogfen hon"):
        assert f">{heading}</h2>" in welsh or f">{heading}</caption>" in welsh, heading
    assert "<h1>Gofalu am ofalwyr - Strategaeth gomisiynu Glanmor" in welsh
    assert "Un darparwr ar gyfer cymorth i ofalwyr" in welsh  # the plan's own text, in Welsh
    assert "29 Mehefin 2026" in welsh
    # each version links to the other, in the other's language
    assert re.search(r'<link rel="alternate" hreflang="en-GB" href="carers.html"/?>', welsh)
    assert re.search(r'<link rel="alternate" hreflang="cy" href="carers.cy.html"/?>', english)
    assert re.search(r'<p class="language-switch" lang="en-GB"><a href="carers.html" hreflang="en-GB">'
                     r'Read this document in English</a>', welsh)
    assert re.search(r'<p class="language-switch" lang="cy"><a href="carers.cy.html" hreflang="cy">'
                     r'Darllenwch y ddogfen hon yn Gymraeg</a>: <cite>Gofalu am ofalwyr', english)


def _plans_english(root) -> set[str]:
    """Every English text the plan gives: params strings (a plain string, or the English of a
    version mapping) and the cells of the data tables, whose names are written in English."""
    import csv

    import yaml

    found: set[str] = set()

    def walk(value):
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in (root / "params").rglob("*.yaml"):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    for path in (root / "data").rglob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                found.update(row)
    return found


def _english_passages(page: str) -> list[str]:
    return [" ".join(unescape(re.sub(r"<[^>]+>", "", found)).split())
            for found in re.findall(r'<span lang="en-GB">(.*?)</span>', page, flags=re.DOTALL)]


@pytest.mark.slow
def test_every_english_passage_on_the_welsh_page_is_the_plans_own_text(built):
    """On a Welsh page English appears only where the plan itself gives no Welsh (a params text
    with no `cy` version, a service or budget name from the data): every sentence, label and
    reason the code writes comes from the catalogue."""
    page = (built.build / "2026-27" / "glanmor" / "carers.cy.html").read_text(encoding="utf-8")
    plans = [" ".join(text.split()) for text in _plans_english(built.root)]
    passages = _english_passages(page)
    assert passages, "Glanmor's plan has English-only names (its services), shown marked"
    written_by_code = sorted({p for p in passages if p.strip() and not any(p.strip() in text for text in plans)})
    assert written_by_code == []


@pytest.mark.slow
def test_the_welsh_pdf_and_word_copies_say_they_are_welsh(built):
    import pypdf

    folder = built.build / "2026-27" / "glanmor"
    assert pypdf.PdfReader(folder / "carers.cy.pdf").trailer["/Root"]["/Lang"] == "cy"
    assert pypdf.PdfReader(folder / "carers.pdf").trailer["/Root"]["/Lang"] == "en-GB"
    with zipfile.ZipFile(folder / "carers.cy.docx") as docx:
        core = docx.read("docProps/core.xml").decode()
        styles = docx.read("word/styles.xml").decode()
        body = docx.read("word/document.xml").decode()
    assert "<dc:language>cy-GB</dc:language>" in core
    assert 'w:val="cy-GB"' in styles
    assert not PUA.search(body) and "Cynnwys" in body and "Tabl" in body


@pytest.mark.slow
def test_the_index_lists_both_versions(built):
    index = (built.build / "index.html").read_text(encoding="utf-8")
    assert 'href="2026-27/glanmor/carers.html"' in index and 'href="2026-27/glanmor/carers.cy.html"' in index
    assert 'href="2026-27/glanmor/carers.cy.pdf"' in index and 'href="2026-27/glanmor/carers.cy.docx"' in index
    assert '<span lang="cy">Gofalwyr di-dâl</span>' in index and "In Welsh" in index
    assert index.index("carers.html") < index.index("carers.cy.html")  # the Welsh one beside the English


@pytest.mark.slow
def test_an_untranslated_text_is_shown_in_english_marked_and_incremental_equals_forced(built):
    strategy = built.root / CARERS
    edit_yaml(strategy, lambda s: s["risks"][1].update(title="Replacement care cannot grow"))
    options = BuildOptions(authorities=["glanmor"], client_groups=["carers"], jobs=1, executor="serial", formats=["html"])
    assert build(built, options).ok
    page = built.build / "2026-27" / "glanmor" / "carers.cy.html"
    incremental = page.read_bytes()
    assert '<span lang="en-GB">Replacement care cannot grow</span>' in incremental.decode()
    edit_yaml(strategy, lambda s: s["risks"][1].update(title={"en": "Replacement care cannot grow",
                                                               "cy": "Ni all gofal amgen gynyddu"}))
    assert build(built, options).ok
    incremental = page.read_bytes()
    assert "Ni all gofal amgen gynyddu" in incremental.decode()
    assert build(built, BuildOptions(**{**options.__dict__, "force": True})).ok
    assert page.read_bytes() == incremental


def test_the_excel_round_trip_keeps_the_welsh_of_unchanged_texts_and_drops_it_from_edited_ones(workspace, tmp_path):
    import openpyxl
    import yaml

    from strategy_docs.annual import registers

    book = registers.export_registers(workspace, "glanmor", "carers", tmp_path / "r.xlsx")
    assert registers.import_registers(workspace, book, "glanmor", "carers").changed == []  # untouched: no change
    wb = openpyxl.load_workbook(book)
    risks = wb["Risks"]
    column = [c.value for c in risks[1]].index("Title") + 1
    assert risks.cell(row=2, column=column).value == "Single provider for carers' support"  # the English
    risks.cell(row=2, column=column).value = "One provider for all carers' support"
    wb.save(book)
    registers.import_registers(workspace, book, "glanmor", "carers")
    saved = yaml.safe_load((workspace / CARERS).read_text(encoding="utf-8"))["risks"]
    assert saved[0]["title"] == {"en": "One provider for all carers' support"}  # its old Welsh no longer says this
    assert saved[1]["title"] == {"en": "Replacement care cannot grow", "cy": "Ni all gofal amgen dyfu"}
    [warning] = [w for w in load_params(workspace).warnings if w.file == CARERS]
    assert warning.field == "risks[R1].title"


def test_versions_without_english_or_in_another_language_say_so():
    from strategy_docs.inputs.languages import localise

    data = {"document_control": {"title": {"cy": "Cynllun"}},
            "themes": [{"id": "home", "name": {"en": "Home", "cy": "Cartref", "fr": "Maison"}}]}
    localised, problems = localise(data, "strategy", "en", "s.yaml")
    assert [(p.field, p.message, p.fix) for p in problems] == [
        ("document_control.title", "a text given in several languages needs its English version.",
         "add 'en: ...' beside cy."),
        ("themes[0].name", "'fr' is not a language documents are published in.", "give the versions under en, cy only.")]
    assert localised["themes"][0]["name"] == "Home"  # one problem each, not a second one from the model
