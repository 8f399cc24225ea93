"""Languages: the translation catalogues, dates and numbers by locale, and text in another language.

Everything the code writes (headings, labels, table headings, status words, generated
sentences) goes through a `Translator`: English is the source language (the message ids are
the English text), Welsh comes from `locale/cy/LC_MESSAGES/strategy-docs.po`, read directly
with Babel's PO reader (no compile step, nothing to forget in the wheel).
`scripts/extract_messages.py` refreshes the template (`locale/strategy-docs.pot`) from the code
and the templates; a test checks every message has a Welsh translation.

Text shown in a language other than the page's (a params text with no Welsh version on a
Welsh page, a Welsh title on an English page) is *marked* inside the string with three
private-use characters: OPEN, the language code, SEP, the text, CLOSE. Marked strings travel
through the display blocks and notebooks like any text; each output turns the marks into its
own language markup (`lang="en"` in HTML, `text(lang: ...)` in Typst, `w:lang` in Word) and no
mark ever reaches a reader (`strip_marks`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from importlib import resources
from typing import Any

__all__ = [
    "DEFAULT_LANGUAGE", "LANGUAGES", "Translator", "translator", "mark", "strip_marks", "segments",
    "html_language_marks", "document_name", "hreflang", "N_", "data_word",
]

DEFAULT_LANGUAGE = "en"
# code -> (name in its own language, BCP 47 tag for lang attributes, Babel locale)
LANGUAGES: dict[str, tuple[str, str, str]] = {
    "en": ("English", "en-GB", "en_GB"),
    "cy": ("Cymraeg", "cy", "cy_GB"),
}
DOMAIN = "strategy-docs"

OPEN, SEP, CLOSE = "\ue0f0", "\ue0f1", "\ue0f2"
_MARK = re.compile(f"{OPEN}([a-z]{{2,3}}){SEP}|{CLOSE}")
_ANY_MARK = re.compile(f"{OPEN}[a-z]{{0,3}}{SEP}?|[{SEP}{CLOSE}]")


def hreflang(language: str) -> str:
    """The BCP 47 tag of a language code: 'en' -> 'en-GB', 'cy' -> 'cy'."""
    return LANGUAGES[language][1]


def document_name(client_group: str, language: str = DEFAULT_LANGUAGE) -> str:
    """A document's file stem: 'carers' in English, 'carers.cy' in Welsh (slugs hold no dots, so
    no client group's English name can be another's Welsh one)."""
    return client_group if language == DEFAULT_LANGUAGE else f"{client_group}.{language}"


# ---------------------------------------------------------------- text in another language


def mark(text: str, language: str) -> str:
    """`text` marked as written in `language` (shown with that language's markup)."""
    if not text:
        return text
    return f"{OPEN}{language}{SEP}{strip_marks(text)}{CLOSE}"


def strip_marks(text: Any) -> str:
    """The text a reader sees: every language mark removed."""
    return _ANY_MARK.sub("", str(text))


def segments(text: str, language: str | None = None) -> tuple[list[tuple[str | None, str]], str | None]:
    """Split marked text into (language or None, piece); `language` is the one still open from the
    text before (a passage whose marks span several strings), and the one left open is returned."""
    out: list[tuple[str | None, str]] = []
    at = 0
    for found in _MARK.finditer(text):
        if found.start() > at:
            out.append((language, text[at:found.start()]))
        language = found.group(1) if found.group(1) else None
        at = found.end()
    if at < len(text):
        out.append((language, text[at:]))
    return out, language


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)?[^>]*>|<!--.*?-->", re.DOTALL)
_NO_SPAN_INSIDE = {"title", "script", "style", "option", "textarea"}


def html_language_marks(html: str) -> str:
    """A page's marks as ``<span lang="...">``: around each run of text between tags (so a passage
    over several paragraphs never breaks their nesting); marks inside tags (attribute values)
    and inside <title>, <script>, <style> and <option> are removed."""
    if OPEN not in html and CLOSE not in html:
        return html
    out: list[str] = []
    at = 0
    open_language: str | None = None
    plain_only = 0
    for tag in _TAG.finditer(html):
        out.append(_text_with_spans(html[at:tag.start()], open_language, plain_only))
        open_language = segments(html[at:tag.start()], open_language)[1]
        name = (tag.group(2) or "").lower()
        if name in _NO_SPAN_INSIDE:
            plain_only += -1 if tag.group(1) else 1
            plain_only = max(plain_only, 0)
        out.append(strip_marks(tag.group(0)))
        at = tag.end()
    out.append(_text_with_spans(html[at:], open_language, plain_only))
    return "".join(out)


def _text_with_spans(text: str, language: str | None, plain: int) -> str:
    if not text:
        return text
    if plain:
        return strip_marks(text)
    pieces, _ = segments(text, language)
    return "".join(piece if lang is None or not piece.strip() else f'<span lang="{escape(hreflang(lang))}">{piece}</span>'
                   for lang, piece in pieces)


# ---------------------------------------------------------------- catalogues


@lru_cache(maxsize=None)
def _catalogue(language: str) -> dict[str, Any]:
    """msgid (or (msgid, plural)) -> translation(s), from the package's PO file for `language`."""
    from babel.messages.pofile import read_po

    if language == DEFAULT_LANGUAGE:
        return {}
    path = resources.files("strategy_docs") / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=LANGUAGES[language][2].split("_")[0])
    out: dict[str, Any] = {}
    for message in catalogue:
        if not message.id or not message.string or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
        if message.context:
            key = f"{message.context}\x04{key}"
        value = message.string
        if isinstance(value, (tuple, list)):
            if not all(value):
                continue
            value = tuple(value)
        out[key] = value
    return out


@dataclass(frozen=True)
class Translator:
    """Words and formats for one language. `gettext` returns the Welsh for an English message,
    or the English marked as English where the catalogue has none (`missing` lists them)."""

    language: str = DEFAULT_LANGUAGE
    missing: set = field(default_factory=set, compare=False, hash=False)

    @property
    def tag(self) -> str:
        return hreflang(self.language)

    @property
    def locale(self) -> str:
        return LANGUAGES[self.language][2]

    def gettext(self, message: str) -> str:
        if self.language == DEFAULT_LANGUAGE:
            return message
        found = _catalogue(self.language).get(message)
        if isinstance(found, str):
            return found
        self.missing.add(message)
        return mark(message, DEFAULT_LANGUAGE)

    __call__ = gettext

    def pgettext(self, context: str, message: str) -> str:
        """A message whose translation depends on where it is used (Welsh mutates, English does not)."""
        if self.language == DEFAULT_LANGUAGE:
            return message
        found = _catalogue(self.language).get(f"{context}\x04{message}")
        if isinstance(found, str):
            return found
        return self.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """Singular or plural by `count`; Welsh takes the catalogue's forms (zero, one, two, few, many, other)."""
        if self.language == DEFAULT_LANGUAGE:
            return singular if count == 1 else plural
        forms = _catalogue(self.language).get(singular)
        if isinstance(forms, tuple):
            return forms[_welsh_plural_index(count) if len(forms) == 6 else (0 if count == 1 else -1)]
        self.missing.add(singular)
        return mark(singular if count == 1 else plural, DEFAULT_LANGUAGE)

    # ------------------------------------------------------------ dates and numbers

    def date(self, value: Any) -> str:
        """'29 June 2026' / '29 Mehefin 2026' (a date, a datetime or an ISO date string)."""
        from babel.dates import format_date

        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value[:10])
            except ValueError:
                return value
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            return "" if value is None else str(value)
        return format_date(value, "d MMMM y", locale=self.locale)

    def datetime(self, value: dt.datetime) -> str:
        """'29 June 2026, 14:05'."""
        return f"{self.date(value)}, {value:%H:%M}"

    def number(self, value: float, decimals: int = 0) -> str:
        """A number with the locale's separators and exactly `decimals` places."""
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self.locale)


def _welsh_plural_index(n: int) -> int:
    """Welsh (CLDR): zero, one, two, few (3), many (6), other - the PO file's Plural-Forms order."""
    return {0: 0, 1: 1, 2: 2, 3: 3, 6: 4}.get(n, 5)


@lru_cache(maxsize=None)
def translator(language: str | None = None) -> Translator:
    language = language or DEFAULT_LANGUAGE
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    return Translator(language)


def N_(message: str) -> str:
    """Marks an English message kept in a constant for the catalogue; translate it where it is shown."""
    return message


def data_word(text: Any, t: "Translator | None" = None) -> str:
    """A name from the data tables (a service type, a budget group), which are written in English:
    as it is on an English page, marked as English on a page in another language."""
    text = str(text)
    return text if t is None or t.language == DEFAULT_LANGUAGE else mark(text, DEFAULT_LANGUAGE)
