"""build/index.html: one accessible page listing every document, with links to the files that exist.

Rendered with our own autoescaping Jinja environment from ``templates/index/index.html.j2``.
The table lists everything without JavaScript; a small inline script (allowed by the page's
Content-Security-Policy through its hash) adds filters by authority, client group and status.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from strategy_docs.i18n import DEFAULT_LANGUAGE, LANGUAGES, hreflang, html_language_marks
from strategy_docs.outputs.scroll_regions import SCROLL_REGION_SCRIPT
from strategy_docs.outputs.scroll_regions import script_hash as scroll_script_hash
from strategy_docs.inputs.bundled import template_dir

__all__ = ["render_index", "default_template_dir", "FILTER_SCRIPT"]

STATUS_LABELS = {"draft": "Draft", "consultation": "Consultation draft", "final": "Final"}
STATUS_TONES = {"draft": "warning", "consultation": "warning", "final": "good"}
FORMATS = (("html", "HTML", "Web page"), ("pdf", "PDF", "PDF"), ("docx", "Word", "Word document"))

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_BAD_CHARS = re.compile(r"[\x00-\x20\x7f\"'<>\\`]")

FILTER_SCRIPT = """
(function () {
  var form = document.getElementById('filters');
  var table = document.getElementById('documents');
  if (!form || !table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var count = document.getElementById('filter-count');
  var selects = Array.prototype.slice.call(form.querySelectorAll('select'));
  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var ok = selects.every(function (s) {
        return !s.value || row.getAttribute('data-' + s.name) === s.value;
      });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = 'Showing ' + shown + ' of ' + rows.length + ' documents.';
    form.dispatchEvent(new CustomEvent('filters-applied', { detail: { shown: shown } }));
  }
  selects.forEach(function (s) { s.addEventListener('change', apply); });
  // Reset by hand, at once: a timer set from the reset event can be throttled for a long time
  // in a background tab, leaving the count and the rows out of step with the form.
  form.addEventListener('reset', function (e) {
    e.preventDefault();
    selects.forEach(function (s) {
      var first = s.options.length ? s.options[0].value : '';
      var chosen = Array.prototype.filter.call(s.options, function (o) { return o.defaultSelected; });
      s.value = chosen.length ? chosen[0].value : first;
    });
    apply();
  });
  form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
  form.hidden = false;
})();
""".strip()


def default_template_dir() -> Path:
    """The package's ``templates/index``."""
    return template_dir(None, "index")


def _get(entry: Any, key: str, default: Any = None) -> Any:
    if isinstance(entry, Mapping):
        return entry.get(key, default)
    return getattr(entry, key, default)


def _safe_href(value: Any) -> str | None:
    """Relative paths inside the build folder, or http(s) URLs; anything else gets no link."""
    if value is None:
        return None
    text = str(value).strip().replace("\\", "/")
    if not text or _BAD_CHARS.search(text):
        return None
    scheme = _SCHEME.match(text)
    if scheme:
        return text if scheme.group(1).lower() in ("http", "https") else None
    if text.startswith("/") or ".." in text.split("/"):
        return None
    return text


def _exists(href: str, base_dir: Path | None) -> bool:
    if base_dir is None or href.startswith(("http://", "https://")):
        return True
    return (base_dir / href.split("#", 1)[0].split("?", 1)[0]).is_file()


def _when(value: Any) -> tuple[str, str]:
    """(machine-readable, human-readable) for a build time."""
    if value is None or value == "":
        return "", "Not known"
    parsed = value
    if isinstance(value, str):
        try:
            text = value.strip().replace("Z", "+00:00")
            parsed = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
        except ValueError:
            return "", value
    if isinstance(parsed, dt.datetime):
        return parsed.isoformat(), f"{parsed.day} {parsed:%B %Y}, {parsed:%H:%M}"
    if isinstance(parsed, dt.date):
        return parsed.isoformat(), f"{parsed.day} {parsed:%B %Y}"
    return "", str(value)


def _format_note(state: Mapping | None, href: str | None) -> dict:
    """What the index says beside one format (publish.format_statuses gives the state):
    nothing for a current file; "from <date>" for one kept from an earlier build; out of date or
    failed, with why and the date of the last good build."""
    if not state or state.get("state") == "current":
        return {"state": "current" if href else None, "note": ""}
    since_iso, since = _when(state.get("since"))
    since = since if since_iso else ""
    reason = str(state.get("reason") or "").strip()
    kind = state.get("state")
    if kind == "older" and not href:
        return {"state": None, "note": ""}
    if kind == "older":
        note = f"from {since}" if since else "from an earlier build"
    elif kind == "stale" and href:
        note = (f"out of date: the latest build of this format failed ({reason}); this file is from "
                f"{since or 'an earlier build'}")
    elif kind in ("stale", "failed"):
        href = None
        note = f"failed ({reason}); " + (f"last good build {since}" if since else "no earlier version was published")
    else:
        return {"state": None, "note": ""}
    return {"state": kind, "note": note, "href": href}


def _options(rows: list[dict], key: str, label_key: str) -> list[dict]:
    seen: dict[str, str] = {}
    for row in rows:
        seen.setdefault(row[key], row[label_key])
    return [{"value": k, "label": v} for k, v in sorted(seen.items(), key=lambda kv: kv[1].lower())]


def _environment(template_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _in_order(rows: list[dict]) -> list[dict]:
    """By authority, client group and edition (English names); each other-language version right
    after its English one."""
    english = sorted((r for r in rows if not r["lang"]),
                     key=lambda r: (r["authority_name"].lower(), r["client_group_name"].lower(), r["edition_label"]))
    others = sorted((r for r in rows if r["lang"]), key=lambda r: (r["authority_id"], r["client_group_id"], r["language"]))
    out = []
    for row in english:
        out.append(row)
        twins = [o for o in others if (o["authority_id"], o["client_group_id"], o["edition_label"]) ==
                 (row["authority_id"], row["client_group_id"], row["edition_label"])]
        out.extend(twins)
        others = [o for o in others if o not in twins]
    return out + others


def render_index(
    entries: Iterable[Any],
    project_name: str,
    build_date: Any,
    *,
    template_dir: str | Path | None = None,
    base_dir: str | Path | None = None,
) -> str:
    """The index page HTML.

    Each entry (dict or object) has ``authority_id, authority_name, client_group_id,
    client_group_name, edition_label, status, built_at, html_href, pdf_href, docx_href``
    (``title`` optional). A ``None`` href gets no link; with ``base_dir`` an href whose file is
    missing gets none either. ``formats`` (optional, from ``publish.format_statuses``) gives each
    format's state: current, older ("from <date>"), stale (out of date) or failed, with its reason.
    """
    base = Path(base_dir) if base_dir is not None else None
    rows = []
    for entry in entries:
        status = str(_get(entry, "status", "") or "").strip().lower()
        language = str(_get(entry, "language", "") or DEFAULT_LANGUAGE)
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        built_iso, built_text = _when(_get(entry, "built_at"))
        links = []
        states = _get(entry, "formats") or {}
        for key, short, long in FORMATS:
            href = _safe_href(_get(entry, f"{key}_href"))
            if href is not None and not _exists(href, base):
                href = None
            links.append({"key": key, "short": short, "long": long, "href": href} | _format_note(states.get(key), href))
        rows.append({
            "authority_id": str(_get(entry, "authority_id", "") or ""),
            "authority_name": str(_get(entry, "authority_name", "") or _get(entry, "authority_id", "")),
            "client_group_id": str(_get(entry, "client_group_id", "") or ""),
            "client_group_name": str(_get(entry, "client_group_name", "") or _get(entry, "client_group_id", "")),
            "edition_label": str(_get(entry, "edition_label", "") or ""),
            "title": str(_get(entry, "title", "") or ""),
            "status": status,
            "status_label": STATUS_LABELS.get(status, status.capitalize()),
            "status_tone": STATUS_TONES.get(status, "neutral"),
            "built_iso": built_iso,
            "built_text": built_text,
            "links": links,
            "language": language,
            "lang": "" if language == DEFAULT_LANGUAGE else hreflang(language),  # this English page's Welsh rows
            "language_name": LANGUAGES[language][0],
        })
    rows = _in_order(rows)
    statuses = [{"value": s, "label": STATUS_LABELS[s]} for s in STATUS_LABELS
                if any(r["status"] == s for r in rows)]
    statuses += [{"value": s, "label": s.capitalize()} for s in sorted({r["status"] for r in rows})
                 if s and s not in STATUS_LABELS]
    digest = base64.b64encode(hashlib.sha256(FILTER_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    _, build_text = _when(build_date)
    build_iso, _ = _when(build_date)
    env = _environment(Path(template_dir) if template_dir else default_template_dir())
    return html_language_marks(env.get_template("index.html.j2").render(
        project_name=str(project_name or "Strategy documents"),
        build_date_iso=build_iso,
        build_date_text=build_text,
        rows=rows,
        authorities=_options([r for r in rows if not r["lang"]] or rows, "authority_id", "authority_name"),
        client_groups=_options([r for r in rows if not r["lang"]] or rows, "client_group_id", "client_group_name"),
        statuses=statuses,
        script=Markup(FILTER_SCRIPT),  # noqa: S704 - our own constant
        script_hash=f"sha256-{digest}",
        scroll_script=Markup(SCROLL_REGION_SCRIPT),  # noqa: S704 - our own constant
        scroll_script_hash=scroll_script_hash(),
    ))
