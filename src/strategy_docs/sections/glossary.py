"""Abbreviations and technical terms: what each means, where a document uses it.

A document's glossary lists only the terms its own text uses (the plan's words and the
generated ones), in alphabetical order; a term a document does not use is never listed. In the
HTML each term is marked with ``<abbr title="...">`` where it is first used.

The meanings are the published names of bodies, Acts and datasets. A numbered section is
listed only with its Act ("section 75" of the National Health Service Act 2006), never a bare
section number whose Act the text does not make plain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape, unescape
from html.parser import HTMLParser

from strategy_docs.i18n import N_

TITLE = N_("Glossary")
TABLE_ID = "glossary"


@dataclass(frozen=True)
class Term:
    term: str  # as a reader sees it: "ASCOF", "section 75"
    expansion: str  # what it stands for: the <abbr> title
    meaning: str = ""  # a plain-English line for the glossary, when the expansion alone is not enough
    also: tuple[str, ...] = ()  # other ways the text writes it ("GPs")

    @property
    def pattern(self) -> re.Pattern:
        forms = sorted((self.term, *self.also), key=len, reverse=True)
        return re.compile(r"(?<![\w&/-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w&/-])")


TERMS: tuple[Term, ...] = (
    Term("A&E", N_("accident and emergency"), N_("A hospital's emergency department.")),
    Term("AMHP", N_("approved mental health professional"),
         N_("A professional approved to organise and take part in assessments under the Mental Health Act 1983.")),
    Term("ASCOF", N_("Adult Social Care Outcomes Framework"),
         N_("The national measures of how well adult social care in England achieves the outcomes that matter to people.")),
    Term("BSL", N_("British Sign Language")),
    Term("CIW", N_("Care Inspectorate Wales"), N_("The regulator and inspector of social care in Wales.")),
    Term("CQC", N_("Care Quality Commission"), N_("The regulator of health and adult social care in England.")),
    Term("GP", N_("general practitioner"), N_("A family doctor."), also=("GPs",)),
    Term("HHI", N_("Herfindahl-Hirschman index"),
         N_("A measure of how concentrated a market is: the sum of the squares of each provider's percentage share "
            "of places, from close to 0 (many small providers) to 10,000 (a single provider). Below 1,500 is "
            "unconcentrated, 1,500 to 2,500 moderately concentrated and above 2,500 highly concentrated.")),
    Term("ICB", N_("integrated care board"), N_("The NHS body that plans and pays for health services for an area of England.")),
    Term("IPS", N_("Individual Placement and Support"),
         N_("Employment support that helps people with mental health problems find and keep paid work.")),
    Term("MHA", N_("Mental Health Act"), N_("The Mental Health Act 1983.")),
    Term("MHSDS", N_("Mental Health Services Data Set"),
         N_("The national NHS data on people in contact with secondary mental health services in England.")),
    Term("NHS", N_("National Health Service")),
    Term("ONS", N_("Office for National Statistics")),
    Term("PANSI", N_("Projecting Adult Needs and Service Information"),
         N_("Projections of the number of adults aged 18 to 64 likely to have particular needs, from national "
         "prevalence rates and population projections.")),
    Term("POPPI", N_("Projecting Older People Population Information"),
         N_("Projections of the number of people aged 65 and over likely to have particular needs, from national "
         "prevalence rates and population projections.")),
    Term("SEND", N_("special educational needs and disabilities")),
    Term("SMI", N_("severe mental illness")),
    Term("WAG", N_("Welsh Assembly Government"), N_("The name of the Welsh Government until 2011.")),
    Term("section 33", N_("section 33 of the National Health Service (Wales) Act 2006"),
         N_("Lets councils and NHS bodies in Wales pool budgets and arrange services for each other.")),
    Term("section 75", N_("section 75 of the National Health Service Act 2006"),
         N_("Lets councils and NHS bodies in England pool budgets and arrange services for each other.")),
    Term("section 117", N_("section 117 of the Mental Health Act 1983"),
         N_("The duty on councils and the NHS to provide free aftercare for people who have been detained under "
         "certain sections of the Act.")),
)


def terms_used(texts) -> list[Term]:
    """The terms that appear in any of ``texts``, in alphabetical order (never one that does not)."""
    joined = "\n".join(texts)
    found = [t for t in TERMS if t.pattern.search(joined)]
    return sorted(found, key=lambda t: t.term.lower())


def block_texts(value) -> list[str]:
    """The reader's text in a display block (or any JSON-like value): strings, with HTML tags
    removed and entities decoded; ids and SVG source are not text."""
    if isinstance(value, str):
        return [unescape(re.sub(r"<[^>]+>", " ", value))]
    if isinstance(value, dict):
        return [t for key, v in value.items() if key not in ("id", "svg", "table_id", "kind", "tone")
                for t in block_texts(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in block_texts(v)]
    return []


def glossary_rows(terms: list[Term], t=None) -> list[dict]:
    """Rows of the glossary table: the term and what it means, in ``t``'s language (a Translator;
    default English)."""
    rows = []
    words = t or (lambda message: message)
    for term in terms:
        expansion, meaning = words(term.expansion) if term.expansion else "", words(term.meaning) if term.meaning else ""
        if term.term == term.expansion or not term.expansion:
            said = meaning
        elif term.meaning:
            said = f"{expansion[:1].upper()}{expansion[1:]}. {meaning}"
        else:
            said = f"{expansion[:1].upper()}{expansion[1:]}."
        rows.append({"Term": term.term, "Meaning": said})
    return rows


# ---------------------------------------------------------------- <abbr> at first use

_SKIP = {"script", "style", "svg", "title", "abbr", "a", "code", "pre", "nav", "textarea", "h1"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _FirstUse(HTMLParser):
    """Re-writes an HTML page unchanged except that, inside <main>, the first use of each term
    in running text is wrapped in <abbr title="...">."""

    def __init__(self, terms: list[Term], t=None):
        super().__init__(convert_charrefs=True)
        self.words = t or (lambda message: message)
        self.out: list[str] = []
        self.terms = list(terms)
        self.done: set[str] = set()
        self.stack: list[str] = []
        self.in_main = 0
        self.skipping = 0
        self.raw = 0  # inside <script> or <style>: text passes through as it is

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag in _VOID:
            return
        self.stack.append(tag)
        self.in_main += tag == "main"
        self.skipping += tag in _SKIP
        self.raw += tag in ("script", "style")

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if tag in _VOID:
            return
        while self.stack:  # close what the parser has open up to this tag
            open_tag = self.stack.pop()
            self.in_main -= open_tag == "main"
            self.skipping -= open_tag in _SKIP
            self.raw -= open_tag in ("script", "style")
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self.raw:
            self.out.append(data)
        elif self.skipping or not self.in_main or len(self.done) == len(self.terms):
            self.out.append(escape(data, quote=False))
        else:
            self.out.append(self._mark(data))

    def _mark(self, data: str) -> str:
        """Wrap the earliest first use in this text (decoded), then look again in the rest of it;
        the text is escaped again as it is written."""
        best = None
        for term in self.terms:
            if term.term in self.done:
                continue
            found = term.pattern.search(data)
            if found and (best is None or found.start() < best[1].start()):
                best = (term, found)
        if best is None:
            return escape(data, quote=False)
        term, found = best
        self.done.add(term.term)
        title = escape(self.words(term.expansion))
        return (escape(data[:found.start()], quote=False) + f'<abbr title="{title}">{escape(found.group(0), quote=False)}</abbr>'
                + self._mark(data[found.end():]))

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")


def mark_first_use(html: str, terms: list[Term], t=None) -> str:
    """The page with each term's first use in <main> marked up as an abbreviation (its expansion in
    ``t``'s language, a Translator; default English)."""
    if not terms:
        return html
    parser = _FirstUse(terms, t)
    parser.feed(html)
    parser.close()
    return "".join(parser.out)
