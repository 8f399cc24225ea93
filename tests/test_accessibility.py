"""Rendered pages in headless Chromium: axe-core (WCAG 2.2 A/AA) and behaviour a person relies on."""

from __future__ import annotations

import pytest

from strategy_docs.outputs import index as index_page, html as render

try:
    from tests import browser as b
except ImportError:  # tests/ is on sys.path, not a package
    import browser as b

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def chromium():
    with b.chromium_browser() as instance:
        yield instance


@pytest.fixture(scope="module")
def document_html():
    return render.render_html(render.assemble(b.make_section_notebooks()), b.sample_meta(), b.TEMPLATE_DIR)


def index_entries():
    return [
        {"authority_id": a, "authority_name": an, "client_group_id": g, "client_group_name": gn,
         "edition_label": "2025 to 2030", "status": s, "built_at": "2025-03-14T09:30:00",
         "html_href": f"{a}/{g}.html", "pdf_href": f"{a}/{g}.pdf" if s != "draft" else None, "docx_href": None}
        for a, an in [("northshire", "Northshire Council"), ("southvale", "Southvale Council")]
        for g, gn, s in [("ld", "Learning disability", "draft"), ("mh", "Mental health", "final")]
    ]


def index_entries_with_states():
    return index_entries() + [  # every per-format state the index can show (publish.format_statuses)
        {"authority_id": "westmoor", "authority_name": "Westmoor Council", "client_group_id": "ld",
         "client_group_name": "Learning disability", "edition_label": "2025 to 2030", "status": "final",
         "built_at": "2025-03-14T09:30:00", "html_href": "westmoor/ld.html", "pdf_href": "westmoor/ld.pdf",
         "docx_href": None,
         "formats": {"html": {"state": "stale", "since": "2025-03-01T09:00:00", "reason": "section 03-needs: boom"},
                     "pdf": {"state": "older", "since": "2025-02-01T09:00:00"},
                     "docx": {"state": "failed", "since": None, "reason": "ValueError: not XML compatible"}}},
    ]


@pytest.mark.parametrize("status", ["draft", "final"])
def test_document_has_no_axe_violations(chromium, tmp_path, status):
    html = render.render_html(render.assemble(b.make_section_notebooks()), b.sample_meta(status=status),
                              b.TEMPLATE_DIR)
    page = b.open_html(chromium, html, tmp_path=tmp_path)
    violations = b.axe_violations(page)
    assert violations == [], b.describe_violations(violations)


def test_document_on_a_phone_has_no_axe_violations(chromium, tmp_path, document_html):
    page = b.open_html(chromium, document_html, width=375, height=740, tmp_path=tmp_path)
    violations = b.axe_violations(page)
    assert violations == [], b.describe_violations(violations)
    # reflow (WCAG 1.4.10): no horizontal scrolling of the page itself at 320 CSS px
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_index_has_no_axe_violations(chromium, tmp_path):
    page = b.open_html(chromium, index_page.render_index(index_entries_with_states(), "Strategy documents", "2025-03-14"),
                       tmp_path=tmp_path)
    violations = b.axe_violations(page)
    assert violations == [], b.describe_violations(violations)


def test_index_reflows_on_a_phone(chromium, tmp_path):
    html = index_page.render_index(index_entries_with_states(), "Strategy documents", "2025-03-14")
    page = b.open_html(chromium, html, width=320, height=640, tmp_path=tmp_path)
    # the wide table scrolls inside its own region; the page itself does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    violations = b.axe_violations(page)
    assert violations == [], b.describe_violations(violations)


def test_document_loads_nothing_from_outside(chromium, tmp_path, document_html):
    requests = []
    context = chromium.new_context()
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    path = tmp_path / "doc.html"
    path.write_text(document_html, encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    context.close()


def test_skip_link_is_first_and_moves_focus(chromium, tmp_path, document_html):
    page = b.open_html(chromium, document_html, tmp_path=tmp_path)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0  # visible when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_index_filters_work_under_its_csp(chromium, tmp_path):
    html = index_page.render_index(index_entries(), "Strategy documents", "2025-03-14")
    context = chromium.new_context()  # no bypass_csp: the inline script must be allowed by its hash
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    path = tmp_path / "index.html"
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    assert page.is_visible("#filters")
    page.select_option("#filter-authority", "southvale")
    visible = page.eval_on_selector_all("#documents tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.authority)")
    assert visible == ["southvale", "southvale"]
    assert page.text_content("#filter-count") == "Showing 2 of 4 documents."
    page.select_option("#filter-status", "final")
    assert page.eval_on_selector_all("#documents tbody tr:not([hidden])", "rows => rows.length") == 1
    # The reset handler filters at once and says so with the page's own event: no waiting on time.
    page.evaluate("() => { window.applied = new Promise(r => document.getElementById('filters')"
                  ".addEventListener('filters-applied', e => r(e.detail.shown), { once: true })); }")
    page.click("button[type=reset]")
    assert page.evaluate("window.applied") == 4
    assert page.text_content("#filter-count") == "Showing 4 of 4 documents."
    assert page.eval_on_selector_all("#documents tbody tr:not([hidden])", "rows => rows.length") == 4
    assert page.eval_on_selector("#filter-status", "s => s.value") == ""
    assert errors == []
    context.close()


def test_index_without_javascript_lists_everything(chromium, tmp_path):
    html = index_page.render_index(index_entries(), "Strategy documents", "2025-03-14")
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    path = tmp_path / "index.html"
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    assert not page.is_visible("#filters")
    assert page.eval_on_selector_all("#documents tbody tr", "rows => rows.filter(r => r.offsetParent).length") == 4
    context.close()
