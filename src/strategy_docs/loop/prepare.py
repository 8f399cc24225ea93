"""Prepared notebooks: a section with one document's parameters injected (papermill prepare-only).

Analysts open these in JupyterLab and run them cell by cell. The workspace parameter is
written relative to the prepared notebook's folder, so the notebook runs from where it is.
"""

from __future__ import annotations

import os
from pathlib import Path

import papermill as pm

from strategy_docs.inputs.bundled import section_notebook
from strategy_docs.errors import ParamsError, Problem
from strategy_docs.inputs.params import load_params
from strategy_docs.inputs.workspace import SECTION_NOTEBOOKS, Workspace


def prepare_notebooks(ws: Workspace, authority: str, client_group: str, section: str | None = None,
                      output: Path | None = None) -> list[Path]:
    params = load_params(ws.root, pairs_filter=lambda pair: pair == (authority, client_group))
    if (authority, client_group) not in params.strategies:
        raise ParamsError([Problem("params/project.yaml", f"{authority} / {client_group} is not a document in the matrix.",
                                   fix="check the identifiers with 'strategy-docs list'.")])
    names = SECTION_NOTEBOOKS
    if section:
        names = [n for n in SECTION_NOTEBOOKS if n == section or n.split("-", 1)[1] == section or n.startswith(section)]
        if not names:
            raise ParamsError([Problem("SECTION", f"'{section}' is not a section.",
                                       fix=f"use one of: {', '.join(SECTION_NOTEBOOKS)}.")])
    folder = Path(output) if output else ws.root / "prepared" / authority / client_group
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        target = folder / f"{name}.ipynb"
        pm.execute_notebook(
            str(section_notebook(ws.root, name)), str(target), prepare_only=True, progress_bar=False,
            parameters={"workspace": os.path.relpath(ws.root, folder), "authority": authority, "client_group": client_group},
        )
        written.append(target)
    return written
