"""index_page.py: build/index.html listing every document."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from bs4 import BeautifulSoup

from strategy_docs.outputs import index as index_page


def entries():
    out = []
    for a, an in [("northshire", "Northshire Council"), ("southvale", "Southvale Borough Council")]:
        for g, gn, status in [("ld", "Adults with a learning disability", "draft"),
                              ("mh", "Mental health", "final"),
                              ("older", "Older people", "consultation")]:
            out.append({
                "authority_id": a, "authority_name": an, "client_group_id": g, "client_group_name": gn,
                "edition_label": "2025 to 2030", "status": status, "built_at": "2025-03-14T09:30:00+00:00",
                "html_href": f"2025-30/{a}/{g}/document.html",
                "pdf_href": None if g == "mh" else f"2025-30/{a}/{g}/document.pdf",
                "docx_href": None,
            })
    return out


@pytest.fixture
def soup():
    return BeautifulSoup(index_page.render_index(entries(), "Strategy documents", "2025-03-14"), "html.parser")


def test_lists_every_document_in_order(soup):
    rows = soup.select("#documents tbody tr")
    assert len(rows) == 6
    names = [(r.th.get_text(strip=True), r.find_all("td")[0].get_text(strip=True)) for r in rows]
    assert names == sorted(names, key=lambda n: (n[0].lower(), n[1].lower()))
    assert soup.find(id="filter-count").get_text(strip=True) == "6 documents."


def test_links_only_to_files_that_exist(soup):
    mh = [r for r in soup.select("#documents tbody tr") if r["data-group"] == "mh"]
    for row in mh:
        hrefs = [a["href"] for a in row.find_all("a")]
        assert hrefs == [f"2025-30/{row['data-authority']}/mh/document.html"]
    assert not any(a["href"].endswith(".docx") for a in soup.find_all("a"))
    all_links = [a for a in soup.select("#documents a")]
    assert len(all_links) == 6 + 4  # html for all, pdf for four


def test_links_have_distinct_accessible_names(soup):
    names = [a.get_text(" ", strip=True) for a in soup.select("#documents a")]
    assert len(names) == len(set(names))
    assert any(n.startswith("PDF (PDF): Northshire Council, Older people") for n in names)


def test_base_dir_drops_links_to_missing_files(tmp_path):
    e = entries()[:1]
    (tmp_path / "2025-30/northshire/ld").mkdir(parents=True)
    (tmp_path / "2025-30/northshire/ld/document.html").write_text("x")
    soup = BeautifulSoup(index_page.render_index(e, "P", "2025-03-14", base_dir=tmp_path), "html.parser")
    assert [a["href"] for a in soup.select("#documents a")] == ["2025-30/northshire/ld/document.html"]


def test_no_files_at_all():
    e = entries()[:1]
    e[0].update(html_href=None, pdf_href=None)
    soup = BeautifulSoup(index_page.render_index(e, "P", "2025-03-14"), "html.parser")
    assert "No files available" in soup.select_one("#documents tbody tr").get_text()


@pytest.mark.parametrize("href", ["javascript:alert(1)", "data:text/html,x", "/etc/passwd", "../../secret.pdf",
                                  'a.html" onmouseover="x', "file:///etc/passwd"])
def test_unsafe_hrefs_get_no_link(href):
    e = entries()[:1]
    e[0].update(html_href=href, pdf_href=None)
    html = index_page.render_index(e, "P", "2025-03-14")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select("#documents a") == []
    assert "onmouseover" not in html


def test_user_text_is_escaped():
    e = entries()[:1]
    e[0]["authority_name"] = "<script>alert(1)</script>"
    html = index_page.render_index(e, "<b>Project</b>", "2025-03-14")
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.find_all("script")) == 2  # only our own filter and tab-stop scripts
    assert soup.h1.get_text() == "<b>Project</b>"


def test_filters_are_labelled_and_hidden_without_javascript(soup):
    form = soup.find("form", id="filters")
    assert form.has_attr("hidden")  # shown by the script; without JS the full table stays
    for select in form.find_all("select"):
        label = soup.find("label", attrs={"for": select["id"]})
        assert label is not None and label.get_text(strip=True)
    authorities = [o["value"] for o in soup.find(id="filter-authority").find_all("option")]
    assert authorities == ["", "northshire", "southvale"]
    statuses = [o.get_text() for o in soup.find(id="filter-status").find_all("option")]
    assert statuses == ["All statuses", "Draft", "Consultation draft", "Final"]


def test_script_is_inline_and_allowed_by_csp_hash(soup):
    scripts = soup.find_all("script")
    assert len(scripts) == 2 and not any(s.has_attr("src") for s in scripts)
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.string.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp


def test_page_basics(soup):
    html = str(soup)
    assert soup.html["lang"] == "en-GB"
    assert len(soup.find_all("h1")) == 1
    assert soup.find("a", class_="skip-link")["href"] == "#main"
    assert soup.find("main", id="main") is not None
    assert "<link" not in html and "@import" not in html and not re.search(r"url\(\s*http", html)
    for th in soup.find_all("th"):
        assert th.get("scope") in {"col", "row"}
    assert all(b.get_text(strip=True) for b in soup.select(".status"))


def test_objects_as_entries():
    class Entry:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    soup = BeautifulSoup(index_page.render_index([Entry(**e) for e in entries()], "P", "2025-03-14"), "html.parser")
    assert len(soup.select("#documents tbody tr")) == 6


def test_empty_build():
    html = index_page.render_index([], "P", "2025-03-14")
    assert "No documents have been built yet." in html
