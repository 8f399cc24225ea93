"""Live preview of one document: serve it on localhost, rebuild it on save, reload the page.

`strategy-docs preview AUTHORITY CLIENT_GROUP` runs three things in one process:

* a **watcher** (watchfiles) on the files the document depends on: its params files (project,
  authority, client group, strategy, logos), its authority's data files, the section
  notebooks and the strategy templates;
* a **builder** thread that runs the ordinary incremental build for that one document
  (`build.build` with the serial executor, HTML only), so only the sections whose inputs
  changed are executed, in ONE warm kernel kept alive across rebuilds (`keep_kernel`);
* an **HTTP server** (`http.server.ThreadingHTTPServer`) that serves exactly three things:
  `/` (the document, or the error that stops it from building, or a "building" page),
  `/__status` (JSON with the build number) and nothing else: every other path is a 404, so
  nothing outside the document can be read through it, and path traversal has nothing to
  resolve against.

The served page carries a tiny inline script (allowed by a per-build CSP nonce added to the
document's own Content-Security-Policy) that polls `/__status` and reloads the page when the
build number changes. The build number only changes when what `/` shows changes.

The server binds to loopback only unless `allow_remote` is given, and (when loopback-only)
answers only requests whose Host header names the loopback, which stops a web page from
reaching it through DNS rebinding.
"""

from __future__ import annotations

import errno
import hashlib
import html
import ipaddress
import json
import re
import secrets
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from strategy_docs.build.local_paths import ANSI
from strategy_docs.errors import BuildLockedError, Problem, StrategyDocsError, ValidationError
from strategy_docs.sections.registry import INPUT_FOLDERS, SECTIONS
from strategy_docs.inputs.workspace import Workspace

DEFAULT_PORT = 8765
STATUS_PATH = "/__status"
POLL_MS = 400
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}
_NOTEBOOKS = {s.notebook for s in SECTIONS}


class PreviewError(StrategyDocsError):
    """The preview cannot start (a non-loopback host without --allow-remote, a port in use, ...)."""

    exit_code = 2


def is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------- what the document depends on


def watched_roots(ws: Workspace) -> list[Path]:
    """Folders to watch (recursively); `is_relevant` narrows them to this document's inputs."""
    roots = [ws.root / folder for folder in INPUT_FOLDERS if folder != "templates"] + [ws.templates / "strategy"]
    return [p for p in roots if p.is_dir()]


def is_relevant(ws: Workspace, authority: str, client_group: str, path: str | Path) -> bool:
    """Whether a change to `path` can change this document (or whether it is valid)."""
    path = Path(path)
    try:
        rel = path.relative_to(ws.root)
    except ValueError:
        try:
            rel = path.resolve().relative_to(ws.root.resolve())
        except (ValueError, OSError):
            return False
    parts = rel.parts
    if not parts:
        return False
    name = parts[-1]
    # Editors' and office suites' scratch files: vim swap/backup, emacs locks, LibreOffice and Excel locks.
    if name.startswith((".", "~", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp", ".part")) or name == "4913":
        return False
    if any(p.startswith(".") for p in parts[:-1]):  # .ipynb_checkpoints and other hidden folders
        return False
    top = parts[0]
    yaml_names = {f"{stem}{suffix}" for stem in (authority, client_group) for suffix in (".yaml", ".yml")}
    if top == "params":
        if len(parts) == 2:
            return name in ("project.yaml", "project.yml")
        if len(parts) == 3 and parts[1] == "authorities":
            return name in yaml_names and Path(name).stem == authority
        if len(parts) == 3 and parts[1] == "client-groups":
            return name in yaml_names and Path(name).stem == client_group
        if len(parts) == 4 and parts[1] == "strategies":
            return parts[2] == authority and Path(name).stem == client_group and name in yaml_names
        # logos; the archived editions ("what has changed" reads the previous one)
        return parts[1] in ("logos", "editions")
    if top == "data":
        return len(parts) == 3 and parts[1] == authority
    if top == "notebooks":
        return len(parts) == 2 and name in _NOTEBOOKS
    if top == "templates":
        return len(parts) >= 3 and parts[1] == "strategy"
    return False


# ---------------------------------------------------------------- pages


_STATUS_SCRIPT = """\
(function () {
  "use strict";
  var build = %(build)d, instance = %(instance)s, badge = null;
  function say(text) {
    if (!badge) {
      badge = document.createElement("p");
      badge.setAttribute("role", "status");
      badge.style.cssText = "position:fixed;right:1rem;bottom:1rem;margin:0;padding:.5rem .85rem;" +
        "background:#1b1b1b;color:#fff;font:600 1rem/1.4 system-ui,sans-serif;border-radius:.3rem;" +
        "box-shadow:0 1px 4px rgba(0,0,0,.4);z-index:2147483647";
      document.body.appendChild(badge);
    }
    badge.textContent = text;
    badge.hidden = !text;
  }
  function poll() {
    fetch("%(status)s", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (s.build !== build || s.instance !== instance) { window.location.reload(); return; }
      say(s.state === "building" ? "Rebuilding\\u2026" :
          s.state === "waiting" ? "Waiting for another build in this workspace\\u2026" : "");
      setTimeout(poll, %(poll)d);
    }).catch(function () {
      say("The preview server has stopped. Start it again with strategy-docs preview.");
      setTimeout(poll, 2000);
    });
  }
  setTimeout(poll, %(poll)d);
}());
"""

_PAGE_STYLE = """\
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1b1b1b;
       font: 1.0625rem/1.55 system-ui, -apple-system, "Segoe UI", Arial, sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 1rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; }
.panel { border-left: .4rem solid #b00020; background: #fdf2f3; padding: .75rem 1.25rem; margin: 1rem 0; }
.panel.info { border-color: #005ea5; background: #f0f6fb; }
ol.problems { padding-left: 1.5rem; }
ol.problems > li { margin: 0 0 1.25rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .25rem 0; }
dt { font-weight: 700; }
dd { margin: 0; overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, "Cascadia Mono", Consolas, monospace; font-size: .95em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f4f4f4; padding: .75rem; border: 1px solid #949494; }
details summary { cursor: pointer; font-weight: 600; }
:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
"""



def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'\">\n"
        f"<title>{html.escape(title)}</title>\n<style>\n{_PAGE_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def building_page(label: str) -> str:
    return _page(f"Building {label} - preview", (
        f"<h1>Building {html.escape(label)}</h1>\n"
        "<div class=\"panel info\"><p>The first build of this document is running. "
        "This page shows it as soon as it is ready.</p></div>"))


def validation_page(label: str, exc: ValidationError) -> str:
    count = len(exc.problems)
    items = "\n".join(_problem_item(p) for p in exc.problems)
    return _page(f"Invalid input - {label} - preview", (
        f"<h1>{html.escape(label)} could not be built</h1>\n"
        f"<div class=\"panel\"><p><strong>Invalid input: {count} problem{'s' if count != 1 else ''} found. "
        "Nothing was built.</strong> Fix the input and save: this page updates by itself.</p></div>\n"
        f"<h2>Problems</h2>\n<ol class=\"problems\">\n{items}\n</ol>"))


def _problem_item(problem: Problem) -> str:
    rows = [("File", f"<code>{html.escape(problem.file)}</code>")]
    if problem.line is not None:
        rows.append(("Line", str(problem.line)))
    if problem.field:
        rows.append(("Field", f"<code>{html.escape(problem.field)}</code>"))
    rows.append(("Problem", html.escape(problem.message)))
    if problem.fix:
        rows.append(("Fix", html.escape(problem.fix)))
    cells = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return f"<li><dl>{cells}</dl></li>"


def failure_page(label: str, failed, ws: Workspace) -> str:
    """A section (or the render step) failed: the section, cell and message, as the CLI prints them."""
    where = f"section {failed.section}" + (f", cell {failed.cell}" if failed.cell is not None else "")
    rows = [("Section", f"<code>{html.escape(failed.section)}</code>")]
    if failed.cell is not None:
        rows.append(("Cell", str(failed.cell)))
    rows.append(("Error", html.escape(failed.message)))
    notebook = None
    if failed.notebook:
        notebook = _relative(Path(failed.notebook), ws.root)
        rows.append(("Executed notebook", f"<code>{html.escape(notebook)}</code>"))
    cells = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    trace = _traceback_from(Path(failed.notebook)) if failed.notebook else ""
    details = (f"<details><summary>Traceback</summary><pre>{html.escape(trace)}</pre></details>" if trace else "")
    return _page(f"Section failed - {label} - preview", (
        f"<h1>{html.escape(label)} could not be built</h1>\n"
        f"<div class=\"panel\"><p><strong>FAILED {html.escape(label)}: {html.escape(where)}: "
        f"{html.escape(failed.message)}</strong></p>"
        "<p>The last good version of the document is kept. Fix the cause and save: this page updates by itself."
        "</p></div>\n"
        f"<h2>What failed</h2>\n<dl>{cells}</dl>\n{details}"))


def error_page(label: str, message: str) -> str:
    return _page(f"Error - {label} - preview", (
        f"<h1>{html.escape(label)} could not be built</h1>\n"
        f"<div class=\"panel\"><p><strong>Error:</strong> {html.escape(message)}</p>"
        "<p>Fix the cause and save: this page updates by itself.</p></div>"))


def _traceback_from(notebook: Path) -> str:
    try:
        import nbformat  # lazy: the CLI imports this module at start-up

        nb = nbformat.read(notebook, as_version=4)
    except Exception:  # noqa: BLE001 - the traceback is a convenience, the message is already shown
        return ""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return ANSI.sub("", "\n".join(output.get("traceback", [])))
    return ""


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


_CSP_META = re.compile(r"<meta\b[^>]*http-equiv\s*=\s*[\"']?Content-Security-Policy[^>]*>", re.IGNORECASE)
_CONTENT_ATTR = re.compile(r"(\bcontent\s*=\s*)(\"[^\"]*\"|'[^']*')", re.IGNORECASE)


def allow_status_script(policy: str, nonce: str) -> str:
    """The document's CSP, plus our poll script (by nonce) and fetches to this server."""
    directives, seen = [], set()
    for directive in (d.strip() for d in policy.split(";")):
        if not directive:
            continue
        name, *sources = directive.split()
        key = name.lower()
        if key == "script-src":
            sources = [s for s in sources if s != "'none'"]
            if "'unsafe-inline'" not in sources:  # a nonce would switch 'unsafe-inline' off
                sources.append(f"'nonce-{nonce}'")
        elif key == "connect-src":
            sources = [s for s in sources if s != "'none'"] + ["'self'"]
        seen.add(key)
        directives.append(" ".join([name, *sources]))
    if "script-src" not in seen:
        directives.append(f"script-src 'nonce-{nonce}'")
    if "connect-src" not in seen:
        directives.append("connect-src 'self'")
    return "; ".join(directives)


def inject_status_script(document: str, build: int, instance: str, nonce: str) -> str:
    """The page as served: the document's CSP widened for the script, and the script before </body>."""
    def fix_meta(match: re.Match) -> str:
        tag = match.group(0)

        def fix_content(attr: re.Match) -> str:
            policy = html.unescape(attr.group(2)[1:-1])
            return f"{attr.group(1)}\"{html.escape(allow_status_script(policy, nonce), quote=True)}\""

        return _CONTENT_ATTR.sub(fix_content, tag, count=1)

    document = _CSP_META.sub(fix_meta, document)
    script = _STATUS_SCRIPT % {"build": build, "instance": json.dumps(instance), "status": STATUS_PATH,
                               "poll": POLL_MS}
    tag = f"<script nonce=\"{nonce}\">\n{script}</script>\n"
    end = document.lower().rfind("</body>")
    return document[:end] + tag + document[end:] if end >= 0 else document + tag


# ---------------------------------------------------------------- the preview


@dataclass
class BuildOutcome:
    """One finished rebuild, for callers (the CLI prints these; tests can read them)."""

    build: int
    state: str  # ok | error
    seconds: float
    executed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    message: str = ""


class Preview:
    """Serve one document on localhost and rebuild it whenever one of its inputs changes.

    `start()` returns at once (the first build runs in the background); `stop()` shuts the
    server, the watcher, the builder and the kernel down. Usable as a context manager.
    """

    def __init__(self, ws: Workspace, authority: str, client_group: str, host: str = "127.0.0.1",
                 port: int | None = None, allow_remote: bool = False,
                 on_build: Callable[[BuildOutcome], None] | None = None,
                 on_message: Callable[[str], None] | None = None, force_polling: bool | None = None):
        for value, what in ((authority, "authority"), (client_group, "client group")):
            if not _SLUG.match(value):
                raise PreviewError(f"'{value}' is not a valid {what} id (lower-case letters, digits and hyphens). "
                                   "Fix: check the identifiers with 'strategy-docs list'.")
        if not is_loopback(host) and not allow_remote:
            raise PreviewError(
                f"--host {host} would make the preview reachable from other machines, and it serves unpublished "
                "work. Fix: leave --host out (127.0.0.1), or add --allow-remote if you really mean to share it.")
        self.ws = ws
        self.authority, self.client_group = authority, client_group
        self.label = f"{authority} / {client_group}"
        self.host, self.requested_port, self.allow_remote = host, port, allow_remote
        self.on_build, self.on_message = on_build, on_message
        self.force_polling = force_polling
        self.instance = secrets.token_hex(6)
        self._lock = threading.Lock()
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._changes: set[str] = set()
        self._build = 0
        self._state = "building"
        self._page = b""
        self._content_digest = ""
        self._last: BuildOutcome | None = None
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._set_page(building_page(self.label), count=False)

    # -- lifecycle

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else 0

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> "Preview":
        self._server = self._bind()
        self._server.preview = self
        self._dirty.set()  # the first build
        for target, name in ((self._server.serve_forever, "preview-http"), (self._watch, "preview-watch"),
                             (self._builder, "preview-build")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 60) -> None:
        """Stop serving and watching; let a running rebuild finish (up to `timeout`); stop the kernel."""
        self._stopping.set()
        self._dirty.set()
        try:
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join(timeout)
        finally:
            from strategy_docs.build.executors import shutdown_worker  # lazy: the CLI imports this module at start-up

            shutdown_worker()  # normally already done by the builder thread; here for a timed-out join
            self._threads = []

    def __enter__(self) -> "Preview":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def rebuild(self) -> None:
        """Ask for a rebuild (the watcher does this on every relevant change)."""
        self._dirty.set()

    def _bind(self) -> ThreadingHTTPServer:
        server_class = _Server6 if ":" in self.host else _Server
        ports = [self.requested_port] if self.requested_port is not None else [DEFAULT_PORT, 0]
        for port in ports:
            try:
                return server_class((self.host, port), _Handler)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE and port == DEFAULT_PORT and self.requested_port is None:
                    continue  # the usual port is taken: let the system choose one
                if exc.errno == errno.EADDRINUSE:
                    raise PreviewError(f"port {port} on {self.host} is already in use. Fix: choose another with "
                                       "--port, or leave --port out to use a free one.") from None
                raise PreviewError(f"cannot serve on {self.host}:{port}: {exc.strerror or exc}.") from None
        raise AssertionError("unreachable")

    # -- state, read by the HTTP handler

    def status(self) -> dict:
        with self._lock:
            last = self._last
            return {
                "build": self._build,
                "instance": self.instance,
                "state": self._state,
                "document": self.label,
                "seconds": round(last.seconds, 3) if last else None,
                "executed": list(last.executed) if last else [],
            }

    def page(self) -> bytes:
        with self._lock:
            return self._page

    def _set_state(self, state: str) -> None:
        with self._lock:
            self._state = state

    def _set_page(self, content: str, count: bool = True, state: str = "building") -> int:
        """Serve `content` at /; the build number moves on only if what / shows has changed."""
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        with self._lock:
            if digest != self._content_digest:
                if count:
                    self._build += 1
                nonce = secrets.token_urlsafe(16)
                self._page = inject_status_script(content, self._build, self.instance, nonce).encode("utf-8")
                self._content_digest = digest
            self._state = state
            return self._build

    # -- watching

    def _watch(self) -> None:
        from watchfiles import watch  # lazy: the CLI imports this module at start-up

        roots = watched_roots(self.ws)
        try:
            for changes in watch(*roots, watch_filter=self._relevant, stop_event=self._stopping, debounce=800,
                                 step=50, rust_timeout=500, raise_interrupt=False, force_polling=self.force_polling):
                with self._lock:
                    self._changes.update(_relative(Path(p), self.ws.root) for _, p in changes)
                self._dirty.set()
        except Exception as exc:  # noqa: BLE001 - report, keep serving the last page
            self._message(f"Stopped watching for changes: {type(exc).__name__}: {exc}")

    def _relevant(self, change, path: str) -> bool:  # noqa: ARG002 - watchfiles filter signature
        return is_relevant(self.ws, self.authority, self.client_group, path)

    # -- building

    def _builder(self) -> None:
        from strategy_docs.build.executors import shutdown_worker  # lazy: the CLI imports this module at start-up

        try:
            while not self._stopping.is_set():
                self._dirty.wait()
                if self._stopping.is_set():
                    break
                self._dirty.clear()
                self._build_once()
                if not self._stopping.is_set() and not self._dirty.is_set():
                    self._prewarm()
        finally:
            shutdown_worker()

    def _build_once(self) -> BuildOutcome:
        from strategy_docs.build.pipeline import BuildOptions, build  # lazy: the CLI imports this module at start-up

        with self._lock:
            changed, self._changes = sorted(self._changes), set()
        self._set_state("building")
        if changed:
            self._message(f"Changed: {', '.join(changed)}. Rebuilding...")
        executed: list[str] = []
        options = BuildOptions(authorities=[self.authority], client_groups=[self.client_group], formats=["html"],
                               jobs=1, executor="serial", keep_kernel=True)
        started = time.perf_counter()
        message = ""
        state = "error"

        def on_result(result) -> None:
            executed.extend(result.executed_sections)

        try:
            try:
                report = build(self.ws, options, on_result=on_result)
            except BuildLockedError:
                self._set_state("waiting")
                self._message("Another build is running in this workspace; waiting for it to finish.")
                options.wait = True
                report = build(self.ws, options, on_result=on_result)
        except ValidationError as exc:
            content = validation_page(self.label, exc)
            count = len(exc.problems)
            message = "\n".join([f"Invalid input: {count} problem{'s' if count != 1 else ''} found. Nothing was built.",
                                 *(f"  - {p}" for p in exc.problems)])
        except StrategyDocsError as exc:
            content = error_page(self.label, str(exc))
            message = f"Error: {exc}"
        except Exception as exc:  # noqa: BLE001 - a bug must show on the page, not kill the preview
            traceback.print_exc(file=sys.stderr)
            content = error_page(self.label, f"{type(exc).__name__}: {exc}")
            message = f"Error: {type(exc).__name__}: {exc}"
        else:
            if report.failed:
                failed = report.failed[0]
                content = failure_page(self.label, failed, self.ws)
                where = f"section {failed.section}" + (f", cell {failed.cell}" if failed.cell is not None else "")
                message = f"FAILED {self.label}: {where}: {failed.message}"
            else:
                content, state = self._document(report), "ok"
        seconds = time.perf_counter() - started
        number = self._set_page(content, state=state)
        outcome = BuildOutcome(number, state, seconds, executed, changed, message)
        with self._lock:
            self._last = outcome
        if state == "ok":
            ran = f"executed {', '.join(executed)}" if executed else "nothing executed"
            self._message(f"Updated in {seconds:.1f} s ({ran}).")
        else:
            self._message(message)
        if self.on_build:
            self.on_build(outcome)
        return outcome

    def _document(self, report) -> str:
        from strategy_docs.build.publish import document_paths  # lazy: the CLI imports this module at start-up

        jobs = report.built + report.rerendered + report.up_to_date
        return document_paths(self.ws, jobs[0].key)["html"].read_text(encoding="utf-8")

    def _prewarm(self) -> None:
        """Start the kernel now if the last build did not need it, so the first edit is quick."""
        from strategy_docs.build.execute import warm_kernel  # lazy: the CLI imports this module at start-up

        kernel = warm_kernel()
        try:
            kernel.manager()  # starts the kernel unless a live one is already there
        except Exception as exc:  # noqa: BLE001 - the next build starts it again and reports the failure
            self._message(f"Could not start the kernel in advance: {exc}")

    def _message(self, text: str) -> None:
        if self.on_message and text:
            self.on_message(text)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    preview: Preview


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "strategy-docs-preview"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        preview = self.server.preview
        if not preview.allow_remote and not self._host_is_loopback():
            return self._send(403, b"Forbidden\n", "text/plain; charset=utf-8", send_body)
        path = urlsplit(self.path).path
        if path == "/":
            return self._send(200, preview.page(), "text/html; charset=utf-8", send_body)
        if path == STATUS_PATH:
            body = json.dumps(preview.status()).encode("utf-8")
            return self._send(200, body, "application/json", send_body)
        return self._send(404, b"Not found\n", "text/plain; charset=utf-8", send_body)

    def _host_is_loopback(self) -> bool:
        host = self.headers.get("Host")
        if not host:
            return True  # HTTP/1.0 without Host; the socket is loopback-only anyway
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if host.startswith("["):
            name = host[1:host.index("]")] if "]" in host else host
        return is_loopback(name)

    def _send(self, code: int, body: bytes, content_type: str, send_body: bool) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet: the preview reports builds instead
        pass
