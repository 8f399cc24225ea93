"""Security: user text is escaped or sanitised, parameter values are data (never code), nothing in
params reaches outside the workspace, and published files carry no local paths, user names or
stack traces.

Payloads go through every free-text field of the project, the authority, the client group and the
strategy (found by walking the params models, so a new field is covered automatically) and through
the free-text columns of the data. One document is built (HTML and PDF) and read back.
"""

from __future__ import annotations

import base64
import csv
import getpass
import html
import html.parser
import io
import json
import os
import re
import shutil
import types
from pathlib import Path
from typing import Annotated, Literal, Union, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel

from strategy_docs.inputs import params as P
from strategy_docs.errors import ParamsError, PublishError

from .conftest import copy_workspace
from .robust_support import AUTHORITY, EDITION, GROUP, cli, load_yaml, prune, published, strategy_file

# Fields whose text is matched against something else, so they are identifiers in disguise rather
# than free text: service types (renamed consistently below, data included), the cycle vocabulary
# and the positions written in it, and the logo path (tested separately).
REFERENCE_FIELDS = {
    "Authority": {"branding.logo", "cycle.stages[]"},
    "ClientGroup": {"service_types[]", "measures[].service_types[]"},
    "Strategy": {"gap_analysis[].service_types[]", "intentions[].cycle.current", "intentions[].cycle.expected"},
    "Project": set(),
}

ROUND_TRIP = 'He said "it\'s" \'\'\' """ C:\\new\\table \\n {x} %(y)s ${z}\nsecond line <b>not bold</b> & done'
CODE = "'''+__import__('os').system('touch PWNED1')+'''\"); __import__('os').system('touch PWNED2') #"


def payload(marker: str) -> str:
    return (f"[{marker}] <script>alert('{marker}')</script> <img src=x onerror=alert('{marker}')> "
            f"[click](javascript:alert('{marker}')) <a href=\"javascript:alert(1)\" onclick=\"alert(2)\">a</a> "
            f"<iframe src=\"https://evil.example/{marker}\"></iframe> <svg onload=alert(3)> "
            f"<style>body{{display:none}}</style> {{{{7*7}}}} {{0}} %s \\ {CODE}")


# ---------------------------------------------------------------- find every free-text field


def text_fields(model: type[BaseModel], prefix: str = ""):
    """(path, is_list) for every unconstrained str field, walking nested models and lists."""
    for name, info in model.model_fields.items():
        yield from _annotation(info.annotation, list(info.metadata), prefix + name)


def _annotation(annotation, metadata, path):
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *extra = get_args(annotation)
        yield from _annotation(inner, metadata + extra, path)
    elif origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            if arg is not type(None):
                yield from _annotation(arg, metadata, path)
    elif origin is list:
        yield from _annotation(get_args(annotation)[0], [], path + "[]")
    elif origin in (dict, Literal):
        return
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from text_fields(annotation, path + ".")
    elif annotation is str and not any(getattr(m, "pattern", None) for m in metadata):
        yield path


def inject(doc, path: str, make, max_length: int = 1800) -> int:
    """Append a payload to every value at `path` present in `doc` (or set it if absent); count them."""
    parts = re.findall(r"[^.\[\]]+|\[\]", path)

    def visit(node, rest) -> int:
        if not rest:
            return 0
        head, tail = rest[0], rest[1:]
        if head == "[]":
            if not isinstance(node, list):
                return 0
            if not tail:
                for i, value in enumerate(node):
                    node[i] = (str(value) + " " + make())[:max_length]
                if not node:
                    node.append(make())
                return max(len(node), 1)
            return sum(visit(item, tail) for item in node)
        if not isinstance(node, dict):
            return 0
        if not tail or tail == ["[]"]:
            if tail == ["[]"]:
                node.setdefault(head, [])
                return visit(node[head], tail)
            node[head] = (str(node.get(head) or "") + " " + make()).strip()[:max_length]
            return 1
        if head not in node or node[head] is None:
            return 0
        return visit(node[head], tail)

    return visit(doc, parts)


MODELS = {"Project": (P.Project, "params/project.yaml"),
          "Authority": (P.Authority, f"params/authorities/{AUTHORITY}.yaml"),
          "ClientGroup": (P.ClientGroup, f"params/client-groups/{GROUP}.yaml"),
          "Strategy": (P.Strategy, f"params/strategies/{AUTHORITY}/{GROUP}.yaml")}


def test_every_str_field_is_free_text_or_a_known_reference():
    """A new str field must be covered: either injected below or listed as a reference."""
    for name, (model, _) in MODELS.items():
        fields = set(text_fields(model))
        assert REFERENCE_FIELDS[name] <= fields, REFERENCE_FIELDS[name] - fields
    assert len(set(text_fields(P.Strategy))) > 50


# ---------------------------------------------------------------- the injected build


def _rename_everywhere(node, old: str, new: str):
    if isinstance(node, dict):
        return {(new if k == old else k): _rename_everywhere(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_rename_everywhere(v, old, new) for v in node]
    return new if node == old else node


def _edit_csv(path: Path, change) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header = rows[0]
    for row in rows[1:]:
        change(dict(zip(header, range(len(header)))), row)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    ws = prune(copy_workspace(tmp_path_factory.mktemp("security") / "ws"))
    counter = iter(range(1, 10_000))
    markers: dict[str, str] = {}  # marker -> "Model:field"

    def maker(label):
        def make():
            marker = f"F{next(counter)}"
            markers[marker] = label
            return payload(marker)
        return make

    docs = {name: load_yaml(ws / file) for name, (_, file) in MODELS.items()}
    injected_fields = {}
    for name, (model, _) in MODELS.items():
        for path in text_fields(model):
            if path in REFERENCE_FIELDS[name]:
                continue
            injected_fields[f"{name}:{path}"] = inject(docs[name], path, maker(f"{name}:{path}"))
    docs["Strategy"]["document_control"]["title"] = ROUND_TRIP

    # A service type and a budget group are references between params and data: rename both
    # consistently everywhere, with a payload in the new name.
    group = docs["ClientGroup"]
    old_service = group["service_types"][0]
    new_service = old_service + " <script>alert('svc')</script> \" onerror=x"
    budget_path = ws / "data" / AUTHORITY / "budget.csv"
    budget_rows = list(csv.DictReader(io.StringIO(budget_path.read_text(encoding="utf-8"))))
    old_group = next(r["group"] for r in budget_rows if r["client_group"] == GROUP)
    new_group = old_group + " <img src=x onerror=alert('grp')>"
    for name in ("ClientGroup", "Strategy"):
        docs[name] = _rename_everywhere(docs[name], old_service, new_service)
        docs[name] = _rename_everywhere(docs[name], old_group, new_group)
    for name, (_, file) in MODELS.items():
        (ws / file).write_text(yaml.safe_dump(docs[name], sort_keys=False, allow_unicode=True), encoding="utf-8")

    data = ws / "data" / AUTHORITY
    for table in ("service_users", "providers", "unit_costs"):
        # Only this client group's rows: other groups' files still name the service as before.
        _edit_csv(data / f"{table}.csv", lambda col, row: row.__setitem__(
            col["service_type"], new_service if row[col["service_type"]] == old_service
            and row[col["client_group"]] == GROUP else row[col["service_type"]]))
    _edit_csv(data / "providers.csv", lambda col, row: row.__setitem__(
        col["provider_name"], row[col["provider_name"]] + " <script>alert('prov')</script> [x](javascript:alert(1))"))
    _edit_csv(data / "budget.csv", lambda col, row: (
        row.__setitem__(col["group"], new_group if row[col["group"]] == old_group else row[col["group"]]),
        row.__setitem__(col["line"], row[col["line"]] + " <iframe src=//evil.example></iframe>")))

    result = cli(ws, "build", "--jobs", "1", timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return ws, markers, injected_fields, result


class Page(html.parser.HTMLParser):
    """Everything a browser would act on, and the text a reader sees."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self.h1: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in.append(tag)

    def handle_endtag(self, tag):
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data):
        where = self._in[-1] if self._in else ""
        if where == "script":
            self.scripts.append(data)
        elif where != "style":
            self.text.append(data)
            if "h1" in self._in:
                self.h1.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


DANGEROUS_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "link",
                  "foreignobject", "animate", "set"}


def assert_inert(text: str, allowed_scripts: tuple[str, ...] = (), where: str = "") -> Page:
    page = parse(text)
    lower = text.lower()
    assert "<iframe" not in lower and "<object" not in lower and "<embed" not in lower, where
    for tag, attrs in page.tags:
        assert tag not in DANGEROUS_TAGS - {"script"}, f"{where}: <{tag}>"
        for name, value in attrs:
            assert not name.lower().startswith("on"), f"{where}: <{tag} {name}={value!r}>"
            compact = re.sub(r"[\x00-\x20]", "", html.unescape(value or "")).lower()
            if name in ("href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "data"):
                assert not compact.startswith(("javascript:", "vbscript:", "data:text/html")), f"{where}: {name}={value!r}"
                if name == "src":
                    assert compact.startswith(("data:image/", "#")), f"{where}: <{tag} src={value[:60]!r}>"
            if name == "style":  # url(#id) is a local reference (SVG gradients and clips)
                assert "expression(" not in compact and not re.search(r"url\((?!#)", compact), f"{where}: style={value!r}"
            if tag == "form":  # the index's filter form: submitted by nothing, anywhere
                assert name not in ("action", "method", "formaction"), f"{where}: <form {name}={value!r}>"
            if name == "http-equiv":
                assert compact in ("content-security-policy", "content-type"), f"{where}: meta http-equiv={value!r}"
    assert sorted(s.strip() for s in page.scripts) == sorted(s.strip() for s in allowed_scripts), \
        f"{where}: unexpected <script> content"
    assert lower.count("<script") == len(allowed_scripts), where
    return page


@pytest.mark.slow
def test_html_carries_no_active_content(injected):
    ws, markers, fields, _ = injected
    document = published(ws).read_text(encoding="utf-8")
    from strategy_docs.outputs.scroll_regions import SCROLL_REGION_SCRIPT

    page = assert_inert(document, allowed_scripts=(SCROLL_REGION_SCRIPT,), where="document")
    for tag, attrs in page.tags:  # the charts are SVG images: check inside them too
        for name, value in attrs:
            if name == "src" and value.startswith("data:image/svg+xml;base64,"):
                svg = base64.b64decode(value.split(",", 1)[1]).decode("utf-8")
                assert_inert(svg, where="chart SVG")  # labels are escaped text; nothing active


@pytest.mark.slow
def test_index_carries_no_active_content(injected):
    from strategy_docs.outputs.index import FILTER_SCRIPT
    from strategy_docs.outputs.scroll_regions import SCROLL_REGION_SCRIPT

    ws, *_ = injected
    index = (ws / "build" / "index.html").read_text(encoding="utf-8")
    page = assert_inert(index, allowed_scripts=(FILTER_SCRIPT, SCROLL_REGION_SCRIPT), where="index")
    visible = " ".join(page.text)
    assert "<script>alert('F" in visible or "[F" in visible  # the project or authority name, shown as text


@pytest.mark.slow
def test_payloads_are_shown_as_text(injected):
    ws, markers, fields, _ = injected
    visible = " ".join(parse(published(ws).read_text(encoding="utf-8")).text)
    shown = {m for m in markers if f"[{m}]" in visible}
    # Every injected field that the document shows must show its payload escaped, as text.
    for marker in shown:
        assert re.search(rf"\[{marker}\] <script>alert\('{marker}'\)</script> <img src=x onerror=alert\('{marker}'\)>",
                         visible), f"{markers[marker]} is not shown literally"
    must_show = {"Strategy:document_control.owner", "Strategy:document_control.purpose", "Strategy:context.summary",
                 "Strategy:risks[].title", "Strategy:intentions[].title", "Strategy:hypotheses[].statement",
                 "Strategy:gap_analysis[].objective", "Strategy:indicators[].name", "Authority:partners[].name",
                 "ClientGroup:name", "ClientGroup:definition", "Strategy:context.services_included[]"}
    shown_fields = {markers[m] for m in shown}
    assert must_show <= shown_fields, must_show - shown_fields
    carried = {f for f, count in fields.items() if count}  # a section the strategy does not give carries none
    assert len(shown_fields) >= 0.6 * len(carried), sorted(carried - shown_fields)
    # Data text: service types and budget groups are shown; provider names are not (only aggregates).
    for text in ("<script>alert('svc')</script>", "<img src=x onerror=alert('grp')>"):
        assert text in visible, text


@pytest.mark.slow
def test_quotes_backslashes_newlines_round_trip(injected):
    ws, *_ = injected
    page = parse(published(ws).read_text(encoding="utf-8"))
    assert "".join(page.h1) == ROUND_TRIP
    assert "second line <b>not bold</b> & done" in " ".join(page.text)


@pytest.mark.slow
def test_parameter_values_execute_nothing(injected):
    ws, *_ = injected
    assert not list(ws.rglob("PWNED*")) and not list(Path.cwd().glob("PWNED*"))
    injected_cells = [c for nb in (ws / ".strategy-docs" / "notebooks" / EDITION / AUTHORITY / GROUP).glob("*.ipynb")
                      for c in json.loads(nb.read_text())["cells"]
                      if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    assert injected_cells
    for cell in injected_cells:  # only identifiers (and a relative workspace) ever reach code
        source = "".join(cell["source"])
        assert "<script" not in source and "PWNED" not in source and "\n" in source
        assert re.search(rf'authority = "{AUTHORITY}"', source) and re.search(rf'client_group = "{GROUP}"', source)


@pytest.mark.slow
def test_published_files_hold_no_local_paths_user_names_or_tracebacks(injected):
    from pypdf import PdfReader

    ws, *_ = injected
    user = getpass.getuser()
    inputs = " ".join(p.read_text(encoding="utf-8", errors="replace") for p in (ws / "params").rglob("*.yaml"))
    inputs += " ".join(p.read_text(encoding="utf-8", errors="replace") for p in (ws / "data").rglob("*.csv"))
    user_in_inputs = re.search(rf"\b{re.escape(user)}\b", inputs) is not None
    locals_ = {str(ws), str(ws.resolve()), os.path.expanduser("~") + "/", str(Path.cwd()) + "/", "/tmp/pytest-of-"}
    files = [p for p in (ws / "build").rglob("*") if p.is_file()] + sorted((ws / ".strategy-docs" / "manifests").glob("*"))
    assert any(p.suffix == ".pdf" for p in files) and any(p.suffix == ".json" for p in files)
    for path in files:
        raw = path.read_bytes()
        texts = [raw.decode("utf-8", errors="replace")]
        if path.suffix == ".pdf":
            # Its visible text comes from the HTML (checked too): read the cover page as text, and
            # every stream decompressed (metadata, link targets, bookmarks) as bytes.
            reader = PdfReader(path)
            texts.append("\n".join(page.extract_text() or "" for page in reader.pages[:2]))
            texts.append(str(reader.metadata))
            streams = b"".join(_inflate(chunk) for chunk in re.findall(rb"stream\r?\n(.*?)endstream", raw, re.S))
            texts.append(streams.decode("latin-1"))
            assert b"/JavaScript" not in raw + streams and b"/Launch" not in raw + streams
        for text in texts:
            for local in locals_:
                assert local not in text, f"{path.relative_to(ws)} contains {local!r}"
            assert "Traceback" not in text, path
            assert "site-packages" not in text, path
            if not user_in_inputs:
                visible = re.sub(r"<style.*?</style>", "", text, flags=re.S)  # ':root' in CSS is not a user
                assert not re.search(rf"(?<![:\w-]){re.escape(user)}\b", visible), f"{path.relative_to(ws)} names {user!r}"


def _inflate(chunk: bytes) -> bytes:
    import zlib

    try:
        return zlib.decompressobj().decompress(chunk)
    except zlib.error:
        return b""


# ---------------------------------------------------------------- identifiers and paths


@pytest.fixture
def ws(workspace: Path) -> Path:
    return prune(workspace)


def params_problems(ws: Path) -> list:
    with pytest.raises(ParamsError) as info:
        P.load_params(ws)
    return info.value.problems


@pytest.mark.parametrize("logo", ["../outside.svg", "params/../../outside.svg", "/etc/passwd", "~/logo.svg",
                                  "params/logos/../../../outside.svg"])
def test_logo_outside_the_workspace_is_refused(ws, logo):
    (ws.parent / "outside.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    path = ws / "params" / "authorities" / f"{AUTHORITY}.yaml"
    data = load_yaml(path)
    data["branding"]["logo"] = logo
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    problems = [p for p in params_problems(ws) if p.field == "branding.logo"]
    assert problems and ("outside the workspace" in problems[0].message or "does not exist" in problems[0].message)


def test_logo_symlink_out_of_the_workspace_is_refused(ws):
    outside = ws.parent / "secret.svg"
    outside.write_text("<svg xmlns='http://www.w3.org/2000/svg'><text>secret</text></svg>")
    os.symlink(outside, ws / "params" / "logos" / "linked.svg")
    path = ws / "params" / "authorities" / f"{AUTHORITY}.yaml"
    data = load_yaml(path)
    data["branding"]["logo"] = "params/logos/linked.svg"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    [problem] = [p for p in params_problems(ws) if p.field == "branding.logo"]
    assert "outside the workspace" in problem.message


@pytest.mark.parametrize("what", ["file", "folder"])
def test_data_symlinked_out_of_the_workspace_is_refused(ws, what):
    outside = ws.parent / "elsewhere"
    outside.mkdir()
    folder = ws / "data" / AUTHORITY
    if what == "file":
        shutil.copy(folder / "providers.csv", outside / "providers.csv")
        (folder / "providers.csv").unlink()
        os.symlink(outside / "providers.csv", folder / "providers.csv")
    else:
        shutil.move(folder, outside / AUTHORITY)
        os.symlink(outside / AUTHORITY, folder)
    result = cli(ws, "validate")
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"data/{AUTHORITY}/providers.csv: is a link to a file outside the workspace" in result.stderr


@pytest.mark.parametrize("which", ["authority", "strategy"])
def test_params_symlinked_out_of_the_workspace_are_refused(ws, which):
    target = (ws / "params" / "authorities" / f"{AUTHORITY}.yaml") if which == "authority" else strategy_file(ws)
    outside = ws.parent / target.name
    shutil.copy(target, outside)
    target.unlink()
    os.symlink(outside, target)
    problems = params_problems(ws)
    assert any(p.file == target.relative_to(ws).as_posix() and "outside the workspace" in p.message for p in problems)


@pytest.mark.parametrize("name", ["../northshire", "/etc", "north shire", "Northshire", "northshire/../x", "-x"])
def test_identifiers_are_slugs(ws, name):
    path = ws / "params" / "project.yaml"
    data = load_yaml(path)
    data["matrix"]["authorities"] = [name]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    problems = params_problems(ws)
    assert any(p.field == "matrix.authorities[0]" and "lower-case letters" in p.fix for p in problems)


@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
def test_command_line_identifiers_must_be_in_the_matrix(ws):
    result = cli(ws, "build", "--authority", "../../etc", "--format", "html")
    assert result.returncode == 2 and "'../../etc' is not an authority in the build matrix" in result.stderr
    assert not (ws / "build" / EDITION).exists()


def test_folder_or_file_name_that_is_not_a_slug_is_refused(ws):
    shutil.copytree(ws / "params" / "strategies" / AUTHORITY, ws / "params" / "strategies" / "..hidden")
    shutil.copy(ws / "params" / "authorities" / f"{AUTHORITY}.yaml", ws / "params" / "authorities" / "..hidden.yaml")
    problems = params_problems(ws)
    assert any(p.file == "params/authorities/..hidden.yaml" and "not a valid identifier" in p.message for p in problems)


def test_publish_never_follows_a_symlinked_folder_out_of_build(ws, tmp_path):
    from strategy_docs.build.execute import DocumentResult
    from strategy_docs.build.plan import plan_documents
    from strategy_docs.build.publish import publish_document
    from strategy_docs.inputs.workspace import Workspace

    outside = tmp_path / "outside"
    outside.mkdir()
    (ws / "build" / EDITION).mkdir(parents=True)
    os.symlink(outside, ws / "build" / EDITION / AUTHORITY)
    [job] = plan_documents(P.load_params(ws), [AUTHORITY], [GROUP], ["html"])
    result = DocumentResult(job, outputs={"html": b"<html></html>"}, notebooks={"01-context.ipynb": b"{}"},
                            executed_sections=["01-context"])
    with pytest.raises(PublishError, match="outside build/"):
        publish_document(Workspace(ws), result, "2026-01-01T00:00:00+00:00")
    assert list(outside.iterdir()) == []


def test_yaml_is_loaded_safely(ws, tmp_path):
    marker = tmp_path / "ran"
    for text in (f"name: !!python/object/apply:os.system ['touch {marker}']\n",
                 f"name: !!python/object/new:subprocess.Popen [['touch', '{marker}']]\n",
                 "name: !!python/name:os.system\n"):
        (ws / "params" / "project.yaml").write_text(text, encoding="utf-8")
        problems = params_problems(ws)
        assert any(p.file == "params/project.yaml" and p.line == 1 for p in problems)
    assert not marker.exists()
