"""Content digests: what a cache key is made of (bytes, files, what a notebook does).

Its own module so that planning a build (build/plan.py) and working out which sections a
document leaves out (sections/outline.py) both use it without importing each other.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

__all__ = ["file_digest", "notebook_digest", "sha256_bytes"]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    return sha256_bytes(Path(path).read_bytes())


def notebook_digest(path: Path) -> str:
    """Hash what a notebook does (cell types and sources), not outputs or execution counts."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = [(c.get("cell_type"), _source(c.get("source", "")), sorted(c.get("metadata", {}).get("tags", [])))
             for c in nb.get("cells", [])]
    return sha256_bytes(json.dumps(cells, sort_keys=True).encode("utf-8"))


def _source(source) -> str:
    return "".join(source) if isinstance(source, list) else source
