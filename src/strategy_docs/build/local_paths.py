"""This machine's folders taken out of what a build keeps or reports (warnings, tracebacks, kept
notebooks, failure notes): the workspace, Python, the package, home and temp become
<workspace>, <python>, <strategy-docs>, <home>, <tmp>.

Its own module so that executing (execute.py) and publishing (publish.py) both use it without
importing each other.
"""

from __future__ import annotations

import os
import re
import site
import sys
import tempfile
from pathlib import Path

__all__ = ["ANSI", "scrub_local_paths"]

_PREFIXES: list[tuple[str, str]] = []


def _local_prefixes() -> list[tuple[str, str]]:
    if _PREFIXES:
        return _PREFIXES

    places = {"<python>": [sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(), site.getusersitepackages()],
              "<strategy-docs>": [str(Path(__file__).resolve().parents[2])],
              "<home>": [os.path.expanduser("~")],
              "<tmp>": [tempfile.gettempdir(), os.environ.get("TMPDIR", ""), "/tmp", "/var/tmp"]}
    pairs = set()
    for label, paths in places.items():
        for path in paths:
            for form in {path, os.path.realpath(path) if path else ""}:  # /tmp may be a link (macOS)
                if form and len(form.rstrip("/")) > 1:
                    pairs.add((form.rstrip("/"), label))
    _PREFIXES.extend(sorted(pairs, key=lambda pair: -len(pair[0])))
    return _PREFIXES


ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_PATTERNS: dict[str, re.Pattern] = {}


def _place_pattern(path: str) -> re.Pattern:
    """`path` as a whole folder: not part of a longer name (/tmp is not /tmpfiles), not inside a word."""
    pattern = _PATTERNS.get(path)
    if pattern is None:
        pattern = _PATTERNS[path] = re.compile(r"(?<![\w.~/-])" + re.escape(path) + r"(?![\w.~-])")
    return pattern


def scrub_local_paths(text: str, workspace: str | Path | None = None) -> str:
    """Replace this machine's folders (the workspace, Python, the package, home, temp) in outputs
    such as warnings and tracebacks, with <workspace>, <python>, <strategy-docs>, <home>, <tmp>.

    Colour codes go first: IPython colours tracebacks, and a code between a folder and its
    slash would hide the folder from the match.
    """
    text = ANSI.sub("", text)
    places = list(_local_prefixes())
    if workspace:
        root = str(workspace).rstrip("/")
        places += [(form, "<workspace>") for form in {root, os.path.realpath(root)} if len(form) > 1]
        places.sort(key=lambda pair: -len(pair[0]))
    for path, label in places:
        if path in text:
            text = _place_pattern(path).sub(label, text)
    return text
