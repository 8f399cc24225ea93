"""Where each data table's figures come from, and whether they are synthetic.

An authority may say, per table, its source and whether it is synthetic (``data_sources`` in
its params); a table it says nothing about follows the project's ``synthetic_data`` flag. The
document-wide notice is shown only when every table a document draws on is synthetic; otherwise
the notice stands beside the content drawn from synthetic tables and never over real figures.
"""

from __future__ import annotations

from collections.abc import Iterable

TABLE_NAMES = ("population", "service_users", "providers", "budget", "unit_costs", "indicators")


def is_synthetic(authority, project, table: str) -> bool:
    source = authority.data_sources.get(table)
    if source is not None and source.synthetic is not None:
        return source.synthetic
    return bool(project.synthetic_data)


def document_is_synthetic(authority, project, present: Iterable[str]) -> bool:
    """The whole-document notice: the document draws on data, and all of it is synthetic."""
    used = [t for t in present if t in TABLE_NAMES]
    return bool(used) and all(is_synthetic(authority, project, t) for t in used)


def source_of(authority, table: str) -> str | None:
    source = authority.data_sources.get(table)
    return source.source if source is not None else None
