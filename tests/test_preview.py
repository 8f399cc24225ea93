"""`strategy-docs preview`: serve one document, rebuild it on save, show errors, serve nothing else.

The slow tests share one running preview of northshire / older-people on a copy of the
example workspace and edit its files as an analyst would (each test puts back what it
changed). The first build executes every section; every later one only the changed sections.
"""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from strategy_docs.cli.app import main
from strategy_docs.sections.registry import SECTION_IDS, SECTIONS
from strategy_docs.loop.preview import (Preview, PreviewError, allow_status_script, inject_status_script, is_loopback,
                                   is_relevant)
from strategy_docs.inputs.workspace import Workspace

from .conftest import copy_workspace, edit_yaml

try:
    from tests import browser as b
except ImportError:  # tests/ is on sys.path, not a package
    import browser as b

AUTHORITY, GROUP = "northshire", "older-people"
STRATEGY = f"params/strategies/{AUTHORITY}/{GROUP}.yaml"


# ---------------------------------------------------------------- quick checks, no kernel


@pytest.mark.parametrize("host, expected", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("example.org", False),
])
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected


def test_refuses_a_non_loopback_host_without_allow_remote(tmp_path):
    ws = Workspace(tmp_path)
    with pytest.raises(PreviewError, match="--allow-remote"):
        Preview(ws, AUTHORITY, GROUP, host="0.0.0.0")
    Preview(ws, AUTHORITY, GROUP, host="0.0.0.0", allow_remote=True)  # allowed when asked for; not started
    with pytest.raises(PreviewError, match="not a valid authority"):
        Preview(ws, "../params", GROUP)


def test_cli_refuses_a_non_loopback_host(workspace):
    result = CliRunner().invoke(main, ["preview", AUTHORITY, GROUP, "--host", "0.0.0.0", "--workspace", str(workspace)])
    assert result.exit_code == 2
    assert "--allow-remote" in result.output


@pytest.mark.parametrize("path, relevant", [
    ("params/project.yaml", True),
    (f"params/authorities/{AUTHORITY}.yaml", True),
    ("params/authorities/eastbridge.yaml", False),
    (f"params/client-groups/{GROUP}.yaml", True),
    ("params/client-groups/carers.yaml", False),
    (STRATEGY, True),
    (f"params/strategies/{AUTHORITY}/carers.yaml", False),
    (f"params/strategies/eastbridge/{GROUP}.yaml", False),
    (f"params/logos/{AUTHORITY}.svg", True),
    (f"data/{AUTHORITY}/providers.csv", True),
    (f"data/{AUTHORITY}/budget.xlsx", True),
    (f"data/{AUTHORITY}/~$budget.xlsx", False),
    (f"data/{AUTHORITY}/.~lock.providers.csv#", False),
    (f"data/{AUTHORITY}/providers.csv~", False),
    ("data/eastbridge/providers.csv", False),
    ("notebooks/07-risks.ipynb", True),
    ("notebooks/scratch.ipynb", False),  # not a section of the registry: no build reads it
    ("params/editions/2025-26/strategies/northshire/older-people.yaml", True),
    ("notebooks/.ipynb_checkpoints/07-risks-checkpoint.ipynb", False),
    ("templates/strategy/index.html.j2", True),
    ("templates/strategy/static/strategy.css", True),
    ("templates/index/index.html.j2", False),
    ("build/2026-27/northshire/older-people.html", False),
    (f"params/strategies/{AUTHORITY}/.{GROUP}.yaml.swp", False),
])
def test_watches_only_what_the_document_depends_on(tmp_path, path, relevant):
    ws = Workspace(tmp_path)
    assert is_relevant(ws, AUTHORITY, GROUP, tmp_path / path) is relevant
    assert is_relevant(ws, AUTHORITY, GROUP, Path("/elsewhere") / path) is False


def test_status_script_is_allowed_by_the_documents_own_policy():
    policy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    widened = allow_status_script(policy, "abc")
    assert "script-src 'nonce-abc'" in widened and "connect-src 'self'" in widened
    assert widened.startswith(policy)
    assert "script-src 'self' 'nonce-abc'" in allow_status_script("script-src 'none' 'self'", "abc")
    assert "nonce" not in allow_status_script("script-src 'unsafe-inline'", "abc")  # a nonce would disable it
    page = ('<html><head><meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;">'
            "</head><body><p>x</p></body></html>")
    served = inject_status_script(page, 7, "inst", "n0nce")
    assert "connect-src &#x27;self&#x27;" in served and "script-src &#x27;nonce-n0nce&#x27;" in served
    assert re.search(r'<script nonce="n0nce">.*var build = 7, instance = "inst".*</script>\n</body>', served, re.S)


# ---------------------------------------------------------------- the analyst's loop, with a real kernel


class Client:
    def __init__(self, port: int):
        self.port = port

    def request(self, path: str, host: str | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            headers = {"Host": host} if host else {}
            connection.request("GET", path, headers=headers)  # sent as given: no normalising of ../
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8")
        finally:
            connection.close()

    def page(self) -> str:
        status, body = self.request("/")
        assert status == 200
        return body

    def status(self) -> dict:
        return json.loads(self.request("/__status")[1])

    def wait_for(self, predicate, timeout: float = 90) -> tuple[str, float]:
        started = time.perf_counter()
        while True:
            body = self.page()
            if predicate(body):
                return body, time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                raise AssertionError(f"the page did not change as expected in {timeout} s; status: {self.status()}\n"
                                     + _text(body)[:2000])
            time.sleep(0.05)

    def wait_until_idle(self) -> dict:
        deadline = time.monotonic() + 90
        while (status := self.status())["state"] not in ("ok", "error"):
            assert time.monotonic() < deadline, status
            time.sleep(0.05)
        return status


def _text(body: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def _kernel_pid() -> int | None:
    from strategy_docs.build.execute import warm_kernel

    km = warm_kernel().km
    return km.provisioner.pid if km is not None and km.provisioner is not None else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@pytest.fixture(scope="module")
def chromium():
    with b.chromium_browser() as instance:
        yield instance


@pytest.mark.slow
def test_template_edits_show_in_the_preview_and_a_later_build_publishes_what_force_would(tmp_path):
    """Before any other preview of this module starts (they would share the warm kernel)."""
    from strategy_docs.build.pipeline import BuildOptions, build

    root = copy_workspace(tmp_path / "ws", authorities=[AUTHORITY])
    edit_yaml(root / "params" / "project.yaml", lambda project: project.update(formats=["html"]))  # as the preview
    ws = Workspace(root)
    preview = Preview(ws, AUTHORITY, GROUP, port=0).start()
    client = Client(preview.port)
    try:
        client.wait_for(lambda body: "Risk register" in body, timeout=120)
        client.wait_until_idle()
        for marker in ("About this edition of the document", "About this strategy document"):  # every edit, not just the first
            old = ('{{ s.t("About this document") }}' if marker.endswith("edition of the document")
                   else "About this edition of the document")
            _edit(ws, "templates/strategy/index.html.j2", f'">{old}</h2>', f'">{marker}</h2>')
            client.wait_for(lambda body: marker in body)
            client.wait_until_idle()
        _edit(ws, "templates/strategy/blocks.html.j2", "<caption id=", '<caption data-edited="yes" id=')
        body, _ = client.wait_for(lambda body: 'data-edited="yes"' in body)
        client.wait_until_idle()
    finally:
        preview.stop()
    published = root / "build" / "2026-27" / AUTHORITY / f"{GROUP}.html"
    served = published.read_bytes()
    assert b"About this strategy document" in served and b'data-edited="yes"' in served
    report = build(ws, BuildOptions(authorities=[AUTHORITY], client_groups=[GROUP], jobs=1, executor="serial"))
    assert report.ok and [j.client_group for j in report.up_to_date] == [GROUP]
    incremental = published.read_bytes()
    report = build(ws, BuildOptions(authorities=[AUTHORITY], client_groups=[GROUP], jobs=1, executor="serial", force=True))
    assert report.ok and incremental == published.read_bytes()


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    ws = Workspace(copy_workspace(tmp_path_factory.mktemp("preview") / "ws"))
    outcomes = []
    preview = Preview(ws, AUTHORITY, GROUP, port=0, on_build=outcomes.append).start()
    client = Client(preview.port)
    kernel = {}
    try:
        client.wait_for(lambda body: "Risk register" in body, timeout=120)
        client.wait_until_idle()
        yield preview, client, outcomes, kernel
    finally:
        pid, threads = _kernel_pid(), list(preview._threads)
        preview.stop()
    assert _kernel_pid() is None, "the kernel is still running after stop()"
    if pid is not None:
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), f"kernel process {pid} outlived the preview"
    assert threads and not any(t.is_alive() for t in threads), "a preview thread is still running"


def _edit(ws: Workspace, relative: str, old: str, new: str) -> str:
    path = ws.root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text


def _sections_reading(ws: Workspace, table: str) -> list[str]:
    """The sections recorded reading `table` in the last build (a subset of those declared to)."""
    [record] = ws.state.glob(f"records/*/{AUTHORITY}/{GROUP}.json")
    reads = json.loads(record.read_text(encoding="utf-8"))["section_reads"]
    sections = [s for s, names in reads.items() if f"data.{table}" in names]
    assert set(sections) <= {s.id for s in SECTIONS if f"data.{table}" in s.inputs}
    return sections


@pytest.mark.slow
def test_first_build_serves_the_document_with_the_reload_script(running):
    preview, client, outcomes, kernel = running
    body = client.page()
    assert "Northshire" in body and "Older people" in body and body.count("<h1") == 1
    assert re.search(r"<script nonce=\"[^\"]+\">", body) and "/__status" in body
    assert "connect-src &#x27;self&#x27;" in body or "connect-src 'self'" in body
    status = client.status()
    assert status["state"] == "ok" and status["build"] >= 1 and status["document"] == "northshire / older-people"
    assert outcomes[0].executed == SECTION_IDS  # nothing was built before: every section ran
    kernel["pid"] = _kernel_pid()
    assert kernel["pid"] is not None, "the preview should keep its warm kernel between rebuilds"


@pytest.mark.slow
def test_editing_a_risk_title_re_executes_only_the_risks_section(running):
    preview, client, outcomes, kernel = running
    build = client.status()["build"]
    _edit(preview.ws, STRATEGY, "title: Home care workforce shortage", "title: Home care staffing emergency")
    body, seconds = client.wait_for(lambda b: "Home care staffing emergency" in b)
    status = client.wait_until_idle()
    assert status["build"] > build and status["executed"] == ["07-risks"], status
    assert _kernel_pid() == kernel["pid"], "the kernel was restarted between rebuilds"
    print(f"\nsave -> updated page (risk title, 1 section): {seconds:.2f} s; build {status['seconds']:.2f} s")
    assert seconds < 30


@pytest.mark.slow
def test_editing_a_data_file_re_executes_the_sections_that_read_it(running):
    preview, client, outcomes, kernel = running
    expected = _sections_reading(preview.ws, "unit_costs")
    assert "04-market-resources" in expected and "07-risks" not in expected
    _edit(preview.ws, f"data/{AUTHORITY}/unit_costs.csv", "older-people,Residential care,per week,868.4,",
          "older-people,Residential care,per week,912.57,")
    body, seconds = client.wait_for(lambda b: "£912.57" in b)
    status = client.wait_until_idle()
    assert sorted(status["executed"]) == sorted(expected), status
    assert "£868.40" not in body
    assert _kernel_pid() == kernel["pid"]
    print(f"\nsave -> updated page (unit cost, {len(status['executed'])} sections): {seconds:.2f} s")


@pytest.mark.slow
def test_an_invalid_edit_shows_the_error_and_the_next_good_save_recovers(running):
    preview, client, outcomes, kernel = running
    good = _edit(preview.ws, STRATEGY, "    residual: {likelihood: 3, impact: 4}",
                 "    residual: {likelihood: 9, impact: 4}")
    body, seconds = client.wait_for(lambda b: "could not be built" in b)
    text = _text(body)
    assert "Invalid input: 1 problem found. Nothing was built." in text
    assert STRATEGY in text and "risks[R1].residual.likelihood" in text
    assert re.search(r"Line \d+", text) and "less than or equal to 5" in text
    assert "Risk register" not in body, "a stale document was shown instead of the error"
    assert client.status()["state"] == "error"
    assert re.search(r"<script nonce=", body), "the error page must reload itself too"
    print(f"\nsave -> error page: {seconds:.2f} s")

    (preview.ws.root / STRATEGY).write_text(good, encoding="utf-8")
    body, seconds = client.wait_for(lambda b: "Risk register" in b)
    assert "could not be built" not in body and "Home care staffing emergency" in body
    status = client.wait_until_idle()
    assert status["state"] == "ok" and status["executed"] == []  # same inputs as the last good build
    print(f"save -> document again: {seconds:.2f} s")


@pytest.mark.slow
def test_a_failing_section_shows_section_cell_and_message(running):
    preview, client, outcomes, kernel = running
    path = preview.ws.root / "notebooks" / "07-risks.ipynb"
    original = path.read_text(encoding="utf-8")
    nb = json.loads(original)
    nb["cells"].append({"cell_type": "code", "id": "deliberate-failure", "execution_count": None, "metadata": {},
                        "outputs": [], "source": ["raise ValueError('risk scores do not add up')"]})
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    try:
        body, _ = client.wait_for(lambda b: "could not be built" in b)
        text = _text(body)
        assert "section 07-risks, cell" in text and "ValueError: risk scores do not add up" in text
        assert ".strategy-docs/failed/" in text and "07-risks.ipynb" in text
        assert client.status()["state"] == "error"
    finally:
        path.write_text(original, encoding="utf-8")
    body, _ = client.wait_for(lambda b: "Risk register" in b)
    assert client.wait_until_idle()["executed"] == []  # the last good 07-risks is reused


@pytest.mark.slow
@pytest.mark.browser
def test_the_page_reloads_itself_in_a_browser_under_the_documents_csp(running, chromium):
    preview, client, outcomes, kernel = running
    page = chromium.new_context().new_page()  # the real CSP: no bypass
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"http://127.0.0.1:{preview.port}/")
    page.get_by_role("heading", name="Risk register").wait_for()
    page.evaluate("window.__kept = 1")  # gone after a reload
    _edit(preview.ws, STRATEGY, "title: Home care staffing emergency", "title: Care workers in short supply")
    page.get_by_text("Care workers in short supply").first.wait_for(timeout=60_000)
    assert page.evaluate("window.__kept") is None, "the page was updated without a reload"
    client.wait_until_idle()
    page.context.close()
    assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console


@pytest.mark.slow
@pytest.mark.browser
def test_preview_pages_have_no_axe_violations(tmp_path, chromium):
    from strategy_docs.build.pipeline import FailedDocument
    from strategy_docs.errors import Problem, ValidationError
    from strategy_docs.loop.preview import building_page, failure_page, validation_page

    ws = Workspace(tmp_path)
    label = "northshire / older-people"
    invalid = ValidationError([
        Problem(STRATEGY, "Input should be less than or equal to 5 (got 9).", field="risks[0].residual.likelihood",
                line=495, fix="use a whole number from 1 to 5."),
        Problem("data/northshire/providers.csv", "is missing.", fix="add it."),
    ])
    failed = FailedDocument(job=None, section="07-risks", message="ValueError: risk scores do not add up", cell=3,
                            notebook=None)
    pages = [building_page(label), validation_page(label, invalid), failure_page(label, failed, ws)]
    for index, html in enumerate(pages):
        page = b.open_html(chromium, inject_status_script(html, 1, "x", "nonce"), width=320, height=640,
                           tmp_path=tmp_path)
        violations = b.axe_violations(page)
        assert violations == [], f"page {index}: " + b.describe_violations(violations)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320  # reflows on a phone
        page.context.close()


@pytest.mark.slow
@pytest.mark.parametrize("path", [
    "/../params/project.yaml", "/..%2fparams/project.yaml", "/%2e%2e/params/project.yaml", "/params/project.yaml",
    "/2026-27/northshire/older-people.html", "/index.html", "/build/index.html", "//etc/passwd", "/__status/..",
    "/.state/records/2026-27/northshire/older-people.json",
])
def test_nothing_else_is_served(running, path):
    preview, client, outcomes, kernel = running
    status, body = client.request(path)
    assert status == 404 and "edition" not in body and "matrix" not in body


@pytest.mark.slow
def test_requests_naming_another_host_are_refused(running):
    preview, client, outcomes, kernel = running
    assert client.request("/", host="attacker.example")[0] == 403  # DNS rebinding
    assert client.request("/", host=f"localhost:{preview.port}")[0] == 200


@pytest.mark.slow
def test_cli_serves_and_stops_cleanly_on_ctrl_c(running):
    preview, client, outcomes, kernel = running
    process = subprocess.Popen(
        [sys.executable, "-m", "strategy_docs", "preview", AUTHORITY, GROUP, "--port", "0",
         "--workspace", str(preview.ws.root)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        # Ctrl-C as at a terminal, even when the suite runs in the background (where SIGINT is ignored)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        port = None
        lines = []
        while port is None:
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
            match = re.search(r"at (http://127\.0\.0\.1:(\d+)/)", line)
            if match:
                port = int(match.group(2))
        body, _ = Client(port).wait_for(lambda b: "Risk register" in b)  # up to date: nothing to execute
        titles = ("Care workers in short supply", "Home care staffing emergency", "Home care workforce shortage")
        strategy = (preview.ws.root / STRATEGY).read_text(encoding="utf-8")
        assert next(t for t in titles if f"title: {t}" in strategy) in body  # as the params are now (earlier tests edit them)
        children = _children(process.pid)  # the kernel, if it has been started ahead of the first edit
        # Linux hands a Ctrl-C to any thread that does not block it, not always the main one:
        # deliver it to the other threads, the case that once left the command waiting forever.
        _interrupt_other_threads(process.pid)
    except BaseException:
        process.send_signal(signal.SIGINT)
        raise
    finally:
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, "".join(lines) + output
    assert "Stopping the preview" in output
    for pid in children:
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), f"process {pid} outlived the preview command"


def _interrupt_other_threads(pid: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    threads = [int(t) for t in os.listdir(f"/proc/{pid}/task") if int(t) != pid]
    assert threads, "the preview command runs its server, watcher and builder in threads"
    for tid in threads:
        libc.tgkill(pid, tid, signal.SIGINT)


def _children(pid: int) -> list[int]:
    result = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in result.stdout.split()]
