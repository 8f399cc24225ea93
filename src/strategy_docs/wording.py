"""Small wording helpers shared by the command line and the documents (no heavy imports)."""

from __future__ import annotations

__all__ = ["plural"]


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 document', '2 documents' (and 'authority' -> 'authorities' when told)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
