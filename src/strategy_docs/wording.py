"""Small wording helpers shared by the command line and the documents (no heavy imports)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from strategy_docs.i18n import CLOSE

__all__ = ["plural", "long_date", "as_sentence", "join_items", "list_in_words"]

TERMINAL = (".", "!", "?", ".)", ".*")


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 document', '2 documents', '1,200 people' (and 'authority' -> 'authorities' when told)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def long_date(value: Any) -> str:
    """'14 March 2025' from a date or an ISO date string; anything else as it is."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def as_sentence(text: str) -> str:
    """The text ending with one full stop: 'Rounded for this example' and 'Rounded for this example.'
    both give 'Rounded for this example.' (a text ending '?' or '!' is left as it is)."""
    text = str(text).strip()
    if not text:
        return ""
    closing = ""
    while text.endswith(CLOSE):  # a passage marked as another language (i18n.mark): its own end counts
        closing, text = closing + CLOSE, text[:-1].rstrip()
    while text.endswith((";", ",", ":")) or text.endswith(".."):
        text = text[:-1].rstrip()
    return (text if text.endswith(TERMINAL) else text + ".") + closing


def join_items(items) -> str:
    """Items from the plan in one run of text: phrases with '; ' between them ('Audit; training'),
    but items that are sentences (ending with a full stop) as sentences ('Audit done. Training booked.'),
    so no '.;' or '..' appears."""
    items = [str(i).strip() for i in items if str(i).strip()]
    if any(i.rstrip(CLOSE).rstrip().endswith(TERMINAL) for i in items):  # a marked item's own end counts
        return " ".join(as_sentence(i) for i in items)
    return "; ".join(items)


def list_in_words(items, word: str = "and") -> str:
    """'A', 'A and B', 'A, B and C'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]
