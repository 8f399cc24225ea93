"""Sections made from the strategy's own words alone, and the plan's own skeleton.

A foreword, principles, case examples, the workforce, what the strategy means for providers, an
equality impact summary, and narrative sections the plan adds itself hold only what params
state: no number is worked out and nothing is looked up in data. They are made here, in the
process that plans the build, as the same display blocks a notebook shows, and travel with the
document's metadata (`plan.document_meta`); `outputs.html.assemble` puts them, and the notebook
sections, in the plan's order with the plan's titles and numbers. A section with nothing given
is not made at all.
"""

from __future__ import annotations

import re

import pandas as pd

from strategy_docs.sections import blocks, markup
from strategy_docs.sections.registry import BY_ID, DEFAULT_ORDER, TEXT_BY_ID, resolve

plain = markup.escape_markdown  # the plan's plain text inside the Markdown made here


def foreword(strategy) -> list[dict]:
    f = strategy.foreword
    if f is None:
        return []
    out = [blocks.prose(f.text)]
    if f.signed_by:
        out.append(blocks.prose("\n\n".join(f"**{plain(s.name)}**" + (f"  \n{plain(s.role)}" if s.role else "")
                                            for s in f.signed_by)))
    return out


def principles(strategy) -> list[dict]:
    items = []
    for p in strategy.principles:
        text = p.text.strip()
        if p.name and text:
            items.append(f"- **{plain(p.name)}.** " + _indented(text))
        else:
            items.append("- " + (f"**{plain(p.name)}**" if p.name else _indented(text)))
    return [blocks.prose("\n".join(items))] if items else []


def _indented(text: str) -> str:
    """Text continued inside a list item (later lines and paragraphs indented under it)."""
    return text.replace("\n", "\n  ")


def _outcome_words(strategy) -> dict[str, str]:
    words = {o.code: (o.i_statement or o.name or o.aspiration or o.code) for o in strategy.outcomes.items if o.code}
    words.update({s.code: s.text for o in strategy.outcomes.items for s in o.sub_outcomes})
    return words


def case_examples(strategy) -> list[dict]:
    outcome_words = _outcome_words(strategy)
    theme_names = {t.id: t.name for t in strategy.themes}
    out = []
    for case in strategy.case_examples:
        text = case.text.strip()
        if case.outcomes:
            text += "\n\n**Outcomes it shows:**\n\n" + "\n".join(
                f"- {plain(code)}: {plain(outcome_words[code])}" if outcome_words.get(code, code) != code
                else f"- {plain(code)}" for code in case.outcomes)
        if case.themes:
            text += "\n\n**Themes:** " + "; ".join(plain(theme_names.get(t, t)) for t in case.themes) + "."
        if case.source:
            text += f"\n\n*Source: {plain(case.source)}*"
        out += [blocks.heading(case.title, 3, id="case-" + markup.slugify(case.title)), blocks.prose(text)]
    return out


def workforce(strategy) -> list[dict]:
    w = strategy.workforce
    if w is None:
        return []
    out = [blocks.prose(w.summary)] if w.summary.strip() else []
    if w.facts:
        out.append(blocks.facts([(f.label, f.value, f.detail or "") for f in w.facts]))
    for index, t in enumerate(w.tables, start=1):
        out.append(text_table(t, id=f"workforce-{index}"))
    return out


def text_table(t, id: str) -> dict:
    """A table the plan gives, cell for cell as text (nothing parsed, summed or formatted)."""
    frame = pd.DataFrame([list(row) for row in t.rows], columns=list(t.columns))
    return blocks.table(frame, caption=t.caption, id=id, numeric_columns=[], notes=t.notes)


def for_providers(strategy) -> list[dict]:
    return [blocks.prose(strategy.for_providers)] if strategy.for_providers.strip() else []


def equality_impact(strategy) -> list[dict]:
    e = strategy.equality_impact
    if e is None:
        return []
    facts = [(label, value) for label, value in (
        ("Assessment", e.assessment), ("Date", f"{e.date.day} {e.date:%B %Y}" if e.date is not None else None)) if value]
    out = [blocks.facts(facts)] if facts else []
    if e.summary.strip():
        out.append(blocks.prose(e.summary))
    if e.impacts:
        frame = pd.DataFrame([{"Group": i.group, "Impact": i.impact} for i in e.impacts])
        out.append(blocks.table(frame, caption="Equality impact by group", id="equality-impacts", numeric_columns=[]))
    return out


# ---------------------------------------------------------------- narrative sections and the skeleton

_HEADING = re.compile(r"^(#{1,6})(\s+.*)$")


def stepped_headings(markdown: str) -> str:
    """The plan's Markdown with its headings under the section's own: the first at level 3, none
    more than one level below the heading before it (a skipped level breaks the PDF's outline)."""
    lines, previous, fenced = [], 2, False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            level = max(3, min(len(match.group(1)) + 1, previous + 1, 6))
            previous = level
            line = "#" * level + match.group(2)
        lines.append(line)
    return "\n".join(lines)


def narrative(entry) -> list[dict]:
    text = (entry.text or "").strip()
    return [blocks.prose(stepped_headings(text))] if text else []


def heading_text(title: str, number: str | None) -> str:
    return f"{number} {title}" if number else title


def skeleton(strategy) -> list[dict]:
    """The document's sections in the plan's order: `{"section": notebook id}` for a notebook's
    section and `{"section": id, "blocks": [...]}` for a text or narrative section (only when it has
    something to show), each with the plan's `title` and `number` where it gives them. Sections
    the plan's list leaves out follow it in their default order, so nothing given is ever dropped."""
    listed: list[tuple[str, object]] = []
    for entry in strategy.sections:
        if entry.narrative:
            listed.append((entry.id or markup.slugify(entry.title), entry))
        else:
            listed.append((resolve(entry.id) or entry.id, entry))
    placed = {name for name, entry in listed if not entry.narrative}
    listed += [(name, None) for name in DEFAULT_ORDER if name not in placed]
    out = []
    for name, entry in listed:
        title = entry.title if entry is not None else None
        number = entry.number if entry is not None else None
        if entry is not None and entry.narrative:
            made = narrative(entry)
            if made:
                out.append({"section": name, "title": title, "number": number, "blocks": made})
        elif name in TEXT_BY_ID:
            spec = TEXT_BY_ID[name]
            made = blocks.relabel_tables(strategy.table_labels, globals()[spec.function](strategy))
            if made:
                out.append({"section": name, "title": title or spec.title, "number": number, "blocks": made})
        elif name in BY_ID:
            out.append({"section": name, "title": title, "number": number})
    return out
