"""Small wording helpers shared by the command line and the documents (no heavy imports)."""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["plural", "long_date"]


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 document', '2 documents' (and 'authority' -> 'authorities' when told)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


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
