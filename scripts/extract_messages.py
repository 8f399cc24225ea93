"""Refresh the translation catalogues from the code and the templates.

    python scripts/extract_messages.py          # rewrite locale/strategy-docs.pot and merge it into each .po
    python scripts/extract_messages.py --check  # exit 1 if the .pot is out of date or a message has no translation

Messages are the English text of every
  - call ``t("...")``, ``_("...")``, ``N_("...")``, ``gettext("...")``, ``x.t("...")``, ``ngettext("...", "...", n)``
    and ``pgettext("context", "...")`` in src/strategy_docs (an English literal as first argument);
  - ``t("...")`` / ``s.t("...")`` in the templates (templates/strategy, templates/index);
  - heading and introduction cell of the section registry (sections/registry.py).
The Welsh is written by hand in src/strategy_docs/locale/cy/LC_MESSAGES/strategy-docs.po; merging
keeps every translation, adds new messages untranslated and drops messages the code no longer uses.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from babel.messages.catalog import Catalog  # noqa: E402
from babel.messages.pofile import read_po, write_po  # noqa: E402

PACKAGE = ROOT / "src" / "strategy_docs"
LOCALE = PACKAGE / "locale"
DOMAIN = "strategy-docs"
TEMPLATE = LOCALE / f"{DOMAIN}.pot"
NAMES = {"_", "t", "N_", "gettext"}
STAMP = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)  # fixed: the files change only when the messages do
TEMPLATE_CALL = re.compile(r"""\bt\(\s*(?P<q>["'])(?P<text>(?:(?!(?P=q)).)*)(?P=q)\s*\)""")


def python_messages() -> dict[tuple[str, str | None], tuple[str, str | None]]:
    """(msgid, context) -> (where, plural) for every marked English literal in the package."""
    found: dict = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else None)
            literals = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
            if name in NAMES and literals[0]:
                found.setdefault((literals[0], None), (f"{where}:{node.lineno}", None))
            elif name == "ngettext" and len(literals) >= 2 and literals[0] and literals[1]:
                found.setdefault((literals[0], None), (f"{where}:{node.lineno}", literals[1]))
            elif name == "pgettext" and len(literals) >= 2 and literals[0] and literals[1]:
                found.setdefault((literals[1], literals[0]), (f"{where}:{node.lineno}", None))
    return found


def template_messages() -> dict:
    found: dict = {}
    for folder in (ROOT / "templates" / "strategy", ROOT / "templates" / "index"):
        for path in sorted(folder.glob("*.j2")):
            text = path.read_text(encoding="utf-8")
            for match in TEMPLATE_CALL.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.setdefault((match.group("text"), None), (f"{path.relative_to(ROOT).as_posix()}:{line}", None))
    return found


def registry_messages() -> dict:
    from strategy_docs.sections.registry import SECTIONS, Markdown

    return {(cell.text.strip(), None): (f"src/strategy_docs/sections/registry.py ({section.id})", None)
            for section in SECTIONS for cell in section.cells if isinstance(cell, Markdown)}


def template_catalogue() -> Catalog:
    catalogue = Catalog(project="strategy-docs", domain=DOMAIN, charset="utf-8", fuzzy=False, creation_date=STAMP,
                        revision_date=STAMP, version="")
    messages = {**registry_messages(), **template_messages(), **python_messages()}
    for (msgid, context), (where, plural) in sorted(messages.items(), key=lambda item: (item[1][0], item[0][0])):
        file = where.partition(":")[0].partition(" ")[0]  # the file only: line numbers would churn the catalogues
        catalogue.add((msgid, plural) if plural else msgid, locations=[(file, None)], context=context)
    return catalogue


def _po_bytes(catalogue: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalogue, width=100, omit_header=False, sort_output=False, include_previous=False,
             ignore_obsolete=True)
    return out.getvalue()


def _ids(catalogue: Catalog) -> set:
    return {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in catalogue if m.id}


def languages() -> list[str]:
    return sorted(p.name for p in LOCALE.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())


def read_catalogue(language: str) -> Catalog:
    with (LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        return read_po(handle, locale=language)


def untranslated(language: str) -> list[str]:
    """Messages the code uses that have no translation in `language`."""
    catalogue = read_catalogue(language)
    have = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in catalogue
            if m.id and m.string and not m.fuzzy and (isinstance(m.string, str) or all(m.string))}
    return sorted(msgid for msgid, context in _ids(template_catalogue()) - have)


def main(argv: list[str]) -> int:
    template = template_catalogue()
    if "--check" in argv:
        problems = []
        if not TEMPLATE.is_file() or _ids(read_po(TEMPLATE.open("rb"))) != _ids(template):
            problems.append(f"{TEMPLATE.relative_to(ROOT)} is out of date: run python scripts/extract_messages.py")
        for language in languages():
            for msgid in untranslated(language):
                problems.append(f"{language}: no translation for {msgid!r}")
        print("\n".join(problems) or "catalogues up to date")
        return 1 if problems else 0
    LOCALE.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_bytes(_po_bytes(template))
    for language in languages() or ["cy"]:
        path = LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.is_file():
            catalogue = read_catalogue(language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalogue = Catalog(locale=language, project="strategy-docs", domain=DOMAIN, charset="utf-8", fuzzy=False,
                                creation_date=STAMP, revision_date=STAMP, version="")
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.creation_date = STAMP
        catalogue.revision_date = STAMP
        path.write_bytes(_po_bytes(catalogue))
        missing = untranslated(language)
        print(f"{path.relative_to(ROOT)}: {len(catalogue)} messages, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
