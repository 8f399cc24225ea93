"""Free text in two languages: `{en: ..., cy: ...}` in params, and what is missing a translation.

An authority lists the languages it publishes in (`languages: [en, cy]`; English alone unless
stated). Any free-text field (listed below, per kind of file) may then be written as one text
or as a mapping of language to text. Files are read once per language: `localise` replaces
each mapping by the text for that language. A text with no version in the language falls back
to the English, marked as English (`i18n.mark`), so the page says which passages are in
English; `validate` warns about each file with such texts (`missing_translations`).

Only free text is translated: identifiers, service types, cycle stages and other values that
the code or the data match on stay one value in every language (a mapping there is an error).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from strategy_docs.errors import Problem
from strategy_docs.i18n import DEFAULT_LANGUAGE, LANGUAGES, mark

__all__ = ["FREE_TEXT", "ONE_VALUE", "is_versions", "localise", "missing_translations"]

# Field paths of free text, per kind of params file; "[]" stands for every item of a list, "*" for
# every key of a mapping.
FREE_TEXT: dict[str, frozenset[str]] = {
    "authority": frozenset({
        "name", "short_name", "kind", "partners[].name", "partners[].role", "comparators[]",
        "branding.display_name", "local_policy[].name", "local_policy[].summary",
    }),
    "client-group": frozenset({"name", "definition", "measures[].label", "measures[].source"}),
    "strategy": frozenset({
        "document_control.title", "document_control.purpose", "document_control.owner",
        "document_control.distribution", "document_control.classification", "document_control.authors[]",
        "document_control.version_history[].comments",
        "context.summary", "context.scope", "context.services_included[]", "context.partnership",
        "context.consultation", "context.local_drivers[].name", "context.local_drivers[].summary",
        "context.policy_drivers.drivers[].name", "context.policy_drivers.drivers[].summary",
        "hypotheses[].statement", "hypotheses[].service_area", "hypotheses[].evidence_needed",
        "hypotheses[].reason", "hypotheses[].implication",
        "outcomes.introduction", "outcomes.items[].name", "outcomes.items[].aspiration",
        "outcomes.items[].i_statement", "outcomes.items[].sub_outcomes[].text",
        "outcomes.items[].commissioning.strategic[]", "outcomes.items[].commissioning.local[]",
        "outcomes.items[].commissioning.individual[]", "outcomes.items[].commissioning.decommissioning[]",
        "gap_analysis[].objective", "gap_analysis[].service_developments", "gap_analysis[].rationale",
        "gap_analysis[].implications",
        "themes[].name", "themes[].summary",
        "intentions[].title", "intentions[].details", "intentions[].drivers[]", "intentions[].activity",
        "intentions[].owner", "intentions[].timescale",
        "risks[].title", "risks[].cause", "risks[].event", "risks[].effect", "risks[].owner", "risks[].mitigations[]",
        "indicators[].name", "indicators[].source", "indicators[].code", "indicators[].frequency", "indicators[].action",
        "indicator_groups[].notes",
        "monitoring.arrangements", "monitoring.frequency", "monitoring.review_group",
        "table_labels.*.caption",
        "consultation.how_to_respond", "consultation.address", "consultation.other_formats",
        # the plan's own record types and guidance sections
        "themes[].i_statements[]", "intentions[].contracts[].name", "intentions[].contracts[].notes",
        "principles[].name", "principles[].text", "case_examples[].title", "case_examples[].text",
        "case_examples[].source", "foreword.text", "foreword.signed_by[].role", "workforce.summary",
        "workforce.facts[].label", "workforce.facts[].value", "workforce.facts[].detail", "workforce.tables[].caption",
        "workforce.tables[].columns[]", "workforce.tables[].rows[][]", "workforce.tables[].notes", "for_providers",
        "equality_impact.summary", "equality_impact.assessment", "equality_impact.impacts[].group",
        "equality_impact.impacts[].impact", "sections[].title", "sections[].text",
    }),
}
# Text fields that stay one value in every language: files, addresses and identifiers; names of
# people and providers; words the code matches on (stages, service types, groups of indicators,
# band labels, which the catalogue translates where they are shown).
ONE_VALUE: dict[str, frozenset[str]] = {
    "authority": frozenset({"branding.logo", "cycle.stages[]", "localities[].name", "risk_bands[].label",
                            "accessibility_statement.url", "accessibility_statement.contact"}),
    "client-group": frozenset({"service_types[]", "measures[].service_types[]"}),
    "strategy": frozenset({
        "consultation.email", "document_control.reference", "document_control.version_history[].author",
        "document_control.version_history[].version", "foreword.signed_by[].name", "gap_analysis[].service_types[]",
        "indicators[].codes[]", "indicators[].framework", "indicators[].theme", "indicators[].area",
        "indicator_groups[].theme", "indicator_groups[].area", "intentions[].contracts[].number",
        "intentions[].contracts[].provider", "intentions[].cycle.current", "intentions[].cycle.expected",
        "sections[].number",
    }),
}
LANGUAGE_NAMES = {"en": "English", "cy": "Welsh"}  # for messages to the analyst, who writes in English
KIND_OF_MODEL = {"Authority": "authority", "ClientGroup": "client-group", "Strategy": "strategy"}


def _generic(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += "[]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _is_free_text(kind: str, loc: tuple) -> bool:
    return _is_free_text_path(kind, _generic(loc))


@functools.lru_cache(maxsize=4096)
def _is_free_text_path(kind: str, generic: str) -> bool:
    # Asked once per value, for a few hundred distinct paths ("intentions[].title" for every
    # intention): the wildcard patterns were 2 s of reading a 5,000-intention plan.
    paths = FREE_TEXT.get(kind, frozenset())
    if generic in paths:
        return True
    # table_labels.<any table>.caption
    return any("*" in p and re.fullmatch(re.escape(p).replace(r"\*", r"[^.\[\]]+"), generic) for p in paths)


def is_versions(value: Any) -> bool:
    """A mapping of language codes to texts, with the English given."""
    return (isinstance(value, dict) and bool(value) and set(value) <= set(LANGUAGES) and DEFAULT_LANGUAGE in value
            and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value.values()))


def localise(data: Any, kind: str, language: str, file: str, lines=None) -> tuple[Any, list[Problem]]:
    """`data` (a params file as read) with each free text in `language`; problems for versions
    given where a field takes one value."""
    problems: list[Problem] = []

    def walk(value: Any, loc: tuple) -> Any:
        if _is_free_text(kind, loc) and (isinstance(value, str) or is_versions(value)):
            return _pick(value, language)
        if _is_free_text(kind, loc) and isinstance(value, dict) and set(value) & set(LANGUAGES):
            return _bad_versions(value, loc)
        if is_versions(value) and loc:
            problems.append(Problem(
                file, "is one value in every language (the code or the data match on it), so it cannot be "
                "given in several.", field=_dotted(loc), line=lines.line_for(loc) if lines else None,
                fix=f"give the English only, e.g. {value[DEFAULT_LANGUAGE]!r}."))
            return value[DEFAULT_LANGUAGE]
        if isinstance(value, dict):
            return {key: walk(item, (*loc, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, (*loc, i)) for i, item in enumerate(value)]
        return value

    def _bad_versions(value: dict, loc: tuple) -> Any:
        """A text meant as versions that is not ({cy: ...} alone, a third language, a list per language)."""
        unknown = [str(k) for k in value if k not in LANGUAGES]
        if unknown:
            message = f"{', '.join(repr(k) for k in unknown)} is not a language documents are published in."
            fix = f"give the versions under {', '.join(LANGUAGES)} only."
        elif DEFAULT_LANGUAGE not in value:
            message = "a text given in several languages needs its English version."
            fix = f"add 'en: ...' beside {', '.join(str(k) for k in value)}."
        else:
            message = "each language's version is one text."
            fix = "write each version as text (a list or mapping cannot be translated version by version)."
        problems.append(Problem(file, message, field=_dotted(loc), line=lines.line_for(loc) if lines else None, fix=fix))
        texts = [v for v in value.values() if isinstance(v, str)]
        english = value.get(DEFAULT_LANGUAGE)
        return english if isinstance(english, str) else (texts[0] if texts else "")

    return walk(data, ()), problems


def _pick(value: Any, language: str) -> Any:
    if isinstance(value, str):
        return value if language == DEFAULT_LANGUAGE or not value.strip() else mark(value, DEFAULT_LANGUAGE)
    text = value.get(language)
    if text is not None and str(text).strip():
        return text
    english = value[DEFAULT_LANGUAGE]
    return english if language == DEFAULT_LANGUAGE or not str(english).strip() else mark(str(english), DEFAULT_LANGUAGE)


def missing_translations(data: Any, kind: str, language: str) -> list[tuple]:
    """Where a free text of `data` has no version in `language` (locations as in the file)."""
    found: list[tuple] = []

    def walk(value: Any, loc: tuple) -> None:
        if _is_free_text(kind, loc) and (isinstance(value, str) or is_versions(value)):
            text = value if isinstance(value, str) else value[DEFAULT_LANGUAGE]
            has = isinstance(value, dict) and str(value.get(language) or "").strip()
            if str(text).strip() and not has:
                found.append(loc)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*loc, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*loc, i))

    walk(data, ())
    return found


def translation_warning(data: Any, kind: str, language: str, file: str, lines, named_path) -> Problem | None:
    """One warning for a file of a bilingual document with texts missing in `language`."""
    missing = missing_translations(data, kind, language)
    if not missing:
        return None
    names = [named_path(loc, data) for loc in missing]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    name = LANGUAGE_NAMES.get(language, language)
    return Problem(
        file, f"{len(names)} free {'text has' if len(names) == 1 else 'texts have'} no {name} ({language}) version: "
        f"{shown}. The {name} document shows {'it' if len(names) == 1 else 'them'} in English, marked as English.",
        field=names[0], line=lines.line_for(missing[0]) if lines else None,
        fix=f"write each as {{en: ..., {language}: ...}} (docs/params.md, 'Welsh and English').", severity="warning")


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out
