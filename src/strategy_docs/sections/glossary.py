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
    Term("A&E", "accident and emergency", "A hospital's emergency department."),
    Term("AMHP", "approved mental health professional",
         "A professional approved to organise and take part in assessments under the Mental Health Act 1983."),
    Term("ASCOF", "Adult Social Care Outcomes Framework",
         "The national measures of how well adult social care in England achieves the outcomes that matter to people."),
    Term("BSL", "British Sign Language"),
    Term("CIW", "Care Inspectorate Wales", "The regulator and inspector of social care in Wales."),
    Term("CQC", "Care Quality Commission", "The regulator of health and adult social care in England."),
    Term("GP", "general practitioner", "A family doctor.", also=("GPs",)),
    Term("HHI", "Herfindahl-Hirschman index",
         "A measure of how concentrated a market is: the sum of the squares of each provider's percentage share "
         "of places, from close to 0 (many small providers) to 10,000 (a single provider). Below 1,500 is "
         "unconcentrated, 1,500 to 2,500 moderately concentrated and above 2,500 highly concentrated."),
    Term("ICB", "integrated care board", "The NHS body that plans and pays for health services for an area of England."),
    Term("IPS", "Individual Placement and Support",
         "Employment support that helps people with mental health problems find and keep paid work."),
    Term("MHA", "Mental Health Act", "The Mental Health Act 1983."),
    Term("MHSDS", "Mental Health Services Data Set",
         "The national NHS data on people in contact with secondary mental health services in England."),
    Term("NHS", "National Health Service"),
    Term("ONS", "Office for National Statistics"),
    Term("PANSI", "Projecting Adult Needs and Service Information",
         "Projections of the number of adults aged 18 to 64 likely to have particular needs, from national "
         "prevalence rates and population projections."),
    Term("POPPI", "Projecting Older People Population Information",
         "Projections of the number of people aged 65 and over likely to have particular needs, from national "
         "prevalence rates and population projections."),
    Term("SEND", "special educational needs and disabilities"),
    Term("SMI", "severe mental illness"),
    Term("WAG", "Welsh Assembly Government", "The name of the Welsh Government until 2011."),
    Term("section 33", "section 33 of the National Health Service (Wales) Act 2006",
         "Lets councils and NHS bodies in Wales pool budgets and arrange services for each other."),
    Term("section 75", "section 75 of the National Health Service Act 2006",
         "Lets councils and NHS bodies in England pool budgets and arrange services for each other."),
    Term("section 117", "section 117 of the Mental Health Act 1983",
         "The duty on councils and the NHS to provide free aftercare for people who have been detained under "
         "certain sections of the Act."),
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


def glossary_rows(terms: list[Term]) -> list[dict]:
    """Rows of the glossary table: the term and what it means."""
    rows = []
    for t in terms:
        if t.term == t.expansion or not t.expansion:
            meaning = t.meaning
        elif t.meaning:
            meaning = f"{t.expansion[:1].upper()}{t.expansion[1:]}. {t.meaning}"
        else:
            meaning = f"{t.expansion[:1].upper()}{t.expansion[1:]}."
        rows.append({"Term": t.term, "Meaning": meaning})
    return rows


# ---------------------------------------------------------------- <abbr> at first use

_SKIP = {"script", "style", "svg", "title", "abbr", "a", "code", "pre", "nav", "textarea", "h1"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _FirstUse(HTMLParser):
    """Re-writes an HTML page unchanged except that, inside <main>, the first use of each term
    in running text is wrapped in <abbr title="...">."""

    def __init__(self, terms: list[Term]):
        super().__init__(convert_charrefs=True)
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
        title = escape(term.expansion)
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


def mark_first_use(html: str, terms: list[Term]) -> str:
    """The page with each term's first use in <main> marked up as an abbreviation."""
    if not terms:
        return html
    parser = _FirstUse(terms)
    parser.feed(html)
    parser.close()
    return "".join(parser.out)
